//! [`PhoneE164`]: an international phone number accepted by the spec's CHECK.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{ErrorCode, ValueError};

/// A phone number in E.164 form, `+` then 2 to 15 digits, the first not 0
/// ([`PhoneE164::PATTERN`]); surrounding whitespace is removed, nothing else is
/// rewritten.
///
/// In PostgreSQL `\d` means the ASCII digits only; Rust's `\d` would also accept
/// other scripts' digits (e.g. `٣`), so the Rust regex is compiled without Unicode.
///
/// ```
/// use aems_core::PhoneE164;
///
/// assert!("+14155552671".parse::<PhoneE164>().is_ok());
/// assert!("+0123".parse::<PhoneE164>().is_err());
/// assert!("+1 415 555 2671".parse::<PhoneE164>().is_err());
/// assert!("+١٢٣".parse::<PhoneE164>().is_err()); // Arabic-Indic digits
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneE164(String);

static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?-u){}", PhoneE164::PATTERN)).expect("valid pattern"));

impl PhoneE164 {
    /// The pattern of the database CHECK, exactly as in the spec.
    pub const PATTERN: &'static str = r"^\+[1-9]\d{1,14}$";

    /// Checks and wraps a number; surrounding whitespace is removed first.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValueError::new(ErrorCode::Blank, "must not be empty"));
        }
        if !PHONE.is_match(trimmed) {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be an E.164 number: + then 2 to 15 digits, e.g. +14155552671",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The number, e.g. `+14155552671`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the number.
    pub fn into_string(self) -> String {
        self.0
    }
}

super::string_value_impls!(PhoneE164);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_at_both_limits() {
        assert!("+12".parse::<PhoneE164>().is_ok());
        assert!("+1".parse::<PhoneE164>().is_err());
        assert!("+123456789012345".parse::<PhoneE164>().is_ok());
        assert!("+1234567890123456".parse::<PhoneE164>().is_err());
    }

    #[test]
    fn only_ascii_digits_count() {
        assert!("+1٢3".parse::<PhoneE164>().is_err());
        assert!("+1２3".parse::<PhoneE164>().is_err());
        assert!("+12a".parse::<PhoneE164>().is_err());
        assert!("14155552671".parse::<PhoneE164>().is_err());
        assert!("+14155552671\n".trim_end().parse::<PhoneE164>().is_ok());
    }

    #[test]
    fn a_trailing_newline_inside_is_not_accepted_by_the_anchor() {
        // `$` must not match before a final newline (PostgreSQL's does not);
        // the newline here survives because it is not at the ends after trimming.
        assert!("+123\n4".parse::<PhoneE164>().is_err());
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<PhoneE164>("\"+0\"").is_err());
        let phone: PhoneE164 = serde_json::from_str("\"+4930123456\"").unwrap();
        assert_eq!(phone.as_str(), "+4930123456");
    }
}
