//! Round trips counted through a proxy: tenant isolation costs none.
//!
//! One-shot operations are one round trip (BEGIN, context, statement and
//! COMMIT pipelined); a unit of work of N statements is N + 1 (the prologue
//! rides with the first statement; COMMIT is the last).

use aems_core::sales::customers::{CustomerPatch, CustomerSegment, NewCustomer};
use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::testing::RoundTripProxy;
use aems_diesel::{Database, DatabaseConfig};
use chrono::NaiveDate;

use crate::support::TwoTenants;

fn new_customer(name: &str) -> NewCustomer {
    NewCustomer::new(
        name.parse().unwrap(),
        "buyer@example.com".parse().unwrap(),
        CustomerSegment::Enterprise,
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
    )
}

/// A one-connection pool through the proxy, warmed up: connected, and every
/// statement the test uses prepared once.
async fn warm(t: &TwoTenants) -> (RoundTripProxy, Database) {
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = Database::new(DatabaseConfig::new(proxy.app_url()).max_connections(1)).unwrap();
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let c = s.customers().create(new_customer("Warm")).await.unwrap();
    s.customers().get(c.id).await.unwrap();
    s.customers()
        .list(&CustomerFilter::all(), PageRequest::first(50))
        .await
        .unwrap();
    drop(s); // the pool's only connection
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    let c = uow
        .customers()
        .create(new_customer("Warm 2"))
        .await
        .unwrap();
    uow.customers().get(c.id).await.unwrap();
    uow.commit().await.unwrap();
    (proxy, db)
}

#[tokio::test]
async fn a_one_shot_get_list_or_create_is_one_round_trip() {
    let t = TwoTenants::new().await;
    let (proxy, db) = warm(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let id = aems_core::CustomerId::from_uuid(t.a.customer);

    proxy.reset();
    for _ in 0..10 {
        s.customers().get(id).await.unwrap();
    }
    assert_eq!(proxy.round_trips(), 10, "one-shot get");

    proxy.reset();
    s.customers()
        .list(&CustomerFilter::all(), PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(proxy.round_trips(), 1, "one-shot page");

    for i in 0..5 {
        proxy.reset();
        s.customers()
            .create(new_customer(&format!("RT {i}")))
            .await
            .unwrap();
        eprintln!(
            "PROBE create {i}: {} rt, {} bytes",
            proxy.round_trips(),
            proxy.bytes_to_server()
        );
    }
    proxy.reset();
    for i in 0..5 {
        s.customers()
            .create(new_customer(&format!("RT {i}")))
            .await
            .unwrap();
    }
    assert_eq!(proxy.round_trips(), 5, "one-shot create");
}

#[tokio::test]
async fn a_unit_of_work_of_n_statements_is_n_plus_one_round_trips() {
    let t = TwoTenants::new().await;
    let (proxy, db) = warm(&t).await;
    for n in 1..=4u64 {
        let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
        proxy.reset();
        let first = uow.customers().create(new_customer("UoW")).await.unwrap();
        for _ in 1..n {
            uow.customers().get(first.id).await.unwrap();
        }
        uow.commit().await.unwrap();
        assert_eq!(proxy.round_trips(), n + 1, "{n} statement(s)");
    }
    // Nothing sent, nothing to commit: no round trip at all.
    let uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    proxy.reset();
    uow.commit().await.unwrap();
    assert_eq!(proxy.round_trips(), 0);
}

#[tokio::test]
async fn an_update_is_its_read_plus_its_write() {
    let t = TwoTenants::new().await;
    let (proxy, db) = warm(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let c = s.customers().create(new_customer("Upd")).await.unwrap();
    let patch = CustomerPatch {
        industry: Some(Some("Tools".parse().unwrap())),
        ..Default::default()
    };
    // Prepare the UPDATE once, then count.
    let c = s
        .customers()
        .update(c.id, c.updated_at, &patch)
        .await
        .unwrap();
    proxy.reset();
    let patch = CustomerPatch {
        industry: Some(None),
        ..Default::default()
    };
    s.customers()
        .update(c.id, c.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(
        proxy.round_trips(),
        2,
        "read (checked patch) + guarded write"
    );
    s.customers().soft_delete(c.id).await.unwrap();
    s.customers().restore(c.id).await.unwrap();
    proxy.reset();
    s.customers().soft_delete(c.id).await.unwrap();
    assert_eq!(proxy.round_trips(), 1, "soft delete");
    proxy.reset();
    s.customers().restore(c.id).await.unwrap();
    assert_eq!(proxy.round_trips(), 1, "restore");
}

/// Without replicas, a read executor costs what the primary's executors
/// cost: one round trip per one-shot read, N + 1 for a read unit of work.
/// With replicas configured, a commit that hands back its token costs no
/// extra round trip either (the WAL position rides with the COMMIT).
#[tokio::test]
async fn read_executors_and_commit_tokens_cost_no_extra_round_trip() {
    let t = TwoTenants::new().await;
    let (proxy, db) = warm(&t).await;
    let id = aems_core::CustomerId::from_uuid(t.a.customer);
    // Warm the read-only context statement too.
    let mut reads = db.read(&t.ctx_a()).one_shot().await.unwrap();
    reads.customers().get(id).await.unwrap();

    proxy.reset();
    for _ in 0..10 {
        reads.customers().get(id).await.unwrap();
    }
    assert_eq!(proxy.round_trips(), 10, "read one-shot get");
    drop(reads);

    let mut uow = db.read(&t.ctx_a()).unit_of_work().await.unwrap();
    proxy.reset();
    uow.customers().get(id).await.unwrap();
    uow.customers().get(id).await.unwrap();
    uow.finish().await.unwrap();
    assert_eq!(proxy.round_trips(), 3, "read unit of work of 2 statements");

    // A "replica" that is not one (the same server, not through the proxy):
    // checks find it down, and the primary behind the proxy does the work.
    let replicated = Database::new(
        DatabaseConfig::new(proxy.app_url())
            .max_connections(1)
            .replicas([t.db.app_url()]),
    )
    .unwrap();
    let mut uow = replicated.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.customers()
        .create(new_customer("Warm 3"))
        .await
        .unwrap();
    uow.commit_with_token().await.unwrap();
    let mut uow = replicated.unit_of_work(&t.ctx_a()).await.unwrap();
    proxy.reset();
    uow.customers().create(new_customer("Token")).await.unwrap();
    let token = uow.commit_with_token().await.unwrap();
    assert_eq!(proxy.round_trips(), 2, "a write and its commit with token");
    assert!(token > aems_diesel::CommitToken::NONE);
    replicated.check_replicas().await;
    assert!(matches!(
        replicated.replica_status()[0].health,
        aems_diesel::ReplicaHealth::Down { .. }
    ));
}
