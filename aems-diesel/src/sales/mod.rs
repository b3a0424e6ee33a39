//! Sales: `sales_metrics`, `customers`, `sales_pipeline`.

pub mod customers;

use crate::unit_of_work::Executor;

pub use customers::{CustomerFilter, Customers};

/// The sales repositories, reachable from any executor (`uow.customers()`).
pub trait SalesRepositories: Executor + Sized {
    /// `sales.customers`.
    fn customers(&mut self) -> Customers<'_, Self> {
        Customers::new(self)
    }
}

impl<E: Executor> SalesRepositories for E {}
