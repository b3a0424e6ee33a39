//! A one-shot get behind a real PgBouncer 1.18 in transaction mode (the
//! harness starts it: `DISCARD ALL` after each transaction, two server
//! connections), against the raw query through the same bouncer.
//!
//! Behind a transaction pooler nothing may be prepared under a name, so the
//! baseline sends its query unnamed with its parameter types
//! (tokio-postgres's `query_typed`: Parse, Bind, Execute, Sync in one round
//! trip), and the library detects the bouncer and does the same.

use std::sync::atomic::{AtomicUsize, Ordering};

use aems::core::CustomerId;
use aems::db::prelude::*;
use aems::db::testing::{Bouncer, BouncerOptions};
use aems::db::{Database, DatabaseConfig};
use criterion::Criterion;
use tokio::runtime::Runtime;
use tokio_postgres::types::Type;

use super::{Check, Env, RawCustomer, connect};

/// Runs the group; a bouncer that cannot be started fails the run (as a
/// check), it is never quietly left out.
pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env, checks: &mut Vec<Check>) {
    if !Bouncer::is_installed() {
        // Not on a fresh machine: the project's own script installs it.
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/install-pgbouncer.sh");
        let installed = std::process::Command::new(script)
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            checks.push(Check {
                name: "PgBouncer installed for the bouncer rows".into(),
                passed: false,
                detail: format!("{script} failed"),
            });
            return;
        }
    }
    let bouncer = match rt.block_on(Bouncer::start(
        &env.test_db,
        BouncerOptions {
            pool_size: 2,
            ..BouncerOptions::default()
        },
    )) {
        Ok(bouncer) => bouncer,
        Err(e) => {
            checks.push(Check {
                name: "PgBouncer started for the bouncer rows".into(),
                passed: false,
                detail: e.to_string(),
            });
            return;
        }
    };
    let raw = rt.block_on(connect(&bouncer.app_url()));
    let db = Database::new(DatabaseConfig::new(bouncer.app_url()).max_connections(2))
        .expect("a pool through the bouncer");
    let sql = super::reads::get_sql_raw();
    let next = AtomicUsize::new(0);
    let tenant = env.tenant;

    let mut group = c.benchmark_group("bouncer_get");
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| async {
            let id = env.id(next.fetch_add(1, Ordering::Relaxed));
            let rows = raw
                .query_typed(&sql, &[(&tenant, Type::UUID), (&id, Type::UUID)])
                .await
                .unwrap();
            RawCustomer::from_row(&rows[0])
        })
    });
    group.bench_function("library_one_shot", |b| {
        b.to_async(rt).iter(|| async {
            let id = CustomerId::from_uuid(env.id(next.fetch_add(1, Ordering::Relaxed)));
            let mut s = db.one_shot(&env.ctx).await.unwrap();
            s.customers().get(id).await.unwrap()
        })
    });
    group.finish();
    checks.push(Check {
        name: "PgBouncer started for the bouncer rows".into(),
        passed: true,
        detail: format!(
            "transaction mode, DISCARD ALL, 2 server connections, port {}",
            bouncer.port()
        ),
    });
    drop(db);
    drop(bouncer);
}
