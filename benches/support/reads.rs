//! Tenant-scoped reads: a get by id and a 50-row filtered page, through the
//! library (one round trip: BEGIN, context, query and COMMIT pipelined), by
//! hand (one prepared statement, literal tenant filter, autocommit), and the
//! naive awaited sequence (BEGIN; set_config; query; COMMIT, each awaited).
//! And, inside one open transaction, the same page through row-level security
//! versus a literal tenant filter.

use std::sync::atomic::{AtomicUsize, Ordering};

use aems::core::CustomerId;
use aems::core::sales::customers::CustomerSegment;
use aems::db::PageRequest;
use aems::db::prelude::*;
use aems::db::sales::CustomerFilter;
use criterion::Criterion;
use tokio::runtime::Runtime;

use super::{Env, RawCustomer, raw_select_list};

/// `SELECT set_config(...)` as the library sends it: role, tenant, actor.
pub const SET_CONTEXT: &str = "SELECT set_config('role', 'application_user', true), \
     set_config('app.current_tenant_id', $1, true), set_config('app.current_user_id', $2, true)";

/// The baseline's get by id: literal tenant filter, no RLS.
pub fn get_sql_raw() -> String {
    format!(
        "SELECT {} FROM bench.customers WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
        raw_select_list()
    )
}

pub fn page_sql_rls() -> String {
    format!(
        "SELECT {} FROM sales.customers WHERE customer_segment = $1 AND deleted_at IS NULL ORDER BY tenant_id, id LIMIT 51",
        raw_select_list()
    )
}

pub fn page_sql_raw() -> String {
    format!(
        "SELECT {} FROM bench.customers WHERE tenant_id = $1 AND customer_segment = $2 AND deleted_at IS NULL \
         ORDER BY tenant_id, id LIMIT 51",
        raw_select_list()
    )
}

