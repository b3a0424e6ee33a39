//! Sales: `sales_metrics`, `customers`, `sales_pipeline`.

pub mod customers;
pub mod sales_metrics;
pub mod sales_pipeline;

use crate::repository::domain_repositories;

pub use customers::{CustomerFilter, Customers};
pub use sales_metrics::{SalesMetricFilter, SalesMetrics};
pub use sales_pipeline::{DealFilter, SalesPipeline};

domain_repositories! {
    /// The sales repositories, reachable from any executor (`uow.customers()`).
    pub trait SalesRepositories {
        /// `sales.customers`.
        customers => Customers,
        /// `sales.sales_metrics`.
        sales_metrics => SalesMetrics,
        /// `sales.sales_pipeline` (deals).
        sales_pipeline => SalesPipeline,
    }
}
