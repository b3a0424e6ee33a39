//! A deterministic, realistic data generator for the whole schema (feature
//! `testing`).
//!
//! [`generate`] fills a migrated database with [`GeneratorConfig::tenants`]
//! tenants, each with rows in all 20 tables, written through the library's own
//! repositories and operations — so every row is validated by aems-core,
//! isolated by row-level security and recorded by the audit triggers:
//!
//! * **auth**: each tenant signs up through [`Authenticator::signup`] (tenant
//!   and admin); the admin creates the other users; active users sign in (a
//!   few after a wrong password), some refresh their session or sign out, some
//!   enrol TOTP or enable an SMS / e-mail factor, some link an OAuth account;
//! * **sales**: customers through the bulk path (below); deals in every stage,
//!   the closed ones closed won or lost through the pipeline operations, some
//!   moved a stage forward or put on hold; monthly and quarterly metrics (the
//!   latest month restated through `upsert`);
//! * **hr**: a manager hierarchy (CEO, department heads, team leads, staff)
//!   with sealed salaries, a few terminations; candidates in every stage, some
//!   hired through `hire` (which creates their employee), rejected or
//!   withdrawn; monthly and quarterly metrics;
//! * **finance**: expenses entered by their claimants, approved or rejected by
//!   an admin (or a manager for the admin's own), some withdrawn; budget plans
//!   for last year (locked or archived) and this year (active, their actuals
//!   recomputed from the approved expenses); monthly and quarterly metrics;
//! * **products**: a catalogue with derived margins, stock per warehouse with
//!   reservations, fulfilments, restocks and stock takes through the stock
//!   operations, monthly performance since launch;
//! * **risk**: risks (some reassessed) and compliance records owned by
//!   employees; the audit trail fills itself.
//!
//! ## Deterministic
//!
//! The same [`GeneratorConfig`] gives the same values: every value comes from
//! the seed through a small SplitMix64 generator of this module, each tenant
//! and each table from its own stream (so the customers' values do not depend
//! on the bulk path's batch size or concurrency). Dates are counted back from
//! [`GeneratorConfig::as_of`] (a fixed day by default), not from today. What
//! is *not* from the seed, by design: ids (UUIDv7), timestamps
//! (`created_at`, `approved_at`, session expiry, ...), and cryptographic
//! material (password salts, session tokens, TOTP secrets, backup codes,
//! AEAD nonces), which must never be predictable.
//!
//! Tenant names, slugs and user e-mail addresses are unique across all
//! tenants (as the schema requires) and carry a tag derived from the seed, so
//! several seeds can share a database; generating the *same* seed twice into
//! one database is refused by those unique keys
//! ([`Error::UniqueViolation`]).
//!
//! ## The bulk path
//!
//! Customers are written with [`Customers::create_many`](crate::sales::Customers::create_many)
//! in units of work of [`GeneratorConfig::bulk_batch_rows`] rows (each split
//! by the library into multi-row INSERTs of 1,000), up to
//! [`GeneratorConfig::bulk_concurrency`] units of work at once on their own
//! tasks; [`BulkReport`] says how long it took, building the inputs included.
//!
//! ```no_run
//! # async fn demo(db: aems_diesel::Database, owner_url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use aems_diesel::testing::generator::{GeneratorConfig, Scale, generate};
//!
//! // `db` needs a key ring (salaries, TOTP secrets and OAuth tokens are sealed).
//! let report = generate(&db, owner_url, &GeneratorConfig::new(42, 2, Scale::Small)).await?;
//! println!("{report}");
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::{Duration, Instant};

use aems_core::auth::tenants::SubscriptionPlan;
use aems_core::auth::users::{UserRole, UserStatus};
use aems_core::products::products::LifecycleStage;
use aems_core::sales::customers::CustomerSegment;
use aems_core::{
    CustomerId, DomainError, EmployeeId, JsonObject, Money, Numeric, Percentage, ProductId, Rating,
    Score10, TenantId, UserId, ValueError,
};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;
use serde_json::Value;

use crate::auth::Authenticator;
use crate::error::Error;
use crate::{Context, Database};

mod auth;
mod config;
mod finance;
mod hr;
mod metrics;
mod products;
mod report;
mod risk;
mod rng;
mod sales;
mod words;

pub use config::{Counts, GeneratorConfig, Scale};
pub use report::{BulkReport, GeneratedReport, GeneratedTenant, GeneratorError};

use metrics::History;
use rng::Rng;

/// The 20 tables, schema-qualified, in the order reports list them.
pub const TABLES: [&str; 20] = [
    "auth.tenants",
    "auth.users",
    "auth.user_sessions",
    "auth.user_mfa",
    "auth.oauth_connections",
    "sales.sales_metrics",
    "sales.customers",
    "sales.sales_pipeline",
    "finance.finance_metrics",
    "finance.budget_plans",
    "finance.expense_transactions",
    "hr.hr_metrics",
    "hr.employees",
    "hr.recruitment_pipeline",
    "products.products",
    "products.inventory_levels",
    "products.product_performance",
    "risk.risk_assessments",
    "risk.compliance_records",
    "risk.audit_logs",
];

