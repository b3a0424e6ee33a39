//! The tenant-scoped transaction every repository runs in — pipelined, so that
//! tenant isolation costs no extra round trip.
//!
//! Two executors reach the repositories:
//!
//! * [`UnitOfWork`]: one transaction over several statements, committed with
//!   [`UnitOfWork::commit`]. Its prologue — `BEGIN` and the context — is sent
//!   together with its first statement, so N statements cost N + 1 round trips
//!   (the last one is the `COMMIT`).
//! * [`OneShot`]: every statement is its own transaction, and `BEGIN`, the
//!   context, the statement and `COMMIT` go out together: one round trip, like
//!   the raw query it replaces.
//!
//! Both set the context with `set_config(..., true)`: transaction-local, so it
//! is correct behind a transaction-pooling bouncer and a pooled connection never
//! carries one tenant's context into another's work. Both switch to the
//! `application_user` role for the transaction: the login role itself holds no
//! table privileges (it is `NOINHERIT`), so nothing reaches tenant data except
//! through them.
//!
//! A connection whose state is in doubt — a statement's future was dropped while
//! the server was still answering, or a unit of work was dropped with its
//! transaction open and could not be rolled back — is removed from the pool and
//! closed, never handed to the next caller.

use deadpool::managed::{Object, Pool};
use diesel::pg::Pg;
use diesel::query_builder::{QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;
use futures_util::future::BoxFuture;

use std::sync::Arc;

use crate::audit::EventRow;
use crate::context::Context;
use crate::crypto::KeyRing;
use crate::database::PooledConnection;
use crate::error::{Error, Result};
use crate::pg::{Connection, ExecuteAnswer, Manager};
use crate::sql::fixed_statement;

/// The role tenant work runs as (the target of every tenant policy).
pub const APPLICATION_ROLE: &str = "application_user";
/// The role the explicit cross-tenant path runs as.
pub const PLATFORM_ROLE: &str = "aems_platform";

// Why BEGIN and COMMIT are prepared statements rather than simple-protocol
// queries (`batch_execute`): the order in which pipelined requests reach the
// server is the order in which their futures take diesel-async's
// statement-cache lock. A statement seen for the first time holds that lock
// while it is prepared; a simple-protocol COMMIT would not wait for it and
// would overtake the statement it is meant to follow (tried, and caught by the
// tests: the query then ran outside the transaction, without its role).
fixed_statement!(Begin, "BEGIN");
fixed_statement!(Commit, "COMMIT");
fixed_statement!(Rollback, "ROLLBACK");

/// The transaction-local settings of one executor, as the text values
/// `set_config` takes ('' for "not set": the policies read it with NULLIF).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    role: &'static str,
    tenant_id: String,
    user_id: String,
    client_ip: String,
    user_agent: String,
    session_id: String,
    cross_tenant_reason: String,
    /// `transaction_read_only` is set on too (the read executors).
    read_only: bool,
}

impl Settings {
    pub(crate) fn tenant(ctx: &Context) -> Self {
        Self {
            role: APPLICATION_ROLE,
            tenant_id: ctx.tenant_id().to_string(),
            user_id: ctx.actor().to_string(),
            client_ip: ctx.ip().map(|ip| ip.to_string()).unwrap_or_default(),
            user_agent: ctx.user_agent().unwrap_or_default().to_owned(),
            session_id: ctx.session_id().map(|s| s.to_string()).unwrap_or_default(),
            cross_tenant_reason: String::new(),
            read_only: false,
        }
    }

    /// The tenant's settings in a `READ ONLY` transaction.
    pub(crate) fn tenant_read_only(ctx: &Context) -> Self {
        Self {
            read_only: true,
            ..Self::tenant(ctx)
        }
    }

    pub(crate) fn platform(reason: &str, actor: Option<aems_core::UserId>) -> Self {
        Self {
            role: PLATFORM_ROLE,
            tenant_id: String::new(),
            user_id: actor.map(|a| a.to_string()).unwrap_or_default(),
            client_ip: String::new(),
            user_agent: String::new(),
            session_id: String::new(),
            cross_tenant_reason: reason.to_owned(),
            read_only: false,
        }
    }

