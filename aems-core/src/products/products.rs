//! `products.products`: the catalogue, with the profit margin derived from cost
//! and price.
//!
//! `profit_margin = (selling_price − unit_cost) ÷ selling_price × 100`, with
//! `selling_price > unit_cost ≥ 0`, rounded to 2 decimals half away from zero (as
//! PostgreSQL's `round()`). It is therefore in (0, 100] and always fits its
//! `DECIMAL(5,2)` column.

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors};
use crate::ids::{ProductId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable, positive, require_not_before};
use crate::values::{JsonObject, LongText, Money10, Numeric, Sku, Text100, Text255};

/// A product's weight, `DECIMAL(10,3)` (unit chosen by the tenant); greater than zero.
pub type Weight = Numeric<10, 3>;

/// The derived profit margin in percent, `DECIMAL(5,2)`.
pub type ProfitMargin = Numeric<5, 2>;

db_enum! {
    /// Where a product is in its life (`products.lifecycle_stage`).
    pub enum LifecycleStage {
        /// Being built.
        Development => "development",
        /// Being introduced.
        Launch => "launch",
        /// Sales rising.
        Growth => "growth",
        /// Sales stable.
        Maturity => "maturity",
        /// Sales falling.
        Decline => "decline",
        /// No longer made.
        Discontinued => "discontinued",
    }
}

db_enum! {
    /// Whether a product can be sold (`products.status`).
    pub enum ProductStatus {
        /// On sale (the SQL default).
        Active => "active",
        /// Not on sale for now.
        Inactive => "inactive",
        /// No longer sold.
        Discontinued => "discontinued",
        /// On sale, no stock.
        OutOfStock => "out_of_stock",
    }
    default = Active;
}

/// Cost, price and the margin derived from them; built only through
/// [`Pricing::new`], so the three columns always agree.
///
/// ```
/// use aems_core::products::products::Pricing;
///
/// let pricing = Pricing::new("60.00".parse()?, "80.00".parse()?)?;
/// assert_eq!(pricing.profit_margin().to_string(), "25.00");
/// assert!(Pricing::new("80.00".parse()?, "80.00".parse()?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pricing {
    unit_cost: Money10,
    selling_price: Money10,
    profit_margin: ProfitMargin,
}

impl Pricing {
    /// Derives the margin; refused unless `selling_price > unit_cost ≥ 0`, with
    /// every failing field reported.
    pub fn new(unit_cost: Money10, selling_price: Money10) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        if unit_cost.is_negative() {
            errors.push("unit_cost", ErrorCode::OutOfRange, "must not be negative");
        }
        if selling_price <= unit_cost {
            errors.push(
                "selling_price",
                ErrorCode::Inconsistent,
                "must be greater than unit_cost",
            );
        }
        errors.into_result()?;
        let profit = selling_price.as_decimal() - unit_cost.as_decimal();
        let margin = profit * BigDecimal::from(100) / selling_price.as_decimal();
        let profit_margin = ProfitMargin::from_rounded(&margin)
            .map_err(|error| DomainError::from_value("profit_margin", error))?;
        Ok(Self {
            unit_cost,
            selling_price,
            profit_margin,
        })
    }

    /// What one unit costs.
    pub fn unit_cost(&self) -> &Money10 {
        &self.unit_cost
    }

    /// What one unit sells for.
    pub fn selling_price(&self) -> &Money10 {
        &self.selling_price
    }

    /// `(price − cost) ÷ price × 100`, 2 decimals, half away from zero.
    pub fn profit_margin(&self) -> &ProfitMargin {
        &self.profit_margin
    }
}

