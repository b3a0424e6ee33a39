//! The `hr` schema: HR metrics, employees and the recruitment pipeline.

pub mod employees;
pub mod hr_metrics;
pub mod recruitment_pipeline;
