//! The one error type of the data layer, mapped once from what PostgreSQL says.
//!
//! Callers match on variants, never on message text: a unique violation carries
//! the constraint's name (`uq_users_email`, ...), a refused row-level-security
//! check is [`Error::PermissionDenied`], an `updated_at` that no longer matches
//! is [`Error::Conflict`].
//!
//! Causes are kept, not flattened into text: a variant that wraps another
//! error returns it from [`source`](std::error::Error::source) and does not
//! repeat it in its own message, so an error-chain reporter (`anyhow`,
//! `eyre`, a log layer walking `source()`) prints every cause exactly once.
//! [`Error::is_retryable`] tells the failures that running the unit of work
//! again can cure.

use std::fmt;

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind};

use crate::pg::ConnectError;

/// A result whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A cause of any type, kept whole (see [`Error::Pool`], [`Error::Migration`]).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the data layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The row does not exist, or is not visible to the current tenant.
    #[error("{entity} not found")]
    NotFound {
        /// The table (e.g. `"customers"`).
        entity: &'static str,
    },

    /// The row changed since it was read (optimistic concurrency): nothing was written.
    #[error("{entity} was changed by someone else since it was read; nothing was written")]
    Conflict {
        /// The table (e.g. `"customers"`).
        entity: &'static str,
    },

    /// The input broke a domain rule; nothing was sent to the database.
    #[error(transparent)]
    Validation(#[from] aems_core::DomainError),

    /// A state change is not allowed from the row's current state (closing a
    /// closed deal, approving one's own expense, overselling stock, ...);
    /// nothing was written.
    #[error(transparent)]
    Transition(#[from] aems_core::TransitionError),

    /// A UNIQUE constraint refused the write.
    #[error("unique constraint {constraint} violated{}", detail_suffix(.detail))]
    UniqueViolation {
        /// The constraint's name, e.g. `uq_users_email`.
        constraint: String,
        /// PostgreSQL's detail line, when it sent one.
        detail: Option<String>,
    },

    /// A soft-deleted row still holds the unique value this write needs: restore
    /// the deleted row, or purge it, first. Nothing was written.
    #[error(
        "a deleted {entity} row still holds this value ({constraint}); restore or purge it first"
    )]
    CollidesWithDeleted {
        /// The table.
        entity: &'static str,
        /// The unique constraint, e.g. `uq_products_tenant_id_sku`.
        constraint: String,
    },

    /// A FOREIGN KEY constraint refused the write (a referenced row is missing,
    /// or a referencing row still exists).
    #[error("foreign key {constraint} violated{}", detail_suffix(.detail))]
    ForeignKeyViolation {
        /// The constraint's name, e.g. `fk_sales_pipeline_customer_id`.
        constraint: String,
        /// PostgreSQL's detail line, when it sent one.
        detail: Option<String>,
    },

    /// A CHECK (or NOT NULL) constraint refused the write.
    #[error("check constraint {constraint} violated")]
    CheckViolation {
        /// The constraint's name, e.g. `chk_risk_assessments_risk_score_product`.
        constraint: String,
    },

    /// The database refused the statement for this role or tenant: a missing
    /// privilege, or a row-level-security check (e.g. writing another tenant's row).
    #[error("permission denied: {message}")]
    PermissionDenied {
        /// PostgreSQL's message.
        message: String,
    },

    /// A write was attempted through a read-only executor
    /// ([`Database::read`](crate::Database::read)): its transaction is
    /// `READ ONLY`, and on a replica every transaction is (SQLSTATE 25006).
    /// The statement was refused before it changed anything, on the replica
    /// and on the primary alike; run writes in a unit of work or a one-shot
    /// of the primary.
    #[error("a write was refused: this executor is read-only ({message})")]
    ReadOnly {
        /// PostgreSQL's message (e.g. "cannot execute INSERT in a read-only
        /// transaction").
        message: String,
    },

    /// Another transaction made this one impossible to serialize
    /// (SQLSTATE 40001): it was rolled back, and running the whole unit of
    /// work again is safe.
    #[error("transaction could not be serialized; retry it")]
    SerializationFailure,

    /// PostgreSQL broke a deadlock by aborting this transaction (SQLSTATE
    /// 40P01): it was rolled back, and running the whole unit of work again is
    /// safe.
    #[error("deadlock detected; the transaction was rolled back, retry it{}", detail_suffix(.detail))]
    Deadlock {
        /// PostgreSQL's detail line (which processes waited for what), when it
        /// sent one.
        detail: Option<String>,
    },

    /// The connection broke while a statement was on its way or being answered
    /// (the server closed it, restarted, or the network failed); the
    /// connection is not reused.
    ///
    /// The work was rolled back — unless the connection broke while its
    /// `COMMIT` was being answered, when it may have committed. Running it
    /// again is safe for work that is idempotent or checks first.
    #[error("the connection to the database was lost")]
    ConnectionLost(#[source] diesel::result::Error),

    /// A statement of this unit of work failed earlier (or its future was
    /// dropped mid-way): PostgreSQL refuses everything until the rollback, so
    /// the work was rolled back and nothing of it was kept.
    #[error("an earlier statement of this unit of work failed; the work was rolled back")]
    TransactionAborted,

    /// No connection became free, or none could be opened, within the pool's
    /// timeouts ([`DatabaseConfig::acquire_timeout`](crate::DatabaseConfig::acquire_timeout),
    /// [`DatabaseConfig::connect_timeout`](crate::DatabaseConfig::connect_timeout)).
    #[error("no database connection within the pool's timeout ({0})")]
    PoolTimeout(PoolTimeout),

    /// No connection could be had from the pool: opening one failed (the
    /// server refused it or could not be reached), or the pool is closed. The
    /// cause is the [`source`](std::error::Error::source): a [`ConnectError`]
    /// when opening failed (downcast it to see which way), deadpool's own
    /// error otherwise.
    #[error("cannot get a database connection from the pool")]
    Pool(#[source] BoxError),

    /// A connection outside the pool (the schema owner's, for maintenance)
    /// could not be opened.
    #[error("cannot connect to the database")]
    Connect(#[source] diesel::ConnectionError),

    /// Running or checking the migrations failed: `step` says what was being
    /// done, the cause (when there is one) is the
    /// [`source`](std::error::Error::source).
    #[error("migrations: {step}")]
    Migration {
        /// What was being done, e.g. `"cannot take the migration lock"`.
        step: String,
        /// Why it failed; `None` when `step` says it all (a lock wait that
        /// timed out).
        #[source]
        source: Option<BoxError>,
    },

    /// The database was migrated by a newer build of this library: it holds
    /// migrations this build does not know, so nothing was applied.
    #[error(
        "the database holds migrations this build does not know ({}); upgrade the library instead",
        versions.join(", ")
    )]
    UnknownMigrations {
        /// The unknown versions, as recorded in `__diesel_schema_migrations`.
        versions: Vec<String>,
    },

    /// The configuration is incomplete or malformed.
    #[error("configuration: {0}")]
    Config(String),

    /// Hashing or checking a password (argon2) failed at run time, or its
    /// blocking task panicked. Not a configuration problem: parameters the
    /// hasher refuses are found when it is built ([`Error::Config`]).
    #[error("password hashing failed")]
    PasswordHashing(#[source] BoxError),

    /// A stored value the domain refuses — the row was written around this
    /// library. Says which column, so it can be repaired.
    #[error("{entity}.{column} holds a value the domain refuses: {reason}")]
    Decode {
        /// The table.
        entity: &'static str,
        /// The column.
        column: &'static str,
        /// Why the value was refused.
        reason: String,
    },

    /// A secret could not be sealed or opened (no key ring configured, a key
    /// missing from the ring, or an envelope that was tampered with or moved).
    #[error("a secret could not be sealed or opened")]
    Crypto(#[from] crate::crypto::CryptoError),

    /// Any other database error, kept whole as the
    /// [`source`](std::error::Error::source).
    #[error("database error")]
    Database(#[source] diesel::result::Error),
}

/// Which of the pool's timeouts ran out ([`Error::PoolTimeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolTimeout {
    /// Every connection stayed busy for the whole
    /// [`acquire_timeout`](crate::DatabaseConfig::acquire_timeout).
    Wait,
    /// Opening a new connection took longer than
    /// [`connect_timeout`](crate::DatabaseConfig::connect_timeout).
    Connect,
    /// Checking a returned connection before reuse took too long.
    Recycle,
}

impl fmt::Display for PoolTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PoolTimeout::Wait => "waiting for a free connection",
            PoolTimeout::Connect => "opening a connection",
            PoolTimeout::Recycle => "checking a returned connection",
        })
    }
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

