//! HR: hr_metrics, employees, recruitment_pipeline.

use crate::unit_of_work::Executor;

/// The hr repositories, reachable from any executor.
pub trait HrRepositories: Executor + Sized {}

impl<E: Executor> HrRepositories for E {}
