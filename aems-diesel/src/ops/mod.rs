//! Operations: the server's health and what a monitoring dashboard shows,
//! typed, and backups proven by restoring them.
//!
//! * [`health`]: one call answering "is this database fit to serve?" with a
//!   [`HealthReport`] — accepting connections, round-trip latency, the pool,
//!   long-running queries, sessions idle in a transaction, audit rows in the
//!   DEFAULT partition, pending or unknown migrations — and an overall
//!   [`HealthStatus`] with every [`HealthReason`] behind it;
//! * [`Monitor`]: a connection as the monitoring role, reading connections by
//!   state and application, the slowest statements (`pg_stat_statements`),
//!   table and index sizes, the cache hit ratio and each table's dead tuples
//!   and last (auto)vacuum;
//! * [`backup`]: `pg_dump` to a directory with retention, and `pg_restore`.
//!
//! ## Which role reads
//!
//! Health and monitoring read PostgreSQL's statistics views, which show other
//! roles' sessions and statements only to members of `pg_monitor`. The
//! migrations create `aems_monitor` (LOGIN, member of `pg_monitor`, no access
//! to any tenant's rows); give it a password (`ALTER ROLE aems_monitor
//! PASSWORD '…'`) or log in as a role of your own `IN ROLE aems_monitor`, and
//! put its URL in [`DatabaseConfig::monitor_url`](crate::DatabaseConfig::monitor_url)
//! (`AEMS_MONITOR_DATABASE_URL`). Without one, the pool's own URL is used and
//! the report says that it cannot see everything
//! ([`HealthReason::MonitorLacksPgMonitor`]).
//!
//! Everything here is scoped to the configured database: sessions and
//! statements of other databases of the same cluster are not counted.

pub mod backup;
mod health;
mod monitoring;

pub use health::{
    Check, HealthOptions, HealthReason, HealthReport, HealthStatus, health, health_with,
};
pub use monitoring::{
    BlockCounts, CacheHitRatio, ConnectionCount, MigrationState, Monitor, NotAvailable,
    RelationSize, SchemaSize, Session, SessionState, StatementStat, StatementStats,
    TableMaintenance,
};

#[cfg(feature = "serde")]
pub(crate) mod serde_duration {
    //! Durations as milliseconds (a float) in JSON, readable by anyone.
    use std::time::Duration;

    pub(crate) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }

    pub(crate) mod option {
        use std::time::Duration;

        pub(crate) fn serialize<S: serde::Serializer>(
            d: &Option<Duration>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_some(&(d.as_secs_f64() * 1000.0)),
                None => s.serialize_none(),
            }
        }
    }
}
