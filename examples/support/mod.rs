//! What the examples share: a database to run against.
//!
//! With `AEMS_DATABASE_URL` set (the application's login role) the examples use
//! that server, migrating it first with `AEMS_MIGRATION_DATABASE_URL` (the
//! schema owner; defaults to the same URL). Without it they start a throwaway
//! PostgreSQL through the test harness — a container if a Docker engine
//! answers, else a cluster from the local binaries — which is removed when the
//! example exits.

#![allow(dead_code)] // each example uses part of it

use aems::db::testing::TestDatabase;
use aems::db::{Database, DatabaseConfig, KeyRing};

/// A database for an example, and what keeps a throwaway server alive.
pub struct ExampleDatabase {
    /// A pool as the application's login role.
    pub database: Database,
    /// The schema owner's URL (migrations, partition maintenance).
    pub owner_url: String,
    _throwaway: Option<TestDatabase>,
}

/// Opens the configured database, or starts a throwaway one.
pub async fn open() -> Result<ExampleDatabase, Box<dyn std::error::Error>> {
    let keys = example_key_ring();
    match std::env::var("AEMS_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let owner_url =
                std::env::var("AEMS_MIGRATION_DATABASE_URL").unwrap_or_else(|_| url.clone());
            let report = aems::db::migrations::run(&owner_url).await?;
            println!(
                "migrated {}: {} migration(s) applied",
                redact(&owner_url),
                report.applied.len()
            );
            let database = Database::connect(DatabaseConfig::from_env()?)
                .await?
                .with_key_ring(keys);
            Ok(ExampleDatabase {
                database,
                owner_url,
                _throwaway: None,
            })
        }
        _ => {
            println!("AEMS_DATABASE_URL is not set: starting a throwaway PostgreSQL…");
            let test_db = TestDatabase::new().await?;
            println!(
                "  server from the {} backend, database {} (migrated; removed on exit)",
                test_db.backend(),
                test_db.name()
            );
            let database = test_db.database()?.with_key_ring(keys);
            Ok(ExampleDatabase {
                database,
                owner_url: test_db.admin_url(),
                _throwaway: Some(test_db),
            })
        }
    }
}

/// The key ring from `AEMS_KEYS`, or a random one for this run (fine for a
/// demo: nothing sealed with it outlives the throwaway database).
fn example_key_ring() -> KeyRing {
    match KeyRing::from_env() {
        Ok(Some(ring)) => ring,
        Ok(None) => KeyRing::generate(1),
        Err(e) => panic!("AEMS_KEYS: {e}"),
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
