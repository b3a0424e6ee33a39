//! The pool's manager: opens connections, and refuses to hand back one that
//! is broken or not idle.

use std::time::Duration;

use deadpool::managed::{Metrics, RecycleError, RecycleResult};
use diesel_async::RunQueryDsl;

use super::connect::{establish, parse_config};
use super::connection::Connection;
use super::error::ConnectError;

/// Whether connections go to PostgreSQL itself or through a pooler such as
/// PgBouncer in transaction mode.
///
/// Behind a transaction pooler, each transaction may run on a different
/// server connection, so a statement prepared under a name on one is unknown
/// on the next: statements are then sent unnamed, parsed in the same round
/// trip as they run. Nothing else changes: the library keeps no state on a
/// connection between transactions (the tenant context is transaction-local).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PoolerMode {
    /// Find out when each connection opens: a bouncer announces a process id
    /// of its own (`BackendKeyData`), which differs from the server's
    /// `pg_backend_pid()`. One extra round trip per new connection.
    #[default]
    Detect,
    /// Connections go straight to PostgreSQL: prepare statements once.
    Direct,
    /// Connections go through a transaction-pooling bouncer.
    TransactionPooler,
}

/// Makes the pool's connections.
#[derive(Debug)]
pub(crate) struct Manager {
    config: tokio_postgres::Config,
    connect_timeout: Duration,
    statement_cache: bool,
    pooler: PoolerMode,
}

impl Manager {
    pub(crate) fn new(
        url: &str,
        connect_timeout: Duration,
        statement_cache: bool,
        pooler: PoolerMode,
    ) -> Result<Self, ConnectError> {
        Ok(Self {
            config: parse_config(url)?,
            connect_timeout,
            statement_cache,
            pooler,
        })
    }
}

diesel::define_sql_function! {
    /// PostgreSQL's `pg_backend_pid()`.
    fn pg_backend_pid() -> diesel::sql_types::Integer;
}

/// Whether `conn` reaches PostgreSQL through a pooler: the process id it was
/// told at start-up is not the one of the server process it talks to.
pub(crate) async fn behind_pooler(conn: &Connection) -> Result<bool, ConnectError> {
    let pid: i32 = diesel::select(pg_backend_pid())
        .get_result(&mut { conn })
        .await
        .map_err(ConnectError::DetectPooler)?;
    Ok(pid != conn.announced_pid())
}

impl deadpool::managed::Manager for Manager {
    type Type = Connection;
    type Error = ConnectError;

    async fn create(&self) -> Result<Connection, ConnectError> {
        let established = establish(&self.config, self.connect_timeout).await?;
        let mut conn = Connection::start(established, self.statement_cache);
        let pooled = match self.pooler {
            PoolerMode::Direct => false,
            PoolerMode::TransactionPooler => true,
            PoolerMode::Detect => behind_pooler(&conn).await?,
        };
        if pooled {
            conn.disable_statement_cache();
        }
        Ok(conn)
    }

    async fn recycle(&self, conn: &mut Connection, _: &Metrics) -> RecycleResult<ConnectError> {
        if conn.is_broken() {
            return Err(RecycleError::message("the connection is broken"));
        }
        if !conn.is_idle() {
            return Err(RecycleError::message(
                "the connection is not idle outside a transaction",
            ));
        }
        Ok(())
    }
}
