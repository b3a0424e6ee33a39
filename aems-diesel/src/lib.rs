//! # aems-diesel — the A-EMS database on PostgreSQL with diesel
//!
//! * [`Database`]: a pool of connections, built from a [`DatabaseConfig`];
//! * [`migrations`]: the whole schema, embedded, run safely with [`Database::migrate`];
//! * [`ops`]: health, monitoring, backups and restores;
//! * [`Error`]: one error type, mapped once from PostgreSQL's error codes;
//! * [`Database::read`]: reads that may run on a streaming replica
//!   ([`DatabaseConfig::replica_urls`]), read-your-writes with a [`CommitToken`];
//! * `testing` (feature `testing`): a real PostgreSQL for tests — a URL, a
//!   container, or a throwaway cluster from the local binaries.

pub mod analytics;
pub mod audit;
pub mod auth;
mod config;
mod context;
mod crypto;
mod database;
mod error;
pub mod finance;
pub mod hr;
pub mod migrations;
pub mod ops;
mod pg;
mod pool_status;
pub mod products;
mod replicas;
mod repository;
pub mod risk;
pub mod sales;
pub mod schema;
mod sql;
mod unit_of_work;

#[cfg(feature = "testing")]
pub mod testing;

pub use config::DatabaseConfig;
pub use context::{Context, MAX_USER_AGENT_CHARS};
pub use crypto::{CryptoError, KeyRing};
pub use database::{Database, RECORD_CONNECTIONS};
pub use error::{BoxError, Error, PoolTimeout, Result};
pub use migrations::MigrationReport;
pub use pg::{ConnectError, PoolerMode};
pub use pool_status::PoolStatus;
pub use replicas::{
    CommitToken, ReadOneShot, ReadOnly, ReadUnitOfWork, Reads, ReplicaHealth, ReplicaStatus, Served,
};
pub use repository::{Cursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Order, Page, PageRequest};

/// Everything an application needs in scope: the repository traits.
pub mod prelude {
    pub use crate::analytics::AnalyticsRepositories;
    pub use crate::audit::AuditRepositories;
    pub use crate::auth::AuthRepositories;
    pub use crate::finance::FinanceRepositories;
    pub use crate::hr::HrRepositories;
    pub use crate::products::ProductsRepositories;
    pub use crate::risk::RiskRepositories;
    pub use crate::sales::SalesRepositories;
    pub use crate::{
        CommitToken, Context, Database, Executor, OneShot, Page, PageRequest, ReadOnly,
        Transactional, UnitOfWork,
    };
}
pub use unit_of_work::{Executor, OneShot, PlatformWork, Transactional, UnitOfWork};

// The crates the public API exposes, the very versions aems-core uses.
pub use aems_core::{bigdecimal, chrono, serde_json, uuid};
