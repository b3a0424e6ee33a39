//! What the library's safety costs, side by side with raw SQL in one run.
//!
//! ```text
//! cargo bench --bench library_vs_raw                          # full
//! AEMS_BENCH_QUICK=1 cargo bench --bench library_vs_raw       # quick (CI)
//! AEMS_BENCH_GROUP=search cargo bench --bench library_vs_raw  # the search group alone
//! AEMS_BENCH_GROUP=replicas cargo bench --bench library_vs_raw  # read replicas alone
//! ```
//!
//! The baseline is what a careful user writes by hand without the library:
//! raw tokio-postgres, one prepared statement per operation, a literal tenant
//! filter, autocommit, on `bench.customers` — a copy of `sales.customers` with
//! the same indexes but no row-level security and no audit triggers — on the
//! same server, as the same login role. Every figure is reported as a ratio
//! library ÷ baseline, measured in the same run. The checks that do not
//! depend on timing (round trips counted through a proxy, EXPLAIN plans,
//! errors) fail the run; the ratios are reported, never asserted.
//!
//! Results go to stdout and to `target/aems-bench/summary.md`; see
//! `docs/benchmarks.md`.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use criterion::Criterion;
use support::{Env, Ratio};

fn main() {
    let quick = std::env::var("AEMS_BENCH_QUICK").is_ok_and(|v| v != "0");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // The replica group starts servers of its own and runs alone.
    if std::env::var("AEMS_BENCH_GROUP").is_ok_and(|v| v == "replicas") {
        replicas_alone(&runtime, quick);
        return;
    }
    // The search group alone skips every other group and the deep tenant.
    let only_search = std::env::var("AEMS_BENCH_GROUP").is_ok_and(|v| v == "search");
    let env = runtime.block_on(Env::setup(quick, !only_search));

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(if quick { 300 } else { 1000 }))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 5 }))
        .sample_size(if quick { 10 } else { 40 });

    let mut checks = Vec::new();
    let mut notes = Vec::new();
    let mut sizes = None;
    if !only_search {
        support::reads::bench(&mut c, &runtime, &env);
        support::writes::bench(&mut c, &runtime, &env);
        support::bulk::bench(&mut c, &runtime, &env);
        support::depth::bench(&mut c, &runtime, &env);
        let stock = support::stock::bench(&mut c, &runtime, &env);
        support::throughput::bench(&mut c, &runtime, &env);
        support::bouncer::bench(&mut c, &runtime, &env, &mut checks);

        // Round trips are counted on a single-threaded runtime, like an
        // application's request handler: on several worker threads the
        // connection task may flush a pipeline in two writes, which the proxy
        // would count as two flights although nobody waited.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(support::checks::run(&env, &mut checks));
        runtime.block_on(support::checks::stock(&env, &stock, &mut checks));
        sizes = Some(runtime.block_on(support::depth::uuid_index_sizes(&env)));
        notes = runtime.block_on(support::checks::page_plans(&env));
    }
    // Last: its million rows would change the other groups' tables.
    let search = runtime.block_on(support::search::setup(&env));
    support::search::bench(&mut c, &runtime, &env, &search);
    c.final_summary();
    runtime.block_on(support::search::checks(&env, &search, &mut checks));
    notes.extend(runtime.block_on(support::search::text_filter_notes(&env, &search)));

    let mut ratios = vec![
        Ratio::new(
            "one-shot get by id (library ÷ raw)",
            "get/library_one_shot",
            "get/raw",
            1.3,
        ),
        Ratio::new(
            "the library's get alone, inside an open unit of work (÷ raw)",
            "get/library_inside_open_unit_of_work",
            "get/raw",
            1.1,
        ),
        Ratio::new(
            "the four statements pipelined by hand, nothing of the library (÷ raw)",
            "get/raw_pipelined_transaction",
            "get/raw",
            f64::NAN,
        ),
        Ratio::new(
            "naive awaited BEGIN/set_config/get/COMMIT (÷ raw)",
            "get/naive_awaited",
            "get/raw",
            f64::NAN,
        ),
        Ratio::new(
            "one-shot 50-row filtered page (library ÷ raw)",
            "page50/library_one_shot",
            "page50/raw",
            1.3,
        ),
        Ratio::new(
            "… the same page ÷ a baseline planned like the library's (tenant index)",
            "page50/library_one_shot",
            "page50/raw_same_plan",
            1.3,
        ),
        Ratio::new(
            "naive awaited 50-row page (÷ raw)",
            "page50/naive_awaited",
            "page50/raw",
            f64::NAN,
        ),
        Ratio::new(
            "in a transaction: read through RLS ÷ literal tenant filter",
            "in_transaction/rls",
            "in_transaction/literal_filter",
            1.2,
        ),
        Ratio::new(
            "… RLS ÷ literal tenant filter planned like it (tenant index)",
            "in_transaction/rls",
            "in_transaction/literal_filter_same_plan",
            1.2,
        ),
        Ratio::new(
            "one-shot audited insert (library ÷ raw)",
            "insert/library_one_shot",
            "insert/raw",
            1.6,
        ),
        Ratio::new(
            "audited update (library ÷ raw)",
            "update/library_one_shot",
            "update/raw",
            1.8,
        ),
        Ratio::new(
            "audited soft delete (library ÷ raw)",
            "soft_delete/library_one_shot",
            "soft_delete/raw",
            1.8,
        ),
        Ratio::new(
            "… insert ÷ raw with the same audit trigger (the library's own share)",
            "insert/library_one_shot",
            "insert/raw_audited",
            f64::NAN,
        ),
        Ratio::new(
            "… update ÷ raw with the same audit trigger",
            "update/library_one_shot",
            "update/raw_audited",
            f64::NAN,
        ),
        Ratio::new(
            "… soft delete ÷ raw with the same audit trigger",
            "soft_delete/library_one_shot",
            "soft_delete/raw_audited",
            f64::NAN,
        ),
        Ratio::new(
            "… raw with the audit trigger ÷ raw without (the audit trail's share), update",
            "update/raw_audited",
            "update/raw",
            f64::NAN,
        ),
        Ratio::new(
            "create_many 1,000 rows (library ÷ raw multi-row INSERT)",
            "bulk_1000/library_create_many",
            "bulk_1000/raw_multi_row",
            3.0,
        ),
        Ratio::new(
            "1,000 one-shot creates ÷ create_many 1,000 (want ≥ 20)",
            "bulk_1000/library_one_shot_each",
            "bulk_1000/library_create_many",
            f64::NAN,
        ),
        // Throughput is the inverse of the time for the same work: raw time ÷
        // library time is library throughput ÷ raw throughput.
        Ratio::new(
            "stock reservation by 8 tasks: library throughput ÷ raw (want ≥ 0.5)",
            "stock_reserve_8_tasks/raw_conditional_update",
            "stock_reserve_8_tasks/library_one_shot_reserve",
            f64::NAN,
        ),
        Ratio::new(
            "8 tasks, 90% gets / 10% audited updates: library throughput ÷ raw (want ≥ 0.7)",
            "throughput_8_tasks/raw_mix_90_10",
            "throughput_8_tasks/library_mix_90_10",
            f64::NAN,
        ),
        Ratio::new(
            "8 tasks, gets only: library throughput ÷ raw (want ≥ 0.85)",
            "throughput_8_tasks/raw_reads",
            "throughput_8_tasks/library_reads",
            f64::NAN,
        ),
        Ratio::new(
            "one-shot get behind PgBouncer (transaction mode) ÷ raw through it",
            "bouncer_get/library_one_shot",
            "bouncer_get/raw",
            1.8,
        ),
        Ratio::new(
            "keyset page at 90% depth ÷ first page",
            "keyset/deep_90pct",
            "keyset/first_page",
            1.5,
        ),
    ];
    let search_ratios = vec![
        Ratio::new(
            "search: selective customer search (one match) ÷ literal tenant filter, no RLS",
            "search_customers/selective_library",
            "search_customers/selective_raw",
            2.0,
        ),
        Ratio::new(
            "search: broad customer search (1 in 40), first page ÷ unfiltered first page",
            "search_customers/broad_first_library",
            "search_customers/unfiltered_first_library",
            1.5,
        ),
        Ratio::new(
            "search: broad customer search, 90%-deep page ÷ unfiltered first page",
            "search_customers/broad_deep_90pct_library",
            "search_customers/unfiltered_first_library",
            1.5,
        ),
        Ratio::new(
            "search: selective product search (one match) ÷ literal tenant filter, no RLS",
            "search_products/selective_library",
            "search_products/selective_raw",
            2.0,
        ),
        Ratio::new(
            "search: broad product search (1 in 40), first page ÷ unfiltered first page",
            "search_products/broad_first_library",
            "search_products/unfiltered_first_library",
            1.5,
        ),
        Ratio::new(
            "search: broad product search, 90%-deep page ÷ unfiltered first page",
            "search_products/broad_deep_90pct_library",
            "search_products/unfiltered_first_library",
            1.5,
        ),
    ];
    if only_search {
        ratios.clear();
    }
    ratios.extend(search_ratios);
    let report = support::report::write(&env, &ratios, sizes.as_ref(), &checks, &notes);
    println!("\n{report}");
    drop(env);
    if checks.iter().any(|c| !c.passed) {
        eprintln!("deterministic checks failed");
        std::process::exit(1);
    }
}

