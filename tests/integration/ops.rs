//! Operations (`aems_diesel::ops`): health and monitoring read as the
//! monitoring role, backups with retention, and the restore drill.

use std::time::Duration;

use aems_diesel::ops::backup::{self, BackupError, BackupFormat, BackupOptions};
use aems_diesel::ops::{
    HealthOptions, HealthReason, HealthStatus, Monitor, NotAvailable, SessionState, StatementStats,
    health, health_with,
};
use aems_diesel::testing::TestDatabase;
use aems_diesel::testing::generator::{GeneratorConfig, Scale, count_rows, generate};
use aems_diesel::{Database, DatabaseConfig, KeyRing};
use tokio_postgres::Client;
use uuid::Uuid;

use crate::support::{admin, chain, client, test_db};

/// `url` with its user and password replaced.
fn as_role(url: &str, role: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (_, host) = rest.rsplit_once('@').unwrap();
    format!("{scheme}://{role}:{password}@{host}")
}

/// A login role of its own, created by `sql` (`{role}` and `{password}`
/// filled in), dropped when the guard goes (roles are cluster-wide).
struct Role {
    name: String,
    url: String,
    admin_url: String,
}

impl Role {
    async fn create(db: &TestDatabase, kind: &str, options: &str) -> Role {
        let name = format!(
            "aems_test_{kind}_{}",
            &Uuid::new_v4().simple().to_string()[..10]
        );
        let password = Uuid::new_v4().simple().to_string();
        admin(db)
            .await
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN PASSWORD '{password}' {options}"
            ))
            .await
            .unwrap_or_else(|e| panic!("cannot create {name}: {e}"));
        Role {
            url: as_role(&db.admin_url(), &name, &password),
            admin_url: db.admin_url(),
            name,
        }
    }

    /// A member of aems_monitor, as an operator would make one.
    async fn monitor(db: &TestDatabase) -> Role {
        Role::create(db, "mon", "INHERIT IN ROLE aems_monitor").await
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        let url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok((c, conn)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                    tokio::spawn(conn);
                    let _ = c
                        .batch_execute(&format!("DROP OWNED BY {name}; DROP ROLE IF EXISTS {name}"))
                        .await;
                }
            })
        })
        .join();
    }
}

/// The application's pool, reading health as `monitor`.
fn database_with_monitor(db: &TestDatabase, monitor: &Role) -> Database {
    Database::new(
        DatabaseConfig::new(db.app_url())
            .max_connections(2)
            .monitor_url(monitor.url.clone()),
    )
    .unwrap()
}

