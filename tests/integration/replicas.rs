//! Read replicas, on a real primary with streaming replicas
//! (`aems_diesel::testing::ReplicatedCluster`, from the local binaries):
//! where routed reads run, isolation there, refused writes,
//! read-your-writes under induced lag, and replicas that stop and rejoin.
//! Every wait polls observable state against a deadline.

use std::time::{Duration, Instant};

use aems_core::CustomerId;
use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::testing::{ReplicatedCluster, session_facts};
use aems_diesel::{DatabaseConfig, Error, ReplicaHealth, Served};

use crate::fixture::{Seeded, seed_tenant};
use crate::support::{chain, client, context_of, new_customer};

/// A cluster with `replicas` replicas and two seeded tenants, replayed
/// everywhere.
struct Replicated {
    cluster: ReplicatedCluster,
    a: Seeded,
    b: Seeded,
}

impl Replicated {
    async fn new(replicas: usize) -> Self {
        let cluster = match ReplicatedCluster::start(replicas).await {
            Ok(c) => c,
            Err(e) => panic!("{}", chain(&e)),
        };
        let admin = client(&cluster.admin_url()).await;
        let a = seed_tenant(&admin, "a").await;
        let b = seed_tenant(&admin, "b").await;
        let this = Self { cluster, a, b };
        this.caught_up().await;
        this
    }

    /// Waits until every replica has replayed all the primary wrote so far.
    async fn caught_up(&self) {
        for i in 0..self.cluster.replica_count() {
            self.cluster
                .wait_until_replayed(i, Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("{}", chain(&e)));
        }
    }

    fn config(&self) -> DatabaseConfig {
        DatabaseConfig::new(self.cluster.app_url())
            .max_connections(4)
            .replicas(self.cluster.replica_app_urls())
    }

    async fn database(&self, config: DatabaseConfig) -> Database {
        Database::connect(config).await.expect("connects")
    }

    fn ctx_a(&self) -> Context {
        context_of(&self.a)
    }

    /// Customers of every tenant, as the primary's superuser sees them.
    async fn customers_on_primary(&self) -> i64 {
        client(&self.cluster.admin_url())
            .await
            .query_one("SELECT count(*) FROM sales.customers", &[])
            .await
            .unwrap()
            .get(0)
    }
}

/// Polls `condition` until it holds, failing the test after 30 s.
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition().await {
        assert!(Instant::now() < deadline, "not within 30 s: {what}");
        tokio::task::yield_now().await;
    }
}

fn health(db: &Database, i: usize) -> ReplicaHealth {
    db.replica_status()[i].health.clone()
}

