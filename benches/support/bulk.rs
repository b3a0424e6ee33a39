//! Bulk insert: 1,000 customers through `create_many` (one unit of work,
//! one multi-row INSERT, audited row by row by a statement-level trigger),
//! against one raw multi-row INSERT on the baseline table, and against 1,000
//! one-shot creates.

use std::sync::atomic::{AtomicUsize, Ordering};

use aems::db::prelude::*;
use criterion::Criterion;
use tokio::runtime::Runtime;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{Env, new_customer};

const ROWS: usize = 1_000;

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env) {
    let next = AtomicUsize::new(10_000_000);
    let raw = rt.block_on(env.raw_client());
    let values: Vec<String> = (0..ROWS)
        .map(|i| {
            let p = i * 7;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 7
            )
        })
        .collect();
    let insert_many = rt
        .block_on(raw.prepare(&format!(
            "INSERT INTO bench.customers (id, tenant_id, company_name, contact_email, customer_segment, \
             acquisition_date, created_by, updated_by) VALUES {}",
            values.join(", ")
        )))
        .unwrap();
    let (tenant, user) = (env.tenant, env.user);

    let mut group = c.benchmark_group("bulk_1000");
    group.sample_size(10);
    group.bench_function("raw_multi_row", |b| {
        b.to_async(rt).iter(|| async {
            let start = next.fetch_add(ROWS, Ordering::Relaxed);
            let rows: Vec<_> = (start..start + ROWS).map(new_customer).collect();
            let owned: Vec<(Uuid, String, String, &'static str, chrono::NaiveDate)> = rows
                .iter()
                .map(|r| {
                    (
                        Uuid::now_v7(),
                        r.company_name.to_string(),
                        r.contact_email.to_string(),
                        r.customer_segment.as_str(),
                        r.acquisition_date,
                    )
                })
                .collect();
            let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(ROWS * 7);
            for (id, name, email, segment, date) in &owned {
                params.extend([
                    id as &(dyn ToSql + Sync),
                    &tenant,
                    name,
                    email,
                    segment,
                    date,
                    &user,
                ]);
            }
            raw.execute(&insert_many, &params).await.unwrap()
        })
    });
    group.bench_function("library_create_many", |b| {
        b.to_async(rt).iter(|| async {
            let start = next.fetch_add(ROWS, Ordering::Relaxed);
            let inputs = (start..start + ROWS).map(new_customer).collect();
            let mut uow = env.db.unit_of_work(&env.ctx).await.unwrap();
            let created = uow.customers().create_many(inputs).await.unwrap();
            uow.commit().await.unwrap();
            created
        })
    });
    group.bench_function("library_one_shot_each", |b| {
        b.to_async(rt).iter(|| async {
            let start = next.fetch_add(ROWS, Ordering::Relaxed);
            let mut db = env.db.one_shot(&env.ctx).await.unwrap();
            for n in start..start + ROWS {
                db.customers().create(new_customer(n)).await.unwrap();
            }
        })
    });
    group.finish();
}
