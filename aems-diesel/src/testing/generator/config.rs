//! What to generate: the counts per tenant, the presets and the configuration.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::auth::{AuthConfig, HashParams};

use super::products::WAREHOUSES;
use super::*;

/// How many rows of each kind one tenant gets (the audit trail, sessions,
/// factors and connections follow from the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Users, the admin included (at least 2).
    pub users: usize,
    /// Customers, written through the bulk path.
    pub customers: usize,
    /// Deals (needs customers).
    pub deals: usize,
    /// Months of metrics history, ending with [`GeneratorConfig::as_of`]'s
    /// month (1 to 120); also the span of the expenses.
    pub metric_months: usize,
    /// Budget plans, over last year and this year.
    pub budget_plans: usize,
    /// Expense transactions.
    pub expenses: usize,
    /// Employees before hiring (at least 1: the CEO).
    pub employees: usize,
    /// Recruitment candidates (some become employees).
    pub candidates: usize,
    /// Products.
    pub products: usize,
    /// Warehouses each product may be stocked in (at least 1 with products).
    pub warehouses: usize,
    /// Risk assessments.
    pub risks: usize,
    /// Compliance records.
    pub compliance_records: usize,
}

/// How much to generate per tenant: a preset or [`Counts`] of one's own.
///
/// | per tenant | tiny | small | medium | large |
/// |---|---:|---:|---:|---:|
/// | users | 4 | 8 | 15 | 30 |
/// | customers | 200 | 2,000 | 50,000 | 1,000,000 |
/// | deals | 24 | 150 | 1,500 | 10,000 |
/// | metric months | 6 | 12 | 24 | 36 |
/// | budget plans | 6 | 24 | 48 | 96 |
/// | expenses | 30 | 300 | 3,000 | 20,000 |
/// | employees | 12 | 40 | 250 | 1,500 |
/// | candidates | 8 | 30 | 150 | 600 |
/// | products | 8 | 60 | 500 | 3,000 |
/// | warehouses | 2 | 3 | 4 | 6 |
/// | risks | 4 | 20 | 60 | 150 |
/// | compliance records | 4 | 12 | 30 | 60 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// For tests: every table gets rows, in about a second.
    Tiny,
    /// For demos.
    Small,
    /// A mid-sized company.
    Medium,
    /// A million customers per tenant: the bulk path's target.
    Large,
    /// Counts of one's own.
    Custom(Counts),
}

impl Scale {
    /// The counts per tenant.
    pub fn counts(self) -> Counts {
        let c = |users,
                 customers,
                 deals,
                 metric_months,
                 budget_plans,
                 expenses,
                 employees,
                 candidates,
                 products,
                 warehouses,
                 risks,
                 compliance_records| Counts {
            users,
            customers,
            deals,
            metric_months,
            budget_plans,
            expenses,
            employees,
            candidates,
            products,
            warehouses,
            risks,
            compliance_records,
        };
        match self {
            Scale::Tiny => c(4, 200, 24, 6, 6, 30, 12, 8, 8, 2, 4, 4),
            Scale::Small => c(8, 2_000, 150, 12, 24, 300, 40, 30, 60, 3, 20, 12),
            Scale::Medium => c(15, 50_000, 1_500, 24, 48, 3_000, 250, 150, 500, 4, 60, 30),
            Scale::Large => c(
                30, 1_000_000, 10_000, 36, 96, 20_000, 1_500, 600, 3_000, 6, 150, 60,
            ),
            Scale::Custom(counts) => counts,
        }
    }

