//! Fills a database with realistic, deterministic demo data — every one of
//! the 20 tables, through the library's own repositories — and shows what it
//! wrote:
//!
//! ```text
//! cargo run --example seed_demo
//! cargo run --example seed_demo -- --seed 7 --tenants 3 --scale medium
//! cargo run --release --example seed_demo -- --tenants 1 --scale large   # a million customers
//! ```
//!
//! Options (or environment variables):
//!
//! | flag | variable | default | |
//! |---|---|---|---|
//! | `--seed N` | `AEMS_SEED` | 42 | the same seed gives the same data |
//! | `--tenants N` | `AEMS_SEED_TENANTS` | 2 | |
//! | `--scale S` | `AEMS_SEED_SCALE` | small | tiny, small, medium or large (see `Scale`) |
//! | `--customers N` | `AEMS_SEED_CUSTOMERS` | the scale's | customers per tenant (the bulk path) |
//! | `--as-of DATE` | `AEMS_SEED_AS_OF` | 2026-06-30 | the data's "today" |
//! | `--batch N` | `AEMS_SEED_BATCH` | 10000 | customers per unit of work |
//! | `--concurrency N` | `AEMS_SEED_CONCURRENCY` | 2 | units of work at once |
//! | `--fast-hashes` | `AEMS_SEED_FAST_HASHES=1` | off | cheap argon2 (throwaway data only) |
//!
//! With no database configured it starts a throwaway PostgreSQL (see
//! `examples/support`), removed on exit. A seed's tenants can be generated
//! once per database: run again with the same seed, it finds the seed's first
//! tenant already there, says so and writes nothing; run another seed to add
//! more.

#[path = "support/mod.rs"]
mod support;

use std::str::FromStr;

use aems::chrono::{Datelike, NaiveDate};
use aems::core::products::inventory_levels::InventoryLevel;
use aems::core::risk::risk_assessments::RiskLevel;
use aems::core::sales::sales_pipeline::DealStage;
use aems::db::Error;
use aems::db::audit::AuditFilter;
use aems::db::finance::BudgetPlanFilter;
use aems::db::hr::EmployeeFilter;
use aems::db::prelude::*;
use aems::db::products::InventoryLevelFilter;
use aems::db::risk::RiskAssessmentFilter;
use aems::db::sales::{CustomerFilter, DealFilter};
use aems::db::testing::generator::{Counts, GeneratorConfig, GeneratorError, Scale, generate};

