//! `products.inventory_levels`: stock of one product in one warehouse, and the
//! operations that move it.
//!
//! [`StockLevels`] keeps `0 ≤ reserved ≤ current` and derives
//! `available = current − reserved`; every operation returns new levels or
//! refuses, so no sequence of operations can oversell:
//!
//! * [`reserve`](StockLevels::reserve) at most what is available;
//! * [`release`](StockLevels::release) at most what is reserved;
//! * [`fulfil`](StockLevels::fulfil) ships reserved units (both counts drop);
//! * [`restock`](StockLevels::restock) adds a positive quantity;
//! * [`adjust`](StockLevels::adjust) sets the counted quantity after a stock
//!   take, never below what is reserved.
//!
//! ```
//! use aems_core::products::inventory_levels::StockLevels;
//!
//! let stock = StockLevels::new(10, 0)?.reserve(7)?;
//! assert_eq!(stock.available(), 3);
//! assert!(stock.reserve(4).is_err()); // never oversell
//! let stock = stock.fulfil(7)?.restock(5)?;
//! assert_eq!((stock.current(), stock.reserved(), stock.available()), (8, 0, 8));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors, TransitionError};
use crate::ids::{InventoryLevelId, ProductId, TenantId, UserId};
use crate::macros::apply_patch;
use crate::validation::{Input, non_negative, nullable};
use crate::values::{Money, Numeric, Text100};

/// How often stock turns over (cost of goods sold ÷ average stock), `DECIMAL(9,2)`;
/// not negative. The spec's `DECIMAL(5,2)` is widened (migration 001200): fast
/// movers turn over 1,000+ times a year.
pub type StockTurnover = Numeric<9, 2>;

/// Units on hand and reserved; `available` is derived. Serialized as the three
/// columns `current_stock`, `reserved_stock`, `available_stock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StockLevels {
    current: i32,
    reserved: i32,
}

impl StockLevels {
    /// Levels with nothing on hand.
    pub const EMPTY: Self = Self {
        current: 0,
        reserved: 0,
    };

    /// Levels as stored; refused unless `0 ≤ reserved ≤ current`.
    pub fn new(current: i32, reserved: i32) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        if current < 0 {
            errors.push(
                "current_stock",
                ErrorCode::OutOfRange,
                "must not be negative",
            );
        }
        if reserved < 0 {
            errors.push(
                "reserved_stock",
                ErrorCode::OutOfRange,
                "must not be negative",
            );
        } else if reserved > current {
            errors.push(
                "reserved_stock",
                ErrorCode::Inconsistent,
                "must not exceed current_stock",
            );
        }
        errors.into_result()?;
        Ok(Self { current, reserved })
    }

    /// Units on hand.
    pub const fn current(self) -> i32 {
        self.current
    }

    /// Units promised to orders.
    pub const fn reserved(self) -> i32 {
        self.reserved
    }

    /// Units that can still be promised: `current − reserved`, never negative.
    pub const fn available(self) -> i32 {
        self.current - self.reserved
    }

    /// Promises `quantity` units; refused beyond what is available.
    pub fn reserve(self, quantity: i32) -> Result<Self, TransitionError> {
        positive_quantity(quantity)?;
        if quantity > self.available() {
            return Err(TransitionError::InsufficientStock {
                requested: quantity,
                available: self.available(),
            });
        }
        Ok(Self {
            reserved: self.reserved + quantity,
            ..self
        })
    }

    /// Takes back a promise of `quantity` units; refused beyond what is reserved.
    pub fn release(self, quantity: i32) -> Result<Self, TransitionError> {
        positive_quantity(quantity)?;
        self.require_reserved(quantity)?;
        Ok(Self {
            reserved: self.reserved - quantity,
            ..self
        })
    }

    /// Ships `quantity` reserved units: they leave both the reservation and the
    /// stock on hand.
    pub fn fulfil(self, quantity: i32) -> Result<Self, TransitionError> {
        positive_quantity(quantity)?;
        self.require_reserved(quantity)?;
        Ok(Self {
            current: self.current - quantity,
            reserved: self.reserved - quantity,
        })
    }

    /// Receives `quantity` new units.
    pub fn restock(self, quantity: i32) -> Result<Self, TransitionError> {
        positive_quantity(quantity)?;
        let current = self
            .current
            .checked_add(quantity)
            .ok_or(TransitionError::StockOverflow)?;
        Ok(Self { current, ..self })
    }

    /// Sets the units on hand to what a stock take counted; refused below what is
    /// reserved (release or cancel reservations first).
    pub fn adjust(self, counted: i32) -> Result<Self, TransitionError> {
        if counted < 0 {
            return Err(TransitionError::InvalidQuantity { quantity: counted });
        }
        if counted < self.reserved {
            return Err(TransitionError::BelowReserved {
                counted,
                reserved: self.reserved,
            });
        }
        Ok(Self {
            current: counted,
            ..self
        })
    }

    fn require_reserved(self, quantity: i32) -> Result<(), TransitionError> {
        if quantity > self.reserved {
            Err(TransitionError::ExceedsReserved {
                requested: quantity,
                reserved: self.reserved,
            })
        } else {
            Ok(())
        }
    }
}

