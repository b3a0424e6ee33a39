//! # aems — the A-EMS database as a Rust library
//!
//! One dependency that gives an application the whole A-EMS data layer:
//!
//! * [`core`] (the `aems-core` crate): validated domain types and invariants,
//!   with no database code in it;
//! * [`db`] (the `aems-diesel` crate): the embedded PostgreSQL migrations, the
//!   connection pool, and the tenant-isolated, audited repositories.
//!
//! Start with [`db::Database`] and the `quickstart` example.

pub use aems_core as core;
pub use aems_diesel as db;