type Result<T, E = GeneratorError> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// Generates `config.tenants` tenants into `db` (the application's pool; it
/// needs a key ring: [`Database::with_key_ring`]).
///
/// `owner_url` is the schema owner's URL: before writing, the audit trail's
/// partitions for this month and the next are made sure of (so the trail
/// lands in its month, not the default partition); after, the 20 tables are
/// `ANALYZE`d, as after any bulk load. Tenants are generated one after the
/// other, each committed domain by domain; on an error what was committed
/// stays.
pub async fn generate(
    db: &Database,
    owner_url: &str,
    config: &GeneratorConfig,
) -> Result<GeneratedReport> {
    let counts = config.check()?;
    let started = Instant::now();
    crate::audit::partitions::create_months_ahead(owner_url, 1).await?;
    let auth = Authenticator::new(db.clone(), config.auth.clone())?;
    let mut tenants = Vec::with_capacity(config.tenants);
    let mut bulk = BulkReport {
        rows: 0,
        batches: 0,
        batch_rows: config.bulk_batch_rows,
        concurrency: config.bulk_concurrency,
        elapsed: Duration::ZERO,
        building_inputs: Duration::ZERO,
    };
    for index in 0..config.tenants {
        let mut run = TenantRun::sign_up(db, &auth, config, counts, index).await?;
        run.users().await?;
        run.sign_ins().await?;
        let (customers, stats) = run.customers().await?;
        bulk.rows += stats.rows;
        bulk.batches += stats.batches;
        bulk.elapsed += stats.elapsed;
        bulk.building_inputs += stats.building_inputs;
        run.deals(&customers).await?;
        run.staff().await?;
        run.candidates().await?;
        let history = History::new(&run);
        run.sales_metrics(&history).await?;
        run.finance_metrics(&history).await?;
        run.hr_metrics(&history).await?;
        run.expenses_and_budgets().await?;
        run.products().await?;
        run.risks().await?;
        run.compliance().await?;
        tenants.push(run.finish());
    }
    analyze(owner_url).await?;
    for tenant in &mut tenants {
        tenant.rows = count_rows(db, &tenant.context).await?;
    }
    Ok(GeneratedReport {
        seed: config.seed,
        scale: config.scale,
        as_of: config.as_of,
        tenants,
        bulk,
        elapsed: started.elapsed(),
    })
}

/// Refreshes the planner's statistics after the load (owner only).
async fn analyze(owner_url: &str) -> Result<()> {
    let mut conn = AsyncPgConnection::establish(owner_url)
        .await
        .map_err(Error::Connect)?;
    conn.batch_execute(&format!("ANALYZE {}", TABLES.join(", ")))
        .await
        .map_err(Error::from)?;
    Ok(())
}

/// Rows per table as `ctx` sees them, through the application role and
/// row-level security.
pub async fn count_rows(db: &Database, ctx: &Context) -> Result<Vec<(&'static str, u64)>> {
    use crate::schema::{auth, finance, hr, products, risk, sales};
    let mut exec = db.one_shot(ctx).await?;
    let mut rows = Vec::with_capacity(TABLES.len());
    macro_rules! count {
        ($($name:literal => $schema:ident :: $table:ident),* $(,)?) => {$({
            let n: i64 = exec
                .run("count", move |conn| {
                    $schema::$table::table.count().get_result(&mut { conn }).boxed()
                })
                .await?;
            rows.push(($name, u64::try_from(n).unwrap_or(0)));
        })*};
    }
    count!(
        "auth.tenants" => auth::tenants,
        "auth.users" => auth::users,
        "auth.user_sessions" => auth::user_sessions,
        "auth.user_mfa" => auth::user_mfa,
        "auth.oauth_connections" => auth::oauth_connections,
        "sales.sales_metrics" => sales::sales_metrics,
        "sales.customers" => sales::customers,
        "sales.sales_pipeline" => sales::sales_pipeline,
        "finance.finance_metrics" => finance::finance_metrics,
        "finance.budget_plans" => finance::budget_plans,
        "finance.expense_transactions" => finance::expense_transactions,
        "hr.hr_metrics" => hr::hr_metrics,
        "hr.employees" => hr::employees,
        "hr.recruitment_pipeline" => hr::recruitment_pipeline,
        "products.products" => products::products,
        "products.inventory_levels" => products::inventory_levels,
        "products.product_performance" => products::product_performance,
        "risk.risk_assessments" => risk::risk_assessments,
        "risk.compliance_records" => risk::compliance_records,
        "risk.audit_logs" => risk::audit_logs,
    );
    debug_assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), TABLES);
    Ok(rows)
}

/// Streams of the seed, one per table (their numbers never change, so adding
/// a stream never changes another's values).
#[derive(Clone, Copy)]
#[repr(u64)]
enum Stream {
    Tenant = 1,
    Users = 2,
    SignIns = 3,
    Customers = 4,
    Deals = 5,
    Staff = 6,
    Candidates = 7,
    History = 8,
    Expenses = 9,
    Budgets = 10,
    Products = 11,
    Inventory = 12,
    Performance = 13,
    Risks = 14,
    Compliance = 15,
}

