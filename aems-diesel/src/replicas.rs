//! Read replicas: reads that may run on a streaming replica, under the same
//! tenant context and row-level security as on the primary, in `READ ONLY`
//! transactions; and read-your-writes through a [`CommitToken`].
//!
//! Nothing here is used unless [`DatabaseConfig::replica_urls`] names a
//! replica and the application asks for a read executor
//! ([`Database::read`]); every other executor runs on the primary exactly as
//! before.
//!
//! * **Routing.** Replicas are taken in turn (round robin) among those whose
//!   last health check found them healthy; when none is, the primary serves.
//! * **Health.** A check is one statement on the replica: is it a standby,
//!   what has it replayed, and how far behind is it. A replica that does not
//!   answer, is no longer a standby, or lags beyond
//!   [`DatabaseConfig::max_replica_lag`] is skipped until a later check finds
//!   it healthy again. Checks are started by the reads themselves when the
//!   last one is older than [`DatabaseConfig::replica_check_interval`], each
//!   in a task of its own that ends within the connect timeout: there is no
//!   background thread to stop, and a database nobody reads from checks
//!   nothing. [`Database::check_replicas`] checks now and waits;
//!   [`Database::replica_status`] shows the state.
//! * **Read-your-writes.** [`UnitOfWork::commit_with_token`] hands back the
//!   WAL position reached after the commit; a read given it
//!   ([`Reads::after`]) runs on a replica only once that replica has replayed
//!   the position, waiting at most
//!   [`DatabaseConfig::read_your_writes_timeout`], else on the primary.
//!
//! [`DatabaseConfig::replica_urls`]: crate::DatabaseConfig::replica_urls
//! [`DatabaseConfig::max_replica_lag`]: crate::DatabaseConfig::max_replica_lag
//! [`DatabaseConfig::replica_check_interval`]: crate::DatabaseConfig::replica_check_interval
//! [`DatabaseConfig::read_your_writes_timeout`]: crate::DatabaseConfig::read_your_writes_timeout
//! [`Database::read`]: crate::Database::read
//! [`Database::check_replicas`]: crate::Database::check_replicas
//! [`Database::replica_status`]: crate::Database::replica_status

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::{Object, Pool};
use diesel::dsl::sql;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Bool, Nullable};
use futures_util::future::BoxFuture;

use crate::audit::EventRow;
use crate::context::Context;
use crate::crypto::KeyRing;
use crate::database::{Database, PooledConnection};
use crate::error::{Error, Result};
use crate::pg::{Connection, Manager};
use crate::unit_of_work::{
    Executor, OneShot, Settings, Transactional, UnitOfWork, commit_record, sealed,
};

/// A position in the primary's write-ahead log that a read must see: what
/// [`UnitOfWork::commit_with_token`] hands back.
///
/// A read given it ([`Reads::after`]) sees the commit it came from, on a
/// replica that has replayed that far or else on the primary. Its text form
/// is PostgreSQL's (`16/B374D848`), stable, and parsed back validated, so an
/// application can keep it in a session or a cookie between requests; with
/// feature `serde` it serializes as that text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CommitToken(u64);

impl CommitToken {
    /// Requires nothing: every server has replayed it.
    pub const NONE: CommitToken = CommitToken(0);

    /// The token of WAL position `lsn` (the byte offset PostgreSQL's `pg_lsn`
    /// stands for).
    pub fn from_lsn(lsn: u64) -> Self {
        CommitToken(lsn)
    }

    /// The WAL position as a byte offset.
    pub fn lsn(self) -> u64 {
        self.0
    }
}

impl fmt::Display for CommitToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

impl fmt::Debug for CommitToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitToken({self})")
    }
}

impl FromStr for CommitToken {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || {
            Error::Validation(aems_core::DomainError::field(
                "commit_token",
                aems_core::ErrorCode::InvalidFormat,
                "is not a WAL position (high/low, in hexadecimal)",
            ))
        };
        let (high, low) = s.split_once('/').ok_or_else(invalid)?;
        let part = |p: &str| {
            (!p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u64::from_str_radix(p, 16).ok())
                .flatten()
                .ok_or_else(invalid)
        };
        Ok(CommitToken((part(high)? << 32) | part(low)?))
    }
}

crate::repository::serde_as_text!(CommitToken);