    /// Sends the one statement that assumes the role and sets every setting
    /// (and, read-only, `transaction_read_only` first: from there to the end
    /// of the transaction every write is refused, SQLSTATE 25006; going
    /// read-only is allowed at any point of a transaction, only the way back
    /// is not). Its request leaves (or joins the open group) now, its answer
    /// is the future. Each of the two texts is fixed, so it is prepared once
    /// per connection. Sent through [`Connection::fixed`], not diesel's query
    /// builder: it precedes every statement, and walking a seven-call
    /// `SELECT` through diesel's AST cost ~17,000 client instructions a time,
    /// more than the get it precedes (callgrind, `benches/one_shot_cost.rs`).
    fn send(&self, conn: &Connection) -> ExecuteAnswer {
        /// The seven settings, written once for both texts.
        macro_rules! settings {
            () => {
                "set_config('role', $1, true), \
                 set_config('app.current_tenant_id', $2, true), \
                 set_config('app.current_user_id', $3, true), \
                 set_config('app.client_ip', $4, true), \
                 set_config('app.user_agent', $5, true), \
                 set_config('app.session_id', $6, true), \
                 set_config('app.cross_tenant_reason', $7, true)"
            };
        }
        const PLAIN: &str = concat!("SELECT ", settings!());
        const READ_ONLY: &str = concat!(
            "SELECT set_config('transaction_read_only', 'on', true), ",
            settings!()
        );
        /// The read-only text's name in the statement cache.
        struct ReadOnly;
        /// `text`: a text parameter's binary form is its UTF-8 bytes.
        const TEXT: u32 = 25;
        let (key, sql) = if self.read_only {
            (std::any::TypeId::of::<ReadOnly>(), READ_ONLY)
        } else {
            (std::any::TypeId::of::<Settings>(), PLAIN)
        };
        conn.fixed(
            key,
            sql,
            &[TEXT; 7],
            &[
                Some(self.role.as_bytes()),
                Some(self.tenant_id.as_bytes()),
                Some(self.user_id.as_bytes()),
                Some(self.client_ip.as_bytes()),
                Some(self.user_agent.as_bytes()),
                Some(self.session_id.as_bytes()),
                Some(self.cross_tenant_reason.as_bytes()),
            ],
        )
    }
}

/// The first error of a pipeline, in the order the statements were sent: when
/// `BEGIN` or the context failed, the statement's own error is only a
/// consequence.
fn first_error<T, const N: usize>(
    prologue: [QueryResult<usize>; N],
    result: QueryResult<T>,
) -> QueryResult<T> {
    for step in prologue {
        step?;
    }
    result
}

/// Only a database error aborts a PostgreSQL transaction; `NotFound` or a
/// deserialisation error leaves it usable.
fn aborts_transaction<T>(result: &QueryResult<T>) -> bool {
    matches!(result, Err(diesel::result::Error::DatabaseError(..)))
}

fn require_keys(keys: Option<&KeyRing>) -> Result<&KeyRing> {
    keys.ok_or_else(|| {
        Error::Config(
            "no key ring configured (Database::with_key_ring): encrypted columns cannot be read or written"
                .into(),
        )
    })
}

/// Removes a connection from the pool and closes it; the server then rolls
/// back whatever it had open.
fn discard(conn: PooledConnection) {
    drop(Object::take(conn));
}

