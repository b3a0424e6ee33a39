//! Errors of the domain.
//!
//! * [`ValueError`]: one value refused by a value type (an `Email`, a `Money`, ...).
//! * [`DomainError`]: an input refused, listing **every** failing field with a stable
//!   [`ErrorCode`] and a readable message, never only the first.
//! * [`TransitionError`]: a state change refused (closing a closed deal, approving
//!   one's own expense, overselling stock, ...).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

/// Stable, machine-readable reason why a field was refused.
///
/// The strings of [`ErrorCode::as_str`] are part of the public API: clients may
/// match on them, so they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// A value the rule needs is missing.
    Required,
    /// Text is empty or only whitespace.
    Blank,
    /// Text has more characters than the column holds.
    TooLong,
    /// Text has fewer characters than required.
    TooShort,
    /// Text does not match the column's pattern (email, phone, currency, URL, ...).
    InvalidFormat,
    /// Text contains characters the column refuses (control characters, NUL).
    InvalidCharacters,
    /// Text is not one of the values of the column's CHECK list.
    UnknownValue,
    /// Text is not a decimal number.
    NotADecimal,
    /// A decimal has more fractional digits than the column's scale.
    TooManyDecimals,
    /// A decimal has more integer digits than the column's precision allows.
    TooManyDigits,
    /// A number is outside its allowed range.
    OutOfRange,
    /// A date or time that must come after another one does not.
    DateOrder,
    /// Values that must agree with each other do not (e.g. price and cost).
    Inconsistent,
    /// The value is valid in general but not allowed here (e.g. creating a closed deal).
    NotAllowed,
    /// Any other refusal (a validator code this crate does not know).
    Invalid,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: &'static [Self] = &[
        Self::Required,
        Self::Blank,
        Self::TooLong,
        Self::TooShort,
        Self::InvalidFormat,
        Self::InvalidCharacters,
        Self::UnknownValue,
        Self::NotADecimal,
        Self::TooManyDecimals,
        Self::TooManyDigits,
        Self::OutOfRange,
        Self::DateOrder,
        Self::Inconsistent,
        Self::NotAllowed,
        Self::Invalid,
    ];

    /// The stable string of this code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Blank => "blank",
            Self::TooLong => "too_long",
            Self::TooShort => "too_short",
            Self::InvalidFormat => "invalid_format",
            Self::InvalidCharacters => "invalid_characters",
            Self::UnknownValue => "unknown_value",
            Self::NotADecimal => "not_a_decimal",
            Self::TooManyDecimals => "too_many_decimals",
            Self::TooManyDigits => "too_many_digits",
            Self::OutOfRange => "out_of_range",
            Self::DateOrder => "date_order",
            Self::Inconsistent => "inconsistent",
            Self::NotAllowed => "not_allowed",
            Self::Invalid => "invalid",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                ValueError::unknown_value(s, &names)
            })
    }
}

/// One value refused by a value type, before it is tied to a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// Why the value was refused.
    pub code: ErrorCode,
    /// A readable explanation, without the value itself (it may be sensitive).
    pub message: String,
}

impl ValueError {
    /// A refusal with its code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Text that is not one of the allowed database strings.
    pub fn unknown_value(value: &str, allowed: &[&str]) -> Self {
        // The value is echoed (truncated) because enum input is never secret and
        // seeing it makes typos obvious.
        let shown: String = value.chars().take(40).collect();
        Self::new(
            ErrorCode::UnknownValue,
            format!("`{shown}` is not one of: {}", allowed.join(", ")),
        )
    }

    /// Ties this refusal to a field.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: self.code,
            message: self.message,
        }
    }
}

impl From<ValueError> for ValidationError {
    fn from(error: ValueError) -> Self {
        ValidationError::new(error.code.as_str()).with_message(error.message.into())
    }
}

/// One failing field of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name, as in the input struct (and the database column).
    pub field: String,
    /// Why it failed.
    pub code: ErrorCode,
    /// A readable explanation.
    pub message: String,
}

impl FieldError {
    /// A failing field.
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// An input was refused: every failing field, never only the first.
///
/// Fields are sorted by name, then code, so the order is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct DomainError {
    errors: Vec<FieldError>,
}