/// Waits (polling the server, no fixed sleep) until `pid` is in `state`.
async fn wait_for_state(admin: &Client, pid: i32, state: &str) {
    for _ in 0..500 {
        let row = admin
            .query_opt(
                "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = $2",
                &[&pid, &state],
            )
            .await
            .unwrap();
        if row.is_some() {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("session {pid} never reached state {state:?}");
}

async fn backend_pid(c: &Client) -> i32 {
    c.query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_fresh_database_read_as_the_monitoring_role_is_healthy() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let database = database_with_monitor(&db, &monitor);
    let report = health(&database).await.unwrap();
    assert_eq!(report.status, HealthStatus::Healthy, "{:?}", report.reasons);
    assert!(report.reasons.is_empty());
    assert!(report.accepting_connections);
    assert!(report.round_trip.is_some());
    assert_eq!(report.monitor_role.as_deref(), Some(monitor.name.as_str()));
    assert_eq!(report.audit_default_partition_rows, Some(0));
    assert!(report.pending_migrations.is_empty());
    assert!(report.unknown_migrations.is_empty());
    assert_eq!(report.pool.max_size, 2);
}

#[tokio::test]
async fn the_monitoring_role_reads_no_tenant_data() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let c = client(&monitor.url).await;
    for table in [
        "auth.tenants",
        "sales.customers",
        "risk.audit_logs",
        "risk.audit_logs_default",
    ] {
        let err = c
            .query(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect_err(table);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{table}: {err}"
        );
    }
}

#[tokio::test]
async fn long_running_queries_and_idle_transactions_count_only_over_their_thresholds() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let database = database_with_monitor(&db, &monitor);
    let admin = admin(&db).await;

    // Another role's session: only pg_monitor shows its state.
    let sleeper = client(&db.app_url()).await;
    let sleeper_pid = backend_pid(&sleeper).await;
    let sleeping = tokio::spawn(async move {
        let _ = sleeper.batch_execute("SELECT pg_sleep(60)").await;
    });
    wait_for_state(&admin, sleeper_pid, "active").await;

    let idler = client(&db.app_url()).await;
    let idler_pid = backend_pid(&idler).await;
    idler.batch_execute("BEGIN; SELECT 1").await.unwrap();
    wait_for_state(&admin, idler_pid, "idle in transaction").await;

    let defaults = health(&database).await.unwrap();
    assert_eq!(
        defaults.status,
        HealthStatus::Healthy,
        "{:?}",
        defaults.reasons
    );

    let strict = HealthOptions::default()
        .long_query(Duration::ZERO)
        .idle_in_transaction(Duration::ZERO);
    let report = health_with(&database, strict).await.unwrap();
    assert_eq!(report.status, HealthStatus::Degraded);
    assert!(
        report
            .reasons
            .iter()
            .any(|r| matches!(r, HealthReason::LongRunningQueries { count: 1, .. })),
        "{:?}",
        report.reasons
    );
    assert!(
        report
            .reasons
            .iter()
            .any(|r| matches!(r, HealthReason::IdleInTransaction { count: 1, .. })),
        "{:?}",
        report.reasons
    );
    let long = &report.long_running_queries[0];
    assert_eq!(long.pid, sleeper_pid);
    assert_eq!(long.state, SessionState::Active);
    assert!(
        long.query.as_deref().unwrap().contains("pg_sleep"),
        "{long:?}"
    );
    assert_eq!(report.idle_in_transaction[0].pid, idler_pid);

    admin
        .execute("SELECT pg_cancel_backend($1)", &[&sleeper_pid])
        .await
        .unwrap();
    sleeping.await.unwrap();
}

#[tokio::test]
async fn audit_rows_in_the_default_partition_degrade_health() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let database = database_with_monitor(&db, &monitor);
    // A month without a partition: the row lands in the default partition.
    admin(&db)
        .await
        .batch_execute(
            "INSERT INTO risk.audit_logs (action, entity_type, \"timestamp\")
             VALUES ('test', 'ops', '2001-01-15T00:00:00Z'), ('test', 'ops', '2001-02-15T00:00:00Z')",
        )
        .await
        .unwrap();
    let report = health(&database).await.unwrap();
    assert_eq!(report.status, HealthStatus::Degraded);
    assert_eq!(
        report.reasons,
        vec![HealthReason::AuditRowsInDefaultPartition { rows: 2 }]
    );
    assert_eq!(report.audit_default_partition_rows, Some(2));
}

#[tokio::test]
async fn pending_migrations_fail_health_and_unknown_ones_degrade_it() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let database = database_with_monitor(&db, &monitor);
    let admin = admin(&db).await;
    let last = aems_diesel::migrations::known_versions().pop().unwrap();

    admin
        .execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231235959')",
            &[],
        )
        .await
        .unwrap();
    let report = health(&database).await.unwrap();
    assert_eq!(
        report.status,
        HealthStatus::Degraded,
        "{:?}",
        report.reasons
    );
    assert_eq!(report.unknown_migrations, vec!["29991231235959".to_owned()]);

    admin
        .execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = $1",
            &[&last],
        )
        .await
        .unwrap();
    let report = health(&database).await.unwrap();
    assert_eq!(report.status, HealthStatus::Failing);
    assert!(report.reasons.contains(&HealthReason::PendingMigrations {
        versions: vec![last.clone()]
    }));
    assert_eq!(report.pending_migrations, vec![last]);
}

