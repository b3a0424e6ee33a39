//! Sales: `sales_metrics`, `customers`, `sales_pipeline`.

pub mod customers;
pub mod sales_metrics;
pub mod sales_pipeline;

use crate::unit_of_work::Executor;

pub use customers::{CustomerFilter, Customers};
pub use sales_metrics::{SalesMetricFilter, SalesMetrics};
pub use sales_pipeline::{DealFilter, SalesPipeline};

/// The sales repositories, reachable from any executor (`uow.customers()`).
pub trait SalesRepositories: Executor + Sized {
    /// `sales.customers`.
    fn customers(&mut self) -> Customers<'_, Self> {
        Customers::new(self)
    }

    /// `sales.sales_metrics`.
    fn sales_metrics(&mut self) -> SalesMetrics<'_, Self> {
        SalesMetrics::new(self)
    }

    /// `sales.sales_pipeline` (deals).
    fn sales_pipeline(&mut self) -> SalesPipeline<'_, Self> {
        SalesPipeline::new(self)
    }
}

impl<E: Executor> SalesRepositories for E {}
