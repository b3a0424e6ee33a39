//! The `sales` schema: sales metrics, customers and the deal pipeline.

pub mod customers;
pub mod sales_metrics;
pub mod sales_pipeline;
