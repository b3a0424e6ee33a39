//! Read replicas (`AEMS_BENCH_GROUP=replicas`, a group of its own: it starts
//! a primary with one streaming replica from the local binaries,
//! `aems_diesel::testing::ReplicatedCluster`).
//!
//! * a read one-shot get on the replica ÷ the same get as a one-shot on the
//!   primary (the price of the replica's path: the read-only context
//!   statement and a second pool);
//! * read-your-writes with no lag: a small audited update committed with its
//!   token, then the get after that token on the replica (it waits until the
//!   replica has replayed it: one more round trip there, plus replication
//!   itself) ÷ the same update committed plainly and the get on the primary.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aems::core::CustomerId;
use aems::core::sales::customers::CustomerPatch;
use aems::db::prelude::*;
use aems::db::testing::ReplicatedCluster;
use aems::db::{DatabaseConfig, Served};
use criterion::Criterion;
use tokio::runtime::Runtime;

use super::{Ratio, new_customer};

/// What the group needs, set up once.
pub struct ReplicaEnv {
    /// Kept for the run: dropping it stops the servers.
    pub cluster: ReplicatedCluster,
    pub db: Database,
    pub ctx: Context,
    pub ids: Vec<CustomerId>,
}

pub fn setup(rt: &Runtime, quick: bool) -> ReplicaEnv {
    rt.block_on(async {
        let cluster = ReplicatedCluster::start(1)
            .await
            .unwrap_or_else(|e| panic!("replicated cluster: {e}"));
        let db = Database::connect(
            DatabaseConfig::new(cluster.app_url())
                .max_connections(4)
                .replicas(cluster.replica_app_urls())
                // Long enough that the token's read never gives up on the
                // replica here: it measures the wait, not the fallback.
                .read_your_writes_timeout(Duration::from_secs(5)),
        )
        .await
        .expect("the primary answers");
        let admin = tokio_postgres::connect(&cluster.admin_url(), tokio_postgres::NoTls)
            .await
            .expect("admin connection");
        tokio::spawn(admin.1);
        let admin = admin.0;
        let (tenant, user) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        admin
            .batch_execute(&format!(
                "BEGIN;
                 SELECT set_config('app.current_tenant_id', '{tenant}', true),
                        set_config('app.current_user_id', '{user}', true);
                 INSERT INTO auth.tenants (id, name, slug) VALUES ('{tenant}', 'Bench', 'bench');
                 INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name, role)
                 VALUES ('{user}', '{tenant}', 'bench@example.com', 'x', 'B', 'Ench', 'admin');
                 COMMIT"
            ))
            .await
            .expect("tenant");
        let ctx = Context::new(
            aems::core::TenantId::from_uuid(tenant),
            aems::core::UserId::from_uuid(user),
        );
        let n = if quick { 500 } else { 5_000 };
        let news = (0..n).map(new_customer).collect();
        let ids = db
            .transaction(&ctx, async |uow| uow.customers().create_many(news).await)
            .await
            .expect("customers")
            .into_iter()
            .map(|c| c.id)
            .collect();
        cluster
            .wait_until_replayed(0, Duration::from_secs(60))
            .await
            .expect("the replica catches up");
        db.check_replicas().await;
        ReplicaEnv {
            cluster,
            db,
            ctx,
            ids,
        }
    })
}

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &ReplicaEnv) {
    let mut group = c.benchmark_group("replicas");
    let next = AtomicUsize::new(0);
    let id = || env.ids[next.fetch_add(1, Ordering::Relaxed) % env.ids.len()];

    group.bench_function("primary_one_shot_get", |b| {
        b.to_async(rt).iter(|| async {
            let mut s = env.db.one_shot(&env.ctx).await.unwrap();
            s.customers().get(id()).await.unwrap()
        })
    });
    group.bench_function("replica_one_shot_get", |b| {
        b.to_async(rt).iter(|| async {
            let mut s = env.db.read(&env.ctx).one_shot().await.unwrap();
            assert!(matches!(s.served_by(), Served::Replica(0)));
            s.customers().get(id()).await.unwrap()
        })
    });

    // A write, then a read that must see it.
    let industry = |n: usize| format!("Industry {n}");
    let patch = |n: usize| CustomerPatch {
        industry: Some(Some(industry(n).parse().unwrap())),
        ..CustomerPatch::default()
    };
    let touched = AtomicUsize::new(0);
    group.bench_function("write_then_primary_get", |b| {
        b.to_async(rt).iter(|| async {
            let target = env.ids[0];
            let n = touched.fetch_add(1, Ordering::Relaxed);
            let mut uow = env.db.unit_of_work(&env.ctx).await.unwrap();
            let current = uow.customers().get(target).await.unwrap();
            uow.customers()
                .update(target, current.updated_at, &patch(n))
                .await
                .unwrap();
            uow.commit().await.unwrap();
            let mut s = env.db.one_shot(&env.ctx).await.unwrap();
            s.customers().get(target).await.unwrap()
        })
    });
    group.bench_function("write_then_token_get_on_replica", |b| {
        b.to_async(rt).iter(|| async {
            let target = env.ids[0];
            let n = touched.fetch_add(1, Ordering::Relaxed);
            let mut uow = env.db.unit_of_work(&env.ctx).await.unwrap();
            let current = uow.customers().get(target).await.unwrap();
            uow.customers()
                .update(target, current.updated_at, &patch(n))
                .await
                .unwrap();
            let token = uow.commit_with_token().await.unwrap();
            let mut s = env.db.read(&env.ctx).after(token).one_shot().await.unwrap();
            assert!(matches!(s.served_by(), Served::Replica(0)));
            let seen = s.customers().get(target).await.unwrap();
            assert_eq!(
                seen.industry.as_ref().map(|i| i.to_string()),
                Some(industry(n)),
                "the read sees the write"
            );
            seen
        })
    });
    group.finish();
}

pub fn ratios() -> Vec<Ratio> {
    vec![
        Ratio::new(
            "replicas: read one-shot get on the replica ÷ one-shot get on the primary",
            "replicas/replica_one_shot_get",
            "replicas/primary_one_shot_get",
            f64::NAN,
        ),
        Ratio::new(
            "replicas: audited update + get after its token on the replica ÷ the same update + get on the primary (no lag)",
            "replicas/write_then_token_get_on_replica",
            "replicas/write_then_primary_get",
            f64::NAN,
        ),
    ]
}
