//! [`Numeric<P, S>`]: an exact decimal that fits PostgreSQL's `DECIMAL(P, S)`.

use std::fmt;
use std::str::FromStr;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, RoundingMode};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ErrorCode, ValueError};

/// An exact decimal that fits `DECIMAL(P, S)`: at most `S` fractional digits and at
/// most `P − S` integer digits. Never a float.
///
/// * Building from a value with more than `S` fractional digits is **refused**
///   (`1.234` into scale 2), not rounded; trailing zeros are fine (`1.230`).
///   [`Numeric::from_rounded`] rounds explicitly, half away from zero like
///   PostgreSQL's `round()` and its numeric input.
/// * The value is kept at exactly scale `S`, so it prints like PostgreSQL does:
///   `12.30` for `DECIMAL(15,2)`.
/// * Serde writes a string (`"12.30"`); it reads a string or a JSON integer and
///   refuses JSON floats, which would already have gone through binary floating point.
///
/// The money columns use [`Money`](crate::Money) (`DECIMAL(15,2)`),
/// [`Money12`](crate::Money12) and [`Money10`](crate::Money10).
///
/// ```
/// use aems_core::Numeric;
///
/// let weight: Numeric<10, 3> = "2.5".parse().unwrap();
/// assert_eq!(weight.to_string(), "2.500");
/// assert!("2.5001".parse::<Numeric<10, 3>>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Numeric<const P: u32, const S: u32>(BigDecimal);

impl<const P: u32, const S: u32> Numeric<P, S> {
    /// Total number of significant digits (`P` of `DECIMAL(P, S)`).
    pub const PRECISION: u32 = P;
    /// Number of fractional digits (`S` of `DECIMAL(P, S)`).
    pub const SCALE: u32 = S;
    /// Number of digits allowed before the decimal point.
    pub const INTEGER_DIGITS: u32 = P - S;

    /// Zero.
    pub fn zero() -> Self {
        Self(BigDecimal::from(0).with_scale(i64::from(S)))
    }

    /// The value, refused if it has more than `S` fractional digits or more than
    /// `P − S` integer digits.
    pub fn new(value: BigDecimal) -> Result<Self, ValueError> {
        let normalized = value.normalized();
        if normalized.fractional_digit_count() > i64::from(S) {
            return Err(ValueError::new(
                ErrorCode::TooManyDecimals,
                format!("must have at most {S} digits after the decimal point"),
            ));
        }
        Self::check_integer_digits(&normalized)?;
        Ok(Self(normalized.with_scale(i64::from(S))))
    }

    /// The value rounded to `S` fractional digits, half away from zero (as
    /// PostgreSQL's `round(numeric, s)` and numeric column input do); refused only
    /// if the integer part does not fit.
    ///
    /// ```
    /// use aems_core::Money;
    /// use bigdecimal::BigDecimal;
    ///
    /// let half: BigDecimal = "-2.345".parse().unwrap();
    /// assert_eq!(Money::from_rounded(&half).unwrap().to_string(), "-2.35");
    /// ```
    pub fn from_rounded(value: &BigDecimal) -> Result<Self, ValueError> {
        let normalized = value.normalized();
        // Far below half a unit of the last place: zero, without building a huge
        // power of ten for values such as 1e-1000000000.
        if integer_digit_count(&normalized) < -i64::from(S) {
            return Ok(Self::zero());
        }
        let rounded = normalized.with_scale_round(i64::from(S), RoundingMode::HalfUp);
        Self::check_integer_digits(&rounded)?;
        Ok(Self(rounded.with_scale(i64::from(S))))
    }

    /// An integer amount.
    pub fn from_i64(value: i64) -> Result<Self, ValueError> {
        Self::new(BigDecimal::from(value))
    }

    /// An amount given in units of the last place (cents for scale 2).
    ///
    /// ```
    /// use aems_core::Money;
    ///
    /// assert_eq!(Money::from_minor_units(1234).unwrap().to_string(), "12.34");
    /// ```
    pub fn from_minor_units(units: i64) -> Result<Self, ValueError> {
        Self::new(BigDecimal::new(BigInt::from(units), i64::from(S)))
    }

    /// The largest value the column holds (`999...9.99`).
    pub fn max_value() -> Self {
        let units = BigInt::from(10).pow(P) - 1;
        Self(BigDecimal::new(units, i64::from(S)))
    }

    /// The smallest value the column holds (`-999...9.99`).
    pub fn min_value() -> Self {
        Self::max_value().negated()
    }

    /// The value as a `BigDecimal`, at scale `S`.
    pub fn as_decimal(&self) -> &BigDecimal {
        &self.0
    }

    /// Consumes into a `BigDecimal`, at scale `S`.
    pub fn into_decimal(self) -> BigDecimal {
        self.0
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.0.sign() == Sign::NoSign
    }