#[tokio::test]
async fn a_routed_read_runs_on_a_replica_in_a_read_only_transaction_with_its_context() {
    let r = Replicated::new(2).await;
    let db = r.database(r.config()).await;
    assert!(
        db.replica_status()
            .iter()
            .all(|s| s.health == ReplicaHealth::Healthy),
        "{:?}",
        db.replica_status()
    );

    let mut seen = Vec::new();
    for _ in 0..4 {
        let mut reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
        let facts = session_facts(&mut reads).await.unwrap();
        assert!(facts.in_recovery, "a routed read runs on a standby");
        assert!(facts.read_only);
        assert_eq!(facts.tenant, r.a.tenant.to_string());
        assert_eq!(facts.role, "application_user");
        let customer = reads
            .customers()
            .get(CustomerId::from_uuid(r.a.customer))
            .await
            .unwrap();
        assert_eq!(customer.company_name.to_string(), "Customer of a");
        match reads.served_by() {
            Served::Replica(i) => seen.push(i),
            Served::Primary => panic!("served by the primary"),
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen, [0, 1], "both replicas take turns");

    // A read-only unit of work: several statements, one standby transaction.
    let mut uow = db.read(&r.ctx_a()).unit_of_work().await.unwrap();
    assert!(matches!(uow.served_by(), Served::Replica(_)));
    let page = uow
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let facts = session_facts(&mut uow).await.unwrap();
    assert!(facts.in_recovery && facts.read_only);
    uow.finish().await.unwrap();
}

#[tokio::test]
async fn isolation_holds_on_a_replica() {
    let r = Replicated::new(1).await;
    let db = r.database(r.config()).await;
    let mut reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
    assert_eq!(reads.served_by(), Served::Replica(0));
    let ids: Vec<_> = reads
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.tenant_id)
        .collect();
    assert_eq!(ids, [aems_core::TenantId::from_uuid(r.a.tenant)]);
    let theirs = reads
        .customers()
        .get(CustomerId::from_uuid(r.b.customer))
        .await;
    assert!(matches!(theirs, Err(Error::NotFound { .. })), "{theirs:?}");

    // The application role on the replica with no context sees nothing.
    let raw = client(&r.cluster.replica_app_url(0)).await;
    raw.batch_execute("SET ROLE application_user")
        .await
        .unwrap();
    let seen: i64 = raw
        .query_one("SELECT count(*) FROM sales.customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 0, "no context sees no row");
    let in_recovery: bool = raw
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(in_recovery);
}

#[tokio::test]
async fn a_write_through_a_read_executor_is_refused_and_changes_nothing() {
    let r = Replicated::new(1).await;
    let before = r.customers_on_primary().await;

    let replicated = r.database(r.config()).await;
    let primary_only = r
        .database(DatabaseConfig::new(r.cluster.app_url()).max_connections(2))
        .await;
    for (db, served) in [
        (&replicated, Served::Replica(0)),
        (&primary_only, Served::Primary),
    ] {
        let mut reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
        assert_eq!(reads.served_by(), served);
        let refused = reads.customers().create(new_customer("Refused")).await;
        assert!(
            matches!(refused, Err(Error::ReadOnly { .. })),
            "{served:?}: {refused:?}"
        );
        // The executor is still usable for reads.
        reads
            .customers()
            .get(CustomerId::from_uuid(r.a.customer))
            .await
            .unwrap();

        let mut uow = db.read(&r.ctx_a()).unit_of_work().await.unwrap();
        let refused = uow.customers().create(new_customer("Refused too")).await;
        assert!(
            matches!(refused, Err(Error::ReadOnly { .. })),
            "{served:?}: {refused:?}"
        );
        assert!(matches!(uow.finish().await, Err(Error::TransactionAborted)));
    }
    assert_eq!(r.customers_on_primary().await, before, "nothing written");
    let audited: i64 = client(&r.cluster.admin_url())
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE new_values::text LIKE '%Refused%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(audited, 0, "no audit row either");
}

#[tokio::test]
async fn read_your_writes_reads_the_primary_while_the_replica_lags_and_waits_when_allowed() {
    let r = Replicated::new(1).await;
    // A generous lag bound: the paused replica stays eligible for reads
    // without a token, which shows what the token protects against.
    let db = r
        .database(
            r.config()
                .max_replica_lag(Duration::from_secs(3600))
                .read_your_writes_timeout(Duration::from_millis(20)),
        )
        .await;
    // The same, allowed to wait long for a replica.
    let patient = r
        .database(
            r.config()
                .max_replica_lag(Duration::from_secs(3600))
                .read_your_writes_timeout(Duration::from_secs(30)),
        )
        .await;

    // With no lag the token's read is served by the replica.
    let mut uow = db.unit_of_work(&r.ctx_a()).await.unwrap();
    let first = uow.customers().create(new_customer("First")).await.unwrap();
    let token = uow.commit_with_token().await.unwrap();
    assert!(token > aems_diesel::CommitToken::NONE);
    let mut reads = patient
        .read(&r.ctx_a())
        .after(token)
        .one_shot()
        .await
        .unwrap();
    assert_eq!(reads.served_by(), Served::Replica(0));
    reads.customers().get(first.id).await.unwrap();
    drop(reads);

    r.cluster.pause_replay(0).await.unwrap();
    let mut uow = db.unit_of_work(&r.ctx_a()).await.unwrap();
    let second = uow
        .customers()
        .create(new_customer("Second"))
        .await
        .unwrap();
    let token = uow.commit_with_token().await.unwrap();

    // Without the token the replica serves, and does not have it yet...
    let mut stale = db.read(&r.ctx_a()).one_shot().await.unwrap();
    assert_eq!(stale.served_by(), Served::Replica(0));
    assert!(matches!(
        stale.customers().get(second.id).await,
        Err(Error::NotFound { .. })
    ));
    drop(stale);
    // ...with it, the read gives up on the replica after its bound and reads
    // the primary.
    let mut fresh = db.read(&r.ctx_a()).after(token).one_shot().await.unwrap();
    assert_eq!(fresh.served_by(), Served::Primary);
    fresh.customers().get(second.id).await.unwrap();
    drop(fresh);

    // Allowed to wait long, the read waits on the replica: once it is seen
    // polling, replay is resumed, and the read is served there.
    let ctx = r.ctx_a();
    let waiting = tokio::spawn(async move {
        let mut reads = patient.read(&ctx).after(token).one_shot().await.unwrap();
        let found = reads.customers().get(second.id).await.map(|c| c.id);
        (reads.served_by(), found)
    });
    let watcher = client(&r.cluster.replica_admin_url(0)).await;
    let app_role = r.cluster.app_role().to_owned();
    eventually("the read polls the replica's replay position", || {
        let watcher = &watcher;
        let app_role = &app_role;
        async move {
            watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = $1
                       AND query LIKE '%pg_last_wal_replay_lsn%'
                       AND query NOT LIKE '%pg_is_in_recovery%'",
                    &[app_role],
                )
                .await
                .unwrap()
                .get::<_, i64>(0)
                > 0
        }
    })
    .await;
    assert!(
        !waiting.is_finished(),
        "the read waits while replay is paused"
    );
    r.cluster.resume_replay(0).await.unwrap();
    let (served, found) = waiting.await.unwrap();
    assert_eq!(served, Served::Replica(0));
    assert_eq!(found.unwrap(), second.id);
}

