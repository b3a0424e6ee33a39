//! The Prometheus PostgreSQL exporter (Debian's `prometheus-postgres-exporter`,
//! installed by `scripts/install-exporter.sh`) with the project's queries file
//! (`deploy/postgres-exporter/queries.yaml`), started against a test database
//! as a login role of `aems_exporter` (migration 003950): its `/metrics`,
//! scraped over HTTP, holds the schema's series with the values the database
//! holds, and `promtool check metrics` accepts the text.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aems_diesel::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TwoTenants, admin, admin_write, client, new_customer};

const EXPORTER: &str = "prometheus-postgres-exporter";
const QUERIES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/postgres-exporter/queries.yaml"
);

/// Whether `command` is on `PATH` (or in Debian's `/usr/bin`).
fn installed(command: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(command).is_file()))
        .unwrap_or(false)
        || std::path::Path::new("/usr/bin").join(command).is_file()
}

/// The exporter and promtool are not on a fresh machine: the project's own
/// script installs them (once per test process).
async fn ensure_exporter() {
    static INSTALLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            if installed(EXPORTER) && installed("promtool") {
                return;
            }
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/install-exporter.sh");
            let status = tokio::task::spawn_blocking(move || Command::new(script).status())
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
            assert!(status.success(), "{script} failed ({status})");
            assert!(
                installed(EXPORTER) && installed("promtool"),
                "{script} ran but {EXPORTER} or promtool is not there"
            );
        })
        .await;
}

/// A login role of aems_exporter for this test (cluster-wide, so its name is
/// unique), dropped when the test ends.
struct ExporterRole {
    admin_url: String,
    name: String,
    password: String,
}

impl ExporterRole {
    async fn create(t: &TwoTenants) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let role = Self {
            admin_url: t.db.admin_url(),
            name: format!("aems_test_exporter_{}", &id[..12]),
            password: id,
        };
        admin(&t.db)
            .await
            .batch_execute(&format!(
                "CREATE ROLE {} LOGIN INHERIT PASSWORD '{}' IN ROLE aems_exporter",
                role.name, role.password
            ))
            .await
            .unwrap();
        role
    }

    /// `url` with this role's user and password.
    fn url(&self, db: &aems_diesel::testing::TestDatabase) -> String {
        let config: tokio_postgres::Config = db.admin_url().parse().unwrap();
        let host = match &config.get_hosts()[0] {
            tokio_postgres::config::Host::Tcp(host) => host.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        };
        format!(
            "postgresql://{}:{}@{}:{}/{}?sslmode=disable",
            self.name,
            self.password,
            host,
            config.get_ports()[0],
            db.name()
        )
    }

    async fn drop_role(self) {
        client(&self.admin_url)
            .await
            .batch_execute(&format!("DROP ROLE {}", self.name))
            .await
            .unwrap();
    }
}

/// A running exporter; killed (and reaped) when dropped.
struct Exporter {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Exporter {
    /// Starts the exporter on a free loopback port with only the queries file's
    /// metrics and its own (the default metrics are not ours to lint), and
    /// returns once `/metrics` answers.
    async fn start(dsn: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let log = std::env::temp_dir().join(format!("aems-test-exporter-{port}.log"));
        let child = Command::new(EXPORTER)
            .env("DATA_SOURCE_NAME", dsn)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--extend.query-path={QUERIES}"))
            .args(["--disable-default-metrics", "--disable-settings-metrics"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {EXPORTER}: {e}"));
        let mut exporter = Self { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = exporter.child.try_wait().unwrap() {
                panic!(
                    "{EXPORTER} exited ({status}): {}",
                    std::fs::read_to_string(&exporter.log).unwrap_or_default()
                );
            }
            if exporter.try_scrape().await.is_ok() {
                return exporter;
            }
            assert!(
                Instant::now() < deadline,
                "{EXPORTER} did not answer within 20 s: {}",
                std::fs::read_to_string(&exporter.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET /metrics` over plain HTTP/1.0: the body of a 200 answer.
    async fn try_scrape(&self) -> std::io::Result<String> {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await?;
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        let answer = String::from_utf8(answer).map_err(std::io::Error::other)?;
        let (head, body) = answer
            .split_once("\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no end of headers"))?;
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            return Err(std::io::Error::other(
                head.lines().next().unwrap_or("").to_owned(),
            ));
        }
        Ok(body.to_owned())
    }

    async fn scrape(&self) -> String {
        self.try_scrape().await.unwrap()
    }
}

/// One sample of the text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The samples of `text` (label values here never hold `"`, `,` or `}`).
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (
                    name,
                    rest.trim_end_matches('}')
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let (k, v) = p.split_once('=').unwrap();
                            (k.to_owned(), v.trim_matches('"').to_owned())
                        })
                        .collect(),
                ),
                None => (series, Vec::new()),
            };
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().unwrap(),
            }
        })
        .collect()
}

fn only<'s>(samples: &'s [Sample], name: &str) -> &'s Sample {
    let found: Vec<_> = samples.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found[0]
}

