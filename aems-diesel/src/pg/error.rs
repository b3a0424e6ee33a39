//! What the server says when something fails, in diesel's terms.

use std::fmt;
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

/// A connection could not be opened.
#[derive(Debug, Clone)]
pub(crate) struct ConnectError(pub(crate) String);

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectError {}

impl From<std::io::Error> for ConnectError {
    fn from(e: std::io::Error) -> Self {
        ConnectError(e.to_string())
    }
}
