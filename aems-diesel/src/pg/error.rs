//! What the server says when something fails, in diesel's terms.

use std::sync::Arc;

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::ErrorResponseBody;

/// An `ErrorResponse`, field by field.
#[derive(Debug, Clone, Default)]
pub(crate) struct DbError {
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) detail: Option<String>,
    pub(crate) hint: Option<String>,
    pub(crate) table: Option<String>,
    pub(crate) column: Option<String>,
    pub(crate) constraint: Option<String>,
    pub(crate) statement_position: Option<u32>,
}

impl DbError {
    pub(crate) fn parse(body: &ErrorResponseBody) -> std::io::Result<Self> {
        let mut error = DbError::default();
        let mut fields = body.fields();
        while let Some(field) = fields.next()? {
            let value = String::from_utf8_lossy(field.value_bytes()).into_owned();
            match field.type_() {
                b'C' => error.code = value,
                b'M' => error.message = value,
                b'D' => error.detail = Some(value),
                b'H' => error.hint = Some(value),
                b't' => error.table = Some(value),
                b'c' => error.column = Some(value),
                b'n' => error.constraint = Some(value),
                b'P' => error.statement_position = value.parse().ok(),
                _ => {}
            }
        }
        Ok(error)
    }

    /// diesel's kind for this SQLSTATE.
    fn kind(&self) -> DatabaseErrorKind {
        match self.code.as_str() {
            "23505" => DatabaseErrorKind::UniqueViolation,
            "23503" => DatabaseErrorKind::ForeignKeyViolation,
            "23001" => DatabaseErrorKind::RestrictViolation,
            "23P01" => DatabaseErrorKind::ExclusionViolation,
            "40001" => DatabaseErrorKind::SerializationFailure,
            "25006" => DatabaseErrorKind::ReadOnlyTransaction,
            "23502" => DatabaseErrorKind::NotNullViolation,
            "23514" => DatabaseErrorKind::CheckViolation,
            // Retryable whatever language the server speaks (lc_messages):
            // diesel has no kind for a deadlock, so it travels as a
            // serialization failure, and crate::Error tells the two apart
            // by the message where it can (Error::Deadlock).
            "40P01" => DatabaseErrorKind::SerializationFailure,
            // The server is ending this session (administrator command, crash
            // of another backend, shutting down) or the connection itself
            // failed (class 08): nothing more can run on it.
            "57P01" | "57P02" | "57P03" => DatabaseErrorKind::ClosedConnection,
            code if code.starts_with("08") => DatabaseErrorKind::ClosedConnection,
            _ => DatabaseErrorKind::Unknown,
        }
    }

    pub(crate) fn into_diesel(self) -> DieselError {
        DieselError::DatabaseError(self.kind(), Box::new(self))
    }
}

impl DatabaseErrorInformation for DbError {
    fn message(&self) -> &str {
        &self.message
    }
    fn details(&self) -> Option<&str> {
        self.detail.as_deref()
    }
    fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    fn table_name(&self) -> Option<&str> {
        self.table.as_deref()
    }
    fn column_name(&self) -> Option<&str> {
        self.column.as_deref()
    }
    fn constraint_name(&self) -> Option<&str> {
        self.constraint.as_deref()
    }
    fn statement_position(&self) -> Option<i32> {
        self.statement_position.and_then(|p| i32::try_from(p).ok())
    }
}

/// Why a request got no answer of its own.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// The server refused the statement.
    Db(Box<DbError>),
    /// An earlier statement of the same pipeline failed, so the server skipped
    /// this one (it runs only up to the next `Sync` after an error).
    Skipped,
    /// The connection broke (closed, reset, or the server sent something the
    /// protocol does not allow); nothing more can be sent on it.
    Closed(Arc<str>),
    /// A one-shot's pipeline is closed: statements may not be added to it once
    /// its `Sync` is on its way (they would run outside its transaction).
    Sealed,
}

impl Failure {
    pub(crate) fn into_diesel(self) -> DieselError {
        match self {
            Failure::Db(error) => error.into_diesel(),
            Failure::Skipped => DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(
                    "not executed: an earlier statement of the same pipeline failed".to_owned(),
                ),
            ),
            Failure::Closed(reason) => DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new(format!("the connection to the server is gone: {reason}")),
            ),
            Failure::Sealed => DieselError::DatabaseError(
                DatabaseErrorKind::UnableToSendCommand,
                Box::new(
                    "a one-shot statement sent a query after its pipeline was closed; \
                     run multi-step work in a unit of work"
                        .to_owned(),
                ),
            ),
        }
    }
}

