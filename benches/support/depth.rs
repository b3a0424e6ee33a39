//! Keyset pagination deep in a large table, and the size of a primary-key
//! index of UUIDv7 ids against UUIDv4 ids.

use aems::core::CustomerId;
use aems::db::prelude::*;
use aems::db::sales::CustomerFilter;
use aems::db::{Cursor, Order, PageRequest};
use criterion::Criterion;
use tokio::runtime::Runtime;
use uuid::Uuid;

use super::Env;

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env) {
    let deep = env.deep_ids[env.deep_ids.len() * 9 / 10];
    let filter = CustomerFilter::all();
    let mut group = c.benchmark_group("keyset");
    group.bench_function("first_page", |b| {
        b.to_async(rt).iter(|| async {
            let mut db = env.db.one_shot(&env.deep_ctx).await.unwrap();
            db.customers()
                .list(&filter, PageRequest::first(50))
                .await
                .unwrap()
        })
    });
    group.bench_function("deep_90pct", |b| {
        b.to_async(rt).iter(|| async {
            let mut db = env.db.one_shot(&env.deep_ctx).await.unwrap();
            let page = db
                .customers()
                .list(
                    &filter,
                    PageRequest::after(Cursor::after(deep, Order::OldestFirst), 50),
                )
                .await
                .unwrap();
            assert_eq!(page.items.len(), 50);
            page
        })
    });
    group.finish();
    let _ = CustomerId::from_uuid(deep);
}

/// Sizes, in bytes, of a primary-key index over the same number of UUIDv7
/// ids (as the library generates them, increasing) and UUIDv4 ids, each
/// inserted in generation order: (rows, v7 bytes, v4 bytes).
pub async fn uuid_index_sizes(env: &Env) -> (usize, i64, i64) {
    let rows = if env.quick { 100_000 } else { 1_000_000 };
    let admin = env.admin_client().await;
    admin
        .batch_execute("CREATE TABLE bench.ids_v7 (id uuid PRIMARY KEY); CREATE TABLE bench.ids_v4 (id uuid PRIMARY KEY);")
        .await
        .unwrap();
    for (table, v7) in [("bench.ids_v7", true), ("bench.ids_v4", false)] {
        let insert = admin
            .prepare(&format!("INSERT INTO {table} SELECT unnest($1::uuid[])"))
            .await
            .unwrap();
        for start in (0..rows).step_by(10_000) {
            let batch: Vec<Uuid> = (start..(start + 10_000).min(rows))
                .map(|_| {
                    if v7 {
                        CustomerId::new().into_uuid()
                    } else {
                        Uuid::new_v4()
                    }
                })
                .collect();
            admin.execute(&insert, &[&batch]).await.unwrap();
        }
    }
    let size = |index: &'static str| {
        let admin = &admin;
        async move {
            admin
                .query_one("SELECT pg_relation_size($1::text::regclass)", &[&index])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    (
        rows,
        size("bench.ids_v7_pkey").await,
        size("bench.ids_v4_pkey").await,
    )
}
