//! The `products` schema: the catalogue, stock per warehouse and product performance.

pub mod inventory_levels;
pub mod product_performance;
// Named after its table like every other file, even though that repeats the
// schema's name.
#[allow(clippy::module_inception)]
pub mod products;
