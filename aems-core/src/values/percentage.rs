//! [`Percentage`]: `DECIMAL(5,2)` between 0 and 100.

use super::bounded_decimal::bounded_decimal;

bounded_decimal! {
    /// A percentage from 0 to 100 with at most 2 decimals (`DECIMAL(5,2)` with
    /// `CHECK (x >= 0 AND x <= 100)`): win and churn rates, absenteeism, deal
    /// probability.
    ///
    /// ```
    /// use aems_core::Percentage;
    ///
    /// let rate: Percentage = "12.5".parse().unwrap();
    /// assert_eq!(rate.to_string(), "12.50");
    /// assert!("100.01".parse::<Percentage>().is_err());
    /// assert!("-0.01".parse::<Percentage>().is_err());
    /// ```
    pub struct Percentage(Numeric<5, 2>), min = 0, max = 100;
}

impl Percentage {
    /// 0 %, the SQL default of the rate columns.
    pub fn zero() -> Self {
        Self(super::Numeric::zero())
    }

    /// 100 %.
    pub fn hundred() -> Self {
        Self::new(super::Numeric::from_i64(100).expect("100 fits DECIMAL(5,2)"))
            .expect("100 is in range")
    }
}

impl Default for Percentage {
    /// 0 %, the SQL default of the rate columns.
    fn default() -> Self {
        Self::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!("0".parse::<Percentage>().unwrap(), Percentage::zero());
        assert_eq!("100".parse::<Percentage>().unwrap(), Percentage::hundred());
        assert!("99.99".parse::<Percentage>().is_ok());
        assert!("0.01".parse::<Percentage>().is_ok());
    }

    #[test]
    fn values_outside_are_refused() {
        assert_eq!(
            "100.01".parse::<Percentage>().unwrap_err().code,
            ErrorCode::OutOfRange
        );
        assert_eq!(
            "-0.01".parse::<Percentage>().unwrap_err().code,
            ErrorCode::OutOfRange
        );
        assert_eq!(
            "50.005".parse::<Percentage>().unwrap_err().code,
            ErrorCode::TooManyDecimals
        );
    }

    #[test]
    fn deserializing_checks_the_range() {
        assert!(serde_json::from_str::<Percentage>("\"101\"").is_err());
        let value: Percentage = serde_json::from_str("\"42.5\"").unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), "\"42.50\"");
    }
}