/// A user of the tenant, as generated.
#[derive(Clone)]
struct Person {
    id: UserId,
    email: String,
    password: String,
    first: &'static str,
    last: &'static str,
    role: UserRole,
    status: UserStatus,
}

impl Person {
    fn ctx(&self, tenant: TenantId) -> Context {
        Context::new(tenant, self.id).with_user_agent(GENERATOR_AGENT)
    }

    fn active(&self) -> bool {
        self.status == UserStatus::Active
    }
}

/// An employee, as generated.
#[derive(Clone)]
struct Staffer {
    id: EmployeeId,
    department: usize,
    level: Level,
    hire_date: NaiveDate,
    user: Option<UserId>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Ceo,
    Head,
    Lead,
    Staff,
}

/// A customer a deal may be for.
struct CustomerRef {
    id: CustomerId,
    name: String,
    segment: CustomerSegment,
}

/// A product, as created.
struct ProductRef {
    id: ProductId,
    cost_cents: i64,
    price_cents: i64,
    lifecycle: LifecycleStage,
    launch: Option<NaiveDate>,
}

struct BulkStats {
    rows: u64,
    batches: usize,
    elapsed: Duration,
    building_inputs: Duration,
}

const GENERATOR_AGENT: &str = "aems seed generator";

/// One tenant being generated.
struct TenantRun<'a> {
    db: &'a Database,
    auth: &'a Authenticator,
    config: &'a GeneratorConfig,
    counts: Counts,
    index: usize,
    tenant: TenantId,
    name: String,
    slug: String,
    domain: String,
    currency: &'static str,
    plan: SubscriptionPlan,
    people: Vec<Person>,
    departments: Vec<&'static str>,
    staff: Vec<Staffer>,
    next_employee_code: u32,
    hires: Vec<NaiveDate>,
    departures: Vec<NaiveDate>,
    /// The company addresses handed out (users and employees).
    addresses: BTreeSet<String>,
}

impl<'a> TenantRun<'a> {
    fn rng(&self, stream: Stream) -> Rng {
        Rng::stream(self.config.seed, &[self.index as u64, stream as u64])
    }

    fn as_of(&self) -> NaiveDate {
        self.config.as_of
    }

    fn admin(&self) -> &Person {
        &self.people[0]
    }

    fn admin_ctx(&self) -> Context {
        self.admin().ctx(self.tenant)
    }

    fn finish(self) -> GeneratedTenant {
        let admin = self.admin().clone();
        GeneratedTenant {
            index: self.index,
            id: self.tenant,
            name: self.name,
            slug: self.slug,
            admin_id: admin.id,
            admin_email: admin.email.clone(),
            context: admin.ctx(self.tenant),
            rows: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

fn value<T>(field: &'static str, result: std::result::Result<T, ValueError>) -> Result<T> {
    result.map_err(|e| DomainError::from_value(field, e).into())
}

fn text<T: FromStr<Err = ValueError>>(field: &'static str, s: impl AsRef<str>) -> Result<T> {
    value(field, s.as_ref().parse())
}

/// A `DECIMAL(P, S)` from units of its last place.
fn numeric<const P: u32, const S: u32>(field: &'static str, units: i64) -> Result<Numeric<P, S>> {
    value(field, Numeric::from_minor_units(units))
}

fn money(field: &'static str, cents: i64) -> Result<Money> {
    numeric(field, cents)
}

fn percent(field: &'static str, hundredths: i64) -> Result<Percentage> {
    value(field, Percentage::new(numeric(field, hundredths)?))
}

fn rating(field: &'static str, tenths: i64) -> Result<Rating> {
    value(field, Rating::new(numeric(field, tenths)?))
}

fn score(field: &'static str, tenths: i64) -> Result<Score10> {
    value(field, Score10::new(numeric(field, tenths)?))
}

/// A likelihood or impact from 1 to 5, most often in the middle.
fn factor<T: TryFrom<i32, Error = ValueError>>(field: &'static str, rng: &mut Rng) -> Result<T> {
    let v = ((rng.range(1, 5) + rng.range(1, 5) + 1) / 2) as i32;
    value(field, T::try_from(v))
}

/// The units of the last place of a scale-2 amount (cents).
fn minor_units(amount: &bigdecimal::BigDecimal) -> i64 {
    use bigdecimal::ToPrimitive;
    amount
        .with_scale(2)
        .as_bigint_and_exponent()
        .0
        .to_i64()
        .unwrap_or(0)
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn object(v: Value) -> JsonObject {
    match v {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

fn minus_days(day: NaiveDate, days: i64) -> NaiveDate {
    day - TimeDelta::days(days)
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// The first day of the first of `months` months ending with `as_of`'s.
fn first_month(as_of: NaiveDate, months: usize) -> NaiveDate {
    let this = as_of.with_day(1).expect("every month has a first day");
    this - Months::new(months.saturating_sub(1) as u32)
}