#[tokio::test]
async fn a_server_that_refuses_connections_is_failing() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://nobody:x@127.0.0.1:{port}/aems");
    let database = Database::new(
        DatabaseConfig::new(&url)
            .monitor_url(&url)
            .connect_timeout(Duration::from_secs(2)),
    )
    .unwrap();
    let report = health(&database).await.unwrap();
    assert_eq!(report.status, HealthStatus::Failing);
    assert!(!report.accepting_connections);
    assert!(
        matches!(
            report.reasons.as_slice(),
            [HealthReason::NotAcceptingConnections { .. }]
        ),
        "{:?}",
        report.reasons
    );
    assert_eq!(report.status.exit_code(), 2);
}

#[tokio::test]
async fn a_monitor_without_pg_monitor_is_reported_and_misses_other_sessions() {
    let db = test_db().await;
    // No monitoring URL: the pool's own role (aems_app's member) reads.
    let database = db.database().unwrap();
    let report = health(&database).await.unwrap();
    assert_eq!(report.status, HealthStatus::Degraded);
    assert!(
        report.reasons.iter().any(
            |r| matches!(r, HealthReason::MonitorLacksPgMonitor { role } if role == db.app_role())
        ),
        "{:?}",
        report.reasons
    );
    let mut weak = Monitor::connect(&database).await.unwrap();
    assert!(!weak.sees_everything());
    let admin_session = admin(&db).await; // another role's session
    let _ = &admin_session;
    let seen = weak.connections().await.unwrap();
    assert!(
        seen.iter().any(|c| c.state == SessionState::Hidden),
        "another role's session shows as hidden: {seen:?}"
    );
}

#[tokio::test]
async fn an_exhausted_pool_is_degraded_not_hung() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let database = Database::new(
        DatabaseConfig::new(db.app_url())
            .max_connections(1)
            .monitor_url(monitor.url.clone()),
    )
    .unwrap();
    let ctx = aems_diesel::Context::new(
        aems_core::TenantId::from_uuid(Uuid::now_v7()),
        aems_core::UserId::from_uuid(Uuid::now_v7()),
    );
    let held = database.one_shot(&ctx).await.unwrap();
    let options = HealthOptions::default().pool_wait(Duration::from_millis(100));
    let report = health_with(&database, options).await.unwrap();
    drop(held);
    assert_eq!(report.status, HealthStatus::Degraded);
    assert!(report.accepting_connections, "the monitor still got in");
    assert_eq!(report.round_trip, None);
    assert!(
        matches!(
            report.reasons.as_slice(),
            [HealthReason::PoolExhausted { max_size: 1, .. }]
        ),
        "{:?}",
        report.reasons
    );
}

#[tokio::test]
async fn connections_are_counted_by_state_and_application() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let named = client(&format!("{}?application_name=aems-ops-test", db.app_url())).await;
    named.batch_execute("BEGIN; SELECT 1").await.unwrap();
    let pid = backend_pid(&named).await;
    wait_for_state(&admin(&db).await, pid, "idle in transaction").await;
    let mut m = Monitor::connect_url(&monitor.url).await.unwrap();
    assert!(m.sees_everything());
    let counts = m.connections().await.unwrap();
    let ours = counts
        .iter()
        .find(|c| c.application_name == "aems-ops-test")
        .unwrap_or_else(|| panic!("{counts:?}"));
    assert_eq!(ours.state, SessionState::IdleInTransaction);
    assert_eq!(ours.connections, 1);
    assert!(
        counts.iter().all(|c| c.state != SessionState::Hidden),
        "{counts:?}"
    );
}

#[tokio::test]
async fn the_slowest_statements_come_from_pg_stat_statements_of_this_database_only() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let app = client(&db.app_url()).await;
    app.batch_execute("SELECT pg_sleep(0.05) AS ops_slow_marker")
        .await
        .unwrap();
    let mut m = Monitor::connect_url(&monitor.url).await.unwrap();
    // The harness preloads pg_stat_statements and the migrations create it.
    let StatementStats::Available(statements) = m.slowest_statements(50).await.unwrap() else {
        panic!("pg_stat_statements is not available on the test server");
    };
    let slow = statements
        .iter()
        .find(|s| {
            s.query
                .as_deref()
                .is_some_and(|q| q.contains("ops_slow_marker"))
        })
        .unwrap_or_else(|| panic!("{statements:#?}"));
    assert_eq!(slow.calls, 1);
    assert!(slow.mean_exec_time >= Duration::from_millis(50), "{slow:?}");
    assert!(
        statements
            .windows(2)
            .all(|w| w[0].mean_exec_time >= w[1].mean_exec_time),
        "slowest first"
    );
    // Another database's statements are not this one's.
    let other = test_db().await;
    let other_monitor = Role::monitor(&other).await;
    let mut m = Monitor::connect_url(&other_monitor.url).await.unwrap();
    let StatementStats::Available(theirs) = m.slowest_statements(500).await.unwrap() else {
        panic!("not available");
    };
    assert!(!theirs.iter().any(|s| {
        s.query
            .as_deref()
            .is_some_and(|q| q.contains("ops_slow_marker"))
    }));
}

