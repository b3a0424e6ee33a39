//! Single-row writes: the library's one-shot create, update and soft delete
//! (validated, tenant-scoped, audited by the database's triggers, optimistic
//! concurrency on update) against the same statement by hand on the baseline
//! table (no RLS, no triggers, autocommit) — and by hand on
//! `bench.customers_audited`, which carries the library's audit triggers, to
//! tell the audit trail's cost from the library's.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use aems::core::CustomerId;
use aems::core::sales::customers::CustomerPatch;
use aems::db::prelude::*;
use chrono::{DateTime, Utc};
use criterion::Criterion;
use tokio::runtime::Runtime;
use uuid::Uuid;

use super::{Env, RawCustomer, new_customer, raw_select_list};

/// Rows the update and soft-delete benchmarks cycle through.
const HOT_ROWS: usize = 50;

fn insert_raw_sql() -> String {
    format!(
        "INSERT INTO bench.customers (id, tenant_id, company_name, contact_email, customer_segment, \
         acquisition_date, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {}",
        raw_select_list()
    )
}

/// The baseline's update: literal tenant filter, no RLS, no audit.
pub fn update_raw_sql() -> String {
    format!(
        "UPDATE bench.customers SET industry = $3, updated_by = $4 \
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {}",
        raw_select_list()
    )
}

fn soft_delete_raw_sql() -> String {
    format!(
        "UPDATE bench.customers SET deleted_at = now(), updated_by = $3 \
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {}",
        raw_select_list()
    )
}

fn restore_raw_sql() -> String {
    format!(
        "UPDATE bench.customers SET deleted_at = NULL, updated_by = $3 \
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NOT NULL RETURNING {}",
        raw_select_list()
    )
}

/// Updates alternate the industry, so every update changes a value (and the
/// library's audit trigger writes a row each time).
pub fn industry(n: usize) -> &'static str {
    if n.is_multiple_of(2) {
        "Retail"
    } else {
        "Logistics"
    }
}

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env) {
    let next = AtomicUsize::new(1_000_000);
    let raw = rt.block_on(env.raw_client());
    let insert_raw = rt.block_on(raw.prepare(&insert_raw_sql())).unwrap();
    let update_raw = rt.block_on(raw.prepare(&update_raw_sql())).unwrap();
    let soft_delete_raw = rt.block_on(raw.prepare(&soft_delete_raw_sql())).unwrap();
    let restore_raw = rt.block_on(raw.prepare(&restore_raw_sql())).unwrap();
    let audited = rt.block_on(env.raw_audited_client());
    let prepare_audited = |sql: &str| {
        rt.block_on(audited.prepare(&sql.replace("bench.customers ", "bench.customers_audited ")))
            .unwrap()
    };
    let insert_audited = prepare_audited(insert_raw_sql().as_str());
    let update_audited = prepare_audited(update_raw_sql().as_str());
    let soft_delete_audited = prepare_audited(soft_delete_raw_sql().as_str());
    let restore_audited = prepare_audited(restore_raw_sql().as_str());
    let (tenant, user) = (env.tenant, env.user);

    let mut group = c.benchmark_group("insert");
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let input = new_customer(n);
            let row = raw
                .query_one(
                    &insert_raw,
                    &[
                        &Uuid::now_v7(),
                        &tenant,
                        &input.company_name.as_str(),
                        &input.contact_email.as_str(),
                        &input.customer_segment.as_str(),
                        &input.acquisition_date,
                        &user,
                    ],
                )
                .await
                .unwrap();
            RawCustomer::from_row(&row)
        })
    });
    group.bench_function("raw_audited", |b| {
        b.to_async(rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let input = new_customer(n);
            let row = audited
                .query_one(
                    &insert_audited,
                    &[
                        &Uuid::now_v7(),
                        &tenant,
                        &input.company_name.as_str(),
                        &input.contact_email.as_str(),
                        &input.customer_segment.as_str(),
                        &input.acquisition_date,
                        &user,
                    ],
                )
                .await
                .unwrap();
            RawCustomer::from_row(&row)
        })
    });
    group.bench_function("library_one_shot", |b| {
        b.to_async(rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let mut db = env.db.one_shot(&env.ctx).await.unwrap();
            db.customers().create(new_customer(n)).await.unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("update");
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let id = env.ids[n % HOT_ROWS];
            let row = raw
                .query_one(&update_raw, &[&tenant, &id, &industry(n), &user])
                .await
                .unwrap();
            RawCustomer::from_row(&row)
        })
    });
    group.bench_function("raw_audited", |b| {
        b.to_async(rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let id = env.ids[n % HOT_ROWS];
            let row = audited
                .query_one(&update_audited, &[&tenant, &id, &industry(n), &user])
                .await
                .unwrap();
            RawCustomer::from_row(&row)
        })
    });
    let versions: Mutex<HashMap<Uuid, DateTime<Utc>>> = Mutex::new(HashMap::new());
    rt.block_on(async {
        let mut db = env.db.one_shot(&env.ctx).await.unwrap();
        for &id in &env.ids[HOT_ROWS..2 * HOT_ROWS] {
            let c = db.customers().get(CustomerId::from_uuid(id)).await.unwrap();
            versions.lock().unwrap().insert(id, c.updated_at);
        }
    });
    group.bench_function("library_one_shot", |b| {
        b.to_async(rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let id = env.ids[HOT_ROWS + n % HOT_ROWS];
            let expected = versions.lock().unwrap()[&id];
            let patch = CustomerPatch {
                industry: Some(Some(industry(n).parse().unwrap())),
                ..CustomerPatch::default()
            };
            let mut db = env.db.one_shot(&env.ctx).await.unwrap();
            let updated = db
                .customers()
                .update(CustomerId::from_uuid(id), expected, &patch)
                .await
                .unwrap();
            versions.lock().unwrap().insert(id, updated.updated_at);
            updated
        })
    });
    group.finish();

    // A soft delete and its restore, so each iteration leaves the row as it found it.
    let mut group = c.benchmark_group("soft_delete");
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| async {
            let id = env.ids[2 * HOT_ROWS + next.fetch_add(1, Ordering::Relaxed) % HOT_ROWS];
            let gone = raw
                .query_one(&soft_delete_raw, &[&tenant, &id, &user])
                .await
                .unwrap();
            let back = raw
                .query_one(&restore_raw, &[&tenant, &id, &user])
                .await
                .unwrap();
            (RawCustomer::from_row(&gone), RawCustomer::from_row(&back))
        })
    });
    group.bench_function("raw_audited", |b| {
        b.to_async(rt).iter(|| async {
            let id = env.ids[2 * HOT_ROWS + next.fetch_add(1, Ordering::Relaxed) % HOT_ROWS];
            let gone = audited
                .query_one(&soft_delete_audited, &[&tenant, &id, &user])
                .await
                .unwrap();
            let back = audited
                .query_one(&restore_audited, &[&tenant, &id, &user])
                .await
                .unwrap();
            (RawCustomer::from_row(&gone), RawCustomer::from_row(&back))
        })
    });
    group.bench_function("library_one_shot", |b| {
        b.to_async(rt).iter(|| async {
            let id = CustomerId::from_uuid(
                env.ids[3 * HOT_ROWS + next.fetch_add(1, Ordering::Relaxed) % HOT_ROWS],
            );
            let mut db = env.db.one_shot(&env.ctx).await.unwrap();
            let gone = db.customers().soft_delete(id).await.unwrap();
            let back = db.customers().restore(id).await.unwrap();
            (gone, back)
        })
    });
    group.finish();
}
