//! What the examples share: a database to run against.
//!
//! With `AEMS_DATABASE_URL` set (the application's login role) the examples use
//! that server, migrating it first with `AEMS_MIGRATION_DATABASE_URL` (the
//! schema owner; defaults to the same URL). Without it they start a throwaway
//! PostgreSQL through the test harness — a container if a Docker engine
//! answers, else a cluster from the local binaries — which is removed when the
//! example exits.
//!
//! Tenant names, slugs and e-mail addresses are unique across a database, so
//! every run of an example signs up under fresh ones ([`RunNames`]): an example
//! runs again, after itself or after another, on a database that holds the
//! earlier runs (`scripts/examples-twice.sh` checks exactly that in CI).

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

/// The names one run of an example signs up under: the example's own names,
/// tagged with a short random id of this run (`Acme Robotics (run 1f0c9a2e)`,
/// `acme-1f0c9a2e`, `ada@acme-1f0c9a2e.example.com`).
pub struct RunNames {
    tag: String,
}

impl RunNames {
    /// A fresh tag for this run.
    pub fn new() -> Self {
        let tag = aems::uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        RunNames { tag }
    }

    /// A tenant's display name for this run: `Acme Robotics (run 1f0c9a2e)`.
    pub fn tenant(&self, name: &str) -> String {
        format!("{name} (run {})", self.tag)
    }

    /// A tenant's slug for this run: `acme-1f0c9a2e`.
    pub fn slug(&self, slug: &str) -> String {
        format!("{slug}-{}", self.tag)
    }

    /// A user's address at an organisation, for this run:
    /// `ada@acme-1f0c9a2e.example.com`. The local part stays as given (the
    /// password policy compares passwords with it).
    pub fn email(&self, user: &str, org: &str) -> String {
        format!("{user}@{org}-{}.example.com", self.tag)
    }

    /// An account id at an external provider, unique per run: `109876543210`
    /// becomes `109876543210-1f0c9a2e`.
    pub fn account(&self, id: &str) -> String {
        format!("{id}-{}", self.tag)
    }
}
