//! What does not depend on timing, and so can fail the run: round trips
//! counted through a proxy, and the plan of a read through row-level security.

use aems::core::CustomerId;
use aems::db::prelude::*;
use aems::db::sales::CustomerFilter;
use aems::db::testing::RoundTripProxy;
use aems::db::{Database, DatabaseConfig, PageRequest};

use super::{Check, Env, new_customer};

fn check(out: &mut Vec<Check>, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
    out.push(Check {
        name: name.into(),
        passed,
        detail: detail.into(),
    });
}

pub async fn run(env: &Env, out: &mut Vec<Check>) {
    round_trips(env, out).await;
    plans(env, out).await;
}

async fn round_trips(env: &Env, out: &mut Vec<Check>) {
    let proxy = RoundTripProxy::start(&env.test_db).await.expect("proxy");
    let db = Database::new(DatabaseConfig::new(proxy.app_url()).max_connections(1)).expect("pool");
    let id = CustomerId::from_uuid(env.id(0));
    // Warm up: connect and prepare every statement once.
    {
        let mut s = db.one_shot(&env.ctx).await.unwrap();
        s.customers().get(id).await.unwrap();
        s.customers()
            .list(&CustomerFilter::all(), PageRequest::first(50))
            .await
            .unwrap();
        s.customers()
            .create(new_customer(90_000_000))
            .await
            .unwrap();
    }
    let mut s = db.one_shot(&env.ctx).await.unwrap();

    proxy.reset();
    s.customers().get(id).await.unwrap();
    let n = proxy.round_trips();
    check(out, "one-shot get: 1 round trip", n == 1, format!("{n}"));

    proxy.reset();
    s.customers()
        .list(&CustomerFilter::all(), PageRequest::first(50))
        .await
        .unwrap();
    let n = proxy.round_trips();
    check(
        out,
        "one-shot page of 50: 1 round trip",
        n == 1,
        format!("{n}"),
    );

    proxy.reset();
    s.customers()
        .create(new_customer(90_000_001))
        .await
        .unwrap();
    let n = proxy.round_trips();
    check(out, "one-shot create: 1 round trip", n == 1, format!("{n}"));
    drop(s);

    for statements in [1u64, 3, 5] {
        let mut uow = db.unit_of_work(&env.ctx).await.unwrap();
        proxy.reset();
        for _ in 0..statements {
            uow.customers().get(id).await.unwrap();
        }
        uow.commit().await.unwrap();
        let n = proxy.round_trips();
        check(
            out,
            format!(
                "unit of work of {statements} statement(s): at most {} round trips",
                statements + 1
            ),
            n <= statements + 1,
            format!("{n}"),
        );
    }
}

async fn plans(env: &Env, out: &mut Vec<Check>) {
    let client = env.raw_client().await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            super::reads::SET_CONTEXT,
            &[&env.tenant.to_string(), &env.user.to_string()],
        )
        .await
        .unwrap();
    let sql = super::reads::page_sql_rls().replace("$1", "'smb'");
    let plan: Vec<String> = client
        .query(&format!("EXPLAIN {sql}"), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    client.batch_execute("ROLLBACK").await.unwrap();
    let plan = plan.join("\n");
    let uses_tenant_index = ["uq_customers_tenant_id_id", "idx_customers_tenant_segment"]
        .iter()
        .any(|index| plan.contains(index));
    check(
        out,
        "a page read through RLS uses a tenant-leading index",
        uses_tenant_index,
        plan.lines().next().unwrap_or_default().trim().to_owned(),
    );
    let no_seq_scan = !plan.contains("Seq Scan on customers");
    check(
        out,
        "… and no sequential scan of customers",
        no_seq_scan,
        "",
    );
}

/// The indexes (and sorts) a plan uses, in plan order: `idx_a → Sort`.
fn plan_shape(plan: &[String]) -> String {
    let mut shape = Vec::new();
    for line in plan {
        let line = line.trim().trim_start_matches("->").trim();
        if let Some(at) = line.find(" using ") {
            let index = line[at + 7..].split_whitespace().next().unwrap_or_default();
            shape.push(index.to_owned());
        } else if line.starts_with("Sort ") || line.starts_with("Seq Scan") {
            shape.push(line.split("  (").next().unwrap_or_default().to_owned());
        }
    }
    shape.join(" → ")
}

