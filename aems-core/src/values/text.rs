//! Text columns: [`BoundedText`] for `VARCHAR(n)`, [`LongText`] for `TEXT`, and the
//! patterned [`Slug`].
//!
//! PostgreSQL's `VARCHAR(n)` counts characters, not bytes, so limits here count
//! `char`s. PostgreSQL refuses the NUL character in any text, so no text type here
//! holds one.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{ErrorCode, ValueError};

/// Single-line text for a `VARCHAR(MAX)` column: trimmed, not empty, at most `MAX`
/// characters, no control characters (tabs and newlines included).
///
/// The aliases name the limits used by the spec: [`Text50`], [`Text100`],
/// [`Text150`], [`Text255`], [`Sku`].
///
/// ```
/// use aems_core::{Text100, Text255};
///
/// let name: Text255 = "  Acme GmbH ".parse().unwrap();
/// assert_eq!(name.as_str(), "Acme GmbH");
/// assert!("".parse::<Text255>().is_err());
/// assert!("é".repeat(101).parse::<Text100>().is_err()); // 101 characters
/// assert!("é".repeat(100).parse::<Text100>().is_ok()); // 200 bytes, 100 characters
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedText<const MAX: usize>(String);

/// Text for a `VARCHAR(50)` column (`employees.employee_id`).
pub type Text50 = BoundedText<50>;
/// Text for a `VARCHAR(100)` column (first and last names, departments, categories, ...).
pub type Text100 = BoundedText<100>;
/// Text for a `VARCHAR(150)` column (job titles).
pub type Text150 = BoundedText<150>;
/// Text for a `VARCHAR(255)` column (company, product and risk names, vendors, ...).
pub type Text255 = BoundedText<255>;
/// A product's stock-keeping unit, `products.sku VARCHAR(100)`, unique per tenant.
pub type Sku = BoundedText<100>;

impl<const MAX: usize> BoundedText<MAX> {
    /// Most characters the column holds.
    pub const MAX_CHARS: usize = MAX;

    /// Checks and wraps text; surrounding whitespace is removed first.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValueError::new(ErrorCode::Blank, "must not be empty"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ValueError::new(
                ErrorCode::InvalidCharacters,
                "must be one line without control characters",
            ));
        }
        check_max_chars(trimmed, MAX)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> std::fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> std::str::FromStr for BoundedText<MAX> {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl<const MAX: usize> TryFrom<&str> for BoundedText<MAX> {
    type Error = ValueError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl<const MAX: usize> TryFrom<String> for BoundedText<MAX> {
    type Error = ValueError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl<const MAX: usize> AsRef<str> for BoundedText<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> From<BoundedText<MAX>> for String {
    fn from(value: BoundedText<MAX>) -> Self {
        value.0
    }
}

impl<const MAX: usize> serde::Serialize for BoundedText<MAX> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> serde::Deserialize<'de> for BoundedText<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Free text for a `TEXT` column (descriptions, notes, plans): trimmed, not empty,
/// no NUL; newlines and tabs are kept. A nullable column takes `Option<LongText>`,
/// so "no notes" is `None`, never an empty string.
///
/// ```
/// use aems_core::LongText;
///
/// let notes: LongText = "Line one\nLine two\n".parse().unwrap();
/// assert_eq!(notes.as_str(), "Line one\nLine two");
/// assert!(" \n ".parse::<LongText>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LongText(String);

impl LongText {
    /// Checks and wraps text; surrounding whitespace is removed first.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValueError::new(ErrorCode::Blank, "must not be empty"));
        }
        if trimmed.contains('\0') {
            return Err(ValueError::new(
                ErrorCode::InvalidCharacters,
                "must not contain the NUL character",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the text.
    pub fn into_string(self) -> String {
        self.0
    }
}

super::string_value_impls!(LongText);

/// A tenant's URL-safe identifier (`tenants.slug VARCHAR(100)`): lower-case ASCII
/// letters and digits in groups joined by single hyphens, at most 100 characters.
///
/// The spec gives no pattern; this one keeps slugs usable in URLs and sub-domains.
///
/// ```
/// use aems_core::Slug;
///
/// assert!("acme-europe-2".parse::<Slug>().is_ok());
/// assert!("Acme".parse::<Slug>().is_err());
/// assert!("acme--eu".parse::<Slug>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

static SLUG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?-u){}", Slug::PATTERN)).expect("valid pattern"));

impl Slug {
    /// The pattern every slug matches.
    pub const PATTERN: &'static str = "^[a-z0-9]+(-[a-z0-9]+)*$";
    /// Most characters the column holds.
    pub const MAX_CHARS: usize = 100;

    /// Checks and wraps a slug (nothing is rewritten).
    pub fn new(value: &str) -> Result<Self, ValueError> {
        if value.is_empty() {
            return Err(ValueError::new(ErrorCode::Blank, "must not be empty"));
        }
        check_max_chars(value, Self::MAX_CHARS)?;
        if !SLUG.is_match(value) {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be lower-case letters and digits joined by single hyphens",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the slug.
    pub fn into_string(self) -> String {
        self.0
    }
}

super::string_value_impls!(Slug);

fn check_max_chars(text: &str, max: usize) -> Result<(), ValueError> {
    // Bytes bound characters from above, so most inputs skip the count.
    if text.len() > max && text.chars().count() > max {
        return Err(ValueError::new(
            ErrorCode::TooLong,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(Text50::new(&"ß".repeat(50)).is_ok());
        assert_eq!(
            Text50::new(&"ß".repeat(51)).unwrap_err().code,
            ErrorCode::TooLong
        );
        assert!(Text255::new(&"x".repeat(255)).is_ok());
        assert!(Text255::new(&"x".repeat(256)).is_err());
    }

    #[test]
    fn blank_and_control_characters_are_refused() {
        assert_eq!(Text100::new(" \t ").unwrap_err().code, ErrorCode::Blank);
        for text in ["a\nb", "a\tb", "a\0b", "a\u{7f}b", "a\u{85}b"] {
            assert_eq!(
                Text100::new(text).unwrap_err().code,
                ErrorCode::InvalidCharacters,
                "{text:?}"
            );
        }
    }

    #[test]
    fn long_text_keeps_lines_and_refuses_nul() {
        assert!(LongText::new("a\n\tb").is_ok());
        assert_eq!(
            LongText::new("a\0").unwrap_err().code,
            ErrorCode::InvalidCharacters
        );
        assert_eq!(LongText::new("").unwrap_err().code, ErrorCode::Blank);
    }

    #[test]
    fn slug_rules() {
        assert!(Slug::new("a").is_ok());
        assert!(Slug::new(&"a".repeat(100)).is_ok());
        assert_eq!(
            Slug::new(&"a".repeat(101)).unwrap_err().code,
            ErrorCode::TooLong
        );
        for text in ["-a", "a-", "a_b", "a b", "A", "é"] {
            assert_eq!(
                Slug::new(text).unwrap_err().code,
                ErrorCode::InvalidFormat,
                "{text}"
            );
        }
    }

    #[test]
    fn serde_validates_text() {
        assert!(serde_json::from_str::<Text50>(&format!("\"{}\"", "a".repeat(51))).is_err());
        let text: Text50 = serde_json::from_str("\" ok \"").unwrap();
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"ok\"");
    }
}
