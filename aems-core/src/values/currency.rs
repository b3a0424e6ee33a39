//! [`CurrencyCode`]: three upper-case letters.

use std::fmt;

use crate::error::{ErrorCode, ValueError};

/// A currency code of three upper-case ASCII letters (`CHECK (currency ~ '^[A-Z]{3}$')`),
/// e.g. `USD`. The code is not checked against ISO 4217's list, as the database
/// does not either; lower case is refused rather than rewritten.
///
/// ```
/// use aems_core::CurrencyCode;
///
/// assert_eq!("EUR".parse::<CurrencyCode>().unwrap().as_str(), "EUR");
/// assert!("eur".parse::<CurrencyCode>().is_err());
/// assert_eq!(CurrencyCode::default(), CurrencyCode::USD);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// The pattern of the database CHECK.
    pub const PATTERN: &'static str = "^[A-Z]{3}$";
    /// US dollar, the SQL default.
    pub const USD: Self = Self(*b"USD");
    /// Euro.
    pub const EUR: Self = Self(*b"EUR");
    /// Pound sterling.
    pub const GBP: Self = Self(*b"GBP");

    /// Checks and wraps a code.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        match value.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be three upper-case letters such as USD",
            )),
        }
    }

    /// The code, e.g. `USD`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("three ASCII letters")
    }
}

impl Default for CurrencyCode {
    /// `USD`, the SQL default.
    fn default() -> Self {
        Self::USD
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

super::string_value_impls!(CurrencyCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_three_upper_case_ascii_letters() {
        assert!("USD".parse::<CurrencyCode>().is_ok());
        for text in ["US", "USDD", "usd", "U5D", "ÜSD", "", " USD"] {
            assert!(text.parse::<CurrencyCode>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn serde_validates() {
        let code: CurrencyCode = serde_json::from_str("\"GBP\"").unwrap();
        assert_eq!(code, CurrencyCode::GBP);
        assert!(serde_json::from_str::<CurrencyCode>("\"gbp\"").is_err());
    }
}