/// `--name value` from the command line, else the environment variable.
fn option<T: FromStr>(args: &[String], flag: &str, var: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    let text = match args.iter().position(|a| a == flag) {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or_else(|| format!("{flag} needs a value"))?
                .clone(),
        ),
        None => std::env::var(var).ok().filter(|v| !v.trim().is_empty()),
    };
    text.map(|t| {
        t.trim()
            .parse::<T>()
            .map_err(|e| format!("{flag} / {var}: {t:?}: {e}"))
    })
    .transpose()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "seed_demo [--seed N] [--tenants N] [--scale tiny|small|medium|large] \
             [--customers N] [--as-of YYYY-MM-DD] [--batch N] [--concurrency N] [--fast-hashes]"
        );
        return Ok(());
    }
    let seed: u64 = option(&args, "--seed", "AEMS_SEED")?.unwrap_or(42);
    let tenants: usize = option(&args, "--tenants", "AEMS_SEED_TENANTS")?.unwrap_or(2);
    let mut scale: Scale = option(&args, "--scale", "AEMS_SEED_SCALE")?.unwrap_or(Scale::Small);
    if let Some(customers) = option(&args, "--customers", "AEMS_SEED_CUSTOMERS")? {
        scale = Scale::Custom(Counts {
            customers,
            ..scale.counts()
        });
    }
    let mut config = GeneratorConfig::new(seed, tenants, scale);
    if let Some(day) = option::<NaiveDate>(&args, "--as-of", "AEMS_SEED_AS_OF")? {
        config = config.as_of(day);
    }
    let batch = option(&args, "--batch", "AEMS_SEED_BATCH")?.unwrap_or(config.bulk_batch_rows);
    let concurrency =
        option(&args, "--concurrency", "AEMS_SEED_CONCURRENCY")?.unwrap_or(config.bulk_concurrency);
    config = config.bulk(batch, concurrency);
    if args.iter().any(|a| a == "--fast-hashes")
        || std::env::var("AEMS_SEED_FAST_HASHES").is_ok_and(|v| v == "1")
    {
        config = config.fast_hashes();
    }

    let example = support::open().await?;
    let db = &example.database;
    println!(
        "\ngenerating seed {seed}: {tenants} tenant(s) at scale {scale}, as of {}…",
        config.as_of
    );
    let report = match generate(db, &example.owner_url, &config).await {
        Ok(report) => report,
        // The seed's first tenant is signed up first, in one transaction: its
        // name or slug taken means this seed was generated here before.
        Err(GeneratorError::Data(Error::UniqueViolation { constraint, .. }))
            if constraint.starts_with("uq_tenants_") =>
        {
            println!(
                "seed {seed} is already in this database ({constraint}): nothing written. \
                 The same seed gives the same data; add more with another seed (--seed {}).",
                seed.wrapping_add(1)
            );
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    println!("\n{report}\n");

    for tenant in &report.tenants {
        println!(
            "tenant {} {} ({}), admin {} <{}>",
            tenant.index + 1,
            tenant.name,
            tenant.id,
            tenant.admin_id,
            tenant.admin_email
        );
    }

    // A few rows of the first tenant, read back through the repositories.
    let first = &report.tenants[0];
    let mut exec = db.one_shot(&first.context).await?;
    println!("\nsample rows of {}:", first.name);

    let customers = exec
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(3))
        .await?;
    println!("  customers:");
    for c in &customers.items {
        println!(
            "    {:<40} {:<10} {:<8} {:<14} lifetime {:>14} since {}",
            c.company_name.as_str(),
            c.customer_segment.as_str(),
            c.status.as_str(),
            c.territory.as_ref().map_or("", |t| t.as_str()),
            c.lifetime_value.to_string(),
            c.acquisition_date
        );
    }

    let won = exec
        .sales_pipeline()
        .list(
            &DealFilter::all().stage(DealStage::ClosedWon),
            PageRequest::first(3),
        )
        .await?;
    println!("  deals won:");
    for d in &won.items {
        println!(
            "    {:<64} {:>12} closed {}",
            d.opportunity_name.as_str(),
            d.value.to_string(),
            d.actual_close_date
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
    }

    let staff = exec
        .employees()
        .list(&EmployeeFilter::all(), PageRequest::first(4))
        .await?;
    println!("  employees (salaries opened with the key ring):");
    for e in &staff.items {
        println!(
            "    {} {:<22} {:<30} {:<18} {:>12} {}",
            e.employee_code.as_str(),
            format!("{} {}", e.first_name.as_str(), e.last_name.as_str()),
            e.job_title.as_str(),
            e.department.as_str(),
            e.salary.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            e.salary_currency.as_str()
        );
    }

    let budgets = exec
        .budget_plans()
        .list(
            &BudgetPlanFilter::all().fiscal_year(config.as_of.year()),
            PageRequest::first(3),
        )
        .await?;
    println!("  budget plans this year (actuals from approved expenses):");
    for b in &budgets.items {
        println!(
            "    {:<44} planned {:>12} actual {:>12} variance {:>8} %",
            b.name.as_str(),
            b.amounts.planned_amount().to_string(),
            b.amounts.actual_amount().to_string(),
            b.amounts.variance_percentage().to_string()
        );
    }

    let low: Vec<InventoryLevel> = exec
        .inventory_levels()
        .list(
            &InventoryLevelFilter::all().below_reorder_level(),
            PageRequest::first(3),
        )
        .await?
        .items;
    println!("  stock below its reorder level:");
    for i in &low {
        println!(
            "    {:<18} current {:>5} reserved {:>4} available {:>5} reorder at {:>4}",
            i.warehouse_location.as_str(),
            i.stock.current(),
            i.stock.reserved(),
            i.stock.available(),
            i.policy.reorder_level()
        );
    }

    let risks = exec
        .risk_assessments()
        .list(
            &RiskAssessmentFilter::all().level(RiskLevel::High),
            PageRequest::first(3),
        )
        .await?;
    println!("  high risks:");
    for r in &risks.items {
        println!(
            "    {:<46} {:<14} score {:>2} next review {}",
            r.risk_name.as_str(),
            r.risk_category.as_str(),
            r.rating.score().get(),
            r.next_review_date
        );
    }

    let trail = exec.audit().list(&AuditFilter::all(), None, 5).await?;
    println!("  latest audit entries:");
    for entry in &trail.items {
        println!(
            "    {} {:<22} {:<24} by {}",
            entry.timestamp.format("%H:%M:%S%.3f"),
            entry.action,
            entry.entity_type,
            entry.user_id.map(|u| u.to_string()).unwrap_or_default()
        );
    }
    Ok(())
}
