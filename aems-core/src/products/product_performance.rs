//! `products.product_performance`: sales figures of one product per date and period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::{ProductId, ProductPerformanceId, TenantId, UserId};
use crate::macros::apply_patch;
use crate::validation::{Input, non_negative, nullable};
use crate::values::{Money, Numeric, PeriodType, Rating};

/// Price elasticity of demand, `DECIMAL(8,4)` (usually negative). The spec's
/// `DECIMAL(5,4)` is widened (migration 001200): measured elasticities often pass ±10.
pub type PriceElasticity = Numeric<8, 4>;

/// A row of `products.product_performance`, unique per (tenant, product, date, period).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductPerformance {
    /// Primary key.
    pub id: ProductPerformanceId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The product.
    pub product_id: ProductId,
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// Units sold (not negative).
    pub units_sold: i32,
    /// Revenue.
    pub revenue: Money,
    /// Profit (may be negative).
    pub profit: Money,
    /// Units returned (not negative).
    pub returns: i32,
    /// Average customer rating, 1–5.
    pub customer_rating: Option<Rating>,
    /// Reviews received.
    pub review_count: i32,
    /// Price elasticity.
    pub price_elasticity: Option<PriceElasticity>,
    /// Forecast units for the next period.
    pub demand_forecast: Option<i32>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

impl ProductPerformance {
    /// The row with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &ProductPerformancePatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                units_sold,
                revenue,
                profit,
                returns,
                customer_rating,
                review_count,
                price_elasticity,
                demand_forecast,
            ]
        );
        Ok(next)
    }
}

/// Input to record a product's performance for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewProductPerformance {
    /// The product.
    pub product_id: ProductId,
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// Units sold (default 0).
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub units_sold: i32,
    /// Revenue (default 0, not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub revenue: Money,
    /// Profit (default 0).
    #[serde(default)]
    pub profit: Money,
    /// Units returned (default 0).
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub returns: i32,
    /// Average rating.
    #[serde(default)]
    pub customer_rating: Option<Rating>,
    /// Reviews received (default 0).
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub review_count: i32,
    /// Price elasticity.
    #[serde(default)]
    pub price_elasticity: Option<PriceElasticity>,
    /// Forecast units (not negative).
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub demand_forecast: Option<i32>,
}

impl NewProductPerformance {
    /// Figures for a period, every one at its SQL default.
    pub fn new(product_id: ProductId, metric_date: NaiveDate, period_type: PeriodType) -> Self {
        Self {
            product_id,
            metric_date,
            period_type,
            units_sold: 0,
            revenue: Money::zero(),
            profit: Money::zero(),
            returns: 0,
            customer_rating: None,
            review_count: 0,
            price_elasticity: None,
            demand_forecast: None,
        }
    }
}

impl Input for NewProductPerformance {}

/// Changes to a product's recorded performance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ProductPerformancePatch {
    /// New units sold.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub units_sold: Option<i32>,
    /// New revenue.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub revenue: Option<Money>,
    /// New profit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profit: Option<Money>,
    /// New returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub returns: Option<i32>,
    /// New rating; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub customer_rating: Option<Option<Rating>>,
    /// New review count.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub review_count: Option<i32>,
    /// New elasticity; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub price_elasticity: Option<Option<PriceElasticity>>,
    /// New forecast; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub demand_forecast: Option<Option<i32>>,
}

impl Input for ProductPerformancePatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn input() -> NewProductPerformance {
        NewProductPerformance::new(
            ProductId::new(),
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            PeriodType::Weekly,
        )
    }

    #[test]
    fn defaults_are_valid_and_losses_allowed() {
        let mut figures = input();
        figures.profit = "-10".parse().unwrap();
        assert!(figures.check().is_ok());
    }

    #[test]
    fn negative_counts_are_refused() {
        let mut figures = input();
        figures.units_sold = -1;
        figures.returns = -1;
        figures.demand_forecast = Some(-1);
        let error = figures.check().unwrap_err();
        for field in ["units_sold", "returns", "demand_forecast"] {
            assert!(error.has(field, ErrorCode::OutOfRange), "{field}");
        }
    }

    #[test]
    fn elasticity_fits_the_widened_decimal_8_4() {
        assert!("-2.5".parse::<PriceElasticity>().is_ok());
        assert!("-9999.9999".parse::<PriceElasticity>().is_ok());
        assert!("10000".parse::<PriceElasticity>().is_err());
        assert!("0.12345".parse::<PriceElasticity>().is_err());
    }

    #[test]
    fn patch_validates_nested_options() {
        let patch = ProductPerformancePatch {
            demand_forecast: Some(Some(-5)),
            ..Default::default()
        };
        assert!(
            patch
                .check()
                .unwrap_err()
                .has("demand_forecast", ErrorCode::OutOfRange)
        );
        let clear = ProductPerformancePatch {
            demand_forecast: Some(None),
            ..Default::default()
        };
        assert!(clear.check().is_ok());
    }
}
