//! The client's share of a one-shot get, counted in instructions: the library's
//! one-shot get against the raw prepared get of `library_vs_raw`, for
//! `valgrind --tool=callgrind`, which counts instructions whatever else the
//! machine is doing.
//!
//! ```text
//! cargo bench --bench one_shot_cost --no-run
//! AEMS_TEST_BACKEND=local AEMS_PROFILE=library valgrind --tool=callgrind \
//!     --collect-atstart=no --toggle-collect='*one_shot_cost*measured*' \
//!     target/release/deps/one_shot_cost-<hash>
//! ```
//!
//! Only `measured` is counted: `AEMS_PROFILE_N` operations (default 2,000)
//! after 200 unmeasured ones (statements prepared, pool filled). The total ÷ N
//! is the client's instructions per get; `callgrind_annotate` says where they go.
//! `AEMS_PROFILE` is `library` or `raw`. Without valgrind it prints the
//! client thread's CPU time per operation.

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use aems::core::CustomerId;
use aems::db::prelude::*;
use support::reads::get_sql_raw;
use support::{Env, RawCustomer};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Library,
    Raw,
}

fn main() {
    let mode = match std::env::var("AEMS_PROFILE").as_deref() {
        Ok("raw") => Mode::Raw,
        Ok("library") | Err(_) => Mode::Library,
        Ok(other) => panic!("AEMS_PROFILE must be library or raw, not {other:?}"),
    };
    let n: usize = std::env::var("AEMS_PROFILE_N")
        .map(|v| v.parse().expect("AEMS_PROFILE_N is a number"))
        .unwrap_or(2_000);
    // criterion's `cargo bench` passes --bench; nothing else is accepted
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let env = rt.block_on(Env::setup(true, false));
    let raw = rt.block_on(env.raw_client());
    let get_raw = rt.block_on(raw.prepare(&get_sql_raw())).expect("prepare");
    let tenant = env.tenant;

    let run = |count: usize, offset: usize| {
        rt.block_on(async {
            let mut names = 0usize;
            for i in offset..offset + count {
                let id = env.id(i);
                names += match mode {
                    Mode::Raw => {
                        let row = raw.query_one(&get_raw, &[&tenant, &id]).await.unwrap();
                        RawCustomer::from_row(&row).company_name.len()
                    }
                    Mode::Library => {
                        let mut db = env.db.one_shot(&env.ctx).await.unwrap();
                        let c = db.customers().get(CustomerId::from_uuid(id)).await.unwrap();
                        c.company_name.as_str().len()
                    }
                };
            }
            names
        })
    };
    std::hint::black_box(run(200, 0));
    let started = Instant::now();
    let cpu = cpu_seconds();
    let names = measured(&run, n);
    let cpu = cpu_seconds() - cpu;
    assert!(names > 0);
    println!(
        "{}: {n} gets, {:.1} µs CPU and {:.1} µs wall per get (client thread)",
        if mode == Mode::Raw { "raw" } else { "library" },
        cpu * 1e6 / n as f64,
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}

/// The counted part (callgrind's `--toggle-collect` names it).
#[inline(never)]
fn measured(run: &dyn Fn(usize, usize) -> usize, n: usize) -> usize {
    run(n, 200)
}

/// The CPU time of this thread (the current-thread runtime runs every task
/// on it), in seconds, from the scheduler's nanosecond count.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: f64 = stat
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .expect("schedstat format");
    ns / 1e9
}
