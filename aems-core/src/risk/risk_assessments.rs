//! `risk.risk_assessments`: risks, their rating and their review cycle.
//!
//! The score and level are derived: `risk_score = likelihood × impact` and
//! `risk_level` from the score (see [`RiskLevel`]); [`RiskRating`] holds only the
//! two factors, so the stored columns can never disagree.
//!
//! ## Reassessment
//!
//! [`RiskAssessment::reassess`] takes new factors, the review date and the next
//! review date, and returns every column it changes. The review may not predate
//! the previous review, the next review must come after this one, and a closed
//! risk is not reassessed (patch its status back to `open` first).

use chrono::{DateTime, NaiveDate, Utc};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use validator::Validate;

use crate::error::{DomainError, FieldErrors, TransitionError};
use crate::ids::{EmployeeId, RiskAssessmentId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable, require_after, require_not_before};
use crate::values::{Impact, Likelihood, LongText, Text100, Text255};

pub use crate::values::{RiskLevel, RiskScore};

db_enum! {
    /// What is being done about a risk (`risk_assessments.status`).
    pub enum RiskStatus {
        /// Being handled (the SQL default).
        Open => "open",
        /// Reduced by measures taken.
        Mitigated => "mitigated",
        /// Consciously accepted.
        Accepted => "accepted",
        /// No longer relevant.
        Closed => "closed",
    }
    default = Open;
}

/// A risk's two factors; the score and level follow from them. Serialized as the
/// four columns `likelihood`, `impact`, `risk_score`, `risk_level`.
///
/// ```
/// use aems_core::risk::risk_assessments::{RiskLevel, RiskRating};
/// use aems_core::{Impact, Likelihood};
///
/// let rating = RiskRating::new(Likelihood::new(5)?, Impact::new(4)?);
/// assert_eq!(rating.score().get(), 20);
/// assert_eq!(rating.level(), RiskLevel::Critical);
/// # Ok::<(), aems_core::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RiskRating {
    /// How likely the risk is.
    pub likelihood: Likelihood,
    /// How bad it would be.
    pub impact: Impact,
}

impl RiskRating {
    /// A rating from its factors.
    pub const fn new(likelihood: Likelihood, impact: Impact) -> Self {
        Self { likelihood, impact }
    }

    /// `likelihood × impact`.
    pub const fn score(self) -> RiskScore {
        RiskScore::of(self.likelihood, self.impact)
    }

    /// The band of the score.
    pub const fn level(self) -> RiskLevel {
        self.score().level()
    }
}

impl Serialize for RiskRating {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("RiskRating", 4)?;
        fields.serialize_field("likelihood", &self.likelihood)?;
        fields.serialize_field("impact", &self.impact)?;
        fields.serialize_field("risk_score", &self.score())?;
        fields.serialize_field("risk_level", &self.level())?;
        fields.end()
    }
}

/// A row of `risk.risk_assessments`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskAssessment {
    /// Primary key.
    pub id: RiskAssessmentId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The risk's name.
    pub risk_name: Text255,
    /// Its category.
    pub risk_category: Text100,
    /// What the risk is.
    pub description: LongText,
    /// Likelihood and impact (score and level derived).
    #[serde(flatten)]
    pub rating: RiskRating,
    /// The responsible employee.
    pub owner_id: EmployeeId,
    /// What is being done about it.
    pub status: RiskStatus,
    /// How it is being reduced.
    pub mitigation_plan: Option<LongText>,
    /// What happens if it occurs.
    pub contingency_plan: Option<LongText>,
    /// Last review.
    pub last_review_date: Option<NaiveDate>,
    /// Next review, after the last one.
    pub next_review_date: NaiveDate,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

/// The outcome of a review, as given by the reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassessment {
    /// New likelihood.
    pub likelihood: Likelihood,
    /// New impact.
    pub impact: Impact,
    /// When the review took place.
    pub reviewed_on: NaiveDate,
    /// When the next review is due (after `reviewed_on`).
    pub next_review_date: NaiveDate,
}