impl Error {
    /// Maps a diesel error once, at the boundary. `NotFound` needs the entity, so
    /// repositories map `diesel::result::Error::NotFound` themselves through
    /// [`Error::from_diesel_for`].
    pub fn from_diesel_for(entity: &'static str, error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => Error::NotFound { entity },
            other => Error::from(other),
        }
    }

    /// A migration failure with its cause.
    pub(crate) fn migration(step: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Migration {
            step: step.into(),
            source: Some(source.into()),
        }
    }

    /// Whether running the whole unit of work again may succeed: a
    /// serialization failure, a deadlock, or a lost connection. Each of them
    /// rolled the work back (see [`Error::ConnectionLost`] for the one
    /// exception, a connection lost while committing).
    ///
    /// [`Error::PoolTimeout`] is not counted: the pool already waited its
    /// timeout, and retrying at once only adds load to a pool that is full.
    ///
    /// ```no_run
    /// # async fn demo(db: aems_diesel::Database, ctx: aems_diesel::Context) -> aems_diesel::Result<()> {
    /// let mut attempts = 0;
    /// let value = loop {
    ///     attempts += 1;
    ///     match db.transaction(&ctx, async |_uow| Ok(42)).await {
    ///         Err(e) if e.is_retryable() && attempts < 3 => continue,
    ///         other => break other?,
    ///     }
    /// };
    /// # Ok(()) }
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::SerializationFailure | Error::Deadlock { .. } | Error::ConnectionLost(_)
        )
    }

    /// The constraint name of a unique, foreign key or check violation.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            Error::UniqueViolation { constraint, .. }
            | Error::ForeignKeyViolation { constraint, .. }
            | Error::CheckViolation { constraint } => Some(constraint),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        let diesel::result::Error::DatabaseError(kind, info) = &error else {
            return Error::Database(error);
        };
        let constraint = || info.constraint_name().unwrap_or_default().to_owned();
        match kind {
            DatabaseErrorKind::UniqueViolation => Error::UniqueViolation {
                constraint: constraint(),
                detail: info.details().map(str::to_owned),
            },
            DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::RestrictViolation => {
                Error::ForeignKeyViolation {
                    constraint: constraint(),
                    detail: info.details().map(str::to_owned),
                }
            }
            DatabaseErrorKind::CheckViolation => Error::CheckViolation {
                constraint: constraint(),
            },
            DatabaseErrorKind::NotNullViolation => Error::CheckViolation {
                constraint: format!(
                    "not_null_{}_{}",
                    info.table_name().unwrap_or("unknown"),
                    info.column_name().unwrap_or("unknown")
                ),
            },
            // The library's connection hands a deadlock (40P01) over as a
            // serialization failure (see pg::error): retryable either way, and
            // its own variant where the server speaks English.
            DatabaseErrorKind::SerializationFailure if is_deadlock(info.message()) => {
                Error::Deadlock {
                    detail: info.details().map(str::to_owned),
                }
            }
            DatabaseErrorKind::SerializationFailure => Error::SerializationFailure,
            DatabaseErrorKind::ReadOnlyTransaction => Error::ReadOnly {
                message: info.message().to_owned(),
            },
            DatabaseErrorKind::Unknown if is_insufficient_privilege(info.as_ref()) => {
                Error::PermissionDenied {
                    message: info.message().to_owned(),
                }
            }
            DatabaseErrorKind::Unknown if is_deadlock(info.message()) => Error::Deadlock {
                detail: info.details().map(str::to_owned),
            },
            DatabaseErrorKind::ClosedConnection => Error::ConnectionLost(error),
            DatabaseErrorKind::UnableToSendCommand if is_connection_lost(info.message()) => {
                Error::ConnectionLost(error)
            }
            DatabaseErrorKind::Unknown if is_connection_lost(info.message()) => {
                Error::ConnectionLost(error)
            }
            _ => Error::Database(error),
        }
    }
}

