//! products: the catalogue, stock per warehouse through the stock operations,
//! monthly performance.

use aems_core::PeriodType;
use aems_core::products::inventory_levels::NewInventoryLevel;
use aems_core::products::product_performance::NewProductPerformance;
use aems_core::products::products::{LifecycleStage, NewProduct, ProductStatus};
use chrono::{Months, TimeDelta};
use serde_json::json;

use crate::products::ProductsRepositories;

use super::*;

impl TenantRun<'_> {
    /// The catalogue, its stock per warehouse (then reserved, fulfilled,
    /// restocked and counted through the stock operations), and its monthly
    /// performance since launch.
    pub(super) async fn products(&self) -> Result<()> {
        if self.counts.products == 0 {
            return Ok(());
        }
        let mut rng = self.rng(Stream::Products);
        let as_of = self.as_of();
        let brands: Vec<&str> = (0..3).map(|_| *rng.pick(BRANDS)).collect();
        let mut news = Vec::new();
        for n in 0..self.counts.products {
            let (category, code, nouns, subcategories) = *rng.pick(PRODUCT_CATEGORIES);
            let brand = *rng.pick(&brands);
            let noun = *rng.pick(nouns);
            let cost = rng.range(200, 80_000);
            let price = cost * rng.range(115, 260) / 100 + 1;
            let lifecycle = rng.weighted(&[
                (LifecycleStage::Development, 6),
                (LifecycleStage::Launch, 10),
                (LifecycleStage::Growth, 28),
                (LifecycleStage::Maturity, 38),
                (LifecycleStage::Decline, 12),
                (LifecycleStage::Discontinued, 6),
            ]);
            let launch = match lifecycle {
                LifecycleStage::Development => None,
                LifecycleStage::Launch => Some(minus_days(as_of, rng.range(10, 120))),
                LifecycleStage::Growth => Some(minus_days(as_of, rng.range(120, 700))),
                LifecycleStage::Maturity => Some(minus_days(as_of, rng.range(500, 2500))),
                _ => Some(minus_days(as_of, rng.range(1200, 3000))),
            };
            let discontinue = match (lifecycle, launch) {
                (LifecycleStage::Discontinued, Some(l)) => {
                    let span = (as_of - l).num_days();
                    Some(l + TimeDelta::days(rng.range(span / 2, span)))
                }
                _ => None,
            };
            let status = match lifecycle {
                LifecycleStage::Discontinued => ProductStatus::Discontinued,
                LifecycleStage::Development => ProductStatus::Inactive,
                _ => rng.weighted(&[(ProductStatus::Active, 92), (ProductStatus::OutOfStock, 8)]),
            };
            let model = format!(
                "{}{}",
                rng.pick(&["X", "S", "Pro ", "Max ", "Go ", ""]),
                rng.range(1, 99) * 10
            );
            news.push(NewProduct {
                sku: text("sku", format!("{code}-{:05}", n + 1))?,
                name: text(
                    "name",
                    format!("{brand} {} {noun} {model}", rng.pick(PRODUCT_ADJECTIVES)),
                )?,
                description: if rng.chance(85) {
                    Some(text(
                        "description",
                        format!(
                            "{} {} {} for {}.",
                            rng.pick(PRODUCT_ADJECTIVES),
                            noun.to_lowercase(),
                            rng.pick(&[
                                "built to last",
                                "with a two-year warranty",
                                "made from recycled materials",
                                "designed in-house",
                                "in four colours"
                            ]),
                            rng.pick(&[
                                "home offices",
                                "busy teams",
                                "outdoor use",
                                "everyday use",
                                "professionals"
                            ])
                        ),
                    )?)
                } else {
                    None
                },
                category: text("category", category)?,
                subcategory: Some(text("subcategory", *rng.pick(subcategories))?),
                brand: Some(text("brand", brand)?),
                unit_cost: numeric("unit_cost", cost)?,
                selling_price: numeric("selling_price", price)?,
                weight: Some(numeric::<10, 3>("weight", rng.range(50, 40_000))?),
                dimensions: Some(object(json!({
                    "length_cm": rng.range(5, 120),
                    "width_cm": rng.range(5, 80),
                    "height_cm": rng.range(2, 60),
                }))),
                lifecycle_stage: lifecycle,
                launch_date: launch,
                discontinue_date: discontinue,
                supplier_info: Some(object(json!({
                    "supplier": rng.pick(SUPPLIERS),
                    "lead_time_days": rng.range(7, 90),
                    "minimum_order_quantity": rng.range(1, 50) * 10,
                    "country": rng.pick(&["CN", "VN", "DE", "US", "MX", "PL", "TW", "IN"]),
                }))),
                status,
            });
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        let created = uow.products().create_many(news).await?;
        let products: Vec<ProductRef> = created
            .iter()
            .map(|p| ProductRef {
                id: p.id,
                cost_cents: minor_units(p.pricing.unit_cost().as_decimal()),
                price_cents: minor_units(p.pricing.selling_price().as_decimal()),
                lifecycle: p.lifecycle_stage,
                launch: p.launch_date,
            })
            .collect();
        self.inventory(&mut uow, &products).await?;
        self.performance(&mut uow, &products).await?;
        uow.commit().await?;
        Ok(())
    }

    async fn inventory(&self, uow: &mut crate::UnitOfWork, products: &[ProductRef]) -> Result<()> {
        let mut rng = self.rng(Stream::Inventory);
        let as_of = self.as_of();
        let mut warehouses: Vec<&str> = WAREHOUSES.to_vec();
        rng.shuffle(&mut warehouses);
        warehouses.truncate(self.counts.warehouses);
        warehouses.sort_unstable();
        let mut news = Vec::new();
        for p in products {
            if p.lifecycle == LifecycleStage::Development {
                continue;
            }
            let first = rng.below(warehouses.len() as u64) as usize;
            for (w, warehouse) in warehouses.iter().enumerate() {
                if w != first && !rng.chance(70) {
                    continue;
                }
                let reorder = rng.range(10, 200) as i32;
                let max = reorder * rng.range(3, 10) as i32;
                let current = match p.lifecycle {
                    LifecycleStage::Discontinued | LifecycleStage::Decline => {
                        rng.range(0, i64::from(reorder))
                    }
                    _ if rng.chance(15) => rng.range(0, i64::from(reorder)),
                    _ => rng.range(i64::from(reorder), i64::from(max)),
                } as i32;
                news.push(NewInventoryLevel {
                    product_id: p.id,
                    warehouse_location: text("warehouse_location", *warehouse)?,
                    current_stock: current,
                    reserved_stock: 0,
                    reorder_level: reorder,
                    max_stock_level: max,
                    last_restock_date: Some(minus_days(as_of, rng.range(1, 60))),
                    last_stock_take: Some(minus_days(as_of, rng.range(7, 180))),
                    stock_value: money("stock_value", i64::from(current) * p.cost_cents)?,
                    turnover_rate: numeric("turnover_rate", rng.range(150, 2400))?,
                });
            }
        }
        let levels = uow.inventory_levels().create_many(news).await?;
        for level in &levels {
            let (current, reorder, max) = (
                level.stock.current(),
                level.policy.reorder_level(),
                level.policy.max_stock_level(),
            );
            let mut inventory = uow.inventory_levels();
            if current < reorder && rng.chance(40) {
                inventory.restock(level.id, max - current, as_of).await?;
            } else if current > 0 && rng.chance(30) {
                let reserved = rng.range(1, i64::from(current.min(50))) as i32;
                inventory.reserve(level.id, reserved).await?;
                if rng.chance(35) {
                    let shipped = rng.range(1, i64::from(reserved)) as i32;
                    inventory.fulfil(level.id, shipped).await?;
                }
            } else if current > 2 && rng.chance(5) {
                let counted = current - rng.range(1, 2) as i32;
                inventory.adjust(level.id, counted, as_of).await?;
            }
        }
        Ok(())
    }

    async fn performance(
        &self,
        uow: &mut crate::UnitOfWork,
        products: &[ProductRef],
    ) -> Result<()> {
        let mut rng = self.rng(Stream::Performance);
        let as_of = self.as_of();
        let months = self.counts.metric_months.min(12);
        let start = first_month(as_of, months);
        let mut news = Vec::new();
        for p in products {
            let Some(launch) = p.launch else { continue };
            let mut units = rng.range(20, 2_000);
            let mut reviews = 0_i64;
            for m in 0..months {
                let month = start + Months::new(m as u32);
                let month_end = month + Months::new(1) - TimeDelta::days(1);
                if launch > month_end {
                    continue;
                }
                units = match p.lifecycle {
                    LifecycleStage::Launch | LifecycleStage::Growth => {
                        units * rng.range(102, 125) / 100
                    }
                    LifecycleStage::Decline | LifecycleStage::Discontinued => {
                        units * rng.range(70, 97) / 100
                    }
                    _ => units * rng.range(92, 108) / 100,
                }
                .max(1);
                let returns = units * rng.range(0, 8) / 100;
                reviews += units * rng.range(1, 5) / 100;
                let revenue = units * p.price_cents;
                let profit = units * (p.price_cents - p.cost_cents) - returns * p.cost_cents;
                let mut row = NewProductPerformance::new(p.id, month, PeriodType::Monthly);
                row.units_sold = clamp_i32(units);
                row.revenue = money("revenue", revenue)?;
                row.profit = money("profit", profit)?;
                row.returns = clamp_i32(returns);
                row.customer_rating = if reviews > 0 {
                    Some(rating("customer_rating", rng.range(30, 49))?)
                } else {
                    None
                };
                row.review_count = clamp_i32(reviews);
                row.price_elasticity = if rng.chance(60) {
                    Some(numeric::<8, 4>(
                        "price_elasticity",
                        -rng.range(4_000, 32_000),
                    )?)
                } else {
                    None
                };
                row.demand_forecast = if rng.chance(80) {
                    Some(clamp_i32(units * rng.range(90, 120) / 100))
                } else {
                    None
                };
                news.push(row);
            }
        }
        uow.product_performance().create_many(news).await?;
        Ok(())
    }
}