#[tokio::test]
async fn without_the_extension_the_slowest_statements_are_not_available() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    admin(&db)
        .await
        .batch_execute("DROP EXTENSION pg_stat_statements")
        .await
        .unwrap();
    let mut m = Monitor::connect_url(&monitor.url).await.unwrap();
    assert_eq!(
        m.slowest_statements(10).await.unwrap(),
        StatementStats::NotAvailable(NotAvailable::NotInstalled)
    );
}

#[tokio::test]
async fn sizes_are_reported_per_table_index_and_schema() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    admin(&db)
        .await
        .batch_execute(
            "CREATE TABLE public.ops_sized AS SELECT g AS id, repeat('x', 200) AS pad
                 FROM generate_series(1, 5000) g;
             CREATE INDEX ops_sized_id ON public.ops_sized (id);",
        )
        .await
        .unwrap();
    let mut m = Monitor::connect_url(&monitor.url).await.unwrap();
    let sizes = m.relation_sizes().await.unwrap();
    let sized = sizes
        .iter()
        .find(|r| r.schema == "public" && r.name == "ops_sized")
        .unwrap();
    assert!(sized.table_bytes > 1_000_000, "{sized:?}");
    assert!(sized.index_bytes > 0, "{sized:?}");
    assert_eq!(sized.total_bytes, sized.table_bytes + sized.index_bytes);
    assert_eq!(sizes[0].name, "ops_sized", "largest first");
    let audit = sizes
        .iter()
        .find(|r| r.schema == "risk" && r.name == "audit_logs")
        .unwrap();
    assert!(audit.partitioned);
    let partitions: i64 = sizes
        .iter()
        .filter(|r| r.schema == "risk" && r.name.starts_with("audit_logs_"))
        .map(|r| r.total_bytes)
        .sum();
    assert_eq!(audit.total_bytes, partitions, "a parent is its partitions");
    assert!(audit.total_bytes > 0);

    let schemas = m.schema_sizes().await.unwrap();
    let public = schemas.iter().find(|s| s.schema == "public").unwrap();
    assert!(public.total_bytes >= sized.total_bytes);
    for schema in ["auth", "sales", "finance", "hr", "products", "risk"] {
        assert!(schemas.iter().any(|s| s.schema == schema), "{schema}");
    }
}

#[tokio::test]
async fn the_cache_hit_ratio_counts_blocks_hit_and_read() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let admin = admin(&db).await;
    admin
        .batch_execute(
            "CREATE TABLE public.ops_cached AS SELECT g AS id FROM generate_series(1, 1000) g;
             SELECT pg_stat_force_next_flush();
             SELECT count(*) FROM public.ops_cached;",
        )
        .await
        .unwrap();
    let mut m = Monitor::connect_url(&monitor.url).await.unwrap();
    let ratio = m.cache_hit_ratio().await.unwrap();
    let database = ratio.database.ratio().expect("blocks were needed");
    assert!((0.0..=1.0).contains(&database), "{ratio:?}");
    assert!(ratio.tables.hit + ratio.tables.read > 0, "{ratio:?}");
}

