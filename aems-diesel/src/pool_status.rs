//! What the pool holds at one moment, for metrics. A type of this crate's
//! own, so that the pool behind [`Database`](crate::Database) can change
//! without changing what applications read.

/// The connections of a [`Database`](crate::Database)'s pool at one moment
/// ([`Database::pool_status`](crate::Database::pool_status)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PoolStatus {
    /// Most connections the pool opens
    /// ([`DatabaseConfig::max_connections`](crate::DatabaseConfig::max_connections)).
    pub max_size: usize,
    /// Connections open now, busy or idle.
    pub size: usize,
    /// Idle connections, ready to be handed out.
    pub available: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

impl From<deadpool::Status> for PoolStatus {
    fn from(status: deadpool::Status) -> Self {
        Self {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        }
    }
}
