//! One call that says whether the database is fit to serve, and why not.

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::monitoring::{Monitor, Session};
use crate::error::{Error, PoolTimeout};
use crate::{Database, PoolStatus};

/// The overall verdict of a [`HealthReport`], worst reason first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum HealthStatus {
    /// Nothing to do.
    Healthy,
    /// Serving, but something needs attention soon (see the reasons).
    Degraded,
    /// Not serving, or about to fail the application (see the reasons).
    Failing,
}

impl HealthStatus {
    /// The exit code a cron job or a container health check understands:
    /// 0 healthy, 1 degraded, 2 failing (the `aems health` command's).
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Healthy => 0,
            Self::Degraded => 1,
            Self::Failing => 2,
        }
    }

    /// `healthy`, `degraded` or `failing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Failing => "failing",
        }
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check of [`health`] that could not be made (its query failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Check {
    /// Statements running longer than the threshold.
    LongRunningQueries,
    /// Sessions idle in a transaction.
    IdleInTransaction,
    /// Rows in the audit trail's DEFAULT partition.
    AuditDefaultPartition,
    /// Pending or unknown migrations.
    Migrations,
}

/// Why a [`HealthReport`] is not [`Healthy`](HealthStatus::Healthy); each
/// has its [`status`](Self::status) and an entry in `docs/operations.md`
/// saying what to do.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "reason", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum HealthReason {
    /// Neither the application's pool nor the monitoring role could open a
    /// connection, or the pool could not (wrong password, `CONNECT`
    /// revoked, server full): the application cannot work. Failing.
    NotAcceptingConnections {
        /// The error, as the application would see it.
        error: String,
    },
    /// Every connection of the pool is in use and none came free within
    /// [`HealthOptions::pool_wait`]. Degraded.
    PoolExhausted {
        /// The pool's size.
        max_size: usize,
        /// Callers that were waiting for a connection.
        waiting: usize,
    },
    /// A trivial statement through the pool took longer than
    /// [`HealthOptions::slow_round_trip`]. Degraded.
    SlowRoundTrip {
        /// What it took.
        #[cfg_attr(
            feature = "serde",
            serde(with = "super::serde_duration", rename = "latency_ms")
        )]
        latency: Duration,
        /// The threshold.
        #[cfg_attr(
            feature = "serde",
            serde(with = "super::serde_duration", rename = "threshold_ms")
        )]
        threshold: Duration,
    },
    /// Statements have been running longer than
    /// [`HealthOptions::long_query`]. Degraded.
    LongRunningQueries {
        /// How many.
        count: usize,
        /// The longest one's running time.
        #[cfg_attr(
            feature = "serde",
            serde(with = "super::serde_duration", rename = "longest_ms")
        )]
        longest: Duration,
    },
    /// Sessions have sat idle inside a transaction longer than
    /// [`HealthOptions::idle_in_transaction`]. Degraded.
    IdleInTransaction {
        /// How many.
        count: usize,
        /// The longest one's idle time.
        #[cfg_attr(
            feature = "serde",
            serde(with = "super::serde_duration", rename = "longest_ms")
        )]
        longest: Duration,
    },
    /// Audit rows sit in `risk.audit_logs_default`: partition maintenance is
    /// late. Degraded.
    AuditRowsInDefaultPartition {
        /// How many rows.
        rows: i64,
    },
    /// Migrations of this build are not applied: the schema is older than
    /// the code expects. Failing.
    PendingMigrations {
        /// Their versions.
        versions: Vec<String>,
    },
    /// The database holds migrations this build does not know: it was
    /// migrated by a newer build (forward-safe migrations keep this one
    /// working, but it will not migrate). Degraded.
    UnknownMigrations {
        /// Their versions.
        versions: Vec<String>,
    },
    /// The pool works but the monitoring connection could not be opened:
    /// the checks that need it were not made. Degraded.
    MonitorUnavailable {
        /// Why.
        error: String,
    },
    /// The monitoring role is not a member of `pg_monitor`: other roles'
    /// sessions are hidden from it, so long-running queries and idle
    /// transactions may go unseen. Degraded.
    MonitorLacksPgMonitor {
        /// The role.
        role: String,
    },
    /// A check's query failed. Degraded.
    CheckFailed {
        /// Which check.
        check: Check,
        /// Why.
        error: String,
    },
}

