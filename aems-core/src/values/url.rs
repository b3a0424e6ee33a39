//! [`Url`]: an http(s) link of at most 2048 characters.

use validator::ValidateUrl;

use crate::error::{ErrorCode, ValueError};

/// An absolute `http` or `https` URL of at most 2048 characters
/// (`VARCHAR(2048)`: receipts, résumés, cover letters). Trimmed; otherwise kept
/// as written.
///
/// ```
/// use aems_core::Url;
///
/// assert!("https://files.example.com/receipts/42.pdf".parse::<Url>().is_ok());
/// assert!("ftp://files.example.com/42.pdf".parse::<Url>().is_err());
/// assert!("not a url".parse::<Url>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Url(String);

impl Url {
    /// Most characters the column holds.
    pub const MAX_CHARS: usize = 2048;

    /// Checks and wraps a URL; surrounding whitespace is removed first.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValueError::new(ErrorCode::Blank, "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::new(
                ErrorCode::TooLong,
                "must be at most 2048 characters",
            ));
        }
        let lower = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
        let web = lower.starts_with("http://") || lower.starts_with("https://");
        if !web
            || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
            || !trimmed.validate_url()
        {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be an absolute http or https URL",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes into the URL.
    pub fn into_string(self) -> String {
        self.0
    }
}

super::string_value_impls!(Url);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limit_is_2048_characters() {
        let base = "https://example.com/";
        let at_limit = format!("{base}{}", "a".repeat(2048 - base.len()));
        assert!(Url::new(&at_limit).is_ok());
        assert_eq!(
            Url::new(&format!("{at_limit}a")).unwrap_err().code,
            ErrorCode::TooLong
        );
    }

    #[test]
    fn only_web_urls() {
        assert!(Url::new("HTTP://EXAMPLE.COM").is_ok());
        for text in [
            "javascript:alert(1)",
            "mailto:a@b.co",
            "https://",
            "https://exa mple.com",
            "/relative",
        ] {
            assert!(Url::new(text).is_err(), "{text}");
        }
    }
}
