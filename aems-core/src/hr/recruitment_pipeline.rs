//! `hr.recruitment_pipeline`: candidates for open positions and how they move
//! through hiring.
//!
//! ## Stage rules
//!
//! ```text
//! applied → screening → interview → reference_check → offer → hired
//!    └──────────┴───────────┴──────────────┴────────────┴──→ rejected
//! ```
//!
//! * An active candidate moves forward through the open stages, possibly skipping
//!   some (a referral may go straight to interview); never back.
//! * [`Candidate::hire`] only from `offer`; [`Candidate::reject`] from any open
//!   stage and only with a reason. Stage and status move together: `hired`/`hired`,
//!   `rejected`/`rejected`.
//! * [`Candidate::withdraw`] keeps the stage reached and sets the status
//!   `withdrawn`.
//! * Hired, rejected and withdrawn candidates are final.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors, TransitionError};
use crate::ids::{CandidateId, EmployeeId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, non_negative, nullable, require_not_before};
use crate::values::{Email, LongText, Money12, PhoneE164, Text100, Text150, Text255, Url};

db_enum! {
    /// Where a candidate is in hiring (`recruitment_pipeline.stage`).
    pub enum RecruitmentStage {
        /// Application received.
        Applied => "applied",
        /// First screening.
        Screening => "screening",
        /// Interviews.
        Interview => "interview",
        /// References being checked.
        ReferenceCheck => "reference_check",
        /// An offer was made.
        Offer => "offer",
        /// Hired (final).
        Hired => "hired",
        /// Rejected (final).
        Rejected => "rejected",
    }
}

impl RecruitmentStage {
    /// Whether the stage ends the process.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Hired | Self::Rejected)
    }
}

db_enum! {
    /// A candidate's state (`recruitment_pipeline.status`).
    pub enum RecruitmentStatus {
        /// In the process (the SQL default).
        Active => "active",
        /// Hired (final).
        Hired => "hired",
        /// Rejected (final).
        Rejected => "rejected",
        /// Withdrew (final).
        Withdrawn => "withdrawn",
    }
    default = Active;
}

/// A row of `hr.recruitment_pipeline`: one candidate for one position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Primary key.
    pub id: CandidateId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The position.
    pub job_title: Text150,
    /// Its department.
    pub department: Text100,
    /// The candidate's name.
    pub candidate_name: Text255,
    /// The candidate's address.
    pub candidate_email: Email,
    /// The candidate's phone.
    pub candidate_phone: Option<PhoneE164>,
    /// Where they are in hiring.
    pub stage: RecruitmentStage,
    /// Where the candidate came from.
    pub source: Option<Text100>,
    /// The recruiter (a user).
    pub recruiter_id: UserId,
    /// The hiring manager (an employee).
    pub hiring_manager_id: EmployeeId,
    /// Link to the résumé.
    pub resume_url: Option<Url>,
    /// Link to the cover letter.
    pub cover_letter_url: Option<Url>,
    /// When they applied.
    pub application_date: NaiveDate,
    /// When they would start (not before the application).
    pub expected_start_date: Option<NaiveDate>,
    /// Salary asked for.
    pub salary_expectation: Option<Money12>,
    /// Their state.
    pub status: RecruitmentStatus,
    /// Why they were rejected; set exactly when rejected.
    pub rejection_reason: Option<LongText>,
    /// Free notes.
    pub notes: Option<LongText>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

/// The columns a recruitment transition writes, together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateChange {
    /// New stage.
    pub stage: RecruitmentStage,
    /// New status.
    pub status: RecruitmentStatus,
    /// Rejection reason (set only by a rejection).
    pub rejection_reason: Option<LongText>,
    /// Expected start date (unchanged unless a hire sets it).
    pub expected_start_date: Option<NaiveDate>,
}

impl CandidateChange {
    /// Writes the change onto a candidate (what the DB layer does to the row).
    pub fn apply_to(&self, candidate: &mut Candidate) {
        candidate.stage = self.stage;
        candidate.status = self.status;
        candidate.rejection_reason = self.rejection_reason.clone();
        candidate.expected_start_date = self.expected_start_date;
    }
}

impl Candidate {
    /// Moves an active candidate forward to a later open stage.
    pub fn move_to_stage(&self, to: RecruitmentStage) -> Result<CandidateChange, TransitionError> {
        self.require_active()?;
        if to.is_final() || to <= self.stage {
            return Err(self.illegal(to));
        }
        Ok(self.change(to, RecruitmentStatus::Active))
    }

