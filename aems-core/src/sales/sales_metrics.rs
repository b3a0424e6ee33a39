//! `sales.sales_metrics`: sales KPIs per tenant, date and period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::{SalesMetricId, TenantId, UserId};
use crate::macros::apply_patch;
use crate::validation::{Input, non_negative};
use crate::values::{Money, Money10, Percentage, PeriodType};

/// A row of `sales.sales_metrics`, unique per (tenant, metric_date, period_type).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesMetric {
    /// Primary key.
    pub id: SalesMetricId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// Revenue in the period.
    pub total_revenue: Money,
    /// Value of open deals.
    pub pipeline_value: Money,
    /// Deals won.
    pub deals_closed: i32,
    /// Deals lost.
    pub deals_lost: i32,
    /// Won ÷ (won + lost), 0–100.
    pub win_rate: Percentage,
    /// Cost of winning one customer.
    pub customer_acquisition_cost: Money10,
    /// Expected revenue from one customer.
    pub customer_lifetime_value: Money10,
    /// Customers lost, 0–100.
    pub churn_rate: Percentage,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

impl SalesMetric {
    /// The row with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &SalesMetricPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                total_revenue,
                pipeline_value,
                deals_closed,
                deals_lost,
                win_rate,
                customer_acquisition_cost,
                customer_lifetime_value,
                churn_rate,
            ]
        );
        Ok(next)
    }
}

/// Input to record sales metrics. Amounts and counts default to zero and must not
/// be negative; rates are [`Percentage`]s, so 0–100 by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewSalesMetric {
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// Revenue in the period.
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub total_revenue: Money,
    /// Value of open deals.
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub pipeline_value: Money,
    /// Deals won.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub deals_closed: i32,
    /// Deals lost.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub deals_lost: i32,
    /// Win rate, 0–100.
    #[serde(default)]
    pub win_rate: Percentage,
    /// Cost of winning one customer.
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub customer_acquisition_cost: Money10,
    /// Expected revenue from one customer.
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub customer_lifetime_value: Money10,
    /// Churn rate, 0–100.
    #[serde(default)]
    pub churn_rate: Percentage,
}

impl NewSalesMetric {
    /// Metrics for a period with every figure at its SQL default, zero.
    pub fn new(metric_date: NaiveDate, period_type: PeriodType) -> Self {
        Self {
            metric_date,
            period_type,
            total_revenue: Money::zero(),
            pipeline_value: Money::zero(),
            deals_closed: 0,
            deals_lost: 0,
            win_rate: Percentage::zero(),
            customer_acquisition_cost: Money10::zero(),
            customer_lifetime_value: Money10::zero(),
            churn_rate: Percentage::zero(),
        }
    }
}

impl Input for NewSalesMetric {}

/// Changes to recorded sales metrics (the date and period identify the row and do
/// not change).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct SalesMetricPatch {
    /// New revenue.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub total_revenue: Option<Money>,
    /// New pipeline value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub pipeline_value: Option<Money>,
    /// New count of deals won.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub deals_closed: Option<i32>,
    /// New count of deals lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub deals_lost: Option<i32>,
    /// New win rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub win_rate: Option<Percentage>,
    /// New acquisition cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub customer_acquisition_cost: Option<Money10>,
    /// New lifetime value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub customer_lifetime_value: Option<Money10>,
    /// New churn rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn_rate: Option<Percentage>,
}

impl Input for SalesMetricPatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn input() -> NewSalesMetric {
        NewSalesMetric::new(
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            PeriodType::Monthly,
        )
    }

    #[test]
    fn zero_figures_are_valid() {
        assert!(input().check().is_ok());
    }

    #[test]
    fn every_negative_figure_is_reported() {
        let mut metric = input();
        metric.total_revenue = "-0.01".parse().unwrap();
        metric.deals_closed = -1;
        metric.deals_lost = -1;
        metric.customer_acquisition_cost = "-1".parse().unwrap();
        let error = metric.check().unwrap_err();
        assert_eq!(error.errors().len(), 4);
        for field in [
            "total_revenue",
            "deals_closed",
            "deals_lost",
            "customer_acquisition_cost",
        ] {
            assert!(error.has(field, ErrorCode::OutOfRange), "{field}");
        }
    }

    #[test]
    fn rates_out_of_range_are_refused_when_read() {
        let json = r#"{"metric_date":"2025-01-01","period_type":"monthly","win_rate":"100.5"}"#;
        assert!(serde_json::from_str::<NewSalesMetric>(json).is_err());
    }
}
