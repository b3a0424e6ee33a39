//! # aems-core — A-EMS domain types and invariants
//!
//! Validated values, entities, inputs and state transitions for the 20 tables of
//! the A-EMS schema. No database code and no I/O live here: `aems-diesel` maps
//! these types to rows and applies the changes they compute.
//!
//! ## Map
//!
//! * [`ids`]: one id type per table (`TenantId`, `CustomerId`, ...), UUIDv7.
//! * [`values`]: [`Email`], [`PhoneE164`], [`Money`] (and [`Money10`], [`Money12`],
//!   all [`Numeric`]), [`Percentage`], [`CurrencyCode`], [`Rating`], [`Score10`],
//!   [`Likelihood`]/[`Impact`]/[`RiskScore`]/[`RiskLevel`], bounded text, secrets.
//! * [`error`]: [`DomainError`] (every failing field, with stable [`ErrorCode`]s),
//!   [`ValueError`], [`TransitionError`].
//! * [`validation`]: the [`Input`] trait every `New...` and `...Patch` implements.
//! * [`DbEnum`]: implemented by every enum that mirrors a `CHECK (... IN (...))`
//!   list, with `ALL` and the exact database strings; regex-checked values export
//!   their pattern (`Email::PATTERN`, ...), for tests against the database.
//! * One module per spec domain, one file per table: [`auth`], [`sales`],
//!   [`finance`], [`hr`], [`products`], [`risk`]. Each file holds the entity as
//!   read (`Customer`), its input (`NewCustomer`), its patch (`CustomerPatch`), its
//!   enums and its state transitions.
//!
//! ## Rules of the road
//!
//! * Derived values are computed, never typed in: risk score and level, available
//!   stock, profit margin, budget variance.
//! * Patches use `Option<T>` for NOT NULL columns and `Option<Option<T>>` for
//!   nullable ones: `None` leaves the column alone, `Some(None)` sets NULL.
//! * `tenant_id`, `created_by` and `updated_by` come from the caller's context in
//!   the DB layer, so no input carries them.
//! * State changes (closing a deal, approving an expense, reserving stock, ...) are
//!   pure methods that return a change set or refuse with a [`TransitionError`].
//!
//! ```
//! use aems_core::sales::customers::{CustomerSegment, NewCustomer};
//! use aems_core::{ErrorCode, Input};
//! use chrono::NaiveDate;
//!
//! let mut customer = NewCustomer::new(
//!     "Acme GmbH".parse()?,
//!     "buyer@acme.example".parse()?,
//!     CustomerSegment::MidMarket,
//!     NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
//! );
//! customer.check()?;
//!
//! // Every failing field is reported, each with a stable code.
//! customer.lifetime_value = "-1.00".parse()?;
//! customer.last_purchase_date = NaiveDate::from_ymd_opt(2024, 1, 1);
//! let error = customer.check().unwrap_err();
//! assert!(error.has("lifetime_value", ErrorCode::OutOfRange));
//! assert!(error.has("last_purchase_date", ErrorCode::DateOrder));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod macros;

pub mod error;
pub mod ids;
pub mod validation;
pub mod values;

pub mod auth;
pub mod finance;
pub mod hr;
pub mod products;
pub mod risk;
pub mod sales;

pub use error::{DomainError, ErrorCode, FieldError, FieldErrors, TransitionError, ValueError};
pub use ids::*;
pub use validation::Input;
pub use values::*;

// The crates this API exposes (dates and instants, exact decimals, ids, JSON
// objects), re-exported so that an application names the very versions these
// types come from and needs no guess in its own Cargo.toml.
pub use bigdecimal;
pub use chrono;
pub use serde_json;
pub use uuid;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
