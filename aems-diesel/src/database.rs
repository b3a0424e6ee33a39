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
use crate::replicas::{CommitToken, Node, Reads, ReplicaStatus, Replicas, Served};
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
    /// The configured read replicas, if any (see [`Database::read`]).
    replicas: Option<Arc<Replicas>>,
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
        let build = |url: &str, size: usize| {
            let manager = Manager::new(
                url,
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
        let pool = build(&config.url, config.max_connections)?;
        let records = build(&config.url, RECORD_CONNECTIONS)?;
        let replica_pools = config
            .replica_urls
            .iter()
            .map(|url| Ok((build(url, config.max_connections)?, build(url, 1)?)))
            .collect::<Result<Vec<_>>>()?;
        let replicas = Replicas::new(&config, replica_pools);
        Ok(Self {
            pool,
            records,
            config: Arc::new(config),
            keys: None,
            replicas,
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
    /// With replicas configured, each is checked too ([`check_replicas`](Self::check_replicas)),
    /// so reads can use them at once; one that is down does not make this
    /// fail (the primary serves its reads).
    pub async fn connect(config: DatabaseConfig) -> Result<Self> {
        let db = Self::new(config)?;
        drop(db.acquire().await?);
        db.check_replicas().await;
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
            self.replicas.is_some(),
        ))
    }

    /// Like [`transaction`](Self::transaction), and hands back the commit's
    /// token too (see [`UnitOfWork::commit_with_token`]), for reads that must
    /// see this work ([`Reads::after`]).
    pub async fn transaction_with_token<T, F>(
        &self,
        ctx: &Context,
        work: F,
    ) -> Result<(T, CommitToken)>
    where
        F: AsyncFnOnce(&mut UnitOfWork) -> Result<T>,
    {
        let mut uow = self.unit_of_work(ctx).await?;
        match work(&mut uow).await {
            Ok(value) => Ok((value, uow.commit_with_token().await?)),
            Err(error) => {
                let _ = uow.rollback().await;
                Err(error)
            }
        }
    }

    /// Reads for `ctx` that may run on a read replica: choose the executor
    /// from what this returns ([`Reads::one_shot`], [`Reads::unit_of_work`],
    /// [`Reads::transaction`]), and with [`Reads::after`] make them see a
    /// commit of yours.
    ///
    /// The same context and row-level security as on the primary, in
    /// `READ ONLY` transactions: a write through them fails with
    /// [`Error::ReadOnly`] and changes nothing. A replica serves only while
    /// healthy and within [`DatabaseConfig::max_replica_lag`]; otherwise, and
    /// when no replica is configured, the primary does, with the same round
    /// trips as [`one_shot`](Self::one_shot) and
    /// [`unit_of_work`](Self::unit_of_work). See the `replicas` chapter of
    /// the documentation (`docs/replicas.md`).
    ///
    /// ```no_run
    /// # async fn demo(db: aems_diesel::Database, ctx: aems_diesel::Context) -> aems_diesel::Result<()> {
    /// use aems_diesel::prelude::*;
    /// use aems_diesel::sales::CustomerFilter;
    ///
    /// let mut reads = db.read(&ctx).one_shot().await?;
    /// let page = reads
    ///     .customers()
    ///     .list(&CustomerFilter::all(), PageRequest::first(20))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn read(&self, ctx: &Context) -> Reads<'_> {
        Reads::new(self, ctx)
    }

    /// What the last health check found out about each configured replica
    /// (empty without replicas).
    pub fn replica_status(&self) -> Vec<ReplicaStatus> {
        self.replicas
            .as_ref()
            .map(|r| r.status())
            .unwrap_or_default()
    }

    /// Checks every configured replica now and waits for the outcome (each
    /// check bounded by [`DatabaseConfig::connect_timeout`]); reads also start
    /// checks by themselves, every [`DatabaseConfig::replica_check_interval`].
    pub async fn check_replicas(&self) {
        if let Some(replicas) = &self.replicas {
            replicas.check_all().await;
        }
    }

    /// A token covering every commit made on the primary so far, for reads
    /// that must see a write that handed back no token (a one-shot's). One
    /// round trip on the primary; none, and [`CommitToken::NONE`], without
    /// replicas.
    pub async fn commit_token(&self) -> Result<CommitToken> {
        use diesel_async::RunQueryDsl;
        if self.replicas.is_none() {
            return Ok(CommitToken::NONE);
        }
        let conn = self.acquire().await?;
        let lsn: Option<i64> = crate::replicas::lsn_query!(crate::replicas::INSERT_LSN_SQL)
            .get_result(&mut { &*conn })
            .await
            .map_err(Error::from)?;
        Ok(CommitToken::from_lsn(
            lsn.and_then(|l| u64::try_from(l).ok()).unwrap_or(0),
        ))
    }

    /// A connection for a read: a healthy replica's that has replayed
    /// `after`, or the primary's.
    pub(crate) async fn route_read(
        &self,
        after: CommitToken,
    ) -> Result<(PooledConnection, Served, Option<Arc<Node>>)> {
        if let Some(replicas) = &self.replicas
            && let Some((conn, node)) = replicas.acquire(after).await
        {
            let served = Served::Replica(node.index());
            return Ok((conn, served, Some(node)));
        }
        Ok((self.acquire().await?, Served::Primary, None))
    }

    pub(crate) fn keys(&self) -> Option<Arc<KeyRing>> {
        self.keys.clone()
    }

    pub(crate) fn records(&self) -> Pool<Manager> {
        self.records.clone()
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
    /// transaction, sent with the context in one group with one `Sync` (one
    /// implicit transaction, one round trip).
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