    /// Hires a candidate who has an offer; `expected_start_date` replaces the
    /// stored one when given and must not precede the application.
    pub fn hire(
        &self,
        expected_start_date: Option<NaiveDate>,
    ) -> Result<CandidateChange, TransitionError> {
        self.require_active()?;
        if self.stage != RecruitmentStage::Offer {
            return Err(self.illegal(RecruitmentStage::Hired));
        }
        let mut change = self.change(RecruitmentStage::Hired, RecruitmentStatus::Hired);
        if let Some(start) = expected_start_date {
            let mut errors = FieldErrors::new();
            check_start(&mut errors, self.application_date, Some(start));
            errors.into_result()?;
            change.expected_start_date = Some(start);
        }
        Ok(change)
    }

    /// Rejects an active candidate, for a reason (a [`LongText`], so never empty).
    pub fn reject(&self, reason: LongText) -> Result<CandidateChange, TransitionError> {
        self.require_active()?;
        let mut change = self.change(RecruitmentStage::Rejected, RecruitmentStatus::Rejected);
        change.rejection_reason = Some(reason);
        Ok(change)
    }

    /// Records that an active candidate withdrew, keeping the stage reached.
    pub fn withdraw(&self) -> Result<CandidateChange, TransitionError> {
        self.require_active()?;
        Ok(self.change(self.stage, RecruitmentStatus::Withdrawn))
    }

    /// The candidate with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &CandidatePatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                job_title,
                department,
                candidate_name,
                candidate_email,
                candidate_phone,
                source,
                recruiter_id,
                hiring_manager_id,
                resume_url,
                cover_letter_url,
                application_date,
                expected_start_date,
                salary_expectation,
                notes,
            ]
        );
        check_start(&mut errors, next.application_date, next.expected_start_date);
        errors.into_result()?;
        Ok(next)
    }

    fn require_active(&self) -> Result<(), TransitionError> {
        if self.status == RecruitmentStatus::Active && !self.stage.is_final() {
            Ok(())
        } else {
            Err(TransitionError::Final {
                entity: "candidate",
                state: self.status.as_str(),
            })
        }
    }

    fn change(&self, stage: RecruitmentStage, status: RecruitmentStatus) -> CandidateChange {
        CandidateChange {
            stage,
            status,
            rejection_reason: self.rejection_reason.clone(),
            expected_start_date: self.expected_start_date,
        }
    }

    fn illegal(&self, to: RecruitmentStage) -> TransitionError {
        TransitionError::IllegalMove {
            entity: "candidate",
            from: self.stage.as_str(),
            to: to.as_str(),
        }
    }
}

/// Input to add a candidate; they start active, in an open stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewCandidate {
    /// The position.
    pub job_title: Text150,
    /// Its department.
    pub department: Text100,
    /// The candidate's name.
    pub candidate_name: Text255,
    /// The candidate's address.
    pub candidate_email: Email,
    /// The candidate's phone.
    #[serde(default)]
    pub candidate_phone: Option<PhoneE164>,
    /// Starting stage (an open one; usually `applied`).
    pub stage: RecruitmentStage,
    /// Where the candidate came from.
    #[serde(default)]
    pub source: Option<Text100>,
    /// The recruiter.
    pub recruiter_id: UserId,
    /// The hiring manager.
    pub hiring_manager_id: EmployeeId,
    /// Link to the résumé.
    #[serde(default)]
    pub resume_url: Option<Url>,
    /// Link to the cover letter.
    #[serde(default)]
    pub cover_letter_url: Option<Url>,
    /// When they applied.
    pub application_date: NaiveDate,
    /// When they would start.
    #[serde(default)]
    pub expected_start_date: Option<NaiveDate>,
    /// Salary asked for (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub salary_expectation: Option<Money12>,
    /// Free notes.
    #[serde(default)]
    pub notes: Option<LongText>,
}

impl Input for NewCandidate {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if self.stage.is_final() {
            errors.push(
                "stage",
                ErrorCode::NotAllowed,
                "a new candidate starts in an open stage",
            );
        }
        check_start(errors, self.application_date, self.expected_start_date);
    }
}

/// Changes to a candidate's details. Stage, status and rejection reason change
/// only through the transitions of [`Candidate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct CandidatePatch {
    /// New position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<Text150>,
    /// New department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<Text100>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_name: Option<Text255>,
    /// New address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_email: Option<Email>,
    /// New phone; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub candidate_phone: Option<Option<PhoneE164>>,
    /// New source; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub source: Option<Option<Text100>>,
    /// New recruiter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recruiter_id: Option<UserId>,
    /// New hiring manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hiring_manager_id: Option<EmployeeId>,
    /// New résumé link; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub resume_url: Option<Option<Url>>,
    /// New cover letter link; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub cover_letter_url: Option<Option<Url>>,
    /// Corrected application date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_date: Option<NaiveDate>,
    /// New expected start; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub expected_start_date: Option<Option<NaiveDate>>,
    /// New salary expectation; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    #[validate(custom(function = "non_negative"))]
    pub salary_expectation: Option<Option<Money12>>,
    /// New notes; `Some(None)` clears them.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub notes: Option<Option<LongText>>,
}

