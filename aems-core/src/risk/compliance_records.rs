//! `risk.compliance_records`: how the tenant meets each regulatory requirement.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, FieldErrors};
use crate::ids::{ComplianceRecordId, EmployeeId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable, require_after};
use crate::values::{LongText, Text100, Text255};

db_enum! {
    /// Whether a requirement is met (`compliance_records.compliance_status`).
    pub enum ComplianceStatus {
        /// Met.
        Compliant => "compliant",
        /// Not met.
        NonCompliant => "non_compliant",
        /// Being worked on.
        InProgress => "in_progress",
        /// Does not apply.
        NotApplicable => "not_applicable",
    }
}

/// A row of `risk.compliance_records`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceRecord {
    /// Primary key.
    pub id: ComplianceRecordId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The regulation (e.g. GDPR).
    pub regulation_name: Text255,
    /// The area it concerns.
    pub compliance_area: Text100,
    /// The requirement.
    pub requirement_description: LongText,
    /// Whether it is met.
    pub compliance_status: ComplianceStatus,
    /// Last audit.
    pub last_audit_date: Option<NaiveDate>,
    /// Next audit, after the last one.
    pub next_audit_date: Option<NaiveDate>,
    /// The responsible employee.
    pub responsible_party: EmployeeId,
    /// Where the evidence is.
    pub evidence_documentation: Option<LongText>,
    /// How a gap will be closed.
    pub remediation_plan: Option<LongText>,
    /// When it must be met.
    pub deadline: Option<NaiveDate>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

impl ComplianceRecord {
    /// The record with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &ComplianceRecordPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                regulation_name,
                compliance_area,
                requirement_description,
                compliance_status,
                last_audit_date,
                next_audit_date,
                responsible_party,
                evidence_documentation,
                remediation_plan,
                deadline,
            ]
        );
        check_audit_dates(&mut errors, next.last_audit_date, next.next_audit_date);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to record a compliance requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewComplianceRecord {
    /// The regulation.
    pub regulation_name: Text255,
    /// The area.
    pub compliance_area: Text100,
    /// The requirement.
    pub requirement_description: LongText,
    /// Whether it is met.
    pub compliance_status: ComplianceStatus,
    /// Last audit.
    #[serde(default)]
    pub last_audit_date: Option<NaiveDate>,
    /// Next audit.
    #[serde(default)]
    pub next_audit_date: Option<NaiveDate>,
    /// The responsible employee.
    pub responsible_party: EmployeeId,
    /// Where the evidence is.
    #[serde(default)]
    pub evidence_documentation: Option<LongText>,
    /// How a gap will be closed.
    #[serde(default)]
    pub remediation_plan: Option<LongText>,
    /// When it must be met.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
}

impl Input for NewComplianceRecord {
    fn check_rules(&self, errors: &mut FieldErrors) {
        check_audit_dates(errors, self.last_audit_date, self.next_audit_date);
    }
}

/// Changes to a compliance record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ComplianceRecordPatch {
    /// New regulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regulation_name: Option<Text255>,
    /// New area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_area: Option<Text100>,
    /// New requirement text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement_description: Option<LongText>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_status: Option<ComplianceStatus>,
    /// New last audit; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub last_audit_date: Option<Option<NaiveDate>>,
    /// New next audit; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub next_audit_date: Option<Option<NaiveDate>>,
    /// New responsible employee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_party: Option<EmployeeId>,
    /// New evidence; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub evidence_documentation: Option<Option<LongText>>,
    /// New remediation plan; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub remediation_plan: Option<Option<LongText>>,
    /// New deadline; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub deadline: Option<Option<NaiveDate>>,
}

impl Input for ComplianceRecordPatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let (Some(last), Some(next)) = (self.last_audit_date, self.next_audit_date) {
            check_audit_dates(errors, last, next);
        }
    }
}

/// The next audit comes after the last one.
fn check_audit_dates(errors: &mut FieldErrors, last: Option<NaiveDate>, next: Option<NaiveDate>) {
    if let (Some(last), Some(next)) = (last, next) {
        require_after(errors, "next_audit_date", next, "last_audit_date", last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    fn input() -> NewComplianceRecord {
        NewComplianceRecord {
            regulation_name: "GDPR".parse().unwrap(),
            compliance_area: "Privacy".parse().unwrap(),
            requirement_description: "Records of processing".parse().unwrap(),
            compliance_status: ComplianceStatus::InProgress,
            last_audit_date: Some(date(1, 1)),
            next_audit_date: Some(date(1, 2)),
            responsible_party: EmployeeId::new(),
            evidence_documentation: None,
            remediation_plan: None,
            deadline: None,
        }
    }

    #[test]
    fn next_audit_must_follow_the_last() {
        assert!(input().check().is_ok());
        let mut record = input();
        record.next_audit_date = Some(date(1, 1));
        assert!(
            record
                .check()
                .unwrap_err()
                .has("next_audit_date", ErrorCode::DateOrder)
        );
        record.last_audit_date = None;
        assert!(record.check().is_ok());
    }

    #[test]
    fn status_strings_match_the_check_list() {
        let names: Vec<&str> = ComplianceStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "compliant",
                "non_compliant",
                "in_progress",
                "not_applicable"
            ]
        );
    }
}
