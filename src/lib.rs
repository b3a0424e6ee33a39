//! # aems — the A-EMS database as a Rust library
//!
//! One dependency that gives an application the whole A-EMS data layer:
//!
//! * [`core`] (the `aems-core` crate): validated domain types and invariants,
//!   with no database code in it;
//! * [`db`] (the `aems-diesel` crate): the embedded PostgreSQL migrations, the
//!   connection pool, and the tenant-isolated, audited repositories.
//!
//! The crates their API exposes are re-exported, so an application's
//! `Cargo.toml` needs only `aems` (and an async runtime): [`chrono`],
//! [`bigdecimal`], [`uuid`], [`serde_json`].
//!
//! Features: `serde` (pages, filters, cursors and the configuration through
//! serde) and `testing` (a real PostgreSQL for tests, a migrated database per
//! test).
//!
//! Start with [`db::Database`], the README's program and the `quickstart`
//! example.

pub use aems_core as core;
pub use aems_diesel as db;

pub use aems_core::{bigdecimal, chrono, serde_json, uuid};

// The README's code blocks are doctests: its usage program must compile.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