fn positive_quantity(quantity: i32) -> Result<(), TransitionError> {
    if quantity > 0 {
        Ok(())
    } else {
        Err(TransitionError::InvalidQuantity { quantity })
    }
}

impl Serialize for StockLevels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("StockLevels", 3)?;
        fields.serialize_field("current_stock", &self.current)?;
        fields.serialize_field("reserved_stock", &self.reserved)?;
        fields.serialize_field("available_stock", &self.available())?;
        fields.end()
    }
}

/// When to reorder and how much to hold: `reorder_level > 0` and
/// `max_stock_level > reorder_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct StockPolicy {
    reorder_level: i32,
    max_stock_level: i32,
}

impl StockPolicy {
    /// A policy; refused unless `0 < reorder_level < max_stock_level`.
    pub fn new(reorder_level: i32, max_stock_level: i32) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        if reorder_level <= 0 {
            errors.push(
                "reorder_level",
                ErrorCode::OutOfRange,
                "must be greater than zero",
            );
        }
        if max_stock_level <= reorder_level {
            errors.push(
                "max_stock_level",
                ErrorCode::Inconsistent,
                "must be greater than reorder_level",
            );
        }
        errors.into_result()?;
        Ok(Self {
            reorder_level,
            max_stock_level,
        })
    }

    /// Reorder when available stock falls to this level.
    pub const fn reorder_level(self) -> i32 {
        self.reorder_level
    }

    /// The most stock to hold.
    pub const fn max_stock_level(self) -> i32 {
        self.max_stock_level
    }
}

/// A row of `products.inventory_levels`, unique per (tenant, product, warehouse).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventoryLevel {
    /// Primary key.
    pub id: InventoryLevelId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The product.
    pub product_id: ProductId,
    /// The warehouse.
    pub warehouse_location: Text100,
    /// Current, reserved and (derived) available stock.
    #[serde(flatten)]
    pub stock: StockLevels,
    /// Reorder and maximum levels.
    #[serde(flatten)]
    pub policy: StockPolicy,
    /// Last delivery.
    pub last_restock_date: Option<NaiveDate>,
    /// Last stock take.
    pub last_stock_take: Option<NaiveDate>,
    /// Value of the stock on hand.
    pub stock_value: Money,
    /// Stock turnover.
    pub turnover_rate: StockTurnover,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

/// The columns a stock operation writes: the levels, and the date of a delivery
/// or stock take when there was one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StockChange {
    /// New levels.
    #[serde(flatten)]
    pub stock: StockLevels,
    /// New last-delivery date.
    pub last_restock_date: Option<NaiveDate>,
    /// New last-stock-take date.
    pub last_stock_take: Option<NaiveDate>,
}

impl StockChange {
    /// Writes the change onto a row (what the DB layer does).
    pub fn apply_to(&self, level: &mut InventoryLevel) {
        level.stock = self.stock;
        level.last_restock_date = self.last_restock_date;
        level.last_stock_take = self.last_stock_take;
    }
}

impl InventoryLevel {
    /// Reserves `quantity` units (see [`StockLevels::reserve`]).
    pub fn reserve(&self, quantity: i32) -> Result<StockChange, TransitionError> {
        Ok(self.change(self.stock.reserve(quantity)?))
    }

    /// Releases `quantity` reserved units (see [`StockLevels::release`]).
    pub fn release(&self, quantity: i32) -> Result<StockChange, TransitionError> {
        Ok(self.change(self.stock.release(quantity)?))
    }

    /// Ships `quantity` reserved units (see [`StockLevels::fulfil`]).
    pub fn fulfil(&self, quantity: i32) -> Result<StockChange, TransitionError> {
        Ok(self.change(self.stock.fulfil(quantity)?))
    }

    /// Receives `quantity` units on `on`, recording the delivery date.
    pub fn restock(&self, quantity: i32, on: NaiveDate) -> Result<StockChange, TransitionError> {
        Ok(StockChange {
            last_restock_date: Some(on),
            ..self.change(self.stock.restock(quantity)?)
        })
    }