/// `AEMS_BENCH_GROUP=replicas`: a primary with one streaming replica, the
/// group, and its ratios (to stdout and `target/aems-bench/replicas.md`).
fn replicas_alone(runtime: &tokio::runtime::Runtime, quick: bool) {
    use std::fmt::Write;
    let env = support::replicas::setup(runtime, quick);
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(if quick { 300 } else { 1000 }))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 5 }))
        .sample_size(if quick { 10 } else { 40 });
    support::replicas::bench(&mut c, runtime, &env);
    c.final_summary();
    let mut md = format!(
        "## aems replica benchmark ({} mode, local primary + 1 streaming replica, {})\n\n\
         | measurement | replica path | primary path | ratio |\n|---|---|---|---|\n",
        if quick { "quick" } else { "full" },
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    for r in support::replicas::ratios() {
        match (
            support::report::mean_ns(r.library),
            support::report::mean_ns(r.baseline),
        ) {
            (Some(a), Some(b)) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {:.2} |",
                    r.label,
                    support::report::human(a),
                    support::report::human(b),
                    a / b
                );
            }
            _ => {
                let _ = writeln!(md, "| {} | not measured | | |", r.label);
            }
        }
    }
    println!("\n{md}");
    let dir = std::path::Path::new("target/aems-bench");
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join("replicas.md"), md);
    drop(env);
}
