//! What a run reports, and how it fails.

use std::fmt;
use std::time::Duration;

use aems_core::{DomainError, TenantId, UserId};
use chrono::NaiveDate;

use crate::Context;
use crate::auth::AuthError;
use crate::error::Error;

use super::*;

/// One generated tenant.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GeneratedTenant {
    /// Its position in the run (0-based).
    pub index: usize,
    /// The tenant.
    pub id: TenantId,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// Its admin (who signed it up).
    pub admin_id: UserId,
    /// The admin's e-mail address.
    pub admin_email: String,
    /// The admin's context, to read or write the tenant's data.
    pub context: Context,
    /// Rows per table as this tenant's context sees them (row-level
    /// security applied), in [`TABLES`] order.
    pub rows: Vec<(&'static str, u64)>,
}

/// How the bulk customer path went (all tenants together).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BulkReport {
    /// Customers written.
    pub rows: u64,
    /// Units of work committed.
    pub batches: usize,
    /// Customers per unit of work.
    pub batch_rows: usize,
    /// Units of work in flight at once.
    pub concurrency: usize,
    /// Wall time of the bulk path: inputs built, checked, inserted, committed.
    pub elapsed: Duration,
    /// Of which building the inputs (summed over the tasks).
    pub building_inputs: Duration,
}

impl BulkReport {
    /// Customers per second of wall time.
    pub fn rows_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.rows as f64 / secs
        } else {
            0.0
        }
    }
}

/// What [`generate`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GeneratedReport {
    /// The seed.
    pub seed: u64,
    /// The scale.
    pub scale: Scale,
    /// The day the data describes as "today".
    pub as_of: NaiveDate,
    /// The tenants, in generation order.
    pub tenants: Vec<GeneratedTenant>,
    /// The bulk customer path.
    pub bulk: BulkReport,
    /// The whole run, counting and `ANALYZE` included.
    pub elapsed: Duration,
}

impl GeneratedReport {
    /// Rows of `table` (e.g. `"sales.customers"`) over all generated tenants.
    pub fn rows(&self, table: &str) -> u64 {
        self.tenants
            .iter()
            .flat_map(|t| t.rows.iter())
            .filter(|(name, _)| *name == table)
            .map(|(_, n)| n)
            .sum()
    }

    /// Rows per table over all generated tenants, in [`TABLES`] order.
    pub fn table_rows(&self) -> Vec<(&'static str, u64)> {
        TABLES.iter().map(|t| (*t, self.rows(t))).collect()
    }

    /// Every row generated, audit trail included.
    pub fn total_rows(&self) -> u64 {
        TABLES.iter().map(|t| self.rows(t)).sum()
    }
}

impl fmt::Display for GeneratedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {}, {} tenant(s), scale {}, as of {}: {} rows in {:.1} s",
            self.seed,
            self.tenants.len(),
            self.scale,
            self.as_of,
            self.total_rows(),
            self.elapsed.as_secs_f64()
        )?;
        write!(f, "  {:<30}", "table")?;
        for t in &self.tenants {
            write!(f, " {:>10}", format!("tenant {}", t.index + 1))?;
        }
        writeln!(f, " {:>10}", "total")?;
        for table in TABLES {
            write!(f, "  {table:<30}")?;
            for t in &self.tenants {
                let n = t
                    .rows
                    .iter()
                    .find(|(name, _)| *name == table)
                    .map_or(0, |r| r.1);
                write!(f, " {n:>10}")?;
            }
            writeln!(f, " {:>10}", self.rows(table))?;
        }
        write!(
            f,
            "  bulk customers: {} rows in {} unit(s) of work of {} ({} at once) in {:.2} s = {:.0} rows/s (building inputs {:.2} s)",
            self.bulk.rows,
            self.bulk.batches,
            self.bulk.batch_rows,
            self.bulk.concurrency,
            self.bulk.elapsed.as_secs_f64(),
            self.bulk.rows_per_second(),
            self.bulk.building_inputs.as_secs_f64()
        )
    }
}

/// Why [`generate`] stopped. What was committed before stays.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeneratorError {
    /// The configuration cannot be generated.
    #[error("generator configuration: {0}")]
    Config(String),
    /// The data layer refused something (a generated value the domain
    /// refuses is [`Error::Validation`] naming the field).
    #[error(transparent)]
    Data(#[from] Error),
    /// Authentication refused something (the cause is the
    /// [`source`](std::error::Error::source)).
    #[error("authentication refused a generated step")]
    Auth(#[source] AuthError),
    /// The library answered in a way it should not have (e.g. a wrong
    /// password signed in).
    #[error("unexpected outcome: {0}")]
    Unexpected(&'static str),
    /// A task of the bulk path panicked or was cancelled.
    #[error("a bulk-load task did not finish")]
    Task(#[source] tokio::task::JoinError),
}

impl From<AuthError> for GeneratorError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Data(e) => GeneratorError::Data(e),
            other => GeneratorError::Auth(other),
        }
    }
}

impl From<DomainError> for GeneratorError {
    fn from(error: DomainError) -> Self {
        GeneratorError::Data(Error::Validation(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_errors_keep_their_causes() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let join = runtime
            .block_on(async { tokio::task::spawn_blocking(|| panic!("a bulk task failed")).await })
            .unwrap_err();
        for error in [
            GeneratorError::Task(join),
            GeneratorError::Auth(AuthError::InvalidCredentials),
        ] {
            assert!(std::error::Error::source(&error).is_some(), "{error:?}");
            crate::error::tests::assert_each_cause_once(&error);
        }
    }
}