    /// Records a stock take on `on` that counted `counted` units.
    pub fn adjust(&self, counted: i32, on: NaiveDate) -> Result<StockChange, TransitionError> {
        Ok(StockChange {
            last_stock_take: Some(on),
            ..self.change(self.stock.adjust(counted)?)
        })
    }

    /// Whether available stock has fallen to the reorder level.
    pub fn needs_reorder(&self) -> bool {
        self.stock.available() <= self.policy.reorder_level()
    }

    /// The row with `patch` applied, or every reason it cannot be. Stock counts
    /// change only through the operations above.
    pub fn patched(&self, patch: &InventoryLevelPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                warehouse_location,
                last_restock_date,
                last_stock_take,
                stock_value,
                turnover_rate
            ]
        );
        if patch.reorder_level.is_some() || patch.max_stock_level.is_some() {
            let reorder = patch.reorder_level.unwrap_or(self.policy.reorder_level);
            let max = patch.max_stock_level.unwrap_or(self.policy.max_stock_level);
            match StockPolicy::new(reorder, max) {
                Ok(policy) => next.policy = policy,
                Err(error) => errors.extend(error.into_errors().into()),
            }
        }
        errors.into_result()?;
        Ok(next)
    }

    fn change(&self, stock: StockLevels) -> StockChange {
        StockChange {
            stock,
            last_restock_date: self.last_restock_date,
            last_stock_take: self.last_stock_take,
        }
    }
}

/// Input to start tracking a product in a warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewInventoryLevel {
    /// The product.
    pub product_id: ProductId,
    /// The warehouse.
    pub warehouse_location: Text100,
    /// Units on hand (default 0).
    #[serde(default)]
    pub current_stock: i32,
    /// Units reserved (default 0, at most `current_stock`).
    #[serde(default)]
    pub reserved_stock: i32,
    /// Reorder level (greater than zero).
    pub reorder_level: i32,
    /// Maximum level (greater than the reorder level).
    pub max_stock_level: i32,
    /// Last delivery.
    #[serde(default)]
    pub last_restock_date: Option<NaiveDate>,
    /// Last stock take.
    #[serde(default)]
    pub last_stock_take: Option<NaiveDate>,
    /// Value of the stock (default 0, not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub stock_value: Money,
    /// Turnover (default 0, not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub turnover_rate: StockTurnover,
}

impl NewInventoryLevel {
    /// The levels to insert (`available_stock` is `stock.available()`).
    pub fn stock(&self) -> Result<StockLevels, DomainError> {
        StockLevels::new(self.current_stock, self.reserved_stock)
    }

    /// The reorder policy to insert.
    pub fn policy(&self) -> Result<StockPolicy, DomainError> {
        StockPolicy::new(self.reorder_level, self.max_stock_level)
    }
}

impl Input for NewInventoryLevel {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let Err(error) = self.stock() {
            errors.extend(error.into_errors().into());
        }
        if let Err(error) = self.policy() {
            errors.extend(error.into_errors().into());
        }
    }
}

/// Changes to a stock row other than the counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct InventoryLevelPatch {
    /// New warehouse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_location: Option<Text100>,
    /// New reorder level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_level: Option<i32>,
    /// New maximum level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_stock_level: Option<i32>,
    /// Corrected last delivery; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub last_restock_date: Option<Option<NaiveDate>>,
    /// Corrected last stock take; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub last_stock_take: Option<Option<NaiveDate>>,
    /// New stock value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub stock_value: Option<Money>,
    /// New turnover.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub turnover_rate: Option<StockTurnover>,
}