/// Commits `row` on a connection of the record pool, as a transaction of its
/// own under `settings` (context and statement with one Sync: one round
/// trip), and returns once the server has committed it. What the disclosing
/// work then does with its own transaction cannot undo the record.
pub(crate) async fn commit_record(
    records: Pool<Manager>,
    settings: Settings,
    row: EventRow,
) -> Result<()> {
    /// Discards the connection if the future is dropped before the answer.
    struct InDoubt(Option<PooledConnection>);
    impl Drop for InDoubt {
        fn drop(&mut self) {
            if let Some(conn) = self.0.take() {
                discard(conn);
            }
        }
    }

    let mut guard = InDoubt(Some(records.get().await?));
    let result = {
        let conn: &Connection = guard.0.as_deref().ok_or(Error::TransactionAborted)?;
        let group = conn.group();
        let context = settings.send(conn);
        let work = row.write(conn);
        let sync = group.sync(true);
        let (context, result, sync) = futures_util::join!(context, work, sync);
        conn.unseal();
        first_error([context], result).and_then(|value| sync.map(|()| value))
    };
    // Answered (even a failure ends with the Sync's answer): the connection
    // is idle again and goes back to its pool.
    drop(guard.0.take());
    result
        .map(|_| ())
        .map_err(|e| Error::from_diesel_for("audit_logs", e))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxState {
    /// Nothing sent yet: the connection is idle outside a transaction.
    NotBegun,
    /// The transaction is open and idle.
    Open,
    /// A statement failed: PostgreSQL refuses everything until the rollback.
    Aborted,
    /// A statement's future was dropped before its answer arrived.
    InDoubt,
}

/// A transaction on one pooled connection, begun lazily with its first statement.
pub(crate) struct Transaction {
    conn: Option<PooledConnection>,
    settings: Settings,
    state: TxState,
}

impl Transaction {
    pub(crate) fn new(conn: PooledConnection, settings: Settings) -> Self {
        Self {
            conn: Some(conn),
            settings,
            state: TxState::NotBegun,
        }
    }

    pub(crate) async fn run<T, F>(&mut self, entity: &'static str, statement: F) -> Result<T>
    where
        T: Send,
        F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send,
    {
        match self.state {
            TxState::Aborted | TxState::InDoubt => return Err(Error::TransactionAborted),
            TxState::NotBegun | TxState::Open => {}
        }
        let conn: &Connection = self.conn.as_deref().ok_or(Error::TransactionAborted)?;
        let begun = self.state == TxState::Open;
        // Until the answers are in, a dropped future leaves the connection in doubt.
        self.state = TxState::InDoubt;
        let result = if begun {
            statement(conn).await
        } else {
            // BEGIN, the context and the statement with one Sync: one round
            // trip, and if BEGIN or the context fails the server skips the
            // statement.
            let group = conn.group();
            let begin = Begin.execute(&mut { conn });
            let context = self.settings.send(conn);
            let work = statement(conn);
            let sync = group.sync(false);
            let (begin, context, result, sync) = futures_util::join!(begin, context, work, sync);
            first_error([begin, context], result).and_then(|value| sync.map(|()| value))
        };
        self.state = if aborts_transaction(&result) {
            TxState::Aborted
        } else {
            TxState::Open
        };
        result.map_err(|e| Error::from_diesel_for(entity, e))
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        match self.state {
            TxState::NotBegun => Ok(()),
            TxState::Open => self.finish(Commit).await,
            TxState::Aborted => {
                self.finish(Rollback).await?;
                Err(Error::TransactionAborted)
            }
            TxState::InDoubt => Err(Error::TransactionAborted),
        }
    }

    /// Commits, and reads in the same round trip where the WAL ends after
    /// the commit (see [`crate::replicas::INSERT_LSN_SQL`]): `COMMIT` and the
    /// position go out with one `Sync`, the position being read after the
    /// commit record, outside the committed transaction. `None` when nothing
    /// was sent (nothing to see).
    pub(crate) async fn commit_with_token(mut self) -> Result<Option<u64>> {
        match self.state {
            TxState::NotBegun => return Ok(None),
            TxState::Open => {}
            TxState::Aborted => {
                self.finish(Rollback).await?;
                return Err(Error::TransactionAborted);
            }
            TxState::InDoubt => return Err(Error::TransactionAborted),
        }
        let conn: &Connection = self.conn.as_deref().ok_or(Error::TransactionAborted)?;
        self.state = TxState::InDoubt;
        let group = conn.group();
        let commit = Commit.execute(&mut { conn });
        let lsn = crate::replicas::lsn_query!(crate::replicas::INSERT_LSN_SQL)
            .get_result::<Option<i64>>(&mut { conn });
        let sync = group.sync(false);
        let (commit, lsn, sync) = futures_util::join!(commit, lsn, sync);
        // Answered: whatever the outcome, the transaction is over and the
        // connection idle.
        if sync.is_ok() {
            self.state = TxState::NotBegun;
        }
        commit.map_err(Error::from)?;
        let lsn = lsn.map_err(Error::from)?;
        sync.map_err(Error::from)?;
        Ok(Some(lsn.and_then(|l| u64::try_from(l).ok()).unwrap_or(0)))
    }

    pub(crate) async fn rollback(mut self) -> Result<()> {
        match self.state {
            TxState::NotBegun => Ok(()),
            TxState::Open | TxState::Aborted => self.finish(Rollback).await,
            TxState::InDoubt => Ok(()), // dropping closes the connection: rolled back
        }
    }

    async fn finish<S>(&mut self, statement: S) -> Result<()>
    where
        S: QueryFragment<Pg> + QueryId + Send + 'static,
    {
        let conn: &Connection = self.conn.as_deref().ok_or(Error::TransactionAborted)?;
        self.state = TxState::InDoubt;
        statement
            .execute(&mut { conn })
            .await
            .map_err(Error::from)?;
        self.state = TxState::NotBegun;
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        match self.state {
            TxState::NotBegun => drop(conn), // clean: back to the pool
            TxState::InDoubt => discard(conn),
            TxState::Open | TxState::Aborted => match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        let mut guard = DiscardUnlessClean(Some(conn));
                        if let Some(conn) = guard.0.as_deref()
                            && Rollback.execute(&mut { conn }).await.is_ok()
                        {
                            guard.mark_clean();
                        }
                    });
                }
                Err(_) => discard(conn),
            },
        }
    }
}