#[tokio::test]
async fn dead_tuples_and_the_last_vacuum_are_seen_per_table() {
    let db = test_db().await;
    let monitor = Role::monitor(&db).await;
    let admin = admin(&db).await;
    admin
        .batch_execute(
            "CREATE TABLE public.ops_churn (id int);
             INSERT INTO public.ops_churn SELECT generate_series(1, 1000);
             SELECT pg_stat_force_next_flush();",
        )
        .await
        .unwrap();
    admin
        .batch_execute("DELETE FROM public.ops_churn WHERE id <= 400")
        .await
        .unwrap();
    admin
        .batch_execute("SELECT pg_stat_force_next_flush()")
        .await
        .unwrap();
    admin.batch_execute("SELECT 1").await.unwrap();
    let mut m = Monitor::connect_url(&monitor.url).await.unwrap();
    let find = |rows: Vec<aems_diesel::ops::TableMaintenance>| {
        rows.into_iter()
            .find(|t| t.schema == "public" && t.name == "ops_churn")
            .unwrap()
    };
    let before = find(m.table_maintenance().await.unwrap());
    assert_eq!(before.dead_tuples, 400, "{before:?}");
    assert_eq!(before.last_vacuum, None);
    admin
        .batch_execute("VACUUM public.ops_churn")
        .await
        .unwrap();
    let after = find(m.table_maintenance().await.unwrap());
    assert_eq!(after.dead_tuples, 0, "{after:?}");
    assert!(after.last_vacuum.is_some(), "{after:?}");
    assert_eq!(after.last_vacuumed(), after.last_vacuum);
}

