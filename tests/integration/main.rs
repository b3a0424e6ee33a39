//! Integration tests against a real PostgreSQL (see `aems_diesel::testing`):
//! one server per run, one fresh database per test.

mod fixture;
mod support;

mod bouncer;
mod connection;
mod core_vs_database;
mod harness;
mod migrations;
mod ops;
mod plans;
mod schema;

mod analytics;
mod audit;
mod audit_integrity;
mod audit_triggers;
mod auth;
mod errors;
mod exporter;
mod finance;
mod generator;
mod hr;
mod products;
mod replicas;
mod risk;
mod round_trips;
mod sales;
mod search;
mod serde;
mod unit_of_work;
