//! Risk and compliance: risk_assessments, compliance_records, audit_logs.

use crate::unit_of_work::Executor;

/// The risk repositories, reachable from any executor.
pub trait RiskRepositories: Executor + Sized {}

impl<E: Executor> RiskRepositories for E {}