    /// Whether the value is greater than zero.
    pub fn is_positive(&self) -> bool {
        self.0.sign() == Sign::Plus
    }

    /// Whether the value is less than zero.
    pub fn is_negative(&self) -> bool {
        self.0.sign() == Sign::Minus
    }

    /// The value with its sign flipped (always fits: the range is symmetric).
    pub fn negated(&self) -> Self {
        Self(-self.0.clone())
    }

    /// `self + other`, refused if the sum does not fit.
    pub fn checked_add(&self, other: &Self) -> Result<Self, ValueError> {
        Self::new(&self.0 + &other.0)
    }

    /// `self − other`, refused if the difference does not fit.
    pub fn checked_sub(&self, other: &Self) -> Result<Self, ValueError> {
        Self::new(&self.0 - &other.0)
    }

    /// The same value in another precision, refused if it does not fit there
    /// (never rounded: use [`Numeric::from_rounded`] for that).
    ///
    /// ```
    /// use aems_core::{Money, Money10};
    ///
    /// let small: Money = "12345678.99".parse().unwrap();
    /// let big: Money = "123456789.00".parse().unwrap();
    /// assert!(small.try_into_precision::<10, 2>().is_ok());
    /// assert!(big.try_into_precision::<10, 2>().is_err());
    /// # let _: Option<Money10> = None;
    /// ```
    pub fn try_into_precision<const P2: u32, const S2: u32>(
        &self,
    ) -> Result<Numeric<P2, S2>, ValueError> {
        Numeric::new(self.0.clone())
    }

    fn check_integer_digits(value: &BigDecimal) -> Result<(), ValueError> {
        if integer_digit_count(value) > i64::from(P - S) {
            return Err(ValueError::new(
                ErrorCode::TooManyDigits,
                format!(
                    "must have at most {} digits before the decimal point",
                    P - S
                ),
            ));
        }
        Ok(())
    }

    /// Used by widening conversions, where the value is known to fit.
    fn widen<const P2: u32, const S2: u32>(value: Numeric<P2, S2>) -> Self {
        Self(value.0.with_scale(i64::from(S)))
    }
}

/// Digits before the decimal point (≤ 0 for values below 1, e.g. −1 for 0.05).
fn integer_digit_count(value: &BigDecimal) -> i64 {
    if value.sign() == Sign::NoSign {
        return 0;
    }
    let (digits, scale) = value.as_bigint_and_exponent();
    let digit_count = digits.magnitude().to_str_radix(10).len() as i64;
    digit_count - scale
}

impl<const P: u32, const S: u32> Default for Numeric<P, S> {
    /// Zero, the SQL default of the amount columns.
    fn default() -> Self {
        Self::zero()
    }
}

impl<const P: u32, const S: u32> fmt::Debug for Numeric<P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Numeric<{P},{S}>({})", self.0.to_plain_string())
    }
}

impl<const P: u32, const S: u32> fmt::Display for Numeric<P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_plain_string())
    }
}

impl<const P: u32, const S: u32> FromStr for Numeric<P, S> {
    type Err = ValueError;

    /// Parses plain decimal text such as `-12.30` (surrounding whitespace is
    /// ignored, as PostgreSQL does; exponent notation such as `1e3` is refused).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        // Exponent notation is refused: `1e999999999` would otherwise make the
        // parser build a billion-digit number before we can refuse it.
        let plain = !text.is_empty()
            && text
                .char_indices()
                .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
        let parsed = plain.then(|| BigDecimal::from_str(text).ok()).flatten();
        match parsed {
            Some(value) => Self::new(value),
            None => Err(ValueError::new(
                ErrorCode::NotADecimal,
                "must be a decimal number such as 12.30",
            )),
        }
    }
}

impl<const P: u32, const S: u32> TryFrom<BigDecimal> for Numeric<P, S> {
    type Error = ValueError;

