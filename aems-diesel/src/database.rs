//! The entry point: a pool of connections to one A-EMS database.

use std::sync::Arc;

use deadpool::managed::{Object, Pool};

use aems_core::UserId;

use crate::config::DatabaseConfig;
use crate::context::Context;
use crate::crypto::KeyRing;
use crate::error::{Error, Result};
use crate::migrations::{self, MigrationReport};
use crate::pg::Manager;
use crate::unit_of_work::{OneShot, PlatformWork, UnitOfWork};

/// A pooled connection, as handed out by [`Database`].
pub(crate) type PooledConnection = Object<Manager>;

/// Connections a [`Database`] opens, besides `max_connections`, for the
/// records of disclosures that must not share the fate of the disclosing
/// transaction: a salary read in a [`UnitOfWork`] and the record of each
/// [`PlatformWork`] are committed on one of these before the data is handed
/// out, so rolling the work back (or never committing it) cannot erase them.
/// A separate pool, so work that holds a connection of the main pool never
/// waits for another one of it; opened on first use, each record is one
/// round trip on it.
pub const RECORD_CONNECTIONS: usize = 2;

/// A pool of connections to one A-EMS database.
///
/// Cheap to clone (the pool is shared). All tenant data is reached through a
/// unit of work opened from it, so no query can run without a tenant.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    /// Where records of disclosures are committed on their own, whatever the
    /// work that disclosed does with its transaction (see [`RECORD_CONNECTIONS`]).
    records: Pool<Manager>,
    config: Arc<DatabaseConfig>,
    keys: Option<Arc<KeyRing>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("config", &self.config)
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl Database {
    /// Builds the pool. No connection is opened until one is needed.
    pub fn new(config: DatabaseConfig) -> Result<Self> {
        if config.max_connections == 0 {
            return Err(Error::Config("max_connections must be at least 1".into()));
        }
        // A connection comes back to the pool only idle and outside a
        // transaction: a unit of work that does not finish cleanly removes its
        // connection instead (see `unit_of_work`), and the manager checks the
        // last `ReadyForQuery` without a round trip.
        let build = |size: usize| {
            let manager = Manager::new(
                &config.url,
                config.connect_timeout,
                config.statement_cache,
                config.pooler,
            )
            .map_err(|e| Error::Config(e.to_string()))?;
            Pool::builder(manager)
                .max_size(size)
                .wait_timeout(Some(config.acquire_timeout))
                .create_timeout(Some(config.connect_timeout))
                .runtime(deadpool::Runtime::Tokio1)
                .build()
                .map_err(|e| Error::Config(format!("cannot build the connection pool: {e}")))
        };
        let pool = build(config.max_connections)?;
        let records = build(RECORD_CONNECTIONS)?;
        Ok(Self {
            pool,
            records,
            config: Arc::new(config),
            keys: None,
        })
    }

    /// Seals and opens the encrypted columns (employee salaries, TOTP secrets,
    /// OAuth tokens) with `keys`. Without a key ring, writing or reading those
    /// columns is refused with [`Error::Config`].
    pub fn with_key_ring(mut self, keys: KeyRing) -> Self {
        self.keys = Some(Arc::new(keys));
        self
    }

    /// Builds the pool and opens one connection to check the server answers.
    pub async fn connect(config: DatabaseConfig) -> Result<Self> {
        let db = Self::new(config)?;
        drop(db.acquire().await?);
        Ok(db)
    }

    /// Builds the pool from [`DatabaseConfig::from_env`].
    pub fn from_env() -> Result<Self> {
        Self::new(DatabaseConfig::from_env()?)
    }

    /// Runs the embedded migrations with this database's URL (which must then
    /// be the schema owner's). See [`migrations::run`].
    pub async fn migrate(&self) -> Result<MigrationReport> {
        migrations::run(&self.config.url).await
    }

    /// The configuration this database was built from.
    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }

    /// Connections open and idle, for metrics.
    pub fn pool_status(&self) -> crate::PoolStatus {
        self.pool.status().into()
    }

    /// Opens a unit of work for `ctx`: one transaction over several statements.
    /// Nothing is sent until its first statement, which carries the `BEGIN` and
    /// the context with it.
    pub async fn unit_of_work(&self, ctx: &Context) -> Result<UnitOfWork> {
        Ok(UnitOfWork::new(
            self.acquire().await?,
            ctx.clone(),
            self.keys.clone(),
            self.records.clone(),
        ))
    }

    /// Runs `work` in a unit of work: committed when it returns `Ok`, rolled
    /// back when it returns `Err` (or panics, or its future is dropped).
    ///
    /// ```no_run
    /// # async fn demo(db: aems_diesel::Database, ctx: aems_diesel::Context) -> aems_diesel::Result<()> {
    /// let n = db
    ///     .transaction(&ctx, async |uow| {
    ///         // repositories: uow.customers().create(...).await?; ...
    ///         Ok(1)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn transaction<T, F>(&self, ctx: &Context, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&mut UnitOfWork) -> Result<T>,
    {
        let mut uow = self.unit_of_work(ctx).await?;
        match work(&mut uow).await {
            Ok(value) => {
                uow.commit().await?;
                Ok(value)
            }
            Err(error) => {
                // The work's own error is what the caller needs; a failed
                // rollback only means the connection is discarded.
                let _ = uow.rollback().await;
                Err(error)
            }
        }
    }

    /// Opens a one-shot executor for `ctx`: every statement is its own
    /// transaction, sent with its `BEGIN`, context and `COMMIT` in one round trip.
    pub async fn one_shot(&self, ctx: &Context) -> Result<OneShot> {
        Ok(OneShot::new(
            self.acquire().await?,
            ctx.clone(),
            self.keys.clone(),
        ))
    }

    /// Opens the explicit cross-tenant path, recording `reason` (required, not
    /// blank) for the audit trail. See [`PlatformWork`].
    pub async fn platform(&self, reason: &str, actor: Option<UserId>) -> Result<PlatformWork> {
        if reason.trim().is_empty() {
            return Err(Error::Config("cross-tenant work needs a reason".into()));
        }
        Ok(PlatformWork::new(
            self.acquire().await?,
            reason,
            actor,
            self.keys.clone(),
            self.records.clone(),
        ))
    }

    /// The key ring, or [`Error::Config`] when none was configured: for work
    /// that seals or opens something before it knows its tenant (an MFA
    /// challenge names its tenant inside the envelope).
    pub(crate) fn key_ring(&self) -> Result<&KeyRing> {
        self.keys.as_deref().ok_or_else(|| {
            Error::Config(
                "no key ring configured (Database::with_key_ring): secrets cannot be sealed or opened"
                    .into(),
            )
        })
    }

    pub(crate) async fn acquire(&self) -> Result<PooledConnection> {
        Ok(self.pool.get().await?)
    }

    /// [`acquire`](Self::acquire), waiting at most `wait` for a free
    /// connection (health checks must answer even when the pool is exhausted).
    pub(crate) async fn acquire_within(
        &self,
        wait: std::time::Duration,
    ) -> Result<PooledConnection> {
        let timeouts = deadpool::managed::Timeouts {
            wait: Some(wait),
            create: Some(self.config.connect_timeout),
            recycle: None,
        };
        Ok(self.pool.timeout_get(&timeouts).await?)
    }
}