/// A row of `products.products`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    /// Primary key.
    pub id: ProductId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Stock-keeping unit, unique per tenant.
    pub sku: Sku,
    /// Product name.
    pub name: Text255,
    /// Description.
    pub description: Option<LongText>,
    /// Category.
    pub category: Text100,
    /// Subcategory.
    pub subcategory: Option<Text100>,
    /// Brand.
    pub brand: Option<Text100>,
    /// Cost, price and margin (the three columns).
    #[serde(flatten)]
    pub pricing: Pricing,
    /// Weight.
    pub weight: Option<Weight>,
    /// Dimensions, free-form.
    pub dimensions: Option<JsonObject>,
    /// Where it is in its life.
    pub lifecycle_stage: LifecycleStage,
    /// Launch date.
    pub launch_date: Option<NaiveDate>,
    /// Discontinuation date (not before the launch).
    pub discontinue_date: Option<NaiveDate>,
    /// Supplier details, free-form.
    pub supplier_info: Option<JsonObject>,
    /// Whether it can be sold.
    pub status: ProductStatus,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
    /// Soft-delete time.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Product {
    /// The product with `patch` applied (the margin recomputed), or every reason
    /// it cannot be.
    pub fn patched(&self, patch: &ProductPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                sku,
                name,
                description,
                category,
                subcategory,
                brand,
                weight,
                dimensions,
                lifecycle_stage,
                launch_date,
                discontinue_date,
                supplier_info,
                status,
            ]
        );
        if patch.unit_cost.is_some() || patch.selling_price.is_some() {
            let cost = patch
                .unit_cost
                .clone()
                .unwrap_or_else(|| self.pricing.unit_cost.clone());
            let price = patch
                .selling_price
                .clone()
                .unwrap_or_else(|| self.pricing.selling_price.clone());
            match Pricing::new(cost, price) {
                Ok(pricing) => next.pricing = pricing,
                Err(error) => errors.extend(error.into_errors().into()),
            }
        }
        check_dates(&mut errors, next.launch_date, next.discontinue_date);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to add a product; the margin is derived by [`NewProduct::pricing`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// Stock-keeping unit.
    pub sku: Sku,
    /// Product name.
    pub name: Text255,
    /// Description.
    #[serde(default)]
    pub description: Option<LongText>,
    /// Category.
    pub category: Text100,
    /// Subcategory.
    #[serde(default)]
    pub subcategory: Option<Text100>,
    /// Brand.
    #[serde(default)]
    pub brand: Option<Text100>,
    /// What one unit costs (not negative).
    pub unit_cost: Money10,
    /// What one unit sells for (more than the cost).
    pub selling_price: Money10,
    /// Weight (greater than zero).
    #[serde(default)]
    #[validate(custom(function = "positive"))]
    pub weight: Option<Weight>,
    /// Dimensions.
    #[serde(default)]
    pub dimensions: Option<JsonObject>,
    /// Where it is in its life.
    pub lifecycle_stage: LifecycleStage,
    /// Launch date.
    #[serde(default)]
    pub launch_date: Option<NaiveDate>,
    /// Discontinuation date.
    #[serde(default)]
    pub discontinue_date: Option<NaiveDate>,
    /// Supplier details (default `{}`).
    #[serde(default = "empty_object")]
    pub supplier_info: Option<JsonObject>,
    /// Status (default `active`).
    #[serde(default)]
    pub status: ProductStatus,
}

fn empty_object() -> Option<JsonObject> {
    Some(JsonObject::new())
}

impl NewProduct {
    /// Cost, price and the derived margin to insert.
    pub fn pricing(&self) -> Result<Pricing, DomainError> {
        Pricing::new(self.unit_cost.clone(), self.selling_price.clone())
    }
}

impl Input for NewProduct {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let Err(error) = self.pricing() {
            errors.extend(error.into_errors().into());
        }
        check_dates(errors, self.launch_date, self.discontinue_date);
    }
}

