//! Products: `products`, `inventory_levels`, `product_performance`.

pub mod inventory_levels;
pub mod product_performance;
// Named after its table like every other file (and like aems-core's), even
// though that repeats the schema's name.
#[allow(clippy::module_inception)]
pub mod products;

use crate::unit_of_work::Executor;

pub use inventory_levels::{InventoryLevelFilter, InventoryLevels};
pub use product_performance::{ProductPerformanceFilter, ProductPerformances};
pub use products::{ProductFilter, Products};

/// The products repositories, reachable from any executor (`uow.products()`).
pub trait ProductsRepositories: Executor + Sized {
    /// `products.products`.
    fn products(&mut self) -> Products<'_, Self> {
        Products::new(self)
    }

    /// `products.inventory_levels`.
    fn inventory_levels(&mut self) -> InventoryLevels<'_, Self> {
        InventoryLevels::new(self)
    }

    /// `products.product_performance`.
    fn product_performance(&mut self) -> ProductPerformances<'_, Self> {
        ProductPerformances::new(self)
    }
}

impl<E: Executor> ProductsRepositories for E {}