/// Where a read executor's statements run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// On the primary: no replica is configured, none is healthy, or none had
    /// replayed the read's [`CommitToken`] in time.
    Primary,
    /// On the replica at this position of
    /// [`DatabaseConfig::replica_urls`](crate::DatabaseConfig::replica_urls).
    Replica(usize),
}

/// What the last health check found out about a replica.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplicaHealth {
    /// Not checked yet: skipped until a check finds it healthy.
    Unknown,
    /// A standby within the lag bound: reads may use it.
    Healthy,
    /// A standby further behind than
    /// [`max_replica_lag`](crate::DatabaseConfig::max_replica_lag): skipped.
    Lagging {
        /// How far behind, when the replica could tell (it cannot before it
        /// has replayed a first transaction since it started).
        lag: Option<Duration>,
    },
    /// It did not answer, or is not a standby any more: skipped.
    Down {
        /// Why.
        reason: String,
    },
}

/// One replica's state, as [`Database::replica_status`](crate::Database::replica_status)
/// reports it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplicaStatus {
    /// Its position in [`replica_urls`](crate::DatabaseConfig::replica_urls).
    pub index: usize,
    /// Its URL, password hidden.
    pub url: String,
    /// What the last check found.
    pub health: ReplicaHealth,
    /// The WAL position it was last seen to have replayed.
    pub replayed: Option<CommitToken>,
    /// How long ago it was last checked; `None` before the first check.
    pub checked_ago: Option<Duration>,
}

/// The health statement: one round trip on the replica.
///
/// The lag is zero when the replica has replayed all it has received;
/// otherwise it is the age of the last transaction it replayed (the usual
/// measure: a replica idle for a while that has just received a commit looks
/// late for the moment it takes to replay it).
const HEALTH_SQL: &str = "pg_is_in_recovery(), \
     (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, \
     CASE WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 \
          ELSE (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint END";

/// What a replica has replayed (NULL on a primary).
const REPLAYED_SQL: &str = "(pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint";

/// Where the primary's WAL ends now: read after a commit, it is at or past
/// the end of that commit's record (the insert position, not the write or
/// flush position, which with `synchronous_commit = off` may still be before
/// it).
pub(crate) const INSERT_LSN_SQL: &str = "(pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";

/// `SELECT <text>` for one nullable `bigint` column (a WAL position).
macro_rules! lsn_query {
    ($text:expr) => {
        diesel::select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        >($text))
    };
}
pub(crate) use lsn_query;

fn to_token(lsn: Option<i64>) -> Option<CommitToken> {
    lsn.and_then(|l| u64::try_from(l).ok()).map(CommitToken)
}

/// A connection whose statement may still be in flight: discarded unless
/// released, so a dropped future never hands a busy connection back.
struct InDoubt(Option<PooledConnection>);

impl InDoubt {
    fn conn(&self) -> Option<&Connection> {
        self.0.as_deref()
    }

    fn release(mut self) -> Option<PooledConnection> {
        self.0.take()
    }
}

impl Drop for InDoubt {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(Object::take(conn));
        }
    }
}

#[derive(Debug)]
struct NodeState {
    health: ReplicaHealth,
    checked_at: Option<Instant>,
}

/// One replica: its pools and what is known of it.
pub(crate) struct Node {
    index: usize,
    url: String,
    /// The reads' connections.
    pool: Pool<Manager>,
    /// One connection for the health checks, so that a replica whose read
    /// pool is busy is not judged down for lack of a free connection.
    check_pool: Pool<Manager>,
    state: Mutex<NodeState>,
    /// The highest WAL position it was seen to have replayed (0: unknown).
    replayed: AtomicU64,
    /// A check of it is under way.
    checking: AtomicBool,
}

impl Node {
    fn state(&self) -> std::sync::MutexGuard<'_, NodeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    fn is_healthy(&self) -> bool {
        self.state().health == ReplicaHealth::Healthy
    }

    fn set(&self, health: ReplicaHealth) {
        let mut state = self.state();
        state.health = health;
        state.checked_at = Some(Instant::now());
    }

    /// Marks it down at once (a read found its connection gone); the next
    /// check, an interval later, may bring it back.
    pub(crate) fn mark_down(&self, reason: impl Into<String>) {
        self.set(ReplicaHealth::Down {
            reason: reason.into(),
        });
    }

    fn saw_replayed(&self, lsn: Option<i64>) {
        if let Some(CommitToken(lsn)) = to_token(lsn) {
            self.replayed.fetch_max(lsn, Ordering::AcqRel);
        }
    }

    fn has_replayed(&self, token: CommitToken) -> bool {
        self.replayed.load(Ordering::Acquire) >= token.0
    }

    fn status(&self) -> ReplicaStatus {
        let state = self.state();
        let replayed = self.replayed.load(Ordering::Acquire);
        ReplicaStatus {
            index: self.index,
            url: self.url.clone(),
            health: state.health.clone(),
            replayed: (replayed > 0).then_some(CommitToken(replayed)),
            checked_ago: state.checked_at.map(|t| t.elapsed()),
        }
    }
}