/// Holds a connection whose rollback is under way: if the task is dropped
/// before it finishes (a runtime shutting down), the connection is discarded
/// rather than returned to the pool with a transaction open.
struct DiscardUnlessClean(Option<PooledConnection>);

impl DiscardUnlessClean {
    fn mark_clean(&mut self) {
        drop(self.0.take()); // back to the pool
    }
}

impl Drop for DiscardUnlessClean {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            discard(conn);
        }
    }
}

/// One transaction for one tenant, over as many statements as the work needs.
///
/// Obtained from [`Database::unit_of_work`](crate::Database::unit_of_work) (or
/// [`Database::transaction`](crate::Database::transaction)); repositories hang
/// off it. Commit with [`commit`](Self::commit); dropping it without
/// committing rolls the work back.
pub struct UnitOfWork {
    tx: Transaction,
    ctx: Context,
    keys: Option<Arc<KeyRing>>,
    records: Pool<Manager>,
    /// Replicas are configured: a commit token has something to wait for.
    replicated: bool,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("ctx", &self.ctx)
            .field("state", &self.tx.state)
            .finish()
    }
}

impl UnitOfWork {
    pub(crate) fn new(
        conn: PooledConnection,
        ctx: Context,
        keys: Option<Arc<KeyRing>>,
        records: Pool<Manager>,
        replicated: bool,
    ) -> Self {
        Self {
            tx: Transaction::new(conn, Settings::tenant(&ctx)),
            ctx,
            keys,
            records,
            replicated,
        }
    }

    /// A unit of work whose transaction is `READ ONLY` (the read executors).
    pub(crate) fn read_only(
        conn: PooledConnection,
        ctx: Context,
        keys: Option<Arc<KeyRing>>,
        records: Pool<Manager>,
    ) -> Self {
        Self {
            tx: Transaction::new(conn, Settings::tenant_read_only(&ctx)),
            ctx,
            keys,
            records,
            replicated: false,
        }
    }

    /// The context the work runs under.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Commits. A unit of work that sent nothing commits without a round trip.
    /// If one of its statements failed, it is rolled back instead and
    /// [`Error::TransactionAborted`] is returned.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }

    /// Commits, like [`commit`](Self::commit), and hands back the token of
    /// the commit: a read given it ([`Reads::after`](crate::Reads::after))
    /// sees what this work wrote, on a replica that has replayed it or else
    /// on the primary.
    ///
    /// No extra round trip: the WAL position is read in the same one as the
    /// `COMMIT`, right after it. Without replicas configured it is not read at
    /// all ([`CommitToken::NONE`](crate::CommitToken::NONE): the primary has
    /// it), nor when the work sent nothing.
    pub async fn commit_with_token(self) -> Result<crate::CommitToken> {
        if !self.replicated {
            self.tx.commit().await?;
            return Ok(crate::CommitToken::NONE);
        }
        let lsn = self.tx.commit_with_token().await?;
        Ok(crate::CommitToken::from_lsn(lsn.unwrap_or(0)))
    }

    /// Rolls the work back.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await
    }
}

/// Every statement in a transaction of its own, sent together with `BEGIN`, the
/// context and `COMMIT`: one round trip each.
///
/// Obtained from [`Database::one_shot`](crate::Database::one_shot). For reads
/// and single-statement writes; work that must be atomic over several
/// statements belongs in a [`UnitOfWork`].
pub struct OneShot {
    conn: Option<PooledConnection>,
    settings: Settings,
    ctx: Context,
    keys: Option<Arc<KeyRing>>,
    in_doubt: bool,
}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot").field("ctx", &self.ctx).finish()
    }
}

