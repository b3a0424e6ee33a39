//! The unit of work and the one-shot executor: atomicity, rollback, and
//! connections that never carry a transaction or a tenant into the next use.

use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::{DatabaseConfig, Error};
use futures_util::FutureExt;

use crate::support::{TwoTenants, admin, new_customer};

/// Sessions of the test's login role, in the test's own database, that sit
/// inside a transaction (tests run in parallel, each in a database of its own).
async fn open_transactions(t: &TwoTenants) -> i64 {
    admin(&t.db)
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE usename = $1 AND datname = current_database()
               AND state LIKE 'idle in transaction%'",
            &[&t.db.app_role()],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn work_is_kept_only_when_committed() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers().create(new_customer("Kept")).await.unwrap();
    uow.commit().await.unwrap();

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers()
        .create(new_customer("Rolled back"))
        .await
        .unwrap();
    uow.rollback().await.unwrap();

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers()
        .create(new_customer("Dropped"))
        .await
        .unwrap();
    drop(uow);

    let result: aems_diesel::Result<()> = t
        .database
        .transaction(&t.ctx_a(), async |uow| {
            uow.customers()
                .create(new_customer("Failed closure"))
                .await?;
            Err(Error::Conflict { entity: "test" })
        })
        .await;
    assert!(result.is_err());

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let names: Vec<String> = db
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.company_name.to_string())
        .filter(|n| !n.starts_with("Customer of"))
        .collect();
    assert_eq!(names, vec!["Kept"]);
}

#[tokio::test]
async fn not_found_is_not_a_database_error_and_the_work_goes_on() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers().create(new_customer("First")).await.unwrap();
    // Another tenant's customer is invisible here: deleting it finds nothing...
    let theirs = aems_core::CustomerId::from_uuid(t.b.customer);
    assert!(matches!(
        uow.customers().soft_delete(theirs).await,
        Err(Error::NotFound { .. })
    ));
    // ...which leaves the transaction usable.
    uow.customers()
        .create(new_customer("Second"))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(t.count("sales.customers").await, 4);
}

#[tokio::test]
async fn after_a_database_error_the_unit_of_work_refuses_more_and_commit_rolls_back() {
    let t = TwoTenants::new().await;
    // A context whose actor belongs to tenant B: the composite foreign key on
    // created_by refuses the insert.
    let wrong_actor = aems_diesel::Context::new(
        aems_core::TenantId::from_uuid(t.a.tenant),
        aems_core::UserId::from_uuid(t.b.user),
    );
    let mut uow = t.database.unit_of_work(&wrong_actor).await.unwrap();
    let err = uow
        .customers()
        .create(new_customer("Nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ForeignKeyViolation { constraint, .. } if constraint == "fk_customers_created_by"),
        "{err:?}"
    );
    assert!(matches!(
        uow.customers().create(new_customer("After")).await,
        Err(Error::TransactionAborted)
    ));
    assert!(matches!(uow.commit().await, Err(Error::TransactionAborted)));
    assert_eq!(t.count("sales.customers").await, 2);
    assert_eq!(open_transactions(&t).await, 0);
}

#[tokio::test]
async fn a_dropped_unit_of_work_never_returns_a_connection_with_a_transaction_or_a_tenant() {
    let t = TwoTenants::new().await;
    // One connection, so the next unit of work would get the same one back.
    let database =
        aems_diesel::Database::new(DatabaseConfig::new(t.db.app_url()).max_connections(1)).unwrap();

    // A's work, its statement's future dropped after the first poll: the
    // request is on the wire and the answer never read.
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let pending = uow
        .customers()
        .create(new_customer("Half-sent"))
        .now_or_never();
    assert!(pending.is_none(), "the insert finished within one poll");
    drop(uow);

    // A's work with an open transaction, dropped without commit.
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers()
        .create(new_customer("Never committed"))
        .await
        .unwrap();
    drop(uow);

    // B now works on the pool's only connection: sees only B, writes as B.
    let mut b = database.one_shot(&t.ctx_b()).await.unwrap();
    let seen = b
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(seen.items.len(), 1);
    assert_eq!(seen.items[0].tenant_id.into_uuid(), t.b.tenant);
    let mine = b.customers().create(new_customer("B's")).await.unwrap();
    assert_eq!(mine.tenant_id.into_uuid(), t.b.tenant);
    drop(b);

    assert_eq!(
        t.count("sales.customers").await,
        3,
        "A's dropped work left rows behind"
    );
    assert_eq!(open_transactions(&t).await, 0);
}

#[tokio::test]
async fn a_one_connection_pool_used_by_a_then_b_leaks_nothing() {
    let t = TwoTenants::new().await;
    let database =
        aems_diesel::Database::new(DatabaseConfig::new(t.db.app_url()).max_connections(1)).unwrap();
    for _ in 0..3 {
        for (ctx, tenant) in [(t.ctx_a(), t.a.tenant), (t.ctx_b(), t.b.tenant)] {
            let mut db = database.one_shot(&ctx).await.unwrap();
            let page = db
                .customers()
                .list(&CustomerFilter::all(), PageRequest::first(10))
                .await
                .unwrap();
            assert_eq!(page.items.len(), 1);
            assert_eq!(page.items[0].tenant_id.into_uuid(), tenant);
        }
    }
    assert_eq!(
        database.pool_status().size,
        1,
        "the one connection was reused throughout"
    );
}

#[tokio::test]
async fn a_unit_of_work_that_sent_nothing_commits_without_the_server() {
    let t = TwoTenants::new().await;
    let uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(open_transactions(&t).await, 0);
}