impl Input for InventoryLevelPatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let (Some(reorder), Some(max)) = (self.reorder_level, self.max_stock_level)
            && let Err(error) = StockPolicy::new(reorder, max)
        {
            errors.extend(error.into_errors().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(current: i32, reserved: i32) -> StockLevels {
        StockLevels::new(current, reserved).unwrap()
    }

    fn row(current: i32, reserved: i32) -> InventoryLevel {
        let now = Utc::now();
        let user = UserId::new();
        InventoryLevel {
            id: InventoryLevelId::new(),
            tenant_id: TenantId::new(),
            product_id: ProductId::new(),
            warehouse_location: "Berlin-1".parse().unwrap(),
            stock: levels(current, reserved),
            policy: StockPolicy::new(5, 100).unwrap(),
            last_restock_date: None,
            last_stock_take: None,
            stock_value: Money::zero(),
            turnover_rate: StockTurnover::zero(),
            created_at: now,
            updated_at: now,
            created_by: user,
            updated_by: user,
        }
    }

    #[test]
    fn stored_levels_must_be_consistent() {
        assert!(StockLevels::new(0, 0).is_ok());
        assert!(StockLevels::new(5, 5).is_ok());
        assert!(
            StockLevels::new(5, 6)
                .unwrap_err()
                .has("reserved_stock", ErrorCode::Inconsistent)
        );
        let both = StockLevels::new(-1, -1).unwrap_err();
        assert!(both.has("current_stock", ErrorCode::OutOfRange));
        assert!(both.has("reserved_stock", ErrorCode::OutOfRange));
    }

    #[test]
    fn reserving_up_to_available_works_one_more_is_refused() {
        let stock = levels(10, 4);
        assert_eq!(stock.reserve(6).unwrap().available(), 0);
        assert_eq!(
            stock.reserve(7),
            Err(TransitionError::InsufficientStock {
                requested: 7,
                available: 6
            })
        );
    }

    #[test]
    fn releasing_more_than_reserved_is_refused() {
        let stock = levels(10, 4);
        assert_eq!(stock.release(4).unwrap().reserved(), 0);
        assert!(matches!(
            stock.release(5),
            Err(TransitionError::ExceedsReserved { .. })
        ));
        assert!(matches!(
            stock.fulfil(5),
            Err(TransitionError::ExceedsReserved { .. })
        ));
    }

    #[test]
    fn quantities_must_be_positive() {
        let stock = levels(10, 4);
        for quantity in [0, -1] {
            assert_eq!(
                stock.reserve(quantity),
                Err(TransitionError::InvalidQuantity { quantity })
            );
            assert!(stock.release(quantity).is_err());
            assert!(stock.fulfil(quantity).is_err());
            assert!(stock.restock(quantity).is_err());
        }
    }

    #[test]
    fn restocking_past_the_integer_column_is_refused() {
        assert_eq!(
            levels(i32::MAX - 1, 0).restock(1).unwrap().current(),
            i32::MAX
        );
        assert_eq!(
            levels(i32::MAX, 0).restock(1),
            Err(TransitionError::StockOverflow)
        );
    }

    #[test]
    fn a_stock_take_never_goes_below_reserved() {
        let stock = levels(10, 4);
        assert_eq!(stock.adjust(4).unwrap().available(), 0);
        assert_eq!(
            stock.adjust(3),
            Err(TransitionError::BelowReserved {
                counted: 3,
                reserved: 4
            })
        );
        assert!(stock.adjust(-1).is_err());
        assert_eq!(levels(0, 0).adjust(0).unwrap(), StockLevels::EMPTY);
    }

    #[test]
    fn operations_record_their_dates() {
        let day = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        let mut level = row(10, 0);
        level.restock(5, day).unwrap().apply_to(&mut level);
        assert_eq!(
            (level.stock.current(), level.last_restock_date),
            (15, Some(day))
        );
        level.adjust(14, day).unwrap().apply_to(&mut level);
        assert_eq!(
            (level.stock.current(), level.last_stock_take),
            (14, Some(day))
        );
        let reserved = level.reserve(2).unwrap();
        assert_eq!(reserved.last_restock_date, Some(day));
    }

    #[test]
    fn reorder_is_due_at_the_level_not_above() {
        assert!(row(5, 0).needs_reorder());
        assert!(row(10, 5).needs_reorder());
        assert!(!row(6, 0).needs_reorder());
    }

    #[test]
    fn policy_levels_are_ordered() {
        assert!(StockPolicy::new(1, 2).is_ok());
        assert!(
            StockPolicy::new(0, 2)
                .unwrap_err()
                .has("reorder_level", ErrorCode::OutOfRange)
        );
        assert!(
            StockPolicy::new(5, 5)
                .unwrap_err()
                .has("max_stock_level", ErrorCode::Inconsistent)
        );
        let patch = InventoryLevelPatch {
            max_stock_level: Some(5),
            ..Default::default()
        };
        assert!(row(1, 0).patched(&patch).is_err());
    }

    #[test]
    fn serialized_rows_show_the_derived_available_stock() {
        let json = serde_json::to_value(row(10, 3)).unwrap();
        assert_eq!(json["current_stock"], 10);
        assert_eq!(json["reserved_stock"], 3);
        assert_eq!(json["available_stock"], 7);
        assert_eq!(json["reorder_level"], 5);
    }

    #[test]
    fn a_patch_cannot_touch_the_counts() {
        assert!(serde_json::from_str::<InventoryLevelPatch>(r#"{"current_stock":5}"#).is_err());
    }
}