/// The columns a reassessment writes, together: `likelihood`, `impact`,
/// `risk_score`, `risk_level`, `last_review_date`, `next_review_date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RiskReassessment {
    /// New factors (score and level derived).
    #[serde(flatten)]
    pub rating: RiskRating,
    /// The review date.
    pub last_review_date: NaiveDate,
    /// The next review date.
    pub next_review_date: NaiveDate,
}

impl RiskReassessment {
    /// Writes the change onto a risk (what the DB layer does to the row).
    pub fn apply_to(&self, risk: &mut RiskAssessment) {
        risk.rating = self.rating;
        risk.last_review_date = Some(self.last_review_date);
        risk.next_review_date = self.next_review_date;
    }
}

impl RiskAssessment {
    /// Records a review: new factors (recomputing score and level), the review
    /// date and the next one.
    pub fn reassess(&self, review: Reassessment) -> Result<RiskReassessment, TransitionError> {
        if self.status == RiskStatus::Closed {
            return Err(TransitionError::Final {
                entity: "risk",
                state: RiskStatus::Closed.as_str(),
            });
        }
        let mut errors = FieldErrors::new();
        if let Some(previous) = self.last_review_date {
            require_not_before(
                &mut errors,
                "reviewed_on",
                review.reviewed_on,
                "last_review_date",
                previous,
            );
        }
        require_after(
            &mut errors,
            "next_review_date",
            review.next_review_date,
            "reviewed_on",
            review.reviewed_on,
        );
        errors.into_result()?;
        Ok(RiskReassessment {
            rating: RiskRating::new(review.likelihood, review.impact),
            last_review_date: review.reviewed_on,
            next_review_date: review.next_review_date,
        })
    }

    /// The risk with `patch` applied, or every reason it cannot be. Factors and
    /// review dates change through [`RiskAssessment::reassess`].
    pub fn patched(&self, patch: &RiskAssessmentPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                risk_name,
                risk_category,
                description,
                owner_id,
                status,
                mitigation_plan,
                contingency_plan,
                next_review_date,
            ]
        );
        check_review_dates(&mut errors, next.last_review_date, next.next_review_date);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to record a risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewRiskAssessment {
    /// The risk's name.
    pub risk_name: Text255,
    /// Its category.
    pub risk_category: Text100,
    /// What the risk is.
    pub description: LongText,
    /// How likely, 1–5.
    pub likelihood: Likelihood,
    /// How bad, 1–5.
    pub impact: Impact,
    /// The responsible employee.
    pub owner_id: EmployeeId,
    /// Status (default `open`).
    #[serde(default)]
    pub status: RiskStatus,
    /// How it is being reduced.
    #[serde(default)]
    pub mitigation_plan: Option<LongText>,
    /// What happens if it occurs.
    #[serde(default)]
    pub contingency_plan: Option<LongText>,
    /// Last review, if it was already reviewed.
    #[serde(default)]
    pub last_review_date: Option<NaiveDate>,
    /// Next review, after the last one.
    pub next_review_date: NaiveDate,
}

impl NewRiskAssessment {
    /// The factors to insert; score and level follow from them.
    pub fn rating(&self) -> RiskRating {
        RiskRating::new(self.likelihood, self.impact)
    }
}

impl Input for NewRiskAssessment {
    fn check_rules(&self, errors: &mut FieldErrors) {
        check_review_dates(errors, self.last_review_date, self.next_review_date);
    }
}

/// Changes to a risk's description, ownership, status and plans; the next review
/// may be rescheduled (still after the last review).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct RiskAssessmentPatch {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_name: Option<Text255>,
    /// New category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_category: Option<Text100>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LongText>,
    /// New owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<EmployeeId>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RiskStatus>,
    /// New mitigation plan; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub mitigation_plan: Option<Option<LongText>>,
    /// New contingency plan; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub contingency_plan: Option<Option<LongText>>,
    /// Rescheduled next review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_review_date: Option<NaiveDate>,
}

