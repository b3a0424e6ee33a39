//! Figures across tables, from the `analytics` views: the spec's "optimized
//! executive dashboard query" and its customer analytics.
//!
//! Both views are `security_invoker`, so the tables underneath are read with
//! the caller's row-level security: a tenant's unit of work sees its own
//! figures only. Each function below also names the context's tenant
//! explicitly, and each is one prepared DSL statement (one round trip from a
//! one-shot executor).
//!
//! ```no_run
//! # async fn demo(db: &aems_diesel::Database, ctx: &aems_diesel::Context) -> aems_diesel::Result<()> {
//! use aems_diesel::prelude::*;
//!
//! let mut exec = db.one_shot(ctx).await?;
//! let summary = exec.analytics().executive_summary().await?;
//! println!("{} monthly periods", summary.sales_periods);
//! for segment in exec.analytics().customer_segments().await? {
//!     println!("{}: {} customers", segment.segment, segment.customer_count);
//! }
//! # Ok(())
//! # }
//! ```

use aems_core::TenantId;
use aems_core::sales::customers::CustomerSegment;
use bigdecimal::BigDecimal;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::decode;
use crate::unit_of_work::Executor;

/// Days of monthly metrics the executive summary covers, back from today
/// (`metric_date >= CURRENT_DATE - 90 days`, today included).
pub const EXECUTIVE_WINDOW_DAYS: u32 = 90;

/// The views, declared by hand: `diesel print-schema` does not generate views.
/// Their SQL is `migrations/2025-09-16-001400_analytics_views/up.sql`.
mod views {
    diesel::table! {
        /// `analytics.executive_summary`: one row per visible tenant.
        analytics.executive_summary (tenant_id) {
            /// The tenant.
            tenant_id -> Uuid,
            /// Sum of `sales_metrics.total_revenue` (NULL without metrics).
            total_revenue -> Nullable<Numeric>,
            /// Average of `sales_metrics.win_rate` (NULL without metrics).
            avg_win_rate -> Nullable<Numeric>,
            /// Number of sales metric periods counted.
            periods_count -> BigInt,
            /// Sum of `finance_metrics.net_profit` (NULL without metrics).
            total_profit -> Nullable<Numeric>,
            /// Average of `finance_metrics.cash_flow` (NULL without metrics).
            avg_cash_flow -> Nullable<Numeric>,
        }
    }

    diesel::table! {
        /// `analytics.customer_segments`: one row per tenant and segment with
        /// at least one active, live customer (so no aggregate is NULL).
        analytics.customer_segments (tenant_id, customer_segment) {
            /// The tenant.
            tenant_id -> Uuid,
            /// The segment.
            customer_segment -> Varchar,
            /// Active, live customers in it.
            customer_count -> BigInt,
            /// Their average `lifetime_value`.
            avg_ltv -> Numeric,
            /// The sum of their `total_revenue`.
            segment_revenue -> Numeric,
        }
    }
}

use views::{customer_segments, executive_summary};

/// The executive dashboard of the context's tenant: its **monthly** sales and
/// finance metrics dated within the last [`EXECUTIVE_WINDOW_DAYS`] days
/// (daily, weekly, quarterly and yearly rows are not counted).
///
/// Figures are exact decimals as PostgreSQL computes them (averages carry its
/// division precision). A sum or average is `None` when there is no monthly
/// metric in the window to compute it from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ExecutiveSummary {
    /// Sum of the sales periods' `total_revenue`.
    pub sales_total_revenue: Option<BigDecimal>,
    /// Average of the sales periods' `win_rate` (a percentage).
    pub sales_avg_win_rate: Option<BigDecimal>,
    /// How many monthly sales periods were counted.
    pub sales_periods: i64,
    /// Sum of the finance periods' `net_profit`.
    pub finance_total_net_profit: Option<BigDecimal>,
    /// Average of the finance periods' `cash_flow`.
    pub finance_avg_cash_flow: Option<BigDecimal>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = executive_summary, check_for_backend(Pg))]