    fn try_from(value: BigDecimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl<const P: u32, const S: u32> TryFrom<&str> for Numeric<P, S> {
    type Error = ValueError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl<const P: u32, const S: u32> From<Numeric<P, S>> for BigDecimal {
    fn from(value: Numeric<P, S>) -> Self {
        value.0
    }
}

/// Conversions that always fit: more integer digits and the same scale.
macro_rules! widening {
    ($(($p1:literal, $s1:literal) => ($p2:literal, $s2:literal)),+ $(,)?) => {
        $(
            impl From<Numeric<$p1, $s1>> for Numeric<$p2, $s2> {
                fn from(value: Numeric<$p1, $s1>) -> Self {
                    Self::widen(value)
                }
            }
        )+
    };
}

widening!((10, 2) => (12, 2), (10, 2) => (15, 2), (12, 2) => (15, 2), (5, 2) => (9, 2));

impl<const P: u32, const S: u32> Serialize for Numeric<P, S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de, const P: u32, const S: u32> Deserialize<'de> for Numeric<P, S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumericVisitor::<P, S>)
    }
}

struct NumericVisitor<const P: u32, const S: u32>;

impl<const P: u32, const S: u32> Visitor<'_> for NumericVisitor<P, S> {
    type Value = Numeric<P, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a decimal string fitting DECIMAL({P},{S}), or an integer"
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Numeric::from_i64(value).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Numeric::new(BigDecimal::from(value)).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(
            "decimal amounts must be written as strings (e.g. \"12.30\"), not floats",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type N152 = Numeric<15, 2>;

    #[test]
    fn keeps_scale_two_when_printing() {
        assert_eq!("12.3".parse::<N152>().unwrap().to_string(), "12.30");
        assert_eq!("0".parse::<N152>().unwrap().to_string(), "0.00");
        assert_eq!("-0.00".parse::<N152>().unwrap().to_string(), "0.00");
        assert_eq!("+7".parse::<N152>().unwrap().to_string(), "7.00");
    }

    #[test]
    fn more_decimals_than_the_scale_are_refused_not_rounded() {
        let error = "1.234".parse::<N152>().unwrap_err();
        assert_eq!(error.code, ErrorCode::TooManyDecimals);
        assert!("1.230".parse::<N152>().is_ok());
    }

    #[test]
    fn integer_digits_are_bounded_on_both_sides_of_the_limit() {
        assert!("9999999999999.99".parse::<N152>().is_ok());
        assert!("-9999999999999.99".parse::<N152>().is_ok());
        let error = "10000000000000".parse::<N152>().unwrap_err();
        assert_eq!(error.code, ErrorCode::TooManyDigits);
        assert!("-10000000000000.00".parse::<N152>().is_err());
    }

    #[test]
    fn max_and_min_are_the_column_bounds() {
        assert_eq!(N152::max_value().to_string(), "9999999999999.99");
        assert_eq!(N152::min_value().to_string(), "-9999999999999.99");
        assert_eq!(Numeric::<5, 2>::max_value().to_string(), "999.99");
    }

    #[test]
    fn non_decimal_text_is_refused() {
        for text in ["", "abc", "1e3", "NaN", "1.2.3", "--1", "1,5", "Infinity"] {
            let error = text.parse::<N152>().unwrap_err();
            assert_eq!(error.code, ErrorCode::NotADecimal, "{text}");
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        let cases = [
            ("2.345", "2.35"),
            ("-2.345", "-2.35"),
            ("2.344", "2.34"),
            ("-2.344", "-2.34"),
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("0.0049", "0.00"),
        ];
        for (input, expected) in cases {
            let value: BigDecimal = input.parse().unwrap();
            assert_eq!(N152::from_rounded(&value).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn rounding_still_refuses_too_many_integer_digits() {
        let value: BigDecimal = "9999999999999.995".parse().unwrap();
        let error = N152::from_rounded(&value).unwrap_err();
        assert_eq!(error.code, ErrorCode::TooManyDigits);
    }

    #[test]
    fn rounding_tiny_values_is_cheap_and_zero() {
        let tiny = BigDecimal::new(BigInt::from(1), 1_000_000_000);
        assert!(N152::from_rounded(&tiny).unwrap().is_zero());
    }

    #[test]
    fn huge_exponents_are_refused_without_building_them() {
        let huge = BigDecimal::new(BigInt::from(1), -1_000_000_000);
        assert_eq!(N152::new(huge).unwrap_err().code, ErrorCode::TooManyDigits);
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = N152::max_value();
        let cent = N152::from_minor_units(1).unwrap();
        assert!(max.checked_add(&cent).is_err());
        assert_eq!(
            max.checked_sub(&cent).unwrap().to_string(),
            "9999999999999.98"
        );
    }

    #[test]
    fn widening_keeps_the_value() {
        let small: Numeric<10, 2> = "99999999.99".parse().unwrap();
        let wide: N152 = small.clone().into();
        assert_eq!(wide.to_string(), "99999999.99");
        assert_eq!(wide.try_into_precision::<10, 2>().unwrap(), small);
    }

    #[test]
    fn serde_reads_strings_and_integers_but_not_floats() {
        let value: N152 = serde_json::from_str("\"12.5\"").unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), "\"12.50\"");
        let integer: N152 = serde_json::from_str("12").unwrap();
        assert_eq!(integer.to_string(), "12.00");
        assert!(serde_json::from_str::<N152>("12.5").is_err());
        assert!(serde_json::from_str::<N152>("\"1.001\"").is_err());
    }

    #[test]
    fn ordering_follows_the_value() {
        let a: N152 = "-1".parse().unwrap();
        let b: N152 = "0.5".parse().unwrap();
        assert!(a < b);
        assert!(a.is_negative() && b.is_positive() && N152::zero().is_zero());
    }
}