#[tokio::test]
async fn a_replica_beyond_the_lag_bound_is_skipped_until_it_catches_up() {
    let r = Replicated::new(1).await;
    let db = r
        .database(r.config().max_replica_lag(Duration::from_millis(50)))
        .await;
    assert_eq!(health(&db, 0), ReplicaHealth::Healthy);

    r.cluster.pause_replay(0).await.unwrap();
    let mut writes = db.one_shot(&r.ctx_a()).await.unwrap();
    writes
        .customers()
        .create(new_customer("Unreplayed"))
        .await
        .unwrap();
    eventually("the paused replica is judged lagging", || async {
        db.check_replicas().await;
        matches!(health(&db, 0), ReplicaHealth::Lagging { .. })
    })
    .await;
    let reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
    assert_eq!(reads.served_by(), Served::Primary);
    drop(reads);

    r.cluster.resume_replay(0).await.unwrap();
    eventually("the replica catches up and is healthy again", || async {
        db.check_replicas().await;
        health(&db, 0) == ReplicaHealth::Healthy
    })
    .await;
    let reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
    assert_eq!(reads.served_by(), Served::Replica(0));
}

#[tokio::test]
async fn a_stopped_replica_is_skipped_and_rejoins_when_it_is_back() {
    let r = Replicated::new(1).await;
    // Checks started by the reads themselves, often.
    let db = r
        .database(
            r.config()
                .replica_check_interval(Duration::from_millis(10))
                .connect_timeout(Duration::from_secs(2)),
        )
        .await;
    let id = CustomerId::from_uuid(r.a.customer);
    let mut reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
    assert_eq!(reads.served_by(), Served::Replica(0));
    reads.customers().get(id).await.unwrap();
    drop(reads);

    r.cluster.stop_replica(0).await.unwrap();
    // Reads go on; once a check (started by them) has seen the replica down,
    // the primary serves every one of them.
    eventually("reads see the replica down", || async {
        let Ok(mut reads) = db.read(&r.ctx_a()).one_shot().await else {
            return false;
        };
        // A read already on its way to the stopped replica may fail with a
        // lost connection; it marks the replica down at once.
        let found = reads.customers().get(id).await;
        matches!(health(&db, 0), ReplicaHealth::Down { .. })
            && (found.is_ok() || matches!(found, Err(Error::ConnectionLost(_))))
    })
    .await;
    for _ in 0..3 {
        let mut reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
        assert_eq!(reads.served_by(), Served::Primary);
        reads.customers().get(id).await.unwrap();
    }

    r.cluster.start_replica(0).await.unwrap();
    eventually("the restarted replica rejoins", || async {
        let Ok(reads) = db.read(&r.ctx_a()).one_shot().await else {
            return false;
        };
        reads.served_by() == Served::Replica(0)
    })
    .await;
    let mut reads = db.read(&r.ctx_a()).one_shot().await.unwrap();
    assert_eq!(reads.served_by(), Served::Replica(0));
    assert!(session_facts(&mut reads).await.unwrap().in_recovery);
    reads.customers().get(id).await.unwrap();
}

#[tokio::test]
async fn without_replicas_a_read_runs_on_the_primary_read_only() {
    let t = crate::support::TwoTenants::new().await;
    let db = &t.database;
    assert!(db.replica_status().is_empty());
    let mut reads = db.read(&t.ctx_a()).one_shot().await.unwrap();
    assert_eq!(reads.served_by(), Served::Primary);
    let facts = session_facts(&mut reads).await.unwrap();
    assert!(!facts.in_recovery && facts.read_only);
    assert_eq!(facts.tenant, t.a.tenant.to_string());
    // No replica, no token to take: the commit reads no WAL position.
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers().create(new_customer("Kept")).await.unwrap();
    assert_eq!(
        uow.commit_with_token().await.unwrap(),
        aems_diesel::CommitToken::NONE
    );
    assert_eq!(
        db.commit_token().await.unwrap(),
        aems_diesel::CommitToken::NONE
    );
}

#[tokio::test]
async fn a_cluster_dropped_by_a_panicking_test_leaves_nothing_running() {
    let cluster = ReplicatedCluster::start(1)
        .await
        .unwrap_or_else(|e| panic!("{}", chain(&e)));
    let directory = cluster.directory().to_owned();
    let ports = cluster.ports();
    assert!(directory.exists());
    for port in &ports {
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", *port))
                .await
                .is_ok()
        );
    }
    // The test body panics with the cluster in hand; unwinding drops it.
    let outcome = tokio::task::spawn_blocking(move || {
        let _cluster = cluster;
        panic!("a failing test");
    })
    .await;
    assert!(outcome.unwrap_err().is_panic());
    assert!(!directory.exists(), "{} is left", directory.display());
    for port in ports {
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "a server still listens on {port}"
        );
    }
}
