//! Products: products, inventory_levels, product_performance.

use crate::unit_of_work::Executor;

/// The products repositories, reachable from any executor.
pub trait ProductsRepositories: Executor + Sized {}

impl<E: Executor> ProductsRepositories for E {}