/// `promtool check metrics` on `text`: its exit status and what it said.
fn promtool_check(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The UTC month `n` months after the current one, as its first day.
fn month_after(n: u32) -> chrono::NaiveDate {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).unwrap();
    first.checked_add_months(chrono::Months::new(n)).unwrap()
}

#[tokio::test]
async fn the_exporter_serves_the_schemas_series_with_the_databases_values() {
    ensure_exporter().await;
    let t = TwoTenants::new().await;

    // Tenant A has 600 customers more than its seeded one, B 200: customers
    // becomes one of the largest tenant tables.
    for (ctx, n) in [(t.ctx_a(), 600), (t.ctx_b(), 200)] {
        let mut uow = t.database.unit_of_work(&ctx).await.unwrap();
        uow.customers()
            .create_many(
                (0..n)
                    .map(|i| new_customer(&format!("Exported {i}")))
                    .collect(),
            )
            .await
            .unwrap();
        uow.commit().await.unwrap();
    }
    // Two audit rows of a month long gone, which has no partition: they land
    // in the default partition (as rows do when maintenance is late).
    for _ in 0..2 {
        admin_write(
            &t.db,
            "INSERT INTO risk.audit_logs (tenant_id, user_id, action, entity_type, \"timestamp\")
             VALUES ($1, $2, 'login', 'user', '2001-01-15 12:00+00')",
            &[&t.a.tenant, &t.a.user],
        )
        .await
        .unwrap();
    }
    // The migrations made this month and the next; make the two after them.
    let admin = admin(&t.db).await;
    admin
        .execute(
            "SELECT risk.create_audit_log_partitions($1, 2)",
            &[&month_after(2)],
        )
        .await
        .unwrap();

    let role = ExporterRole::create(&t).await;
    let exporter = Exporter::start(&role.url(&t.db)).await;
    let text = exporter.scrape().await;
    drop(exporter);
    role.drop_role().await;

    let (valid, said) = promtool_check(&text);
    assert!(valid, "promtool check metrics: {said}");

    let all = samples(&text);
    assert_eq!(only(&all, "pg_up").value, 1.0);
    assert_eq!(
        only(&all, "pg_exporter_user_queries_load_error").value,
        0.0,
        "the queries file did not load"
    );
    assert_eq!(only(&all, "aems_audit_default_partition_rows").value, 2.0);
    assert_eq!(
        only(&all, "aems_audit_current_month_partitioned").value,
        1.0
    );
    assert_eq!(only(&all, "aems_audit_partition_months_ahead").value, 3.0);
    let partitions: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'risk.audit_logs'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(only(&all, "aems_audit_partitions").value, partitions as f64);
    assert_eq!(partitions, 5, "default, this month and three ahead");

    // Per tenant: at most 5 tables, each with at most 10 tenants and "other";
    // every value is what the administrator counts.
    let per_tenant: Vec<&Sample> = all
        .iter()
        .filter(|s| s.name == "aems_tenant_rows")
        .collect();
    let tables: std::collections::BTreeSet<&str> = per_tenant
        .iter()
        .map(|s| s.label("table").unwrap())
        .collect();
    assert!(!tables.is_empty() && tables.len() <= 5, "{tables:?}");
    for sample in &per_tenant {
        let table = sample.label("table").unwrap();
        assert!(
            table.starts_with("auth.")
                || table.starts_with("sales.")
                || table.starts_with("finance.")
                || table.starts_with("hr.")
                || table.starts_with("products.")
                || table.starts_with("risk."),
            "{table}"
        );
        let tenant = sample.label("tenant").unwrap();
        let counted: i64 = if tenant == "other" {
            // Two tenants: none beyond the top ten.
            0
        } else {
            let tenant: uuid::Uuid = tenant.parse().unwrap();
            admin
                .query_one(
                    &format!("SELECT count(*) FROM {table} WHERE tenant_id = $1"),
                    &[&tenant],
                )
                .await
                .unwrap()
                .get(0)
        };
        assert_eq!(sample.value, counted as f64, "{table} {tenant}");
    }
    for table in &tables {
        let series = per_tenant
            .iter()
            .filter(|s| s.label("table") == Some(*table))
            .count();
        assert!(series <= 11, "{table}: {series} series");
    }
    let customers = |tenant: uuid::Uuid| {
        per_tenant
            .iter()
            .find(|s| {
                s.label("table") == Some("sales.customers")
                    && s.label("tenant") == Some(tenant.to_string().as_str())
            })
            .map(|s| s.value)
    };
    assert!(tables.contains("sales.customers"), "{tables:?}");
    assert_eq!(customers(t.a.tenant), Some(601.0));
    assert_eq!(customers(t.b.tenant), Some(201.0));
}

