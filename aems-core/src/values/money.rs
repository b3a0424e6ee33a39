//! Money amounts, one type per column precision of the spec.
//!
//! | type        | column          | range                              |
//! |-------------|-----------------|------------------------------------|
//! | [`Money`]   | `DECIMAL(15,2)` | ±9,999,999,999,999.99 (13 digits)  |
//! | [`Money12`] | `DECIMAL(12,2)` | ±9,999,999,999.99 (10 digits)      |
//! | [`Money10`] | `DECIMAL(10,2)` | ±99,999,999.99 (8 digits)          |
//!
//! All are [`Numeric`], so a value that would not fit its column cannot be built,
//! and no amount ever passes through a float. Narrower types widen with `From`
//! (`Money::from(money10)`); narrowing is checked with
//! [`Numeric::try_into_precision`]. No currency is attached: the columns hold
//! none, and the tables that record one (`expense_transactions.currency`,
//! `employees.salary_currency`) keep it beside the amount.
//!
//! ```
//! use aems_core::{Money, Money10};
//!
//! let price: Money10 = "19.99".parse().unwrap();
//! let total = Money::from(price).checked_add(&"0.01".parse().unwrap()).unwrap();
//! assert_eq!(total.to_string(), "20.00");
//!
//! assert!("0.001".parse::<Money>().is_err()); // refused, never rounded silently
//! assert!("123456789.00".parse::<Money10>().is_err()); // does not fit DECIMAL(10,2)
//! ```

use super::Numeric;

/// An amount of a `DECIMAL(15,2)` column (the spec's standard currency type).
pub type Money = Numeric<15, 2>;

/// An amount of a `DECIMAL(12,2)` column (`employees.salary`,
/// `recruitment_pipeline.salary_expectation`).
pub type Money12 = Numeric<12, 2>;

/// An amount of a `DECIMAL(10,2)` column (`products.unit_cost` and `selling_price`,
/// `sales_metrics.customer_acquisition_cost` and `customer_lifetime_value`).
pub type Money10 = Numeric<10, 2>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_money_type_stops_at_its_column_limit() {
        assert!("9999999999999.99".parse::<Money>().is_ok());
        assert!("10000000000000.00".parse::<Money>().is_err());
        assert!("9999999999.99".parse::<Money12>().is_ok());
        assert!("10000000000.00".parse::<Money12>().is_err());
        assert!("99999999.99".parse::<Money10>().is_ok());
        assert!("100000000.00".parse::<Money10>().is_err());
    }

    #[test]
    fn narrower_money_widens_losslessly() {
        let salary: Money12 = "-9999999999.99".parse().unwrap();
        assert_eq!(Money::from(salary).to_string(), "-9999999999.99");
        let cost: Money10 = "12.34".parse().unwrap();
        assert_eq!(Money12::from(cost).to_string(), "12.34");
    }
}