impl HealthReason {
    /// What this reason makes of the overall status.
    pub fn status(&self) -> HealthStatus {
        match self {
            Self::NotAcceptingConnections { .. } | Self::PendingMigrations { .. } => {
                HealthStatus::Failing
            }
            _ => HealthStatus::Degraded,
        }
    }
}

impl fmt::Display for HealthReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAcceptingConnections { error } => {
                write!(f, "not accepting connections: {error}")
            }
            Self::PoolExhausted { max_size, waiting } => write!(
                f,
                "pool exhausted: all {max_size} connection(s) busy, {waiting} caller(s) waiting"
            ),
            Self::SlowRoundTrip { latency, threshold } => write!(
                f,
                "slow round trip: {:.1} ms (threshold {:.1} ms)",
                ms(*latency),
                ms(*threshold)
            ),
            Self::LongRunningQueries { count, longest } => write!(
                f,
                "{count} long-running quer{} (longest {:.0} s)",
                if *count == 1 { "y" } else { "ies" },
                longest.as_secs_f64()
            ),
            Self::IdleInTransaction { count, longest } => write!(
                f,
                "{count} session(s) idle in transaction (longest {:.0} s)",
                longest.as_secs_f64()
            ),
            Self::AuditRowsInDefaultPartition { rows } => write!(
                f,
                "{rows} audit row(s) in the default partition: run `aems partitions maintain`"
            ),
            Self::PendingMigrations { versions } => write!(
                f,
                "{} pending migration(s) (first {}): run `aems migrate`",
                versions.len(),
                versions.first().map(String::as_str).unwrap_or("?")
            ),
            Self::UnknownMigrations { versions } => write!(
                f,
                "{} migration(s) unknown to this build ({}): the database was migrated by a newer one",
                versions.len(),
                versions.join(", ")
            ),
            Self::MonitorUnavailable { error } => {
                write!(f, "monitoring connection unavailable: {error}")
            }
            Self::MonitorLacksPgMonitor { role } => write!(
                f,
                "monitoring role {role} is not a member of pg_monitor: other sessions are hidden from it"
            ),
            Self::CheckFailed { check, error } => write!(f, "check {check:?} failed: {error}"),
        }
    }
}

/// An error with its causes, as one line.
fn describe(error: &Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Thresholds of [`health_with`]; [`Default`] gives the spec's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthOptions {
    /// A statement running longer than this is long-running (default 10
    /// minutes, the spec's).
    pub long_query: Duration,
    /// A session idle in a transaction longer than this is reported
    /// (default 5 minutes).
    pub idle_in_transaction: Duration,
    /// A round trip slower than this is slow (default 1 s, the spec's
    /// "responding quickly").
    pub slow_round_trip: Duration,
    /// How long to wait for a connection from the application's pool before
    /// calling it exhausted (default 2 s).
    pub pool_wait: Duration,
}

impl Default for HealthOptions {
    fn default() -> Self {
        Self {
            long_query: Duration::from_secs(600),
            idle_in_transaction: Duration::from_secs(300),
            slow_round_trip: Duration::from_secs(1),
            pool_wait: Duration::from_secs(2),
        }
    }
}

impl HealthOptions {
    /// Sets [`long_query`](Self::long_query).
    pub fn long_query(mut self, threshold: Duration) -> Self {
        self.long_query = threshold;
        self
    }

    /// Sets [`idle_in_transaction`](Self::idle_in_transaction).
    pub fn idle_in_transaction(mut self, threshold: Duration) -> Self {
        self.idle_in_transaction = threshold;
        self
    }

    /// Sets [`slow_round_trip`](Self::slow_round_trip).
    pub fn slow_round_trip(mut self, threshold: Duration) -> Self {
        self.slow_round_trip = threshold;
        self
    }