/// Clears a node's `checking` flag however its check ends.
struct CheckingFlag(Arc<Node>);

impl Drop for CheckingFlag {
    fn drop(&mut self) {
        self.0.checking.store(false, Ordering::Release);
    }
}

/// The configured replicas and how reads are routed among them.
pub(crate) struct Replicas {
    nodes: Vec<Arc<Node>>,
    next: AtomicUsize,
    max_lag: Duration,
    check_interval: Duration,
    check_timeout: Duration,
    read_your_writes_timeout: Duration,
}

impl Replicas {
    pub(crate) fn new(
        config: &crate::DatabaseConfig,
        pools: Vec<(Pool<Manager>, Pool<Manager>)>,
    ) -> Option<Arc<Self>> {
        if pools.is_empty() {
            return None;
        }
        let nodes = pools
            .into_iter()
            .zip(&config.replica_urls)
            .enumerate()
            .map(|(index, ((pool, check_pool), url))| {
                Arc::new(Node {
                    index,
                    url: crate::config::redact_url(url),
                    pool,
                    check_pool,
                    state: Mutex::new(NodeState {
                        health: ReplicaHealth::Unknown,
                        checked_at: None,
                    }),
                    replayed: AtomicU64::new(0),
                    checking: AtomicBool::new(false),
                })
            })
            .collect();
        Some(Arc::new(Self {
            nodes,
            next: AtomicUsize::new(0),
            max_lag: config.max_replica_lag,
            check_interval: config.replica_check_interval,
            check_timeout: config.connect_timeout,
            read_your_writes_timeout: config.read_your_writes_timeout,
        }))
    }

    pub(crate) fn status(&self) -> Vec<ReplicaStatus> {
        self.nodes.iter().map(|n| n.status()).collect()
    }

    /// Checks every replica now, concurrently, and waits for the outcome.
    pub(crate) async fn check_all(&self) {
        futures_util::future::join_all(self.nodes.iter().map(|node| self.check(node))).await;
    }

    /// Starts a check, in a task of its own, of every replica whose last one
    /// is older than the interval and that is not being checked already.
    fn refresh(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for node in &self.nodes {
            let stale = node
                .state()
                .checked_at
                .is_none_or(|t| t.elapsed() >= self.check_interval);
            if stale && !node.checking.swap(true, Ordering::AcqRel) {
                let flag = CheckingFlag(node.clone());
                let replicas = self.clone();
                runtime.spawn(async move {
                    replicas.check(&flag.0).await;
                    drop(flag);
                });
            }
        }
    }

    /// One health check of `node`, bounded by the check timeout.
    async fn check(&self, node: &Node) {
        use diesel_async::RunQueryDsl;
        let asked = tokio::time::timeout(self.check_timeout, async {
            let guard = InDoubt(Some(node.check_pool.get().await.map_err(Error::from)?));
            let conn = guard.conn().ok_or(Error::TransactionAborted)?;
            let answer: (bool, Option<i64>, Option<i64>) =
                diesel::select(sql::<(Bool, Nullable<BigInt>, Nullable<BigInt>)>(
                    HEALTH_SQL,
                ))
                .get_result(&mut { conn })
                .await
                .map_err(Error::from)?;
            drop(guard.release());
            Ok::<_, Error>(answer)
        })
        .await;
        let health = match asked {
            Err(_) => ReplicaHealth::Down {
                reason: format!("no answer within {:?}", self.check_timeout),
            },
            Ok(Err(error)) => ReplicaHealth::Down {
                reason: error_chain(&error),
            },
            Ok(Ok((false, _, _))) => ReplicaHealth::Down {
                reason: "not a standby (pg_is_in_recovery() is false): promoted?".into(),
            },
            Ok(Ok((true, replayed, lag_ms))) => {
                node.saw_replayed(replayed);
                let lag = lag_ms.map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
                match lag {
                    Some(lag) if lag <= self.max_lag => ReplicaHealth::Healthy,
                    lag => ReplicaHealth::Lagging { lag },
                }
            }
        };
        node.set(health);
    }