/// Why a connection could not be opened.
///
/// The [`source`](std::error::Error::source) of [`Error::Pool`](crate::Error::Pool)
/// when the pool could not open a connection: downcast it to this type to
/// tell a wrong password (SQLSTATE 28P01) from a server that cannot be
/// reached. A connect that took longer than
/// [`connect_timeout`](crate::DatabaseConfig::connect_timeout) is
/// [`Error::PoolTimeout`](crate::Error::PoolTimeout) instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The database URL does not parse.
    #[error("invalid database URL")]
    InvalidUrl(#[source] tokio_postgres::Error),

    /// The URL or the server asks for something this library does not do
    /// (TLS, an authentication method other than SCRAM-SHA-256, MD5 or
    /// password, a password the URL does not carry, ...).
    #[error("{0}")]
    Unsupported(&'static str),

    /// The socket failed: the server could not be reached, refused the
    /// connection, closed it during start-up, or its authentication exchange
    /// did not verify.
    #[error("cannot talk to the server")]
    Io(#[from] std::io::Error),

    /// No host answered within the connect timeout.
    #[error("connecting timed out after {0:?}")]
    Timeout(std::time::Duration),

    /// The server answered the start-up with an error: a wrong password
    /// (SQLSTATE 28P01), a database that does not exist (3D000), too many
    /// connections (53300), a server still starting (57P03), ...
    #[error("the server refused the connection: {message} (SQLSTATE {code})")]
    Refused {
        /// The SQLSTATE, e.g. `28P01`.
        code: String,
        /// The server's message.
        message: String,
    },

    /// The server sent something the protocol does not allow here.
    #[error("the server broke the start-up protocol: {0}")]
    Protocol(&'static str),

    /// The connection opened, but the query that detects a pooler in front
    /// of the server ([`PoolerMode::Detect`](crate::PoolerMode::Detect)) failed.
    #[error("cannot ask the server for its process id")]
    DetectPooler(#[source] DieselError),
}

impl ConnectError {
    /// The server's SQLSTATE when it refused the connection.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            ConnectError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn refused(code: &str, message: &str) -> Error {
        Error::from(
            Failure::Db(Box::new(DbError {
                code: code.into(),
                message: message.into(),
                detail: Some("Process 1 waits for ShareLock on transaction 2".into()),
                ..DbError::default()
            }))
            .into_diesel(),
        )
    }

    #[test]
    fn a_connection_that_broke_is_lost_and_retryable() {
        let error =
            Error::from(Failure::Closed(Arc::from("connection reset by peer")).into_diesel());
        assert!(matches!(error, Error::ConnectionLost(_)), "{error:?}");
        assert!(error.is_retryable());
        crate::error::tests::assert_each_cause_once(&error);
    }

    #[test]
    fn a_session_the_server_ends_is_lost_in_any_language() {
        // By SQLSTATE, not by the (translatable) message.
        for code in ["57P01", "57P02", "57P03", "08006", "08003"] {
            let error = refused(code, "Verbindung wird abgebrochen");
            assert!(
                matches!(error, Error::ConnectionLost(_)),
                "{code}: {error:?}"
            );
            assert!(error.is_retryable(), "{code}");
        }
    }

    #[test]
    fn a_deadlock_is_retryable_in_any_language_and_its_own_variant_in_english() {
        let english = refused("40P01", "deadlock detected");
        assert!(
            matches!(&english, Error::Deadlock { detail: Some(d) } if d.contains("Process 1")),
            "{english:?}"
        );
        assert!(english.is_retryable());
        let german = refused("40P01", "Verklemmung (Deadlock) entdeckt");
        assert!(german.is_retryable(), "{german:?}");
    }

    #[test]
    fn a_cancelled_statement_or_a_skipped_one_is_not_retryable() {
        // statement_timeout and pg_cancel_backend are class 57 but leave the
        // connection working: not a lost connection.
        let cancelled = refused("57014", "canceling statement due to statement timeout");
        assert!(matches!(cancelled, Error::Database(_)), "{cancelled:?}");
        assert!(!cancelled.is_retryable());
        let skipped = Error::from(Failure::Skipped.into_diesel());
        assert!(!skipped.is_retryable(), "{skipped:?}");
    }

    #[test]
    fn a_refused_connection_keeps_the_servers_sqlstate() {
        let error = ConnectError::Refused {
            code: "28P01".into(),
            message: "password authentication failed".into(),
        };
        assert_eq!(error.sqlstate(), Some("28P01"));
        assert_eq!(ConnectError::Unsupported("no TLS").sqlstate(), None);
    }
}