impl OneShot {
    pub(crate) fn new(conn: PooledConnection, ctx: Context, keys: Option<Arc<KeyRing>>) -> Self {
        Self {
            conn: Some(conn),
            settings: Settings::tenant(&ctx),
            ctx,
            keys,
            in_doubt: false,
        }
    }

    /// A one-shot whose every transaction is `READ ONLY` (the read executors).
    pub(crate) fn read_only(
        conn: PooledConnection,
        ctx: Context,
        keys: Option<Arc<KeyRing>>,
    ) -> Self {
        Self {
            conn: Some(conn),
            settings: Settings::tenant_read_only(&ctx),
            ctx,
            keys,
            in_doubt: false,
        }
    }

    /// The context the statements run under.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub(crate) async fn run<T, F>(&mut self, entity: &'static str, statement: F) -> Result<T>
    where
        T: Send,
        F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send,
    {
        if self.in_doubt {
            return Err(Error::TransactionAborted);
        }
        let conn: &Connection = self.conn.as_deref().ok_or(Error::TransactionAborted)?;
        self.in_doubt = true;
        // The context and the statement with one Sync and no BEGIN or COMMIT:
        // the server runs them as one implicit transaction, committed at the
        // Sync, and skips the statement if the context fails. The group is
        // sealed once its Sync is sent, so nothing can run after it outside
        // the context.
        let group = conn.group();
        let context = self.settings.send(conn);
        let work = statement(conn);
        let sync = group.sync(true);
        let (context, result, sync) = futures_util::join!(context, work, sync);
        conn.unseal();
        // The Sync is answered even after a failure (the transaction is then
        // rolled back), so the connection is idle again whatever happened.
        self.in_doubt = false;
        let result = first_error([context], result).and_then(|value| sync.map(|()| value));
        result.map_err(|e| Error::from_diesel_for(entity, e))
    }
}

impl Drop for OneShot {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.in_doubt
        {
            discard(conn);
        }
    }
}

/// The explicit, audited path for work that must cross tenants: signup lookups,
/// login by email or token, platform administration.
///
/// Runs as the `aems_platform` role, whose policies reach only the few tables
/// such work needs, with the reason recorded in the transaction
/// (`app.cross_tenant_reason`) for the audit trail.
pub struct PlatformWork {
    tx: Transaction,
    reason: String,
    actor: Option<aems_core::UserId>,
    keys: Option<Arc<KeyRing>>,
    records: Pool<Manager>,
    /// Whether this work's record of the cross-tenant access was committed.
    recorded: bool,
}

impl std::fmt::Debug for PlatformWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformWork")
            .field("reason", &self.reason)
            .field("state", &self.tx.state)
            .finish()
    }
}

impl PlatformWork {
    pub(crate) fn new(
        conn: PooledConnection,
        reason: &str,
        actor: Option<aems_core::UserId>,
        keys: Option<Arc<KeyRing>>,
        records: Pool<Manager>,
    ) -> Self {
        Self {
            tx: Transaction::new(conn, Settings::platform(reason, actor)),
            reason: reason.to_owned(),
            actor,
            keys,
            records,
            recorded: false,
        }
    }

    /// The key ring, or [`Error::Config`] when none was configured.
    #[allow(dead_code)] // for the platform operations that read secrets (login)
    pub(crate) fn keys(&self) -> Result<&KeyRing> {
        require_keys(self.keys.as_deref())
    }