    /// A connection to a healthy replica for a read that must see `after`,
    /// or `None` when the primary must serve.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        after: CommitToken,
    ) -> Option<(PooledConnection, Arc<Node>)> {
        self.refresh();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.nodes.len();
        let mut candidates: Vec<&Arc<Node>> = (0..count)
            .map(|i| &self.nodes[(start + i) % count])
            .filter(|n| n.is_healthy())
            .collect();
        // Those already known to have replayed the token first: no wait.
        candidates.sort_by_key(|n| !n.has_replayed(after));
        let deadline = Instant::now() + self.read_your_writes_timeout;
        for node in candidates {
            let conn = match node.pool.get().await {
                Ok(conn) => conn,
                Err(error) => {
                    node.mark_down(error_chain(&Error::from(error)));
                    continue;
                }
            };
            if node.has_replayed(after) {
                return Some((conn, node.clone()));
            }
            match wait_replayed(conn, node, after, deadline).await {
                Ok(Some(conn)) => return Some((conn, node.clone())),
                // Waited the whole bound: the primary serves.
                Ok(None) => return None,
                Err(error) => node.mark_down(error_chain(&error)),
            }
        }
        None
    }
}

/// Polls what `node` has replayed on `conn` until it reaches `after` (the
/// connection is handed back) or `deadline` passes (`None`). The first poll
/// is immediate; then every millisecond, doubling up to 10 ms.
async fn wait_replayed(
    conn: PooledConnection,
    node: &Node,
    after: CommitToken,
    deadline: Instant,
) -> Result<Option<PooledConnection>> {
    use diesel_async::RunQueryDsl;
    let guard = InDoubt(Some(conn));
    let mut pause = Duration::from_millis(1);
    loop {
        let conn = guard.conn().ok_or(Error::TransactionAborted)?;
        let replayed: Option<i64> = lsn_query!(REPLAYED_SQL)
            .get_result(&mut { conn })
            .await
            .map_err(Error::from)?;
        node.saw_replayed(replayed);
        if node.has_replayed(after) {
            return Ok(guard.release());
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None); // the guard hands the idle connection back
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// An error and its causes, on one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Reads for one context, to be run on a replica when one can serve them:
/// what [`Database::read`](crate::Database::read) returns. Choose the
/// executor with [`one_shot`](Self::one_shot), [`unit_of_work`](Self::unit_of_work)
/// or [`transaction`](Self::transaction).
///
/// ```no_run
/// # async fn demo(db: aems_diesel::Database, ctx: aems_diesel::Context, id: aems_core::CustomerId) -> aems_diesel::Result<()> {
/// use aems_diesel::prelude::*;
///
/// // A write, and the token of its commit.
/// let mut uow = db.unit_of_work(&ctx).await?;
/// // ... uow.customers().update(...).await?;
/// let token = uow.commit_with_token().await?;
///
/// // A read that sees it, on a replica that has replayed it or on the primary.
/// let mut reads = db.read(&ctx).after(token).one_shot().await?;
/// let customer = reads.customers().get(id).await?;
/// # Ok(()) }
/// ```
#[must_use = "a read route does nothing until an executor is opened from it"]
pub struct Reads<'d> {
    db: &'d Database,
    ctx: Context,
    after: CommitToken,
}

impl fmt::Debug for Reads<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reads")
            .field("ctx", &self.ctx)
            .field("after", &self.after)
            .finish()
    }
}

impl<'d> Reads<'d> {
    pub(crate) fn new(db: &'d Database, ctx: &Context) -> Self {
        Self {
            db,
            ctx: ctx.clone(),
            after: CommitToken::NONE,
        }
    }

    /// Reads that must see the commit `token` came from: a replica serves
    /// them only once it has replayed it (waiting at most
    /// [`read_your_writes_timeout`](crate::DatabaseConfig::read_your_writes_timeout)),
    /// else the primary does. Given several tokens, pass the greatest.
    pub fn after(mut self, token: CommitToken) -> Self {
        self.after = self.after.max(token);
        self
    }