/// Changes to a product; changing cost or price recomputes the margin, which is
/// never patched itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ProductPatch {
    /// New SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text255>,
    /// New description; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub description: Option<Option<LongText>>,
    /// New category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Text100>,
    /// New subcategory; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub subcategory: Option<Option<Text100>>,
    /// New brand; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub brand: Option<Option<Text100>>,
    /// New unit cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money10>,
    /// New selling price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selling_price: Option<Money10>,
    /// New weight; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    #[validate(custom(function = "positive"))]
    pub weight: Option<Option<Weight>>,
    /// New dimensions; `Some(None)` clears them.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub dimensions: Option<Option<JsonObject>>,
    /// New lifecycle stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<LifecycleStage>,
    /// New launch date; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub launch_date: Option<Option<NaiveDate>>,
    /// New discontinuation date; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub discontinue_date: Option<Option<NaiveDate>>,
    /// New supplier details; `Some(None)` clears them.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub supplier_info: Option<Option<JsonObject>>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProductStatus>,
}

impl Input for ProductPatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let (Some(cost), Some(price)) = (&self.unit_cost, &self.selling_price)
            && let Err(error) = Pricing::new(cost.clone(), price.clone())
        {
            errors.extend(error.into_errors().into());
        }
    }
}

/// A product is not discontinued before it launches.
fn check_dates(
    errors: &mut FieldErrors,
    launch: Option<NaiveDate>,
    discontinue: Option<NaiveDate>,
) {
    if let (Some(launch), Some(discontinue)) = (launch, discontinue) {
        require_not_before(
            errors,
            "discontinue_date",
            discontinue,
            "launch_date",
            launch,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn margin(cost: &str, price: &str) -> String {
        Pricing::new(cost.parse().unwrap(), price.parse().unwrap())
            .unwrap()
            .profit_margin()
            .to_string()
    }

    #[test]
    fn margin_is_profit_over_price() {
        assert_eq!(margin("60", "80"), "25.00");
        assert_eq!(margin("0", "10"), "100.00");
        assert_eq!(margin("2", "3"), "33.33");
        assert_eq!(margin("1", "3"), "66.67");
    }

    #[test]
    fn margin_rounds_half_away_from_zero() {
        // (8 − 7.99) ÷ 8 × 100 = 0.125 → 0.13; (16 − 15.99) ÷ 16 × 100 = 0.0625 → 0.06.
        assert_eq!(margin("7.99", "8"), "0.13");
        assert_eq!(margin("15.99", "16"), "0.06");
        // 0.01 ÷ 99999999.99 × 100 rounds down to 0.00, still a valid margin.
        assert_eq!(margin("99999999.98", "99999999.99"), "0.00");
        assert_eq!(margin("0.01", "99999999.99"), "100.00");
    }

    #[test]
    fn price_must_exceed_cost_and_cost_must_not_be_negative() {
        let equal = Pricing::new("5".parse().unwrap(), "5".parse().unwrap()).unwrap_err();
        assert!(equal.has("selling_price", ErrorCode::Inconsistent));
        let both = Pricing::new("-1".parse().unwrap(), "-2".parse().unwrap()).unwrap_err();
        assert!(both.has("unit_cost", ErrorCode::OutOfRange));
        assert!(both.has("selling_price", ErrorCode::Inconsistent));
        assert!(Pricing::new("4.99".parse().unwrap(), "5".parse().unwrap()).is_ok());
    }

    #[test]
    fn new_product_reports_pricing_and_dates_together() {
        let json = r#"{"sku":"SKU-1","name":"Widget","category":"Tools","unit_cost":"10",
            "selling_price":"9","lifecycle_stage":"launch","launch_date":"2025-05-01",
            "discontinue_date":"2025-04-30","weight":"0"}"#;
        let input: NewProduct = serde_json::from_str(json).unwrap();
        let error = input.check().unwrap_err();
        assert!(error.has("selling_price", ErrorCode::Inconsistent));
        assert!(error.has("discontinue_date", ErrorCode::DateOrder));
        assert!(error.has("weight", ErrorCode::OutOfRange));
        assert_eq!(input.supplier_info, Some(JsonObject::new()));
    }
}
