//! Risk and compliance: risk_assessments, compliance_records (the audit trail
//! is [`crate::audit`]).

pub mod compliance_records;
pub mod risk_assessments;

use crate::repository::domain_repositories;

pub use compliance_records::{ComplianceRecordFilter, ComplianceRecords};
pub use risk_assessments::{RevisedPlans, RiskAssessmentFilter, RiskAssessments};

domain_repositories! {
    /// The risk repositories, reachable from any executor
    /// (`uow.risk_assessments()`, `uow.compliance_records()`).
    pub trait RiskRepositories {
        /// `risk.risk_assessments`.
        risk_assessments => RiskAssessments,
        /// `risk.compliance_records`.
        compliance_records => ComplianceRecords,
    }
}