/// PostgreSQL's message for SQLSTATE 40P01 (in English; see pg::error for
/// why a deadlock is retryable in any language).
fn is_deadlock(message: &str) -> bool {
    message == "deadlock detected"
}

/// A broken connection. The library's own connection says so by its kind
/// (`ClosedConnection`, also for SQLSTATE 57P01–57P03 and class 08, whatever
/// the server's language); diesel-async, which the migrations and the
/// harness use, hands a tokio-postgres error without an
/// SQLSTATE over as `UnableToSendCommand` carrying only its text ("connection
/// closed", "error communicating with the server: ..."), and a server that
/// ends the session sends SQLSTATE 57P01–57P03 ("terminating connection ...")
/// as `Unknown` without the code; as for 42501 below, these texts are
/// recognised here only, and the tests pin them.
fn is_connection_lost(message: &str) -> bool {
    message.starts_with("connection closed")
        || message.starts_with("error communicating with the server")
        || message.starts_with("terminating connection")
}

/// SQLSTATE 42501 (insufficient_privilege). diesel-async hands every SQLSTATE it
/// has no `DatabaseErrorKind` for over as `Unknown` without the code, so the two
/// messages PostgreSQL sends for this state are recognised here, and only here.
/// The test suite pins both (`permission_denied_is_mapped`), so a server whose
/// messages differ fails loudly rather than silently degrading to `Database`.
fn is_insufficient_privilege(info: &(dyn DatabaseErrorInformation + Send + Sync)) -> bool {
    let message = info.message();
    message.starts_with("permission denied")
        || message.starts_with("new row violates row-level security policy")
}