    /// Sets [`pool_wait`](Self::pool_wait).
    pub fn pool_wait(mut self, wait: Duration) -> Self {
        self.pool_wait = wait;
        self
    }
}

/// What [`health`] found.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct HealthReport {
    /// The worst of the reasons' statuses; healthy without any.
    pub status: HealthStatus,
    /// Everything that is not as it should be.
    pub reasons: Vec<HealthReason>,
    /// When the checks were made.
    pub checked_at: DateTime<Utc>,
    /// Whether the server accepted a connection (the pool's or the monitor's).
    pub accepting_connections: bool,
    /// A trivial statement through the application's pool, round trip
    /// included (`None` when no pooled connection could be had).
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration::option", rename = "round_trip_ms")
    )]
    pub round_trip: Option<Duration>,
    /// The pool before the check took a connection from it.
    pub pool: PoolStatus,
    /// The role the monitoring checks read as (`None` without a monitoring
    /// connection).
    pub monitor_role: Option<String>,
    /// Statements running longer than [`HealthOptions::long_query`].
    pub long_running_queries: Vec<Session>,
    /// Sessions idle in a transaction longer than
    /// [`HealthOptions::idle_in_transaction`].
    pub idle_in_transaction: Vec<Session>,
    /// Rows in the audit trail's DEFAULT partition (`None` when not checked).
    pub audit_default_partition_rows: Option<i64>,
    /// Embedded migrations not applied.
    pub pending_migrations: Vec<String>,
    /// Applied migrations this build does not know.
    pub unknown_migrations: Vec<String>,
}

/// [`health_with`] with the default thresholds.
///
/// ```no_run
/// # async fn demo(db: aems_diesel::Database) -> aems_diesel::Result<()> {
/// let report = aems_diesel::ops::health(&db).await?;
/// for reason in &report.reasons {
///     eprintln!("{}: {reason}", reason.status());
/// }
/// std::process::exit(report.status.exit_code());
/// # }
/// ```
pub async fn health(db: &Database) -> crate::Result<HealthReport> {
    health_with(db, HealthOptions::default()).await
}

