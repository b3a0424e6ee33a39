//! HR: `hr_metrics`, `employees`, `recruitment_pipeline`.

pub mod employees;
pub mod hr_metrics;
pub mod recruitment_pipeline;

use crate::unit_of_work::Executor;

pub use employees::{EmployeeFilter, Employees};
pub use hr_metrics::{HrMetricFilter, HrMetrics};
pub use recruitment_pipeline::{CandidateFilter, Hire, RecruitmentPipeline};

/// The hr repositories, reachable from any executor (`uow.employees()`).
pub trait HrRepositories: Executor + Sized {
    /// `hr.hr_metrics`.
    fn hr_metrics(&mut self) -> HrMetrics<'_, Self> {
        HrMetrics::new(self)
    }

    /// `hr.employees`.
    fn employees(&mut self) -> Employees<'_, Self> {
        Employees::new(self)
    }

    /// `hr.recruitment_pipeline`.
    fn recruitment_pipeline(&mut self) -> RecruitmentPipeline<'_, Self> {
        RecruitmentPipeline::new(self)
    }
}

impl<E: Executor> HrRepositories for E {}
