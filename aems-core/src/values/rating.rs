//! One-decimal scores: [`Rating`] (1–5) and [`Score10`] (0–10), both `DECIMAL(3,1)`.

use super::bounded_decimal::bounded_decimal;

bounded_decimal! {
    /// A rating from 1 to 5 with one decimal (`DECIMAL(3,1)`, `CHECK (x >= 1 AND x <= 5)`):
    /// `employees.performance_rating`, `product_performance.customer_rating`.
    ///
    /// ```
    /// use aems_core::Rating;
    ///
    /// assert_eq!("4.5".parse::<Rating>().unwrap().to_string(), "4.5");
    /// assert!("0.9".parse::<Rating>().is_err());
    /// assert!("4.55".parse::<Rating>().is_err());
    /// ```
    pub struct Rating(Numeric<3, 1>), min = 1, max = 5;
}

bounded_decimal! {
    /// A score from 0 to 10 with one decimal (`DECIMAL(3,1)`, `CHECK (x >= 0 AND x <= 10)`):
    /// `hr_metrics.employee_satisfaction` and `engagement_score`.
    ///
    /// ```
    /// use aems_core::Score10;
    ///
    /// assert!("10".parse::<Score10>().is_ok());
    /// assert!("10.1".parse::<Score10>().is_err());
    /// ```
    pub struct Score10(Numeric<3, 1>), min = 0, max = 10;
}

impl Default for Score10 {
    /// 0, the SQL default of the score columns.
    fn default() -> Self {
        Self(super::Numeric::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn rating_bounds_are_inclusive_and_tight() {
        assert!("1".parse::<Rating>().is_ok());
        assert!("5".parse::<Rating>().is_ok());
        assert_eq!(
            "0.9".parse::<Rating>().unwrap_err().code,
            ErrorCode::OutOfRange
        );
        assert_eq!(
            "5.1".parse::<Rating>().unwrap_err().code,
            ErrorCode::OutOfRange
        );
        assert_eq!(
            "3.25".parse::<Rating>().unwrap_err().code,
            ErrorCode::TooManyDecimals
        );
    }

    #[test]
    fn score_bounds_are_inclusive_and_tight() {
        assert_eq!("0".parse::<Score10>().unwrap(), Score10::default());
        assert!("10.0".parse::<Score10>().is_ok());
        assert!("-0.1".parse::<Score10>().is_err());
        assert!("10.1".parse::<Score10>().is_err());
    }
}