impl DomainError {
    /// An error for one field.
    pub fn field(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError::new(field, code, message)],
        }
    }

    /// An error for one field from a value type's refusal.
    pub fn from_value(field: impl Into<String>, error: ValueError) -> Self {
        Self {
            errors: vec![error.at(field)],
        }
    }

    /// Every failing field, sorted by field then code.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Consumes the error into its failing fields.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// Whether `field` failed with `code`.
    pub fn has(&self, field: &str, code: ErrorCode) -> bool {
        self.errors
            .iter()
            .any(|error| error.field == field && error.code == code)
    }

    /// Whether `field` failed for any reason.
    pub fn has_field(&self, field: &str) -> bool {
        self.errors.iter().any(|error| error.field == field)
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid input: ")?;
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl From<ValidationErrors> for DomainError {
    fn from(errors: ValidationErrors) -> Self {
        let mut list = FieldErrors::new();
        list.extend_from_validator(&errors);
        list.into_result()
            .expect_err("validator reports at least one error")
    }
}

/// Collects failing fields while an input is checked, then becomes a [`DomainError`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failing field.
    pub fn push(&mut self, field: impl Into<String>, code: ErrorCode, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Records a value error for `field`.
    pub fn push_value(&mut self, field: impl Into<String>, error: ValueError) {
        self.0.push(error.at(field));
    }

    /// Keeps the value of `result`, or records its error for `field` and returns `None`.
    ///
    /// Lets a caller parse every field of a form and report all failures at once:
    ///
    /// ```
    /// use aems_core::{Email, FieldErrors, PhoneE164};
    ///
    /// let mut errors = FieldErrors::new();
    /// let email = errors.take("contact_email", "not-an-email".parse::<Email>());
    /// let phone = errors.take("contact_phone", "12345".parse::<PhoneE164>());
    /// assert!(email.is_none() && phone.is_none());
    /// let error = errors.into_result().unwrap_err();
    /// assert_eq!(error.errors().len(), 2);
    /// ```
    pub fn take<T>(&mut self, field: &str, result: Result<T, ValueError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push_value(field, error);
                None
            }
        }
    }

    /// Records every error reported by a `validator` derive.
    pub fn extend_from_validator(&mut self, errors: &ValidationErrors) {
        collect(&mut self.0, "", errors);
    }

    /// Adds the errors of another collection.
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing failed, otherwise every failure as a [`DomainError`].
    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut errors = self.0;
        errors.sort_by(|a, b| {
            (a.field.as_str(), a.code.as_str()).cmp(&(b.field.as_str(), b.code.as_str()))
        });
        errors.dedup();
        Err(DomainError { errors })
    }
}

impl From<Vec<FieldError>> for FieldErrors {
    fn from(errors: Vec<FieldError>) -> Self {
        Self(errors)
    }
}

fn collect(into: &mut Vec<FieldError>, prefix: &str, errors: &ValidationErrors) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let code = error.code.parse().unwrap_or(ErrorCode::Invalid);
                    let message = error
                        .message
                        .as_deref()
                        .map_or_else(|| format!("failed `{}`", error.code), str::to_owned);
                    into.push(FieldError::new(path.clone(), code, message));
                }
            }
            ValidationErrorsKind::Struct(nested) => collect(into, &path, nested),
            ValidationErrorsKind::List(items) => {
                for (index, nested) in items {
                    collect(into, &format!("{path}[{index}]"), nested);
                }
            }
        }
    }
}

/// A state change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The move from one state to another is not a legal step.
    #[error("{entity} cannot move from `{from}` to `{to}`")]
    IllegalMove {
        /// The kind of row (`deal`, `candidate`, ...).
        entity: &'static str,
        /// Its current state.
        from: &'static str,
        /// The state asked for.
        to: &'static str,
    },
    /// The row is in a final state that only an explicit, dedicated operation may leave.
    #[error("{entity} is `{state}` and cannot change that way")]
    Final {
        /// The kind of row.
        entity: &'static str,
        /// Its current, final state.
        state: &'static str,
    },
    /// Someone tried to decide on an expense they submitted or incurred.
    #[error("nobody may approve or reject their own expense")]
    SelfApproval,
    /// A reservation asked for more than is available.
    #[error("cannot reserve {requested}: only {available} available")]
    InsufficientStock {
        /// Units asked for.
        requested: i32,
        /// Units available (current − reserved).
        available: i32,
    },
    /// A release or shipment asked for more than is reserved.
    #[error("cannot take {requested} from the reservation: only {reserved} reserved")]
    ExceedsReserved {
        /// Units asked for.
        requested: i32,
        /// Units reserved.
        reserved: i32,
    },
    /// A stock take counted fewer units than are reserved.
    #[error("counted {counted} units but {reserved} are reserved")]
    BelowReserved {
        /// Units counted.
        counted: i32,
        /// Units reserved.
        reserved: i32,
    },
    /// A quantity was zero or negative.
    #[error("quantity must be greater than zero, got {quantity}")]
    InvalidQuantity {
        /// The quantity given.
        quantity: i32,
    },
    /// The result would not fit the INTEGER column.
    #[error("stock would exceed the largest storable quantity")]
    StockOverflow,
    /// The transition's input is invalid (dates out of order, ...).
    #[error(transparent)]
    Invalid(#[from] DomainError),
}
