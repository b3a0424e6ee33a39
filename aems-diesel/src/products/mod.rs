//! Products: `products`, `inventory_levels`, `product_performance`.

pub mod inventory_levels;
pub mod product_performance;
// Named after its table like every other file (and like aems-core's), even
// though that repeats the schema's name.
#[allow(clippy::module_inception)]
pub mod products;

use crate::repository::domain_repositories;

pub use inventory_levels::{InventoryLevelFilter, InventoryLevels};
pub use product_performance::{ProductPerformanceFilter, ProductPerformances};
pub use products::{ProductFilter, Products};

domain_repositories! {
    /// The products repositories, reachable from any executor (`uow.products()`).
    pub trait ProductsRepositories {
        /// `products.products`.
        products => Products,
        /// `products.inventory_levels`.
        inventory_levels => InventoryLevels,
        /// `products.product_performance`.
        product_performance => ProductPerformances,
    }
}