// ---- backups ---------------------------------------------------------------

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("aems-ops-{label}-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_role_subject_to_row_level_security_is_refused_a_backup() {
    let db = test_db().await;
    // Reads every table, but row-level security (forced) still filters it.
    let reader = Role::create(&db, "rls", "IN ROLE pg_read_all_data").await;
    let dir = temp_dir("refused");
    let err = backup::backup(&reader.url, &BackupOptions::new(&dir), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackupError::RoleSubjectToRowLevelSecurity { role } if *role == reader.name),
        "{}",
        chain(&err)
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );

    // The documented backup role: BYPASSRLS and pg_read_all_data.
    let backup_role = Role::create(&db, "bak", "BYPASSRLS IN ROLE pg_read_all_data").await;
    let report = backup::backup(&backup_role.url, &BackupOptions::new(&dir), |_| {})
        .await
        .unwrap_or_else(|e| panic!("{}", chain(&e)));
    assert!(report.bytes > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retention_deletes_only_this_databases_old_backups() {
    let dir = temp_dir("retention");
    let now = chrono::Utc::now();
    let days = |n: i64| now - chrono::TimeDelta::days(n);
    let old = backup::backup_file_name("shop", BackupFormat::Custom, days(31));
    let old_gz = backup::backup_file_name("shop", BackupFormat::PlainGz, days(45));
    let recent = backup::backup_file_name("shop", BackupFormat::Custom, days(29));
    let other_db = backup::backup_file_name("other", BackupFormat::Custom, days(90));
    let foreign = [
        "notes.txt".to_owned(),
        format!("{old}.bak"),
        format!(".{old}.partial"),
        "shop_20000101T000000Z.dump".to_owned(),
        "aems_shop_20000101.dump".to_owned(),
    ];
    for name in [&old, &old_gz, &recent, &other_db]
        .into_iter()
        .chain(foreign.iter())
    {
        std::fs::write(dir.join(name), b"x").unwrap();
    }
    // A directory with a backup's name is not a file of ours either.
    let dir_named = backup::backup_file_name("shop", BackupFormat::Custom, days(60));
    std::fs::create_dir(dir.join(&dir_named)).unwrap();

    let removed = backup::remove_expired(&dir, "shop", 30, now).unwrap();
    let mut expected = vec![dir.join(&old), dir.join(&old_gz)];
    expected.sort();
    assert_eq!(removed, expected);
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut kept: Vec<String> = [recent, other_db, dir_named]
        .into_iter()
        .chain(foreign)
        .collect();
    kept.sort();
    assert_eq!(left, kept);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Everything a restore must bring back, read as the administrator: rows
/// per table (partitions included), row-level security flags, policies,
/// table, column, function and schema privileges, the audit partitions, and
/// the memberships of the library's roles.
async fn inventory(db: &TestDatabase) -> Vec<String> {
    let admin = admin(db).await;
    let mut lines = Vec::new();
    let tables = admin
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) AS t, c.relkind::text,
                    c.relrowsecurity, c.relforcerowsecurity, coalesce(c.relacl::text, '')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
               AND n.nspname IN ('public', 'auth', 'sales', 'finance', 'hr', 'products', 'risk', 'analytics', 'aems_exporter')
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    for t in &tables {
        let name: String = t.get(0);
        let kind: String = t.get(1);
        let mut line = format!(
            "relation {name} kind={kind} rls={} force={} acl={}",
            t.get::<_, bool>(2),
            t.get::<_, bool>(3),
            t.get::<_, String>(4)
        );
        if kind == "r" {
            let n: i64 = admin
                .query_one(&format!("SELECT count(*) FROM {name}"), &[])
                .await
                .unwrap()
                .get(0);
            line.push_str(&format!(" rows={n}"));
        }
        lines.push(line);
    }
    for query in [
        "SELECT format('policy %s.%s %s %s %s %s %s %s', schemaname, tablename, policyname,
                permissive, roles::text, cmd, coalesce(qual, ''), coalesce(with_check, ''))
         FROM pg_policies ORDER BY 1",
        "SELECT format('column acl %s.%s.%s %s', n.nspname, c.relname, a.attname, a.attacl::text)
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE a.attacl IS NOT NULL ORDER BY 1",
        "SELECT format('function %s acl=%s definer=%s owner=%s', p.oid::regprocedure::text,
                coalesce(p.proacl::text, ''), p.prosecdef, pg_get_userbyid(p.proowner))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('public', 'auth', 'sales', 'finance', 'hr', 'products', 'risk', 'analytics', 'aems_exporter')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
         ORDER BY 1",
        "SELECT format('schema %s acl=%s owner=%s', nspname, coalesce(nspacl::text, ''),
                pg_get_userbyid(nspowner))
         FROM pg_namespace WHERE nspname IN ('auth', 'sales', 'finance', 'hr', 'products', 'risk', 'analytics', 'aems_exporter')
         ORDER BY 1",
        "SELECT format('partition %s', c.relid::regclass::text)
         FROM pg_partition_tree('risk.audit_logs') c ORDER BY 1",
        "SELECT format('trigger %s on %s', tgname, tgrelid::regclass::text)
         FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
        "SELECT format('extension %s', extname) FROM pg_extension ORDER BY 1",
        "SELECT format('member %s of %s', u.rolname, r.rolname)
         FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
         JOIN pg_roles u ON u.oid = m.member
         WHERE r.rolname IN ('application_user', 'aems_platform', 'aems_app', 'aems_audit_writer',
                             'aems_search', 'aems_monitor', 'aems_exporter',
                             'aems_exporter_definer', 'pg_monitor')
           AND u.rolname IN ('application_user', 'aems_platform', 'aems_app', 'aems_audit_writer',
                             'aems_search', 'aems_monitor', 'aems_exporter',
                             'aems_exporter_definer')
         ORDER BY 1",
    ] {
        for row in admin.query(query, &[]).await.unwrap() {
            lines.push(row.get(0));
        }
    }
    lines
}

