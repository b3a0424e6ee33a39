//! [`Email`]: an address accepted by the spec's CHECK.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{ErrorCode, ValueError};

/// An e-mail address that the database's CHECK accepts: trimmed, at most 255
/// characters (`VARCHAR(255)`), matching [`Email::PATTERN`].
///
/// PostgreSQL evaluates the pattern with `~*` (case-insensitive); the pattern
/// already lists both cases, and PostgreSQL's case-insensitivity only adds case
/// variants of the pattern's own ASCII letters, so the Rust regex is compiled
/// case-sensitively and without Unicode classes. A case-insensitive Rust regex would
/// accept e.g. the Kelvin sign `K` (U+212A) as a `k`, which PostgreSQL refuses.
///
/// The address is kept as written (no case folding).
///
/// ```
/// use aems_core::Email;
///
/// let email: Email = "  Ada.Lovelace+ops@example.co.uk ".parse().unwrap();
/// assert_eq!(email.as_str(), "Ada.Lovelace+ops@example.co.uk");
/// assert!("ada@localhost".parse::<Email>().is_err());
/// assert!("adä@example.com".parse::<Email>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?-u){}", Email::PATTERN)).expect("valid pattern"));

impl Email {
    /// The pattern of the database CHECK, exactly as in the spec.
    pub const PATTERN: &'static str = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$";
    /// Most characters the column holds.
    pub const MAX_CHARS: usize = 255;

    /// Checks and wraps an address; surrounding whitespace is removed first.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValueError::new(ErrorCode::Blank, "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::new(
                ErrorCode::TooLong,
                "must be at most 255 characters",
            ));
        }
        if !EMAIL.is_match(trimmed) {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be an e-mail address such as name@example.com",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the address.
    pub fn into_string(self) -> String {
        self.0
    }
}

super::string_value_impls!(Email);

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        text.parse::<Email>().unwrap_err().code
    }

    #[test]
    fn ordinary_addresses_are_accepted() {
        for text in [
            "a@b.co",
            "first.last@example.com",
            "x_y%z+tag-1@sub-domain.example.org",
            "UPPER@EXAMPLE.COM",
            "a@b..co",
            "a@-b.co",
        ] {
            assert!(text.parse::<Email>().is_ok(), "{text}");
        }
    }

    #[test]
    fn addresses_outside_the_pattern_are_refused() {
        for text in [
            "plain",
            "a@b",
            "a@b.c",
            "a b@example.com",
            "a@b.c0m",
            "@example.com",
            "a@.com2",
            "a@@example.com",
            "a@example.com\nx.org",
            "ä@example.com",
            "a@exämple.com",
            "a@example.\u{212A}m",
        ] {
            assert!(text.parse::<Email>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn whitespace_is_trimmed_and_blank_is_refused() {
        assert_eq!(Email::new("\t a@b.co \n").unwrap().as_str(), "a@b.co");
        assert_eq!(code("   "), ErrorCode::Blank);
    }

    #[test]
    fn length_limit_is_255_characters() {
        let at_limit = format!("{}@example.com", "a".repeat(255 - 12));
        assert_eq!(at_limit.len(), 255);
        assert!(at_limit.parse::<Email>().is_ok());
        let over = format!("a{at_limit}");
        assert_eq!(code(&over), ErrorCode::TooLong);
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
        let email: Email = serde_json::from_str("\"a@b.co\"").unwrap();
        assert_eq!(serde_json::to_string(&email).unwrap(), "\"a@b.co\"");
    }
}
