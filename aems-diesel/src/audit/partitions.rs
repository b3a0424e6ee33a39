//! Keeping `risk.audit_logs` partitioned: months ahead, the default
//! partition, retention.
//!
//! The trail is range-partitioned by UTC month (`audit_logs_YYYY_MM`), with a
//! DEFAULT partition so no audit row is ever refused — a row whose month has no
//! partition yet lands there. Run [`maintain`] regularly (daily is plenty), as
//! the schema owner (creating and dropping partitions needs the owner):
//!
//! 1. create the months ahead ([`create_months_ahead`]);
//! 2. move rows that fell into the default partition into their months
//!    ([`move_default_rows`]; creating a month moves its rows in one transaction);
//! 3. drop the months older than the retention period
//!    ([`drop_months_before`]; owner-only, it destroys history).
//!
//! See `docs/operations.md`.

use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Integer};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::error::{Error, Result};

/// What one [`maintain`] run did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MaintenanceReport {
    /// Partitions created for the months ahead.
    pub created_ahead: u32,
    /// Rows that were in the default partition, by month, before they were moved.
    pub moved_from_default: Vec<(NaiveDate, i64)>,
    /// Old monthly partitions dropped.
    pub dropped: u32,
}

async fn connect(owner_url: &str) -> Result<AsyncPgConnection> {
    AsyncPgConnection::establish(owner_url)
        .await
        .map_err(Error::Connect)
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Integer)]
    n: i32,
}

#[derive(QueryableByName)]
struct MonthRows {
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = BigInt)]
    rows: i64,
}

/// Creates the partitions of the current UTC month and the `months` after it
/// that do not exist yet. Returns how many it created.
pub async fn create_months_ahead(owner_url: &str, months: u32) -> Result<u32> {
    let mut conn = connect(owner_url).await?;
    let start = first_of_month(Utc::now().date_naive());
    let n: Count = sql_query("SELECT risk.create_audit_log_partitions($1, $2) AS n")
        .bind::<Date, _>(start)
        .bind::<Integer, _>(i32::try_from(months + 1).unwrap_or(i32::MAX))
        .get_result(&mut conn)
        .await?;
    Ok(n.n.max(0) as u32)
}

/// The rows sitting in the default partition, counted by UTC month: rows
/// written for a month that had no partition yet.
pub async fn rows_in_default_partition(owner_url: &str) -> Result<Vec<(NaiveDate, i64)>> {
    let mut conn = connect(owner_url).await?;
    let rows: Vec<MonthRows> = sql_query(
        "SELECT (date_trunc('month', \"timestamp\" AT TIME ZONE 'UTC'))::date AS month, count(*) AS rows
         FROM risk.audit_logs_default GROUP BY 1 ORDER BY 1",
    )
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.month, r.rows)).collect())
}

/// Creates the month of every row in the default partition, which moves those
/// rows into it (each month in its own transaction). Returns what was moved.
pub async fn move_default_rows(owner_url: &str) -> Result<Vec<(NaiveDate, i64)>> {
    let found = rows_in_default_partition(owner_url).await?;
    let mut conn = connect(owner_url).await?;
    for (month, _) in &found {
        sql_query("SELECT risk.create_audit_log_partitions($1, 1) AS n")
            .bind::<Date, _>(*month)
            .execute(&mut conn)
            .await?;
    }
    Ok(found)
}

/// Drops the monthly partitions of months before `cutoff`'s month, and deletes
/// the default partition's rows older than that. Returns how many partitions
/// were dropped.
pub async fn drop_months_before(owner_url: &str, cutoff: NaiveDate) -> Result<u32> {
    let mut conn = connect(owner_url).await?;
    let n: Count = sql_query("SELECT risk.drop_audit_log_partitions_before($1) AS n")
        .bind::<Date, _>(cutoff)
        .get_result(&mut conn)
        .await?;
    Ok(n.n.max(0) as u32)
}

/// The whole routine: `months_ahead` months created, the default partition
/// emptied into its months, and months older than `retention_months` dropped.
pub async fn maintain(
    owner_url: &str,
    months_ahead: u32,
    retention_months: u32,
) -> Result<MaintenanceReport> {
    let created_ahead = create_months_ahead(owner_url, months_ahead).await?;
    let moved_from_default = move_default_rows(owner_url).await?;
    let cutoff = first_of_month(Utc::now().date_naive())
        .checked_sub_months(Months::new(retention_months))
        .ok_or_else(|| {
            Error::Config(format!(
                "retention of {retention_months} months reaches before year 0"
            ))
        })?;
    let dropped = drop_months_before(owner_url, cutoff).await?;
    Ok(MaintenanceReport {
        created_ahead,
        moved_from_default,
        dropped,
    })
}
