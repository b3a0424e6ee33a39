//! The embedded schema migrations and the one safe way to run them.
//!
//! [`run`] takes a session-level advisory lock, refuses a database that holds a
//! migration this build does not know, applies what is pending, and releases
//! the lock. Several processes starting together each call it; one migrates,
//! the others wait and then find nothing pending.

use std::time::{Duration, Instant};

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::{Connection, RunQueryDsl};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{Error, Result};

/// Every migration of the A-EMS schema, compiled into the library.
///
/// `aems-diesel/migrations` links to the repository's `migrations/`; in the
/// packaged crate it is a plain directory holding the same files.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The advisory-lock key that serialises migration runs ("AEMSMIGR").
pub const MIGRATION_LOCK_KEY: i64 = 0x4145_4d53_4d49_4752;

/// How long [`run`] waits for another process's migration run before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// Versions applied by this run, in order (empty when the schema was current).
    pub applied: Vec<String>,
}

diesel::define_sql_function! {
    /// PostgreSQL's `pg_try_advisory_lock(bigint)`.
    fn pg_try_advisory_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}
diesel::define_sql_function! {
    /// PostgreSQL's `pg_advisory_unlock(bigint)`.
    fn pg_advisory_unlock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// The versions of the embedded migrations, in order.
pub fn known_versions() -> Vec<String> {
    let mut versions: Vec<String> = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .expect("embedded migrations are always readable")
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    versions.sort();
    versions
}

/// Runs the pending migrations against `url` (a role that may create schemas,
/// roles and tables: the owner, never the application's login role).
///
/// Safe to call from several processes at once. Waits up to
/// [`DEFAULT_LOCK_TIMEOUT`] for a run already under way.
pub async fn run(url: &str) -> Result<MigrationReport> {
    run_with_lock_timeout(url, DEFAULT_LOCK_TIMEOUT).await
}

/// [`run`], with the wait for another process's run bounded by `lock_timeout`.
pub async fn run_with_lock_timeout(url: &str, lock_timeout: Duration) -> Result<MigrationReport> {
    let url = url.to_owned();
    // diesel's migration harness is synchronous: drive it on a blocking thread
    // through the async connection wrapper, never on a runtime worker.
    tokio::task::spawn_blocking(move || run_blocking(&url, lock_timeout))
        .await
        .map_err(|e| Error::migration("the migration task failed", e))?
}

/// Reverts every applied migration, newest first: the database is left as it
/// was before the first [`run`]. Destructive — for tests and tooling (the
/// up → down → up check), never for a database holding data you want.
pub async fn revert_all(url: &str) -> Result<Vec<String>> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = WrappedConnection::establish(&url)
            .map_err(|e| Error::migration("cannot connect to revert", e))?;
        acquire_lock(&mut conn, DEFAULT_LOCK_TIMEOUT)?;
        let reverted = conn
            .revert_all_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect::<Vec<_>>())
            .map_err(|e| Error::migration("reverting failed", e));
        let _ =
            diesel::select(pg_advisory_unlock(MIGRATION_LOCK_KEY)).get_result::<bool>(&mut conn);
        reverted
    })
    .await
    .map_err(|e| Error::migration("the revert task failed", e))?
}

type WrappedConnection = AsyncConnectionWrapper<AsyncPgConnection>;

fn run_blocking(url: &str, lock_timeout: Duration) -> Result<MigrationReport> {
    let mut conn = WrappedConnection::establish(url)
        .map_err(|e| Error::migration("cannot connect to migrate", e))?;
    acquire_lock(&mut conn, lock_timeout)?;
    let outcome = check_and_apply(&mut conn);
    let unlocked =
        diesel::select(pg_advisory_unlock(MIGRATION_LOCK_KEY)).get_result::<bool>(&mut conn);
    let report = outcome?;
    unlocked.map_err(|e| Error::migration("cannot release the migration lock", e))?;
    Ok(report)
}

/// Waits for the lock by polling `pg_try_advisory_lock`, not by blocking in
/// `pg_advisory_lock`: a session blocked inside a statement holds a snapshot,
/// and `CREATE INDEX CONCURRENTLY` in the running migration waits for every
/// older snapshot, so a blocked waiter and the migrator would deadlock.
fn acquire_lock(conn: &mut WrappedConnection, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        let locked = diesel::select(pg_try_advisory_lock(MIGRATION_LOCK_KEY))
            .get_result::<bool>(conn)
            .map_err(|e| Error::migration("cannot take the migration lock", e))?;
        if locked {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(Error::Migration {
                step: format!("another process held the migration lock for more than {timeout:?}"),
                source: None,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

fn check_and_apply(conn: &mut WrappedConnection) -> Result<MigrationReport> {
    let applied = conn
        .applied_migrations()
        .map_err(|e| Error::migration("cannot read the applied migrations", e))?;
    let known = known_versions();
    let unknown: Vec<String> = applied
        .iter()
        .map(|v| v.to_string())
        .filter(|v| !known.contains(v))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::UnknownMigrations { versions: unknown });
    }
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| Error::migration("a migration failed", e))?;
    Ok(MigrationReport {
        applied: applied.iter().map(|v| v.to_string()).collect(),
    })
}
