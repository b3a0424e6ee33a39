//! The `risk` schema: risk assessments, compliance records and the audit trail.

pub mod audit_logs;
pub mod compliance_records;
pub mod risk_assessments;