/// The pool's error, its cause kept. A connect error is unwrapped from
/// deadpool's wrapper (whose message repeats it); a connect that ran out of
/// time is a timeout whichever of the two clocks (deadpool's create timeout
/// or the connection's own, both `connect_timeout`) noticed first.
impl From<deadpool::managed::PoolError<ConnectError>> for Error {
    fn from(error: deadpool::managed::PoolError<ConnectError>) -> Self {
        use deadpool::managed::{PoolError, TimeoutType};
        match error {
            PoolError::Timeout(TimeoutType::Wait) => Error::PoolTimeout(PoolTimeout::Wait),
            PoolError::Timeout(TimeoutType::Create)
            | PoolError::Backend(ConnectError::Timeout(_)) => {
                Error::PoolTimeout(PoolTimeout::Connect)
            }
            PoolError::Timeout(TimeoutType::Recycle) => Error::PoolTimeout(PoolTimeout::Recycle),
            PoolError::Backend(e) => Error::Pool(Box::new(e)),
            other => Error::Pool(Box::new(other)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use diesel::result::Error as DieselError;
    use std::error::Error as _;

    /// Asserts that no error in the chain repeats the message of its source:
    /// a reporter walking `source()` prints each cause once.
    pub(crate) fn assert_each_cause_once(error: &(dyn std::error::Error + 'static)) {
        let mut current = error;
        while let Some(source) = current.source() {
            let (outer, inner) = (current.to_string(), source.to_string());
            assert!(
                !outer.contains(&inner),
                "{outer:?} repeats its source {inner:?}"
            );
            current = source;
        }
    }

    struct Info {
        message: &'static str,
        detail: Option<&'static str>,
    }

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            self.detail
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn db_error(kind: DatabaseErrorKind, message: &'static str) -> DieselError {
        DieselError::DatabaseError(
            kind,
            Box::new(Info {
                message,
                detail: None,
            }),
        )
    }

    #[test]
    fn no_variant_prints_its_cause_twice() {
        let io = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused by peer");
        let errors = [
            Error::Pool(Box::new(io())),
            Error::Connect(diesel::ConnectionError::BadConnection("no route".into())),
            Error::migration("cannot connect to migrate", io()),
            Error::PasswordHashing(Box::new(io())),
            Error::ConnectionLost(db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "connection closed",
            )),
            Error::Database(DieselError::QueryBuilderError("a builder refused".into())),
            Error::Crypto(crate::crypto::CryptoError::UnknownKey(7)),
            Error::from(deadpool::managed::PoolError::Backend(
                ConnectError::Io(io()),
            )),
            Error::from(deadpool::managed::PoolError::Backend(
                ConnectError::Refused {
                    code: "28P01".into(),
                    message: "password authentication failed for user \"aems_app\"".into(),
                },
            )),
            Error::from(deadpool::managed::PoolError::<ConnectError>::Closed),
        ];
        for error in &errors {
            assert!(error.source().is_some(), "{error:?} lost its cause");
            assert_each_cause_once(error);
        }
    }

    #[test]
    fn pool_timeouts_are_their_own_variant_and_backend_errors_keep_their_cause() {
        use deadpool::managed::{PoolError, TimeoutType};
        for (timeout, expected) in [
            (TimeoutType::Wait, PoolTimeout::Wait),
            (TimeoutType::Create, PoolTimeout::Connect),
            (TimeoutType::Recycle, PoolTimeout::Recycle),
        ] {
            let error = Error::from(PoolError::<ConnectError>::Timeout(timeout));
            assert!(
                matches!(error, Error::PoolTimeout(t) if t == expected),
                "{error:?}"
            );
        }
        // The connection's own clock is the same timeout as deadpool's.
        let error = Error::from(PoolError::Backend(ConnectError::Timeout(
            std::time::Duration::from_secs(10),
        )));
        assert!(
            matches!(error, Error::PoolTimeout(PoolTimeout::Connect)),
            "{error:?}"
        );

        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let error = Error::from(PoolError::Backend(ConnectError::Io(refused)));
        assert!(matches!(error, Error::Pool(_)), "{error:?}");
        let source = error.source().expect("a cause");
        // The connect error itself, not deadpool's wrapper (which repeats it),
        // and the socket's error under it.
        let connect = source
            .downcast_ref::<ConnectError>()
            .unwrap_or_else(|| panic!("{source:?}"));
        let io = connect
            .source()
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .unwrap_or_else(|| panic!("{connect:?}"));
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn lost_connections_deadlocks_and_serialization_failures_are_retryable() {
        let lost = [
            db_error(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "error communicating with the server: broken pipe",
            ),
            db_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
        ];
        for error in lost {
            let error = Error::from(error);
            assert!(matches!(error, Error::ConnectionLost(_)), "{error:?}");
            assert!(error.is_retryable());
        }

        let deadlock = Error::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(Info {
                message: "deadlock detected",
                detail: Some("Process 1 waits for ShareLock on transaction 2"),
            }),
        ));
        assert!(
            matches!(&deadlock, Error::Deadlock { detail: Some(d) } if d.contains("Process 1")),
            "{deadlock:?}"
        );
        assert!(deadlock.is_retryable());
        let serialization = Error::from(db_error(
            DatabaseErrorKind::SerializationFailure,
            "could not serialize access",
        ));
        assert!(matches!(serialization, Error::SerializationFailure));
        assert!(serialization.is_retryable());
    }

    #[test]
    fn other_failures_are_not_retryable() {
        let not_retryable = [
            Error::from(db_error(
                DatabaseErrorKind::UniqueViolation,
                "duplicate key",
            )),
            // A parameter that cannot be sent is not a lost connection.
            Error::from(db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "error serializing parameter 0",
            )),
            Error::from(db_error(
                DatabaseErrorKind::Unknown,
                "relation does not exist",
            )),
            Error::PoolTimeout(PoolTimeout::Wait),
            Error::TransactionAborted,
            Error::Conflict {
                entity: "customers",
            },
        ];
        for error in not_retryable {
            assert!(!error.is_retryable(), "{error:?}");
        }
    }
}