impl Input for CandidatePatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let (Some(applied), Some(start)) = (self.application_date, self.expected_start_date) {
            check_start(errors, applied, start);
        }
    }
}

/// Nobody starts before applying.
fn check_start(errors: &mut FieldErrors, application: NaiveDate, start: Option<NaiveDate>) {
    if let Some(start) = start {
        require_not_before(
            errors,
            "expected_start_date",
            start,
            "application_date",
            application,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecruitmentStage::*;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    fn candidate_at(stage: RecruitmentStage) -> Candidate {
        let now = Utc::now();
        let user = UserId::new();
        Candidate {
            id: CandidateId::new(),
            tenant_id: TenantId::new(),
            job_title: "Engineer".parse().unwrap(),
            department: "R&D".parse().unwrap(),
            candidate_name: "Alan Turing".parse().unwrap(),
            candidate_email: "alan@example.com".parse().unwrap(),
            candidate_phone: None,
            stage,
            source: None,
            recruiter_id: user,
            hiring_manager_id: EmployeeId::new(),
            resume_url: None,
            cover_letter_url: None,
            application_date: date(3, 1),
            expected_start_date: None,
            salary_expectation: None,
            status: RecruitmentStatus::Active,
            rejection_reason: None,
            notes: None,
            created_at: now,
            updated_at: now,
            created_by: user,
            updated_by: user,
        }
    }

    #[test]
    fn candidates_move_forward_possibly_skipping() {
        assert!(candidate_at(Applied).move_to_stage(Screening).is_ok());
        assert!(candidate_at(Applied).move_to_stage(Interview).is_ok());
        assert!(candidate_at(Interview).move_to_stage(Screening).is_err());
        assert!(candidate_at(Interview).move_to_stage(Interview).is_err());
    }

    #[test]
    fn hired_and_rejected_are_reached_only_through_their_transitions() {
        assert!(candidate_at(Offer).move_to_stage(Hired).is_err());
        assert!(candidate_at(Offer).move_to_stage(Rejected).is_err());
    }

    #[test]
    fn hiring_needs_an_offer() {
        assert!(matches!(
            candidate_at(ReferenceCheck).hire(None),
            Err(TransitionError::IllegalMove { .. })
        ));
        let change = candidate_at(Offer).hire(Some(date(4, 1))).unwrap();
        assert_eq!(
            (change.stage, change.status),
            (Hired, RecruitmentStatus::Hired)
        );
        assert_eq!(change.expected_start_date, Some(date(4, 1)));
    }

    #[test]
    fn a_start_before_the_application_is_refused() {
        assert!(matches!(
            candidate_at(Offer).hire(Some(date(2, 28))),
            Err(TransitionError::Invalid(_))
        ));
        assert!(candidate_at(Offer).hire(Some(date(3, 1))).is_ok());
    }

    #[test]
    fn rejection_records_its_reason_and_is_final() {
        let mut candidate = candidate_at(Interview);
        let reason: LongText = "Not enough experience".parse().unwrap();
        candidate
            .reject(reason.clone())
            .unwrap()
            .apply_to(&mut candidate);
        assert_eq!(
            (candidate.stage, candidate.status),
            (Rejected, RecruitmentStatus::Rejected)
        );
        assert_eq!(candidate.rejection_reason, Some(reason));
        assert!(candidate.move_to_stage(Offer).is_err());
        assert!(candidate.hire(None).is_err());
        assert!(candidate.withdraw().is_err());
        assert!(
            "  ".parse::<LongText>().is_err(),
            "an empty reason cannot even be built"
        );
    }

    #[test]
    fn withdrawal_keeps_the_stage_and_is_final() {
        let mut candidate = candidate_at(Interview);
        candidate.withdraw().unwrap().apply_to(&mut candidate);
        assert_eq!(
            (candidate.stage, candidate.status),
            (Interview, RecruitmentStatus::Withdrawn)
        );
        assert!(matches!(
            candidate.move_to_stage(Offer),
            Err(TransitionError::Final { .. })
        ));
    }

    #[test]
    fn hired_candidates_are_final() {
        let mut candidate = candidate_at(Offer);
        candidate.hire(None).unwrap().apply_to(&mut candidate);
        assert!(candidate.reject("Changed mind".parse().unwrap()).is_err());
    }
}