/// The restore drill: a database filled by the generator, backed up, restored
/// into a fresh database, and found the same — and each tenant reads exactly
/// its rows through the library afterwards.
async fn restore_drill(format: BackupFormat) {
    let source = test_db().await;
    let keys = KeyRing::generate(1);
    let db = source.database().unwrap().with_key_ring(keys.clone());
    let config = GeneratorConfig::new(7, 2, Scale::Tiny).fast_hashes();
    let generated = generate(&db, &source.admin_url(), &config)
        .await
        .unwrap_or_else(|e| panic!("{}", chain(&e)));

    let dir = temp_dir("drill");
    let report = backup::backup(
        &source.admin_url(),
        &BackupOptions::new(&dir).format(format),
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{}", chain(&e)));
    assert_eq!(report.format, format);
    assert_eq!(report.database, source.name());
    assert!(report.path.starts_with(&dir) && report.bytes > 0);

    let target = TestDatabase::empty()
        .await
        .unwrap_or_else(|e| panic!("{}", chain(&e)));
    let restored = backup::restore(&report.path, &target.admin_url(), None, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{}", chain(&e)));
    assert_eq!(restored.database, target.name());

    let before = inventory(&source).await;
    let after = inventory(&target).await;
    assert!(
        before
            .iter()
            .any(|l| l.starts_with("relation sales.customers") && !l.ends_with("rows=0"))
    );
    assert!(before.iter().any(|l| l.starts_with("policy ")));
    assert!(
        before
            .iter()
            .any(|l| l.starts_with("partition risk.audit_logs_"))
    );
    let missing: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
    let extra: Vec<_> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "lost in the restore: {missing:#?}\nnew after it: {extra:#?}"
    );

    // Each tenant, through the application role and the library, sees
    // exactly the rows it saw before.
    let restored_db = target.database().unwrap().with_key_ring(keys);
    for tenant in &generated.tenants {
        let rows = count_rows(&restored_db, &tenant.context)
            .await
            .unwrap_or_else(|e| panic!("{}", chain(&e)));
        assert_eq!(rows, tenant.rows, "tenant {}", tenant.name);
    }
    // And the restored database is itself healthy (the migrations are all
    // there, nothing in the default partition).
    let monitor = Role::monitor(&target).await;
    let health = health(&database_with_monitor(&target, &monitor))
        .await
        .unwrap();
    assert_eq!(health.status, HealthStatus::Healthy, "{:?}", health.reasons);

    // Restoring again into the now full database is refused.
    let again = backup::restore(&report.path, &target.admin_url(), None, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(again, BackupError::TargetNotEmpty { .. }),
        "{again}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn restore_drill_custom_format() {
    restore_drill(BackupFormat::Custom).await;
}

#[tokio::test]
async fn restore_drill_plain_gzip() {
    restore_drill(BackupFormat::PlainGz).await;
}

/// The `aems` binary (feature `cli`): exit codes, JSON, and a backup and
/// restore through it. CI runs these with `--features cli`.
#[cfg(feature = "cli")]
mod cli {
    use std::process::{Command, Output};

    use super::*;

    fn aems(args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aems"));
        for var in [
            "AEMS_DATABASE_URL",
            "DATABASE_URL",
            "AEMS_MIGRATION_DATABASE_URL",
            "AEMS_MONITOR_DATABASE_URL",
            "AEMS_BACKUP_DATABASE_URL",
            "AEMS_KEYS",
        ] {
            command.env_remove(var);
        }
        command.args(args).output().expect("aems runs")
    }

    fn code(output: &Output) -> i32 {
        output.status.code().expect("an exit code")
    }

    fn text(output: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    #[test]
    fn every_command_has_help() {
        for command in [
            &["--help"][..],
            &["migrate", "--help"],
            &["health", "--help"],
            &["partitions", "--help"],
            &["partitions", "maintain", "--help"],
            &["backup", "--help"],
            &["restore", "--help"],
            &["seed", "--help"],
        ] {
            let out = aems(command);
            assert_eq!(code(&out), 0, "{command:?}: {}", text(&out));
            assert!(text(&out).contains("Usage:"), "{command:?}");
        }
    }

    #[tokio::test]
    async fn health_exits_0_healthy_1_degraded_2_failing() {
        let db = test_db().await;
        let monitor = Role::monitor(&db).await;
        let app = db.app_url();
        let out = aems(&[
            "health",
            "--json",
            "--url",
            &app,
            "--monitor-url",
            &monitor.url,
        ]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], "healthy");
        assert_eq!(json["audit_default_partition_rows"], 0);
        assert!(json["round_trip_ms"].as_f64().is_some(), "{json}");

        admin(&db)
            .await
            .batch_execute(
                "INSERT INTO risk.audit_logs (action, entity_type, \"timestamp\")
                 VALUES ('test', 'ops', '2001-01-15T00:00:00Z')",
            )
            .await
            .unwrap();
        let out = aems(&[
            "health",
            "--json",
            "--url",
            &app,
            "--monitor-url",
            &monitor.url,
        ]);
        assert_eq!(code(&out), 1, "{}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["reasons"][0]["reason"],
            "audit_rows_in_default_partition"
        );
        assert_eq!(json["reasons"][0]["rows"], 1);

        // The owner's URL repairs it.
        let out = aems(&["partitions", "maintain", "--url", &db.admin_url()]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let out = aems(&["health", "--url", &app, "--monitor-url", &monitor.url]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(text(&out).starts_with("healthy"), "{}", text(&out));

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let nowhere = format!("postgres://nobody:x@127.0.0.1:{port}/aems");
        let out = aems(&["health", "--url", &nowhere]);
        assert_eq!(code(&out), 2, "{}", text(&out));
        assert!(
            text(&out).contains("not accepting connections"),
            "{}",
            text(&out)
        );
        // No URL at all is an error, exit 2, saying which variables it read.
        let out = aems(&["health"]);
        assert_eq!(code(&out), 2);
        assert!(text(&out).contains("AEMS_DATABASE_URL"), "{}", text(&out));
    }

    #[tokio::test]
    async fn migrate_check_exits_1_while_migrations_are_pending() {
        let db = TestDatabase::empty().await.unwrap();
        let owner = db.admin_url();
        let out = aems(&["migrate", "--check", "--url", &owner]);
        assert_eq!(code(&out), 1, "{}", text(&out));
        assert!(text(&out).contains("pending: "), "{}", text(&out));
        let out = aems(&["migrate", "--url", &owner]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let out = aems(&["migrate", "--check", "--url", &owner]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(text(&out).contains("up to date"), "{}", text(&out));
    }

    #[tokio::test]
    async fn seed_fills_the_database_through_the_library() {
        let db = test_db().await;
        let keys = format!("1:{}", KeyRing::encode_key(&KeyRing::generate_key()));
        let args = [
            "seed",
            "--url",
            &db.app_url(),
            "--owner-url",
            &db.admin_url(),
            "--tenants",
            "1",
            "--scale",
            "tiny",
            "--fast-hashes",
        ];
        let without_keys = aems(&args);
        assert_eq!(code(&without_keys), 2);
        assert!(
            text(&without_keys).contains("AEMS_KEYS"),
            "{}",
            text(&without_keys)
        );
        let out = Command::new(env!("CARGO_BIN_EXE_aems"))
            .env("AEMS_KEYS", keys)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", text(&out));
        let customers: i64 = admin(&db)
            .await
            .query_one("SELECT count(*) FROM sales.customers", &[])
            .await
            .unwrap()
            .get(0);
        assert!(customers > 0);
    }

    #[tokio::test]
    async fn backup_and_restore_through_the_binary() {
        let source = test_db().await;
        let dir = temp_dir("cli");
        let dir_text = dir.display().to_string();
        std::fs::write(dir.join("keep-me.txt"), b"not a backup").unwrap();
        let yesterday = backup::backup_file_name(
            source.name(),
            BackupFormat::Custom,
            chrono::Utc::now() - chrono::TimeDelta::days(1),
        );
        std::fs::write(dir.join(&yesterday), b"an old backup").unwrap();
        let out = aems(&[
            "backup",
            "--dir",
            &dir_text,
            "--keep-days",
            "0",
            "--json",
            "--url",
            &source.admin_url(),
        ]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let file = json["path"].as_str().unwrap().to_owned();
        // --keep-days 0: yesterday's goes, the new one stays.
        assert_eq!(
            json["removed"],
            serde_json::json!([dir.join(&yesterday).display().to_string()])
        );
        assert!(std::path::Path::new(&file).exists());

        let target = TestDatabase::empty().await.unwrap();
        let out = aems(&["restore", &file, "--into", &target.admin_url()]);
        assert_eq!(code(&out), 0, "{}", text(&out));
        let tables: i64 = admin(&target)
            .await
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname IN ('auth', 'sales', 'risk')",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(tables > 5, "{tables}");
        // Into a database that is no longer empty: refused, exit 2.
        let out = aems(&["restore", &file, "--into", &target.admin_url()]);
        assert_eq!(code(&out), 2);
        assert!(text(&out).contains("not empty"), "{}", text(&out));
        // The stranger in the directory is still there.
        assert!(dir.join("keep-me.txt").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
