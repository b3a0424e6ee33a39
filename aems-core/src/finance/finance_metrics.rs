//! `finance.finance_metrics`: financial KPIs per tenant, date and period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::{FinanceMetricId, TenantId, UserId};
use crate::macros::apply_patch;
use crate::validation::{Input, non_negative};
use crate::values::{Money, Numeric, PeriodType};

/// A margin in percent, `DECIMAL(9,2)` with no CHECK: a loss-making period has a
/// negative one. The spec's `DECIMAL(5,2)` is widened (migration 001200): margins
/// fall below −999.99 % whenever losses exceed ten times revenue.
pub type Margin = Numeric<9, 2>;

/// Months of runway, `DECIMAL(5,1)`.
pub type RunwayMonths = Numeric<5, 1>;

/// A row of `finance.finance_metrics`, unique per (tenant, metric_date, period_type).
/// Profits, EBITDA, cash flow and margins may be negative; the other amounts may not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinanceMetric {
    /// Primary key.
    pub id: FinanceMetricId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// Revenue.
    pub total_revenue: Money,
    /// Expenses.
    pub total_expenses: Money,
    /// Gross profit.
    pub gross_profit: Money,
    /// Net profit.
    pub net_profit: Money,
    /// Earnings before interest, taxes, depreciation and amortisation.
    pub ebitda: Money,
    /// Gross margin in percent.
    pub gross_margin: Margin,
    /// Net margin in percent.
    pub net_margin: Margin,
    /// Net cash flow.
    pub cash_flow: Money,
    /// Money owed to the tenant.
    pub accounts_receivable: Money,
    /// Money the tenant owes.
    pub accounts_payable: Money,
    /// Cash at the end of the period.
    pub cash_balance: Money,
    /// Cash spent per month.
    pub burn_rate: Money,
    /// Months the cash lasts at this burn rate.
    pub runway_months: RunwayMonths,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

impl FinanceMetric {
    /// The row with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &FinanceMetricPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                total_revenue,
                total_expenses,
                gross_profit,
                net_profit,
                ebitda,
                gross_margin,
                net_margin,
                cash_flow,
                accounts_receivable,
                accounts_payable,
                cash_balance,
                burn_rate,
                runway_months,
            ]
        );
        Ok(next)
    }
}

/// Input to record finance metrics; every figure defaults to zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewFinanceMetric {
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// Revenue (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub total_revenue: Money,
    /// Expenses (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub total_expenses: Money,
    /// Gross profit.
    #[serde(default)]
    pub gross_profit: Money,
    /// Net profit.
    #[serde(default)]
    pub net_profit: Money,
    /// EBITDA.
    #[serde(default)]
    pub ebitda: Money,
    /// Gross margin in percent.
    #[serde(default)]
    pub gross_margin: Margin,
    /// Net margin in percent.
    #[serde(default)]
    pub net_margin: Margin,
    /// Net cash flow.
    #[serde(default)]
    pub cash_flow: Money,
    /// Receivables (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub accounts_receivable: Money,
    /// Payables (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub accounts_payable: Money,
    /// Cash balance.
    #[serde(default)]
    pub cash_balance: Money,
    /// Burn rate (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub burn_rate: Money,
    /// Runway in months (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub runway_months: RunwayMonths,
}

impl NewFinanceMetric {
    /// Metrics for a period with every figure at its SQL default, zero.
    pub fn new(metric_date: NaiveDate, period_type: PeriodType) -> Self {
        Self {
            metric_date,
            period_type,
            total_revenue: Money::zero(),
            total_expenses: Money::zero(),
            gross_profit: Money::zero(),
            net_profit: Money::zero(),
            ebitda: Money::zero(),
            gross_margin: Margin::zero(),
            net_margin: Margin::zero(),
            cash_flow: Money::zero(),
            accounts_receivable: Money::zero(),
            accounts_payable: Money::zero(),
            cash_balance: Money::zero(),
            burn_rate: Money::zero(),
            runway_months: RunwayMonths::zero(),
        }
    }
}

impl Input for NewFinanceMetric {}

/// Changes to recorded finance metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct FinanceMetricPatch {
    /// New revenue.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub total_revenue: Option<Money>,
    /// New expenses.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub total_expenses: Option<Money>,
    /// New gross profit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gross_profit: Option<Money>,
    /// New net profit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_profit: Option<Money>,
    /// New EBITDA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ebitda: Option<Money>,
    /// New gross margin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gross_margin: Option<Margin>,
    /// New net margin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_margin: Option<Margin>,
    /// New cash flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_flow: Option<Money>,
    /// New receivables.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub accounts_receivable: Option<Money>,
    /// New payables.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub accounts_payable: Option<Money>,
    /// New cash balance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_balance: Option<Money>,
    /// New burn rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub burn_rate: Option<Money>,
    /// New runway.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub runway_months: Option<RunwayMonths>,
}

impl Input for FinanceMetricPatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn losses_are_allowed_negative_balances_of_flows_too() {
        let mut metric = NewFinanceMetric::new(
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            PeriodType::Quarterly,
        );
        metric.net_profit = "-1000.50".parse().unwrap();
        metric.net_margin = "-999.99".parse().unwrap();
        metric.cash_flow = "-1".parse().unwrap();
        assert!(metric.check().is_ok());
    }

    #[test]
    fn negative_stocks_and_rates_are_refused() {
        let mut metric = NewFinanceMetric::new(
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            PeriodType::Daily,
        );
        metric.burn_rate = "-0.01".parse().unwrap();
        metric.runway_months = "-0.1".parse().unwrap();
        let error = metric.check().unwrap_err();
        assert!(error.has("burn_rate", ErrorCode::OutOfRange));
        assert!(error.has("runway_months", ErrorCode::OutOfRange));
    }

    #[test]
    fn margins_fit_the_widened_decimal_9_2() {
        assert!("-9999999.99".parse::<Margin>().is_ok());
        assert!("-10000000".parse::<Margin>().is_err());
        assert!("12.345".parse::<Margin>().is_err());
        assert!("12.3".parse::<RunwayMonths>().is_ok());
        assert!("12.34".parse::<RunwayMonths>().is_err());
    }
}