/// Which plan each side of the 50-row page runs with, for the report: the
/// timings of the two sides compare like with like only when the shapes do.
/// The RLS side inside the library's transaction; the baseline's prepared
/// statement both as a custom plan (its first executions) and as the generic
/// plan PostgreSQL may switch to after five.
pub async fn page_plans(env: &Env) -> Vec<String> {
    // The library's side as application_user inside a transaction with the
    // context; the baseline's as the login role, which owns `bench` access.
    let library = env.raw_client().await;
    library.batch_execute("BEGIN").await.unwrap();
    library
        .execute(
            super::reads::SET_CONTEXT,
            &[&env.tenant.to_string(), &env.user.to_string()],
        )
        .await
        .unwrap();
    library
        .batch_execute(&format!(
            "PREPARE library_page(text) AS {}",
            super::reads::page_sql_rls()
        ))
        .await
        .unwrap();
    let baseline = env.raw_client().await;
    baseline.batch_execute("BEGIN").await.unwrap();
    baseline
        .batch_execute(&format!(
            "PREPARE baseline_page(uuid, text) AS {}",
            super::reads::page_sql_raw()
        ))
        .await
        .unwrap();
    baseline
        .batch_execute(&format!(
            "PREPARE baseline_same_plan(uuid, text) AS {}",
            super::reads::page_sql_raw_same_plan()
        ))
        .await
        .unwrap();
    let mut notes = Vec::new();
    for mode in ["force_custom_plan", "force_generic_plan"] {
        for (side, client, sql) in [
            (
                "library (RLS)",
                &library,
                "EXPLAIN EXECUTE library_page('smb')".to_owned(),
            ),
            (
                "baseline (literal tenant)",
                &baseline,
                format!("EXPLAIN EXECUTE baseline_page('{}', 'smb')", env.tenant),
            ),
            (
                "baseline planned like the library",
                &baseline,
                format!(
                    "EXPLAIN EXECUTE baseline_same_plan('{}', 'smb')",
                    env.tenant
                ),
            ),
        ] {
            client
                .batch_execute(&format!("SET LOCAL plan_cache_mode = {mode}"))
                .await
                .unwrap();
            let plan: Vec<String> = client
                .query(&sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            notes.push(format!(
                "50-row page, {side}, {}: {}",
                mode.trim_start_matches("force_").replace('_', " "),
                plan_shape(&plan)
            ));
        }
    }
    library.batch_execute("ROLLBACK").await.unwrap();
    baseline.batch_execute("ROLLBACK").await.unwrap();
    notes
}

/// No oversell, and the counters add up, on both sides of the stock benchmark.
pub async fn stock(env: &Env, outcome: &super::stock::StockOutcome, out: &mut Vec<Check>) {
    use std::sync::atomic::Ordering;
    let admin = env.admin_client().await;
    for (side, table, row, granted) in [
        (
            "library",
            "products.inventory_levels",
            outcome.library_row,
            outcome.library_granted.load(Ordering::Relaxed),
        ),
        (
            "raw",
            "bench.inventory_levels",
            outcome.raw_row,
            outcome.raw_granted.load(Ordering::Relaxed),
        ),
    ] {
        let r = admin
            .query_one(
                &format!("SELECT current_stock, reserved_stock, available_stock FROM {table} WHERE id = $1"),
                &[&row],
            )
            .await
            .unwrap();
        let (current, reserved, available): (i32, i32, i32) = (r.get(0), r.get(1), r.get(2));
        let fine = available >= 0
            && reserved >= 0
            && available == current - reserved
            && reserved as u64 == granted;
        check(
            out,
            format!("stock reserved by 8 concurrent tasks ({side}): no oversell, counts add up"),
            fine,
            format!(
                "current {current}, reserved {reserved}, available {available}, granted {granted}"
            ),
        );
    }
}
