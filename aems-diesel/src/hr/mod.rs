//! HR: `hr_metrics`, `employees`, `recruitment_pipeline`.

pub mod employees;
pub mod hr_metrics;
pub mod recruitment_pipeline;

use crate::repository::domain_repositories;

pub use employees::{EmployeeFilter, Employees};
pub use hr_metrics::{HrMetricFilter, HrMetrics};
pub use recruitment_pipeline::{CandidateFilter, Hire, RecruitmentPipeline};

domain_repositories! {
    /// The hr repositories, reachable from any executor (`uow.employees()`).
    pub trait HrRepositories {
        /// `hr.hr_metrics`.
        hr_metrics => HrMetrics,
        /// `hr.employees`.
        employees => Employees,
        /// `hr.recruitment_pipeline`.
        recruitment_pipeline => RecruitmentPipeline,
    }
}
