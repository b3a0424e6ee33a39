//! Risk factors and what is derived from them: [`Likelihood`] × [`Impact`] =
//! [`RiskScore`], whose band is the [`RiskLevel`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ErrorCode, ValueError};
use crate::macros::db_enum;

macro_rules! factor {
    ($(#[$meta:meta])* $name:ident, $column:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u8);

        impl $name {
            /// The lowest value, 1.
            pub const MIN: Self = Self(1);
            /// The highest value, 5.
            pub const MAX: Self = Self(5);
            /// Every value, 1 to 5.
            pub const ALL: [Self; 5] = [Self(1), Self(2), Self(3), Self(4), Self(5)];

            /// The value, refused outside 1–5.
            pub fn new(value: i32) -> Result<Self, ValueError> {
                match u8::try_from(value) {
                    Ok(v @ 1..=5) => Ok(Self(v)),
                    _ => Err(ValueError::new(
                        ErrorCode::OutOfRange,
                        concat!($column, " must be an integer from 1 to 5"),
                    )),
                }
            }

            /// The value, 1 to 5.
            pub const fn get(self) -> u8 {
                self.0
            }

            /// The value as the INTEGER column holds it.
            pub const fn as_i32(self) -> i32 {
                self.0 as i32
            }
        }

        impl TryFrom<i32> for $name {
            type Error = ValueError;

            fn try_from(value: i32) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> Self {
                value.as_i32()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let value: i32 = s.trim().parse().map_err(|_| {
                    ValueError::new(ErrorCode::OutOfRange, concat!($column, " must be an integer from 1 to 5"))
                })?;
                Self::new(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u8(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = i64::deserialize(deserializer)?;
                let value = i32::try_from(value).unwrap_or(i32::MAX);
                Self::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

factor!(
    /// How likely a risk is, 1 (rare) to 5 (almost certain): `risk_assessments.likelihood`.
    Likelihood,
    "likelihood"
);
factor!(
    /// How bad a risk would be, 1 (negligible) to 5 (severe): `risk_assessments.impact`.
    Impact,
    "impact"
);

/// A risk's score, always `likelihood × impact` (1–25), so it cannot disagree with
/// its factors; it is computed, never typed in.
///
/// ```
/// use aems_core::{Impact, Likelihood, RiskLevel, RiskScore};
///
/// let score = RiskScore::of(Likelihood::new(4)?, Impact::new(3)?);
/// assert_eq!(score.get(), 12);
/// assert_eq!(score.level(), RiskLevel::High);
/// # Ok::<(), aems_core::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RiskScore(u8);

impl RiskScore {
    /// The score of the given factors.
    pub const fn of(likelihood: Likelihood, impact: Impact) -> Self {
        Self(likelihood.get() * impact.get())
    }

    /// Reads a stored score, refused unless it is a product of two factors 1–5
    /// (so 7, 11, 13, ... are refused as well as 0 and 26).
    pub fn new(value: i32) -> Result<Self, ValueError> {
        let possible = (1..=5).any(|l| (1..=5).any(|i| l * i == value));
        if possible {
            Ok(Self(value as u8))
        } else {
            Err(ValueError::new(
                ErrorCode::OutOfRange,
                "risk_score must be a product of likelihood and impact (1–5 each)",
            ))
        }
    }

    /// The score, 1 to 25.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The score as the INTEGER column holds it.
    pub const fn as_i32(self) -> i32 {
        self.0 as i32
    }

    /// The band of this score.
    pub const fn level(self) -> RiskLevel {
        RiskLevel::from_score(self)
    }
}

impl fmt::Display for RiskScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for RiskScore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for RiskScore {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        let value = i32::try_from(value).unwrap_or(i32::MAX);
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

db_enum! {
    /// A risk's band (`risk_assessments.risk_level`), derived from its score:
    /// low 1–4, medium 5–9, high 10–16, critical 17–25.
    pub enum RiskLevel {
        /// Score 1–4.
        Low => "low",
        /// Score 5–9.
        Medium => "medium",
        /// Score 10–16.
        High => "high",
        /// Score 17–25.
        Critical => "critical",
    }
}

impl RiskLevel {
    /// The band a score falls in.
    pub const fn from_score(score: RiskScore) -> Self {
        match score.get() {
            0..=4 => Self::Low,
            5..=9 => Self::Medium,
            10..=16 => Self::High,
            _ => Self::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(l: i32, i: i32) -> RiskScore {
        RiskScore::of(Likelihood::new(l).unwrap(), Impact::new(i).unwrap())
    }

    #[test]
    fn factors_accept_one_to_five_only() {
        assert!(Likelihood::new(1).is_ok() && Likelihood::new(5).is_ok());
        assert!(Likelihood::new(0).is_err() && Likelihood::new(6).is_err());
        assert!(Impact::new(-1).is_err() && Impact::new(256).is_err());
        assert!("3".parse::<Impact>().is_ok() && "3.0".parse::<Impact>().is_err());
    }

    #[test]
    fn level_bands_have_exact_edges() {
        assert_eq!(score(1, 1).level(), RiskLevel::Low);
        assert_eq!(score(2, 2).level(), RiskLevel::Low); // 4
        assert_eq!(score(1, 5).level(), RiskLevel::Medium); // 5
        assert_eq!(score(3, 3).level(), RiskLevel::Medium); // 9
        assert_eq!(score(2, 5).level(), RiskLevel::High); // 10
        assert_eq!(score(4, 4).level(), RiskLevel::High); // 16
        assert_eq!(score(4, 5).level(), RiskLevel::Critical); // 20
        assert_eq!(score(5, 5).level(), RiskLevel::Critical); // 25
    }

    #[test]
    fn stored_scores_must_be_possible_products() {
        assert!(RiskScore::new(12).is_ok());
        for impossible in [0, 7, 11, 13, 14, 17, 26, -4] {
            assert!(RiskScore::new(impossible).is_err(), "{impossible}");
        }
    }

    #[test]
    fn serde_refuses_out_of_range_factors() {
        assert!(serde_json::from_str::<Likelihood>("6").is_err());
        assert!(serde_json::from_str::<Likelihood>("\"3\"").is_err());
        assert_eq!(serde_json::from_str::<Impact>("5").unwrap(), Impact::MAX);
    }
}