impl Input for RiskAssessmentPatch {}

/// The next review comes after the last one.
fn check_review_dates(errors: &mut FieldErrors, last: Option<NaiveDate>, next: NaiveDate) {
    if let Some(last) = last {
        require_after(errors, "next_review_date", next, "last_review_date", last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    fn risk() -> RiskAssessment {
        let now = Utc::now();
        let user = UserId::new();
        RiskAssessment {
            id: RiskAssessmentId::new(),
            tenant_id: TenantId::new(),
            risk_name: "Supplier failure".parse().unwrap(),
            risk_category: "Operations".parse().unwrap(),
            description: "Single source for chips".parse().unwrap(),
            rating: RiskRating::new(Likelihood::new(2).unwrap(), Impact::new(2).unwrap()),
            owner_id: EmployeeId::new(),
            status: RiskStatus::Open,
            mitigation_plan: None,
            contingency_plan: None,
            last_review_date: Some(date(1, 10)),
            next_review_date: date(4, 10),
            created_at: now,
            updated_at: now,
            created_by: user,
            updated_by: user,
        }
    }

    fn review(l: i32, i: i32, on: NaiveDate, next: NaiveDate) -> Reassessment {
        Reassessment {
            likelihood: Likelihood::new(l).unwrap(),
            impact: Impact::new(i).unwrap(),
            reviewed_on: on,
            next_review_date: next,
        }
    }

    #[test]
    fn reassessment_recomputes_score_and_level_and_moves_the_dates() {
        let mut risk = risk();
        assert_eq!(risk.rating.level(), RiskLevel::Low);
        risk.reassess(review(4, 5, date(3, 1), date(3, 15)))
            .unwrap()
            .apply_to(&mut risk);
        assert_eq!(risk.rating.score().get(), 20);
        assert_eq!(risk.rating.level(), RiskLevel::Critical);
        assert_eq!(risk.last_review_date, Some(date(3, 1)));
        assert_eq!(risk.next_review_date, date(3, 15));
    }

    #[test]
    fn next_review_must_follow_the_review() {
        let risk = risk();
        assert!(risk.reassess(review(3, 3, date(3, 1), date(3, 2))).is_ok());
        let error = risk
            .reassess(review(3, 3, date(3, 1), date(3, 1)))
            .unwrap_err();
        let TransitionError::Invalid(error) = error else {
            panic!("{error:?}")
        };
        assert!(error.has("next_review_date", ErrorCode::DateOrder));
    }

    #[test]
    fn a_review_cannot_predate_the_previous_one() {
        let risk = risk();
        assert!(risk.reassess(review(3, 3, date(1, 10), date(2, 1))).is_ok());
        assert!(risk.reassess(review(3, 3, date(1, 9), date(2, 1))).is_err());
    }

    #[test]
    fn closed_risks_are_not_reassessed() {
        let mut risk = risk();
        risk.status = RiskStatus::Closed;
        assert!(matches!(
            risk.reassess(review(1, 1, date(5, 1), date(6, 1))),
            Err(TransitionError::Final { .. })
        ));
    }

    #[test]
    fn serialized_risk_carries_the_derived_columns() {
        let json = serde_json::to_value(risk()).unwrap();
        assert_eq!(json["likelihood"], 2);
        assert_eq!(json["risk_score"], 4);
        assert_eq!(json["risk_level"], "low");
    }

    #[test]
    fn rescheduling_before_the_last_review_is_refused() {
        let patch = RiskAssessmentPatch {
            next_review_date: Some(date(1, 10)),
            ..Default::default()
        };
        assert!(
            risk()
                .patched(&patch)
                .unwrap_err()
                .has("next_review_date", ErrorCode::DateOrder)
        );
        assert!(serde_json::from_str::<RiskAssessmentPatch>(r#"{"risk_score": 25}"#).is_err());
    }
}