/// (category, SKU prefix, nouns, subcategories)
const PRODUCT_CATEGORIES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "Electronics",
        "ELE",
        &["Headphones", "Speaker", "Charger", "Webcam", "Keyboard"],
        &["Audio", "Accessories", "Peripherals"],
    ),
    (
        "Home",
        "HOM",
        &["Kettle", "Lamp", "Blender", "Air Purifier", "Thermostat"],
        &["Kitchen", "Lighting", "Climate"],
    ),
    (
        "Office",
        "OFF",
        &["Desk", "Chair", "Monitor Arm", "Notebook", "Organizer"],
        &["Furniture", "Stationery", "Ergonomics"],
    ),
    (
        "Outdoor",
        "OUT",
        &["Backpack", "Tent", "Water Bottle", "Jacket", "Headlamp"],
        &["Camping", "Hiking", "Apparel"],
    ),
    (
        "Fitness",
        "FIT",
        &["Yoga Mat", "Dumbbell Set", "Smart Watch", "Resistance Band"],
        &["Strength", "Wearables", "Recovery"],
    ),
    (
        "Kitchen",
        "KIT",
        &[
            "Chef Knife",
            "Cast Iron Pan",
            "Coffee Grinder",
            "Cutting Board",
        ],
        &["Cookware", "Cutlery", "Coffee"],
    ),
];

const PRODUCT_ADJECTIVES: &[&str] = &[
    "Compact", "Classic", "Ultra", "Smart", "Eco", "Premium", "Everyday", "Travel", "Pro",
    "Wireless",
];

const BRANDS: &[&str] = &[
    "Nordvik",
    "Aurelo",
    "Kestra",
    "Lumio",
    "Veloce",
    "Tandem",
    "Brisa",
    "Forge & Co",
    "Halden",
    "Oaken",
];

const SUPPLIERS: &[&str] = &[
    "Pacific Components",
    "Rhein Fertigung",
    "Delta Manufacturing",
    "Lotus Electronics",
    "Andes Textiles",
    "Baltic Woodworks",
];

pub(super) const WAREHOUSES: &[&str] = &[
    "Reno, NV",
    "Columbus, OH",
    "Dallas, TX",
    "Toronto, ON",
    "Rotterdam, NL",
    "Leipzig, DE",
    "Milton Keynes, UK",
    "Lyon, FR",
    "Singapore",
    "Sydney, AU",
    "Tokyo, JP",
    "Sao Paulo, BR",
];
