//! `products` tables through their repositories.

mod inventory_levels;
mod product_performance;
// Named after its table like every other test file.
#[allow(clippy::module_inception)]
mod products;
mod round_trips;

use aems_core::products::products::{LifecycleStage, NewProduct, ProductStatus};
use chrono::NaiveDate;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A valid new product `sku` named `name`, costing 60.00 and selling at 80.00.
pub fn new_product(sku: &str, name: &str) -> NewProduct {
    NewProduct {
        sku: sku.parse().unwrap(),
        name: name.parse().unwrap(),
        description: None,
        category: "Tools".parse().unwrap(),
        subcategory: None,
        brand: None,
        unit_cost: "60.00".parse().unwrap(),
        selling_price: "80.00".parse().unwrap(),
        weight: None,
        dimensions: None,
        lifecycle_stage: LifecycleStage::Growth,
        launch_date: None,
        discontinue_date: None,
        supplier_info: None,
        status: ProductStatus::Active,
    }
}