    /// The preset's name (`custom` for [`Scale::Custom`]).
    pub fn name(self) -> &'static str {
        match self {
            Scale::Tiny => "tiny",
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
            Scale::Custom(_) => "custom",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scale {
    type Err = GeneratorError;

    /// `tiny`, `small`, `medium` or `large` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tiny" => Ok(Scale::Tiny),
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            other => Err(GeneratorError::Config(format!(
                "scale must be tiny, small, medium or large, not {other:?}"
            ))),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GeneratorConfig {
    /// Where every value comes from.
    pub seed: u64,
    /// How many tenants (1 to 1,000).
    pub tenants: usize,
    /// How much per tenant.
    pub scale: Scale,
    /// The day the data describes as "today" (default
    /// [`GeneratorConfig::DEFAULT_AS_OF`]): dates are counted back from it.
    pub as_of: NaiveDate,
    /// Authentication settings for signup, sign-ins and MFA (argon2id costs
    /// above all). Default: [`AuthConfig::default`].
    pub auth: AuthConfig,
    /// Customers per unit of work in the bulk path (default 10,000).
    pub bulk_batch_rows: usize,
    /// Units of work of the bulk path in flight at once (default 2; each
    /// takes a connection from the pool).
    pub bulk_concurrency: usize,
}

impl GeneratorConfig {
    /// The default [`as_of`](Self::as_of): 2026-06-30.
    pub const DEFAULT_AS_OF: (i32, u32, u32) = (2026, 6, 30);

    /// `tenants` tenants at `scale`, from `seed`, with the defaults.
    pub fn new(seed: u64, tenants: usize, scale: Scale) -> Self {
        let (y, m, d) = Self::DEFAULT_AS_OF;
        Self {
            seed,
            tenants,
            scale,
            as_of: NaiveDate::from_ymd_opt(y, m, d).expect("DEFAULT_AS_OF is a date"),
            auth: AuthConfig::default(),
            bulk_batch_rows: 10_000,
            bulk_concurrency: 2,
        }
    }

    /// Sets the day the data describes as "today".
    pub fn as_of(mut self, day: NaiveDate) -> Self {
        self.as_of = day;
        self
    }

    /// Sets the authentication settings.
    pub fn auth(mut self, auth: AuthConfig) -> Self {
        self.auth = auth;
        self
    }

    /// Hashes passwords and backup codes with
    /// [`HashParams::INSECURE_FAST_FOR_TESTS`]: for tests and throwaway
    /// demos only, never for accounts anyone will use.
    pub fn fast_hashes(mut self) -> Self {
        self.auth = self
            .auth
            .password_params(HashParams::INSECURE_FAST_FOR_TESTS)
            .backup_code_params(HashParams::INSECURE_FAST_FOR_TESTS);
        self
    }

    /// Sets the bulk path's rows per unit of work and units of work in flight.
    pub fn bulk(mut self, batch_rows: usize, concurrency: usize) -> Self {
        self.bulk_batch_rows = batch_rows;
        self.bulk_concurrency = concurrency;
        self
    }

    /// The counts, or why this configuration cannot be generated.
    pub(super) fn check(&self) -> Result<Counts, GeneratorError> {
        let c = self.scale.counts();
        let mut problems = Vec::new();
        if !(1..=1000).contains(&self.tenants) {
            problems.push("tenants must be from 1 to 1,000");
        }
        if c.users < 2 {
            problems.push("users must be at least 2 (an admin and an approver)");
        }
        if c.employees < 1 {
            problems.push("employees must be at least 1 (the CEO)");
        }
        if !(1..=120).contains(&c.metric_months) {
            problems.push("metric_months must be from 1 to 120");
        }
        if c.deals > 0 && c.customers == 0 {
            problems.push("deals need customers");
        }
        if c.products > 0 && c.warehouses == 0 {
            problems.push("products need at least one warehouse");
        }
        if c.warehouses > WAREHOUSES.len() {
            problems.push("warehouses must be at most 12");
        }
        if self.bulk_batch_rows == 0 || self.bulk_concurrency == 0 {
            problems.push("bulk_batch_rows and bulk_concurrency must be at least 1");
        }
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(GeneratorError::Config(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_passes_the_configuration_check() {
        for scale in [Scale::Tiny, Scale::Small, Scale::Medium, Scale::Large] {
            GeneratorConfig::new(1, 2, scale).check().unwrap();
            assert_eq!(scale.name().parse::<Scale>().unwrap(), scale);
        }
        let bad = GeneratorConfig::new(
            1,
            0,
            Scale::Custom(Counts {
                users: 1,
                ..Scale::Tiny.counts()
            }),
        );
        let message = bad.check().unwrap_err().to_string();
        assert!(
            message.contains("tenants") && message.contains("users"),
            "{message}"
        );
        assert!("huge".parse::<Scale>().is_err());
    }
}
