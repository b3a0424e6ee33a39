//! Risk and compliance: risk_assessments, compliance_records (the audit trail
//! is [`crate::audit`]).

pub mod compliance_records;
pub mod risk_assessments;

use crate::unit_of_work::Executor;

pub use compliance_records::{ComplianceRecordFilter, ComplianceRecords};
pub use risk_assessments::{RevisedPlans, RiskAssessmentFilter, RiskAssessments};

/// The risk repositories, reachable from any executor
/// (`uow.risk_assessments()`, `uow.compliance_records()`).
pub trait RiskRepositories: Executor + Sized {
    /// `risk.risk_assessments`.
    fn risk_assessments(&mut self) -> RiskAssessments<'_, Self> {
        RiskAssessments::new(self)
    }

    /// `risk.compliance_records`.
    fn compliance_records(&mut self) -> ComplianceRecords<'_, Self> {
        ComplianceRecords::new(self)
    }
}

impl<E: Executor> RiskRepositories for E {}