    /// Why this work crosses tenants.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The tenant whose slug is `slug`, if any: how a login form that names
    /// its organisation finds the tenant to work in. Text the server could not
    /// take (NUL) or longer than a slug is [`Error::Validation`], refused
    /// before anything is sent, so the platform transaction stays usable.
    pub async fn find_tenant_by_slug(&mut self, slug: &str) -> Result<Option<aems_core::TenantId>> {
        use crate::schema::auth::tenants;
        use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
        use futures_util::FutureExt;

        let slug = crate::repository::filter_text("slug", slug, aems_core::Slug::MAX_CHARS)?;
        let id = self
            .run("tenants", move |conn| {
                tenants::table
                    .filter(tenants::slug.eq(slug))
                    .select(tenants::id)
                    .first::<uuid::Uuid>(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        Ok(id.map(aems_core::TenantId::from_uuid))
    }

    /// Commits the work.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }

    /// Rolls the work back.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await
    }

    /// Runs a statement. Together with the first one, the record of this
    /// cross-tenant access (who, why, what) is committed on a connection of
    /// the record pool, concurrently: the statement's result is handed out
    /// only once the record is committed, and rolling this work back cannot
    /// erase it. One round trip on each connection, the two in parallel.
    pub(crate) async fn run<T, F>(&mut self, entity: &'static str, statement: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send,
    {
        if self.recorded {
            return self.tx.run(entity, statement).await;
        }
        let record = commit_record(
            self.records.clone(),
            self.tx.settings.clone(),
            crate::audit::cross_tenant_access(&self.reason, self.actor, entity),
        );
        let (recorded, result) = futures_util::join!(record, self.tx.run(entity, statement));
        recorded?;
        self.recorded = true;
        result
    }
}

pub(crate) mod sealed {
    use super::*;

    /// What the repositories need from an executor. Sealed: only this crate's
    /// executors exist, so no statement can run outside a tenant context.
    pub trait Executor: Send {
        /// The context statements run under.
        fn context(&self) -> &Context;

        /// The key ring for encrypted columns, or [`Error::Config`] when the
        /// database was built without one.
        fn keys(&self) -> Result<&KeyRing>;

        /// Runs one statement (its future built from a shared reference to the
        /// connection, so it can be pipelined).
        ///
        /// The future is boxed: with an `impl Future + Send` here, rustc cannot
        /// prove the futures of the repositories' `async fn`s `Send` for every
        /// lifetime ("implementation of `Send` is not general enough"), so no
        /// repository call could run in `tokio::spawn` or a web handler. One
        /// allocation per statement, next to a network round trip.
        fn run<'s, T, F>(
            &'s mut self,
            entity: &'static str,
            statement: F,
        ) -> BoxFuture<'s, Result<T>>
        where
            T: Send + 's,
            F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send + 's;

        /// Writes the record of a disclosure (`risk.record_event`) so that it
        /// is committed when this returns, whatever becomes of the
        /// executor's transaction. (Sealed: the row type is the crate's own.)
        #[allow(private_interfaces)]
        fn record_committed(&mut self, row: EventRow) -> BoxFuture<'_, Result<()>>;
    }

    impl Executor for UnitOfWork {
        fn context(&self) -> &Context {
            &self.ctx
        }

        fn keys(&self) -> Result<&KeyRing> {
            require_keys(self.keys.as_deref())
        }

        fn run<'s, T, F>(
            &'s mut self,
            entity: &'static str,
            statement: F,
        ) -> BoxFuture<'s, Result<T>>
        where
            T: Send + 's,
            F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send + 's,
        {
            Box::pin(self.tx.run(entity, statement))
        }

        /// On a connection of the record pool: one round trip there.
        #[allow(private_interfaces)]
        fn record_committed(&mut self, row: EventRow) -> BoxFuture<'_, Result<()>> {
            Box::pin(commit_record(
                self.records.clone(),
                self.tx.settings.clone(),
                row,
            ))
        }
    }

    impl Executor for OneShot {
        fn context(&self) -> &Context {
            &self.ctx
        }

        fn keys(&self) -> Result<&KeyRing> {
            require_keys(self.keys.as_deref())
        }

        fn run<'s, T, F>(
            &'s mut self,
            entity: &'static str,
            statement: F,
        ) -> BoxFuture<'s, Result<T>>
        where
            T: Send + 's,
            F: for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send + 's,
        {
            Box::pin(OneShot::run(self, entity, statement))
        }

        /// A statement of its own on this connection: its own implicit
        /// transaction, committed at its Sync. One round trip.
        #[allow(private_interfaces)]
        fn record_committed(&mut self, row: EventRow) -> BoxFuture<'_, Result<()>> {
            Box::pin(async move {
                OneShot::run(self, "audit_logs", move |conn| row.write(conn))
                    .await
                    .map(|_| ())
            })
        }
    }
}

/// Runs repository statements under a tenant context: a [`UnitOfWork`] or a
/// [`OneShot`]. Sealed; implemented by this crate's executors only.
pub trait Executor: sealed::Executor {}
impl Executor for UnitOfWork {}
impl Executor for OneShot {}

/// Executors that keep one transaction across statements: what multi-statement
/// operations (bulk inserts in chunks, domain operations) require, so they are
/// atomic.
pub trait Transactional: Executor {}
impl Transactional for UnitOfWork {}
