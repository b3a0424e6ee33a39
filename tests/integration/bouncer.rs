//! Through a real PgBouncer 1.18 in the spec's configuration: transaction
//! pooling, `DISCARD ALL` after every transaction, a server pool of one or two
//! connections, so that the clients (and the tenants) share server
//! connections. PgBouncer is installed by `scripts/install-pgbouncer.sh`; the
//! harness starts one per test and stops it.

use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::testing::{Bouncer, BouncerOptions};
use aems_diesel::{Database, DatabaseConfig, PoolerMode};

use crate::support::{TwoTenants, admin, new_customer};

/// PgBouncer is not on a fresh machine: the project's own script installs it
/// (once per test process) before the first bouncer starts.
pub async fn ensure_pgbouncer() {
    static INSTALLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            if Bouncer::is_installed() {
                return;
            }
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/install-pgbouncer.sh");
            let status =
                tokio::task::spawn_blocking(move || std::process::Command::new(script).status())
                    .await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
            assert!(status.success(), "{script} failed ({status})");
            assert!(
                Bouncer::is_installed(),
                "{script} ran but pgbouncer is not there"
            );
        })
        .await;
}

async fn bouncer(t: &TwoTenants, pool_size: u32) -> Bouncer {
    ensure_pgbouncer().await;
    Bouncer::start(
        &t.db,
        BouncerOptions {
            pool_size,
            ..BouncerOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Tenants A and B, four tasks each, share one or two server connections:
/// every read sees its own tenant only, every write lands in its own tenant,
/// and every audit row carries the tenant and actor of the unit that wrote it.
async fn tenants_share_server_connections(pool_size: u32) {
    let t = TwoTenants::new().await;
    let bouncer = bouncer(&t, pool_size).await;
    let database =
        Database::new(DatabaseConfig::new(bouncer.app_url()).max_connections(8)).unwrap();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let database = database.clone();
        let (ctx, tenant) = if task % 2 == 0 {
            (t.ctx_a(), t.a.tenant)
        } else {
            (t.ctx_b(), t.b.tenant)
        };
        tasks.push(tokio::spawn(async move {
            let mut created = Vec::new();
            for round in 0..15 {
                let mut db = database.one_shot(&ctx).await.unwrap();
                let page = db
                    .customers()
                    .list(&CustomerFilter::all(), PageRequest::first(100))
                    .await
                    .unwrap();
                assert!(
                    page.items.iter().all(|c| c.tenant_id.into_uuid() == tenant),
                    "task {task} saw another tenant's customer"
                );
                let customer = db
                    .customers()
                    .create(new_customer(&format!("Task {task} round {round}")))
                    .await
                    .unwrap();
                assert_eq!(customer.tenant_id.into_uuid(), tenant);
                drop(db);
                // A unit of work of several statements, on whatever server
                // connection the bouncer hands its transaction.
                let mut uow = database.unit_of_work(&ctx).await.unwrap();
                let got = uow.customers().get(customer.id).await.unwrap();
                assert_eq!(got.id, customer.id);
                let page = uow
                    .customers()
                    .list(&CustomerFilter::all(), PageRequest::first(5))
                    .await
                    .unwrap();
                assert!(page.items.iter().all(|c| c.tenant_id.into_uuid() == tenant));
                uow.commit().await.unwrap();
                created.push(customer.id.into_uuid());
            }
            (tenant, created)
        }));
    }
    let client = admin(&t.db).await;
    for task in tasks {
        let (tenant, created) = task.await.unwrap();
        for id in created {
            let rows = client
                .query(
                    "SELECT c.tenant_id, a.tenant_id, a.user_id FROM sales.customers c
                       JOIN risk.audit_logs a ON a.entity_id = c.id
                      WHERE c.id = $1",
                    &[&id],
                )
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "one audit row per created customer");
            let (row_tenant, audit_tenant, actor): (uuid::Uuid, uuid::Uuid, uuid::Uuid) =
                (rows[0].get(0), rows[0].get(1), rows[0].get(2));
            assert_eq!(row_tenant, tenant);
            assert_eq!(audit_tenant, tenant, "an audit row carried another tenant");
            let expected_actor = if tenant == t.a.tenant {
                t.a.user
            } else {
                t.b.user
            };
            assert_eq!(actor, expected_actor);
        }
    }
}

#[tokio::test]
async fn tenants_sharing_one_server_connection_stay_isolated_and_audited() {
    tenants_share_server_connections(1).await;
}

#[tokio::test]
async fn tenants_sharing_two_server_connections_stay_isolated_and_audited() {
    tenants_share_server_connections(2).await;
}

/// An error with its causes, as a reporter prints it.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The library notices the bouncer (the process id it announced is not the
/// server's) and prepares nothing under a name; told the connection is direct,
/// it would, and `DISCARD ALL` between transactions would break its second
/// statement — which is what this test shows the detection prevents.
#[tokio::test]
async fn behind_a_transaction_pooler_the_statement_cache_switches_itself_off() {
    let t = TwoTenants::new().await;
    let bouncer = bouncer(&t, 1).await;

    let detected =
        Database::new(DatabaseConfig::new(bouncer.app_url()).max_connections(1)).unwrap();
    for _ in 0..5 {
        let mut db = detected.one_shot(&t.ctx_a()).await.unwrap();
        db.customers()
            .get(aems_core::CustomerId::from_uuid(t.a.customer))
            .await
            .unwrap();
    }

    let told_direct = Database::new(
        DatabaseConfig::new(bouncer.app_url())
            .max_connections(1)
            .pooler(PoolerMode::Direct),
    )
    .unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let mut db = told_direct.one_shot(&t.ctx_a()).await.unwrap();
        outcomes.push(
            db.customers()
                .get(aems_core::CustomerId::from_uuid(t.a.customer))
                .await
                .map(|_| ())
                .map_err(|e| chain(&e)),
        );
    }
    assert!(outcomes[0].is_ok(), "{outcomes:?}");
    assert!(
        outcomes[1..]
            .iter()
            .any(|o| o.as_ref().is_err_and(|e| e.contains("does not exist"))),
        "a cached statement should not survive DISCARD ALL: {outcomes:?}"
    );

    let told_pooler = Database::new(
        DatabaseConfig::new(bouncer.app_url())
            .max_connections(1)
            .pooler(PoolerMode::TransactionPooler),
    )
    .unwrap();
    for _ in 0..5 {
        let mut db = told_pooler.one_shot(&t.ctx_b()).await.unwrap();
        db.customers()
            .get(aems_core::CustomerId::from_uuid(t.b.customer))
            .await
            .unwrap();
    }
}