/// The baseline's page written so that PostgreSQL plans it as it plans the
/// library's: `tenant_id = ANY(ARRAY[$1])` instead of `tenant_id = $1`. With
/// the equality, the planner may drop `tenant_id` from the ORDER BY and walk
/// the primary key across every tenant's rows; with `ANY` (as in the RLS
/// policy) it keeps the tenant-leading index. Same rows, same order.
pub fn page_sql_raw_same_plan() -> String {
    format!(
        "SELECT {} FROM bench.customers WHERE tenant_id = ANY (ARRAY[$1::uuid]) AND customer_segment = $2 \
         AND deleted_at IS NULL ORDER BY tenant_id, id LIMIT 51",
        raw_select_list()
    )
}

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env) {
    let next = AtomicUsize::new(0);
    let (raw, naive) = rt.block_on(async { (env.raw_client().await, env.raw_client().await) });
    let get_raw = rt.block_on(raw.prepare(&get_sql_raw())).unwrap();
    let (tenant, tenant_text, user_text) =
        (env.tenant, env.tenant.to_string(), env.user.to_string());
    let set_context = rt.block_on(naive.prepare(SET_CONTEXT)).unwrap();
    // The login role may name the tables only once it has assumed
    // application_user: prepare the RLS statements inside such a transaction.
    let (get_rls, page_rls) = rt.block_on(async {
        naive.batch_execute("BEGIN").await.unwrap();
        naive
            .execute(&set_context, &[&tenant_text, &user_text])
            .await
            .unwrap();
        let get = naive
            .prepare(&format!(
                "SELECT {} FROM sales.customers WHERE id = $1 AND deleted_at IS NULL",
                raw_select_list()
            ))
            .await
            .unwrap();
        let page = naive.prepare(&page_sql_rls()).await.unwrap();
        naive.batch_execute("COMMIT").await.unwrap();
        (get, page)
    });
    let page_raw = rt.block_on(raw.prepare(&page_sql_raw())).unwrap();
    let page_raw_same_plan = rt.block_on(raw.prepare(&page_sql_raw_same_plan())).unwrap();

    let mut group = c.benchmark_group("get");
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| async {
            let id = env.id(next.fetch_add(1, Ordering::Relaxed));
            let row = raw.query_one(&get_raw, &[&tenant, &id]).await.unwrap();
            RawCustomer::from_row(&row)
        })
    });
    group.bench_function("library_one_shot", |b| {
        b.to_async(rt).iter(|| async {
            let id = CustomerId::from_uuid(env.id(next.fetch_add(1, Ordering::Relaxed)));
            let mut db = env.db.one_shot(&env.ctx).await.unwrap();
            db.customers().get(id).await.unwrap()
        })
    });
    // The technique alone, by hand: the four statements pipelined.
    let pipelined = rt.block_on(env.raw_client());
    let (begin, commit, set_context_p, get_rls_p) = rt.block_on(async {
        let begin = pipelined.prepare("BEGIN").await.unwrap();
        let commit = pipelined.prepare("COMMIT").await.unwrap();
        let set = pipelined.prepare(SET_CONTEXT).await.unwrap();
        pipelined.execute(&begin, &[]).await.unwrap();
        pipelined
            .execute(&set, &[&tenant_text, &user_text])
            .await
            .unwrap();
        let get = pipelined
            .prepare(&format!(
                "SELECT {} FROM sales.customers WHERE id = $1 AND deleted_at IS NULL",
                raw_select_list()
            ))
            .await
            .unwrap();
        pipelined.execute(&commit, &[]).await.unwrap();
        (begin, commit, set, get)
    });
    group.bench_function("raw_pipelined_transaction", |b| {
        b.to_async(rt).iter(|| async {
            let id = env.id(next.fetch_add(1, Ordering::Relaxed));
            let context_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
                [&tenant_text, &user_text];
            let id_param: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
            let (_, _, row, _) = futures_util::try_join!(
                pipelined.execute(&begin, &[]),
                pipelined.execute(&set_context_p, &context_params),
                pipelined.query_one(&get_rls_p, &id_param),
                pipelined.execute(&commit, &[]),
            )
            .unwrap();
            RawCustomer::from_row(&row)
        })
    });
    group.bench_function("library_inside_open_unit_of_work", |b| {
        let uow =
            std::cell::RefCell::new(Some(rt.block_on(env.db.unit_of_work(&env.ctx)).unwrap()));
        b.to_async(rt).iter(|| {
            let id = CustomerId::from_uuid(env.id(next.fetch_add(1, Ordering::Relaxed)));
            let mut taken = uow.borrow_mut().take().unwrap();
            let slot = &uow;
            async move {
                let c = taken.customers().get(id).await.unwrap();
                *slot.borrow_mut() = Some(taken);
                c
            }
        })
    });
    group.bench_function("naive_awaited", |b| {
        b.to_async(rt).iter(|| async {
            let id = env.id(next.fetch_add(1, Ordering::Relaxed));
            naive.batch_execute("BEGIN").await.unwrap();
            naive
                .execute(&set_context, &[&tenant_text, &user_text])
                .await
                .unwrap();
            let row = naive.query_one(&get_rls, &[&id]).await.unwrap();
            naive.batch_execute("COMMIT").await.unwrap();
            RawCustomer::from_row(&row)
        })
    });
    group.finish();

    let segment = CustomerSegment::Smb.as_str();
    let mut group = c.benchmark_group("page50");
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| async {
            let rows = raw.query(&page_raw, &[&tenant, &segment]).await.unwrap();
            rows.iter()
                .take(50)
                .map(RawCustomer::from_row)
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("raw_same_plan", |b| {
        b.to_async(rt).iter(|| async {
            let rows = raw
                .query(&page_raw_same_plan, &[&tenant, &segment])
                .await
                .unwrap();
            rows.iter()
                .take(50)
                .map(RawCustomer::from_row)
                .collect::<Vec<_>>()
        })
    });
    let filter = CustomerFilter::all().segment(CustomerSegment::Smb);
    group.bench_function("library_one_shot", |b| {
        b.to_async(rt).iter(|| async {
            let mut db = env.db.one_shot(&env.ctx).await.unwrap();
            db.customers()
                .list(&filter, PageRequest::first(50))
                .await
                .unwrap()
        })
    });
    group.bench_function("naive_awaited", |b| {
        b.to_async(rt).iter(|| async {
            naive.batch_execute("BEGIN").await.unwrap();
            naive
                .execute(&set_context, &[&tenant_text, &user_text])
                .await
                .unwrap();
            let rows = naive.query(&page_rls, &[&segment]).await.unwrap();
            naive.batch_execute("COMMIT").await.unwrap();
            rows.iter()
                .take(50)
                .map(RawCustomer::from_row)
                .collect::<Vec<_>>()
        })
    });
    group.finish();

    // Inside one open transaction each: the policy's cost alone.
    let (in_rls, in_raw) = rt.block_on(async {
        let (a, b) = (env.raw_client().await, env.raw_client().await);
        a.batch_execute("BEGIN").await.unwrap();
        a.execute(SET_CONTEXT, &[&tenant_text, &user_text])
            .await
            .unwrap();
        b.batch_execute("BEGIN").await.unwrap();
        (a, b)
    });
    let page_in_rls = rt.block_on(in_rls.prepare(&page_sql_rls())).unwrap();
    let page_in_raw = rt.block_on(in_raw.prepare(&page_sql_raw())).unwrap();
    let page_in_raw_same_plan = rt
        .block_on(in_raw.prepare(&page_sql_raw_same_plan()))
        .unwrap();
    let mut group = c.benchmark_group("in_transaction");
    group.bench_function("literal_filter", |b| {
        b.to_async(rt).iter(|| async {
            let rows = in_raw
                .query(&page_in_raw, &[&tenant, &segment])
                .await
                .unwrap();
            rows.iter()
                .take(50)
                .map(RawCustomer::from_row)
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("literal_filter_same_plan", |b| {
        b.to_async(rt).iter(|| async {
            let rows = in_raw
                .query(&page_in_raw_same_plan, &[&tenant, &segment])
                .await
                .unwrap();
            rows.iter()
                .take(50)
                .map(RawCustomer::from_row)
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("rls", |b| {
        b.to_async(rt).iter(|| async {
            let rows = in_rls.query(&page_in_rls, &[&segment]).await.unwrap();
            rows.iter()
                .take(50)
                .map(RawCustomer::from_row)
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}
