//! `hr.hr_metrics`: workforce KPIs per tenant, date and period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::{HrMetricId, TenantId, UserId};
use crate::macros::apply_patch;
use crate::validation::{Input, non_negative};
use crate::values::{Numeric, Percentage, PeriodType, Score10};

/// Staff turnover in percent, `DECIMAL(5,2)` with `CHECK (turnover_rate >= 0)`;
/// above 100 is possible (more leavers than average headcount).
pub type TurnoverRate = Numeric<5, 2>;

/// A row of `hr.hr_metrics`, unique per (tenant, metric_date, period_type).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HrMetric {
    /// Primary key.
    pub id: HrMetricId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// People employed.
    pub total_headcount: i32,
    /// People hired.
    pub new_hires: i32,
    /// People who left.
    pub departures: i32,
    /// Turnover in percent, not negative.
    pub turnover_rate: TurnoverRate,
    /// Unfilled positions.
    pub open_positions: i32,
    /// Average days to hire.
    pub time_to_hire_avg: i32,
    /// Satisfaction, 0–10.
    pub employee_satisfaction: Score10,
    /// Engagement, 0–10.
    pub engagement_score: Score10,
    /// Training hours.
    pub training_hours: i32,
    /// Overtime hours.
    pub overtime_hours: i32,
    /// Absenteeism, 0–100.
    pub absenteeism_rate: Percentage,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

impl HrMetric {
    /// The row with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &HrMetricPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                total_headcount,
                new_hires,
                departures,
                turnover_rate,
                open_positions,
                time_to_hire_avg,
                employee_satisfaction,
                engagement_score,
                training_hours,
                overtime_hours,
                absenteeism_rate,
            ]
        );
        Ok(next)
    }
}

/// Input to record HR metrics: counts and hours not negative, turnover not
/// negative, satisfaction and engagement 0–10, absenteeism 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewHrMetric {
    /// First day of the period.
    pub metric_date: NaiveDate,
    /// Length of the period.
    pub period_type: PeriodType,
    /// People employed.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub total_headcount: i32,
    /// People hired.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub new_hires: i32,
    /// People who left.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub departures: i32,
    /// Turnover in percent.
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub turnover_rate: TurnoverRate,
    /// Unfilled positions.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub open_positions: i32,
    /// Average days to hire.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub time_to_hire_avg: i32,
    /// Satisfaction, 0–10.
    #[serde(default)]
    pub employee_satisfaction: Score10,
    /// Engagement, 0–10.
    #[serde(default)]
    pub engagement_score: Score10,
    /// Training hours.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub training_hours: i32,
    /// Overtime hours.
    #[serde(default)]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub overtime_hours: i32,
    /// Absenteeism, 0–100.
    #[serde(default)]
    pub absenteeism_rate: Percentage,
}

impl NewHrMetric {
    /// Metrics for a period with every figure at its SQL default, zero.
    pub fn new(metric_date: NaiveDate, period_type: PeriodType) -> Self {
        Self {
            metric_date,
            period_type,
            total_headcount: 0,
            new_hires: 0,
            departures: 0,
            turnover_rate: TurnoverRate::zero(),
            open_positions: 0,
            time_to_hire_avg: 0,
            employee_satisfaction: Score10::default(),
            engagement_score: Score10::default(),
            training_hours: 0,
            overtime_hours: 0,
            absenteeism_rate: Percentage::zero(),
        }
    }
}

impl Input for NewHrMetric {}

/// Changes to recorded HR metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct HrMetricPatch {
    /// New headcount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub total_headcount: Option<i32>,
    /// New hires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub new_hires: Option<i32>,
    /// New departures.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub departures: Option<i32>,
    /// New turnover.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub turnover_rate: Option<TurnoverRate>,
    /// New open positions.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub open_positions: Option<i32>,
    /// New average days to hire.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub time_to_hire_avg: Option<i32>,
    /// New satisfaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_satisfaction: Option<Score10>,
    /// New engagement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement_score: Option<Score10>,
    /// New training hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub training_hours: Option<i32>,
    /// New overtime hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 0, code = "out_of_range", message = "must not be negative"))]
    pub overtime_hours: Option<i32>,
    /// New absenteeism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absenteeism_rate: Option<Percentage>,
}

impl Input for HrMetricPatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn input() -> NewHrMetric {
        NewHrMetric::new(
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
            PeriodType::Monthly,
        )
    }

    #[test]
    fn turnover_may_exceed_100_but_not_go_below_0() {
        let mut metric = input();
        metric.turnover_rate = "150".parse().unwrap();
        assert!(metric.check().is_ok());
        metric.turnover_rate = "-0.01".parse().unwrap();
        assert!(
            metric
                .check()
                .unwrap_err()
                .has("turnover_rate", ErrorCode::OutOfRange)
        );
    }

    #[test]
    fn scores_and_rates_are_bounded_by_their_types() {
        let bad =
            r#"{"metric_date":"2025-04-01","period_type":"monthly","engagement_score":"10.5"}"#;
        assert!(serde_json::from_str::<NewHrMetric>(bad).is_err());
        let bad =
            r#"{"metric_date":"2025-04-01","period_type":"monthly","absenteeism_rate":"100.01"}"#;
        assert!(serde_json::from_str::<NewHrMetric>(bad).is_err());
    }

    #[test]
    fn negative_counts_are_all_reported() {
        let mut metric = input();
        metric.departures = -1;
        metric.overtime_hours = -3;
        let error = metric.check().unwrap_err();
        assert_eq!(error.errors().len(), 2);
    }
}
