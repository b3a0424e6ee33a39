//! Saturated throughput: 8 client tasks on this 2-core machine, each doing a
//! fixed number of operations per iteration over the seeded tenants — 90%
//! one-shot gets by id and 10% audited updates through the library's
//! optimistic `update`, or gets alone — against the same mix written by hand:
//! prepared tokio-postgres statements with a literal tenant filter on
//! `bench.customers` (no RLS, no audit), one connection per task.
//!
//! Criterion times an iteration (all tasks' operations); raw time ÷ library
//! time is library throughput ÷ raw throughput.

use std::collections::HashMap;
use std::sync::Arc;

use aems::core::CustomerId;
use aems::core::sales::customers::CustomerPatch;
use aems::db::prelude::*;
use chrono::{DateTime, Utc};
use criterion::Criterion;
use tokio::runtime::Runtime;
use tokio::sync::Mutex;
use tokio_postgres::{Client, Statement};
use uuid::Uuid;

use super::reads::get_sql_raw;
use super::writes::{industry, update_raw_sql};
use super::{Env, RawCustomer, context};

/// Client tasks, and operations each makes per iteration.
pub const TASKS: usize = 8;
pub const PER_TASK: usize = 50;

/// What one task works on: its tenant, and rows of that tenant no other task
/// updates (so the optimistic update never conflicts).
struct Lane {
    tenant: Uuid,
    ctx: aems::db::Context,
    rows: Vec<Uuid>,
    /// The library's last seen `updated_at` per row (the update's guard).
    versions: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

struct RawLane {
    client: Client,
    get: Statement,
    update: Statement,
}

async fn lanes(env: &Env) -> Vec<Lane> {
    let admin = env.admin_client().await;
    let (_, tenants, _) = super::sizes(env.quick);
    let seeded = admin
        .query(
            "SELECT tenant, admin FROM bench.seeded WHERE g <= $1 ORDER BY g",
            &[&(tenants as i32)],
        )
        .await
        .unwrap();
    let mut lanes = Vec::new();
    for task in 0..TASKS {
        let row = &seeded[task % seeded.len()];
        let (tenant, user): (Uuid, Uuid) = (row.get(0), row.get(1));
        // Customers in both tables from the end of the tenant's id
        // order: the other write benchmarks use the first rows of the first
        // tenant, and insert rows of their own into sales.customers only.
        let rows: Vec<Uuid> = admin
            .query(
                "SELECT b.id FROM bench.customers b JOIN sales.customers s USING (id)
                  WHERE b.tenant_id = $1 AND b.deleted_at IS NULL AND s.deleted_at IS NULL
                  ORDER BY b.id DESC OFFSET $2 LIMIT $3",
                &[
                    &tenant,
                    &((task / seeded.len() * PER_TASK) as i64),
                    &(PER_TASK as i64),
                ],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(rows.len(), PER_TASK, "enough customers per tenant");
        let ctx = context(tenant, user);
        let mut versions = HashMap::new();
        let mut db = env.db.one_shot(&ctx).await.unwrap();
        for &id in &rows {
            let c = db.customers().get(CustomerId::from_uuid(id)).await.unwrap();
            versions.insert(id, c.updated_at);
        }
        lanes.push(Lane {
            tenant,
            ctx,
            rows,
            versions: Mutex::new(versions),
        });
    }
    lanes
}

async fn raw_lanes(env: &Env) -> Vec<RawLane> {
    let mut lanes = Vec::new();
    for _ in 0..TASKS {
        let client = env.raw_client().await;
        let get = client.prepare(&get_sql_raw()).await.unwrap();
        let update = client.prepare(&update_raw_sql()).await.unwrap();
        lanes.push(RawLane {
            client,
            get,
            update,
        });
    }
    lanes
}

/// Every tenth operation is an update when `writes` is set.
fn is_update(writes: bool, op: usize) -> bool {
    writes && op % 10 == 9
}

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env) {
    let lanes: Arc<Vec<Lane>> = Arc::new(rt.block_on(lanes(env)));
    let raw: Arc<Vec<RawLane>> = Arc::new(rt.block_on(raw_lanes(env)));
    let users: Arc<Vec<Uuid>> = Arc::new(lanes.iter().map(|l| l.ctx.actor().into_uuid()).collect());

    let mut group = c.benchmark_group("throughput_8_tasks");
    group.sample_size(10);
    for (name, writes) in [("mix_90_10", true), ("reads", false)] {
        group.bench_function(format!("raw_{name}"), |b| {
            b.to_async(rt).iter(|| {
                let (raw, lanes, users) = (raw.clone(), lanes.clone(), users.clone());
                async move {
                    let mut tasks = Vec::new();
                    for t in 0..TASKS {
                        let (raw, lanes, users) = (raw.clone(), lanes.clone(), users.clone());
                        tasks.push(tokio::spawn(async move {
                            let (lane, conn) = (&lanes[t], &raw[t]);
                            for op in 0..PER_TASK {
                                let id = lane.rows[op];
                                let row = if is_update(writes, op) {
                                    conn.client
                                        .query_one(
                                            &conn.update,
                                            &[&lane.tenant, &id, &industry(op), &users[t]],
                                        )
                                        .await
                                } else {
                                    conn.client.query_one(&conn.get, &[&lane.tenant, &id]).await
                                };
                                RawCustomer::from_row(&row.unwrap());
                            }
                        }));
                    }
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
            })
        });
        group.bench_function(format!("library_{name}"), |b| {
            b.to_async(rt).iter(|| {
                let lanes = lanes.clone();
                async move {
                    let mut tasks = Vec::new();
                    for t in 0..TASKS {
                        let (lanes, db) = (lanes.clone(), env.db.clone());
                        tasks.push(tokio::spawn(async move {
                            let lane = &lanes[t];
                            for op in 0..PER_TASK {
                                let id = CustomerId::from_uuid(lane.rows[op]);
                                let mut s = db.one_shot(&lane.ctx).await.unwrap();
                                if is_update(writes, op) {
                                    let mut versions = lane.versions.lock().await;
                                    let expected = versions[&lane.rows[op]];
                                    let patch = CustomerPatch {
                                        industry: Some(Some(industry(op).parse().unwrap())),
                                        ..CustomerPatch::default()
                                    };
                                    let updated =
                                        s.customers().update(id, expected, &patch).await.unwrap();
                                    versions.insert(lane.rows[op], updated.updated_at);
                                } else {
                                    s.customers().get(id).await.unwrap();
                                }
                            }
                        }));
                    }
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
            })
        });
    }
    group.finish();
}
