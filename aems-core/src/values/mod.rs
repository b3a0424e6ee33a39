//! Value types that can only hold valid values.
//!
//! Each one refuses bad input when it is built — through `new`, `FromStr`,
//! `TryFrom` or serde — with a [`ValueError`](crate::ValueError) carrying a stable
//! code. The regex-checked ones export the pattern they share with the database
//! (`Email::PATTERN`, `PhoneE164::PATTERN`, `CurrencyCode::PATTERN`).

mod bounded_decimal;
mod currency;
mod email;
mod json;
mod money;
mod numeric;
mod percentage;
mod period;
mod phone;
mod rating;
mod risk_score;
mod secret;
mod text;
mod url;

pub use currency::CurrencyCode;
pub use email::Email;
pub use json::JsonObject;
pub use money::{Money, Money10, Money12};
pub use numeric::Numeric;
pub use percentage::Percentage;
pub use period::PeriodType;
pub use phone::PhoneE164;
pub use rating::{Rating, Score10};
pub use risk_score::{Impact, Likelihood, RiskLevel, RiskScore};
pub use secret::{Password, PasswordHash, Secret, SecretString, TokenHash};
pub use text::{BoundedText, LongText, Sku, Slug, Text50, Text100, Text150, Text255};
pub use url::Url;

/// An enum mirroring a database `CHECK (column IN (...))` list.
///
/// Implemented by every such enum of this crate, so code that checks them all (for
/// instance against the database's own CHECKs) can be written once:
///
/// ```
/// use aems_core::DbEnum;
/// use aems_core::sales::customers::CompanySize;
///
/// fn database_strings<E: DbEnum>() -> Vec<&'static str> {
///     E::ALL.iter().map(|value| value.as_str()).collect()
/// }
///
/// assert_eq!(database_strings::<CompanySize>(), ["1-10", "11-50", "51-200", "201-1000", "1000+"]);
/// ```
pub trait DbEnum:
    Copy
    + Eq
    + std::fmt::Debug
    + std::fmt::Display
    + std::str::FromStr<Err = crate::ValueError>
    + 'static
{
    /// Every value, in the order of the CHECK list.
    const ALL: &'static [Self];

    /// The exact string stored in the database.
    fn as_str(self) -> &'static str;
}

/// `Display`, `FromStr`, `TryFrom<&str>`, `TryFrom<String>`, `AsRef<str>` and
/// validating serde for a string newtype with `new(&str)` and `as_str()`.
macro_rules! string_value_impls {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::error::ValueError;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::ValueError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(&value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.as_str().to_owned()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::new(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}

use string_value_impls;