/// The counts are bounded: beyond the top tenants, the rest are one "other"
/// row holding their sum.
#[tokio::test]
async fn tenants_beyond_the_top_ones_are_summed_as_other() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers()
        .create_many((0..50).map(|i| new_customer(&format!("Big {i}"))).collect())
        .await
        .unwrap();
    uow.commit().await.unwrap();

    let role = ExporterRole::create(&t).await;
    let exporter = client(&role.url(&t.db)).await;
    let rows = exporter
        .query(
            "SELECT table_name, tenant, rows FROM aems_exporter.tenant_row_counts(1, 1)",
            &[],
        )
        .await
        .unwrap();
    drop(exporter);
    role.drop_role().await;
    let rows: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let table = rows[0].0.clone();
    let admin = admin(&t.db).await;
    let count = |tenant: uuid::Uuid| {
        let admin = &admin;
        let table = table.clone();
        async move {
            admin
                .query_one(
                    &format!("SELECT count(*) FROM {table} WHERE tenant_id = $1"),
                    &[&tenant],
                )
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    let (a, b) = (count(t.a.tenant).await, count(t.b.tenant).await);
    assert!(a > b, "{table}: a {a}, b {b}");
    assert_eq!(rows[0], (table.clone(), t.a.tenant.to_string(), a));
    assert_eq!(rows[1], (table.clone(), "other".to_owned(), b));
}

/// What the exporter's role can reach: the three functions, which hand out
/// counts; no tenant row, no table, and the definer role behind the functions
/// can be neither logged in as nor assumed.
#[tokio::test]
async fn the_exporter_role_reads_counts_and_no_row() {
    let t = TwoTenants::new().await;
    let role = ExporterRole::create(&t).await;
    let exporter = client(&role.url(&t.db)).await;
    for sql in [
        "SELECT count(*) FROM sales.customers",
        "SELECT count(*) FROM risk.audit_logs",
        "SELECT count(*) FROM risk.audit_logs_default",
        "SELECT count(*) FROM auth.users",
        "SET ROLE aems_exporter_definer",
    ] {
        let err = exporter.batch_execute(sql).await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }
    let bad = exporter
        .query(
            "SELECT * FROM aems_exporter.tenant_row_counts(1000, 1)",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(
        bad.code(),
        Some(&tokio_postgres::error::SqlState::INVALID_PARAMETER_VALUE),
        "{bad}"
    );
    drop(exporter);
    role.drop_role().await;

    let definer = admin(&t.db)
        .await
        .query_one(
            "SELECT r.rolcanlogin, r.rolsuper, r.rolbypassrls,
                    (SELECT count(*) FROM pg_auth_members m WHERE m.roleid = r.oid),
                    (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p WHERE p.proowner = r.oid),
                    (SELECT bool_and(p.prosecdef AND NOT has_function_privilege('public', p.oid, 'EXECUTE'))
                     FROM pg_proc p WHERE p.proowner = r.oid)
             FROM pg_roles r WHERE r.rolname = 'aems_exporter_definer'",
            &[],
        )
        .await
        .unwrap();
    assert!(!definer.get::<_, bool>(0) && !definer.get::<_, bool>(1) && !definer.get::<_, bool>(2));
    assert_eq!(
        definer.get::<_, i64>(3),
        0,
        "aems_exporter_definer has members"
    );
    assert_eq!(
        definer.get::<_, Vec<String>>(4),
        [
            "audit_default_partition",
            "audit_partitions",
            "tenant_row_counts"
        ]
    );
    assert!(
        definer.get::<_, bool>(5),
        "a function is not SECURITY DEFINER or is PUBLIC"
    );
}