struct ExecutiveSummaryRow {
    total_revenue: Option<BigDecimal>,
    avg_win_rate: Option<BigDecimal>,
    periods_count: i64,
    total_profit: Option<BigDecimal>,
    avg_cash_flow: Option<BigDecimal>,
}

impl From<ExecutiveSummaryRow> for ExecutiveSummary {
    fn from(row: ExecutiveSummaryRow) -> Self {
        Self {
            sales_total_revenue: row.total_revenue,
            sales_avg_win_rate: row.avg_win_rate,
            sales_periods: row.periods_count,
            finance_total_net_profit: row.total_profit,
            finance_avg_cash_flow: row.avg_cash_flow,
        }
    }
}

/// The figures of one customer segment: its active customers that are not
/// soft-deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SegmentFigures {
    /// The segment.
    pub segment: CustomerSegment,
    /// How many active, live customers it has.
    pub customer_count: i64,
    /// Their average `lifetime_value`.
    pub avg_lifetime_value: BigDecimal,
    /// The sum of their `total_revenue`.
    pub revenue: BigDecimal,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = customer_segments, check_for_backend(Pg))]
struct SegmentRow {
    customer_segment: String,
    customer_count: i64,
    avg_ltv: BigDecimal,
    segment_revenue: BigDecimal,
}

impl SegmentRow {
    fn into_figures(self) -> Result<SegmentFigures> {
        Ok(SegmentFigures {
            segment: decode(SEGMENTS, "customer_segment", &self.customer_segment)?,
            customer_count: self.customer_count,
            avg_lifetime_value: self.avg_ltv,
            revenue: self.segment_revenue,
        })
    }
}

const SUMMARY: &str = "executive_summary";
const SEGMENTS: &str = "customer_segments";

/// The analytics of the context's tenant (`exec.analytics()`).
#[derive(Debug)]
pub struct Analytics<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> Analytics<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    fn tenant(&self) -> TenantId {
        self.exec.context().tenant_id()
    }

    /// The executive dashboard: monthly sales and finance metrics of the last
    /// [`EXECUTIVE_WINDOW_DAYS`] days. "Today" is the database server's
    /// `CURRENT_DATE` in UTC (the session time zone of every connection).
    pub async fn executive_summary(&mut self) -> Result<ExecutiveSummary> {
        let tenant: Uuid = self.tenant().into_uuid();
        let row = self
            .exec
            .run(SUMMARY, move |conn| {
                executive_summary::table
                    .filter(executive_summary::tenant_id.eq(tenant))
                    .select(ExecutiveSummaryRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        // The view has a row for every tenant the context can see, its own
        // included; none means the tenant itself is gone.
        row.map(ExecutiveSummary::from)
            .ok_or(Error::NotFound { entity: "tenants" })
    }

    /// The tenant's customer segments with at least one active, live
    /// customer, by revenue, highest first (ties by segment name).
    pub async fn customer_segments(&mut self) -> Result<Vec<SegmentFigures>> {
        let tenant: Uuid = self.tenant().into_uuid();
        let rows = self
            .exec
            .run(SEGMENTS, move |conn| {
                customer_segments::table
                    .filter(customer_segments::tenant_id.eq(tenant))
                    .order((
                        customer_segments::segment_revenue.desc(),
                        customer_segments::customer_segment.asc(),
                    ))
                    .select(SegmentRow::as_select())
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        rows.into_iter().map(SegmentRow::into_figures).collect()
    }
}

/// The analytics, reachable from any executor (`exec.analytics()`).
pub trait AnalyticsRepositories: Executor + Sized {
    /// The `analytics` views, for the context's tenant.
    fn analytics(&mut self) -> Analytics<'_, Self> {
        Analytics::new(self)
    }
}

impl<E: Executor> AnalyticsRepositories for E {}