/// Checks `db`: a trivial statement through its pool (accepting
/// connections, latency, the pool), then, as the monitoring role (see the
/// [module](super)), long-running queries, idle transactions, the audit
/// DEFAULT partition and the migrations. A check that cannot be made
/// becomes a reason of its own; the function itself does not fail on what
/// it checks (its `Result` is for the future, nothing returns `Err` now).
pub async fn health_with(db: &Database, options: HealthOptions) -> crate::Result<HealthReport> {
    let checked_at = Utc::now();
    let pool = db.pool_status();
    let mut reasons = Vec::new();
    let mut round_trip = None;
    let mut pool_error = None;

    match db.acquire_within(options.pool_wait).await {
        Ok(conn) => {
            let started = Instant::now();
            let mut raw: &crate::pg::Connection = &conn;
            match diesel_async::SimpleAsyncConnection::batch_execute(&mut raw, "SELECT 1").await {
                Ok(()) => round_trip = Some(started.elapsed()),
                Err(e) => pool_error = Some(describe(&Error::from(e))),
            }
        }
        Err(Error::PoolTimeout(PoolTimeout::Wait)) => reasons.push(HealthReason::PoolExhausted {
            max_size: pool.max_size,
            waiting: db.pool_status().waiting.max(pool.waiting),
        }),
        Err(e) => pool_error = Some(describe(&e)),
    }

    let mut monitor = match Monitor::connect(db).await {
        Ok(m) => Some(m),
        Err(e) => {
            let error = describe(&e);
            match &pool_error {
                Some(_) => {}
                None => reasons.push(HealthReason::MonitorUnavailable { error }),
            }
            None
        }
    };
    if let Some(error) = pool_error {
        reasons.insert(0, HealthReason::NotAcceptingConnections { error });
    }
    let accepting_connections = round_trip.is_some() || monitor.is_some();
    if let Some(latency) = round_trip
        && latency > options.slow_round_trip
    {
        reasons.push(HealthReason::SlowRoundTrip {
            latency,
            threshold: options.slow_round_trip,
        });
    }

    let mut report = HealthReport {
        status: HealthStatus::Healthy,
        reasons: Vec::new(),
        checked_at,
        accepting_connections,
        round_trip,
        pool,
        monitor_role: monitor.as_ref().map(|m| m.role().to_owned()),
        long_running_queries: Vec::new(),
        idle_in_transaction: Vec::new(),
        audit_default_partition_rows: None,
        pending_migrations: Vec::new(),
        unknown_migrations: Vec::new(),
    };

    if let Some(monitor) = monitor.as_mut() {
        if !monitor.sees_everything() {
            reasons.push(HealthReason::MonitorLacksPgMonitor {
                role: monitor.role().to_owned(),
            });
        }
        let failed = |check, e: Error| HealthReason::CheckFailed {
            check,
            error: describe(&e),
        };
        match monitor.long_running_queries(options.long_query).await {
            Ok(sessions) => {
                if let Some(longest) = longest(&sessions, |s| s.query_duration) {
                    reasons.push(HealthReason::LongRunningQueries {
                        count: sessions.len(),
                        longest,
                    });
                }
                report.long_running_queries = sessions;
            }
            Err(e) => reasons.push(failed(Check::LongRunningQueries, e)),
        }
        match monitor
            .idle_in_transaction(options.idle_in_transaction)
            .await
        {
            Ok(sessions) => {
                if let Some(longest) = longest(&sessions, |s| s.state_duration) {
                    reasons.push(HealthReason::IdleInTransaction {
                        count: sessions.len(),
                        longest,
                    });
                }
                report.idle_in_transaction = sessions;
            }
            Err(e) => reasons.push(failed(Check::IdleInTransaction, e)),
        }
        match monitor.audit_default_partition_rows().await {
            Ok(rows) => {
                if rows > 0 {
                    reasons.push(HealthReason::AuditRowsInDefaultPartition { rows });
                }
                report.audit_default_partition_rows = Some(rows);
            }
            Err(e) => reasons.push(failed(Check::AuditDefaultPartition, e)),
        }
        match monitor.migration_state().await {
            Ok(state) => {
                if !state.pending.is_empty() {
                    reasons.push(HealthReason::PendingMigrations {
                        versions: state.pending.clone(),
                    });
                }
                if !state.unknown.is_empty() {
                    reasons.push(HealthReason::UnknownMigrations {
                        versions: state.unknown.clone(),
                    });
                }
                report.pending_migrations = state.pending;
                report.unknown_migrations = state.unknown;
            }
            Err(e) => reasons.push(failed(Check::Migrations, e)),
        }
    }

    report.status = reasons
        .iter()
        .map(HealthReason::status)
        .max()
        .unwrap_or(HealthStatus::Healthy);
    report.reasons = reasons;
    Ok(report)
}

/// The longest of `sessions`' durations, `None` when there are none.
fn longest(sessions: &[Session], of: impl Fn(&Session) -> Option<Duration>) -> Option<Duration> {
    if sessions.is_empty() {
        return None;
    }
    Some(sessions.iter().filter_map(of).max().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_reason_decides_and_exit_codes_follow_it() {
        assert!(HealthStatus::Failing > HealthStatus::Degraded);
        assert!(HealthStatus::Degraded > HealthStatus::Healthy);
        assert_eq!(HealthStatus::Healthy.exit_code(), 0);
        assert_eq!(HealthStatus::Degraded.exit_code(), 1);
        assert_eq!(HealthStatus::Failing.exit_code(), 2);
        assert_eq!(
            HealthReason::PendingMigrations {
                versions: vec!["1".into()]
            }
            .status(),
            HealthStatus::Failing
        );
        assert_eq!(
            HealthReason::AuditRowsInDefaultPartition { rows: 3 }.status(),
            HealthStatus::Degraded
        );
    }
}
