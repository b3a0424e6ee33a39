//! The tables, as `diesel print-schema` generates them from the migrations —
//! one module per PostgreSQL schema (see `diesel.toml`).
//!
//! The files next to this one are generated: never edit them; run
//! `scripts/schema-rs.sh` after changing a migration (CI runs it with
//! `--check` and fails on any difference). Only this file is written by hand.
#![allow(missing_docs)]
// Generated marker types (the `tsvector` SQL type) derive no Debug.
#![allow(missing_debug_implementations)]

#[path = "auth.rs"]
mod generated_auth;
#[path = "finance.rs"]
mod generated_finance;
#[path = "hr.rs"]
mod generated_hr;
#[path = "products.rs"]
mod generated_products;
#[path = "risk.rs"]
mod generated_risk;
#[path = "sales.rs"]
mod generated_sales;

pub use generated_auth::auth;
pub use generated_finance::finance;
pub use generated_hr::hr;
pub use generated_products::products;
pub use generated_risk::risk;
pub use generated_sales::sales;
