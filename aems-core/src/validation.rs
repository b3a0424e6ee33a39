//! How inputs are checked: the [`Input`] trait, the custom validators used by the
//! `validator` derives, and the serde helper for patch fields.
//!
//! Value types ([`Email`](crate::Email), [`Money`](crate::Money), ...) refuse bad
//! values when they are built, so an input made of them is mostly valid by
//! construction. What is left — signs (`value > 0`), counts that must not be
//! negative, and rules across fields (`period_end > period_start`) — is checked by
//! [`Input::check`], which reports every failing field at once.

use chrono::NaiveDate;
use validator::{Validate, ValidationError};

use crate::error::{DomainError, ErrorCode, FieldErrors};
use crate::values::Numeric;

/// An input (`New...` or `...Patch`) that can be checked as a whole.
pub trait Input: Validate {
    /// Rules across several fields, recorded into `errors`.
    ///
    /// Field-level rules live in the `validator` derive; this adds the rest.
    fn check_rules(&self, errors: &mut FieldErrors) {
        let _ = errors;
    }

    /// Records every failing field into `errors` (field rules, then cross-field
    /// rules), so callers can add their own before reporting.
    fn collect_errors(&self, errors: &mut FieldErrors) {
        if let Err(found) = self.validate() {
            errors.extend_from_validator(&found);
        }
        self.check_rules(errors);
    }

    /// Checks every rule and reports every failing field, never only the first.
    fn check(&self) -> Result<(), DomainError> {
        let mut errors = FieldErrors::new();
        self.collect_errors(&mut errors);
        errors.into_result()
    }
}

/// `validator` custom rule: the amount is greater than zero.
pub fn positive<const P: u32, const S: u32>(value: &Numeric<P, S>) -> Result<(), ValidationError> {
    if value.is_positive() {
        Ok(())
    } else {
        Err(out_of_range("must be greater than zero"))
    }
}

/// `validator` custom rule: the amount is zero or more.
pub fn non_negative<const P: u32, const S: u32>(
    value: &Numeric<P, S>,
) -> Result<(), ValidationError> {
    if value.is_negative() {
        Err(out_of_range("must not be negative"))
    } else {
        Ok(())
    }
}

fn out_of_range(message: &'static str) -> ValidationError {
    ValidationError::new(ErrorCode::OutOfRange.as_str()).with_message(message.into())
}

/// Records a [`ErrorCode::DateOrder`] error on `later_field` unless `later > earlier`.
pub(crate) fn require_after(
    errors: &mut FieldErrors,
    later_field: &str,
    later: NaiveDate,
    earlier_field: &str,
    earlier: NaiveDate,
) {
    if later <= earlier {
        errors.push(
            later_field,
            ErrorCode::DateOrder,
            format!("must be after {earlier_field}"),
        );
    }
}

/// Records a [`ErrorCode::DateOrder`] error on `later_field` unless `later >= earlier`.
pub(crate) fn require_not_before(
    errors: &mut FieldErrors,
    later_field: &str,
    later: NaiveDate,
    earlier_field: &str,
    earlier: NaiveDate,
) {
    if later < earlier {
        errors.push(
            later_field,
            ErrorCode::DateOrder,
            format!("must not be before {earlier_field}"),
        );
    }
}

/// Serde for patch fields over nullable columns, `Option<Option<T>>`:
/// an absent key is `None` (leave unchanged), `null` is `Some(None)` (set NULL),
/// a value is `Some(Some(value))`.
///
/// Use with `#[serde(default, skip_serializing_if = "Option::is_none", with = "crate::validation::nullable")]`.
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `Some(None)` as `null` and `Some(Some(v))` as `v` (`None` is skipped).
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a present key (`null` or a value) as `Some(...)`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}