    /// A read-only one-shot executor: every statement its own `READ ONLY`
    /// transaction, one round trip each, on the server chosen now.
    pub async fn one_shot(self) -> Result<ReadOnly<OneShot>> {
        let (conn, served, node) = self.db.route_read(self.after).await?;
        Ok(ReadOnly {
            inner: OneShot::read_only(conn, self.ctx, self.db.keys()),
            served,
            node,
            records: self.db.records(),
        })
    }

    /// A read-only unit of work: one `READ ONLY` transaction over several
    /// statements (one consistent server, several queries); end it with
    /// [`ReadOnly::finish`].
    pub async fn unit_of_work(self) -> Result<ReadOnly<UnitOfWork>> {
        let (conn, served, node) = self.db.route_read(self.after).await?;
        Ok(ReadOnly {
            inner: UnitOfWork::read_only(conn, self.ctx, self.db.keys(), self.db.records()),
            served,
            node,
            records: self.db.records(),
        })
    }

    /// Runs `work` in a read-only unit of work, ended when it returns.
    pub async fn transaction<T, F>(self, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&mut ReadOnly<UnitOfWork>) -> Result<T>,
    {
        let mut uow = self.unit_of_work().await?;
        match work(&mut uow).await {
            Ok(value) => {
                uow.finish().await?;
                Ok(value)
            }
            Err(error) => {
                let _ = uow.inner.rollback().await;
                Err(error)
            }
        }
    }
}

/// A read-only executor: a [`OneShot`] or a [`UnitOfWork`] whose every
/// transaction is `READ ONLY`, on a replica or on the primary
/// ([`served_by`](Self::served_by)). Repositories hang off it as off any
/// executor; a write through it fails with [`Error::ReadOnly`] and changes
/// nothing. Records of disclosures (reading a salary) are still committed,
/// on the primary.
pub struct ReadOnly<E> {
    inner: E,
    served: Served,
    node: Option<Arc<Node>>,
    records: Pool<Manager>,
}

impl<E: fmt::Debug> fmt::Debug for ReadOnly<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOnly")
            .field("served", &self.served)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<E> ReadOnly<E> {
    /// Where this executor's statements run.
    pub fn served_by(&self) -> Served {
        self.served
    }
}

impl ReadOnly<UnitOfWork> {
    /// Ends the read-only transaction. If one of its statements failed,
    /// [`Error::TransactionAborted`] is returned.
    pub async fn finish(self) -> Result<()> {
        self.inner.commit().await
    }
}

impl<E: sealed::Executor> sealed::Executor for ReadOnly<E> {
    fn context(&self) -> &Context {
        self.inner.context()
    }

    fn keys(&self) -> Result<&KeyRing> {
        self.inner.keys()
    }

    fn run<'s, T, F>(&'s mut self, entity: &'static str, statement: F) -> BoxFuture<'s, Result<T>>
    where
        T: Send + 's,
        F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send + 's,
    {
        Box::pin(async move {
            let result = self.inner.run(entity, statement).await;
            if let (Err(Error::ConnectionLost(_)), Some(node)) = (&result, &self.node) {
                node.mark_down("the connection was lost during a read");
            }
            result
        })
    }

    /// On the primary's record pool, as a write of its own: a replica cannot
    /// take it, and the read's own transaction is read-only.
    #[allow(private_interfaces)]
    fn record_committed(&mut self, row: EventRow) -> BoxFuture<'_, Result<()>> {
        Box::pin(commit_record(
            self.records.clone(),
            Settings::tenant(self.inner.context()),
            row,
        ))
    }
}

impl<E: Executor> Executor for ReadOnly<E> {}
impl Transactional for ReadOnly<UnitOfWork> {}

/// A read-only one-shot executor ([`Reads::one_shot`]).
pub type ReadOneShot = ReadOnly<OneShot>;
/// A read-only unit of work ([`Reads::unit_of_work`]).
pub type ReadUnitOfWork = ReadOnly<UnitOfWork>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_and_writes_as_postgresql_writes_a_wal_position() {
        let token: CommitToken = "16/B374D848".parse().unwrap();
        assert_eq!(token.lsn(), (0x16 << 32) | 0xB374_D848);
        assert_eq!(token.to_string(), "16/B374D848");
        assert_eq!(CommitToken::NONE.to_string(), "0/0");
        assert!(CommitToken::from_lsn(5) > CommitToken::NONE);
        for bad in ["", "16", "/1", "1/", "g/1", "123456789/0", "1/2/3", " 1/2"] {
            assert!(bad.parse::<CommitToken>().is_err(), "{bad:?}");
        }
    }
}
