//! `sales.sales_metrics`: the row structs, the repository, its filters and the
//! upsert on the row's natural key `(tenant, metric_date, period_type)`.
//!
//! Metrics rows are figures computed elsewhere and recorded per period; they
//! carry no history of their own, so a row may be hard-deleted
//! ([`SalesMetrics::delete`]).

use aems_core::sales::sales_metrics::{NewSalesMetric, SalesMetric, SalesMetricPatch};
use aems_core::{Input, PeriodType, SalesMetricId, TenantId, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_decimal, keyset};
use crate::schema::sales::sales_metrics;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "sales_metrics";

/// A row of `sales.sales_metrics` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sales_metrics, check_for_backend(Pg))]
pub(crate) struct SalesMetricRow {
    id: Uuid,
    tenant_id: Uuid,
    metric_date: NaiveDate,
    period_type: String,
    total_revenue: BigDecimal,
    pipeline_value: BigDecimal,
    deals_closed: i32,
    deals_lost: i32,
    win_rate: BigDecimal,
    customer_acquisition_cost: BigDecimal,
    customer_lifetime_value: BigDecimal,
    churn_rate: BigDecimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl SalesMetricRow {
    fn into_entity(self) -> Result<SalesMetric> {
        Ok(SalesMetric {
            id: SalesMetricId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            metric_date: self.metric_date,
            period_type: decode(ENTITY, "period_type", &self.period_type)?,
            total_revenue: decode_decimal(ENTITY, "total_revenue", self.total_revenue)?,
            pipeline_value: decode_decimal(ENTITY, "pipeline_value", self.pipeline_value)?,
            deals_closed: self.deals_closed,
            deals_lost: self.deals_lost,
            win_rate: decode_decimal(ENTITY, "win_rate", self.win_rate)?,
            customer_acquisition_cost: decode_decimal(
                ENTITY,
                "customer_acquisition_cost",
                self.customer_acquisition_cost,
            )?,
            customer_lifetime_value: decode_decimal(
                ENTITY,
                "customer_lifetime_value",
                self.customer_lifetime_value,
            )?,
            churn_rate: decode_decimal(ENTITY, "churn_rate", self.churn_rate)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<SalesMetricRow>) -> Result<Vec<SalesMetric>> {
    rows.into_iter().map(SalesMetricRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context. Every
/// value is bound (none rendered as DEFAULT), so the INSERT's text never
/// varies and it is prepared once per connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = sales_metrics,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewSalesMetricRow {
    id: Uuid,
    tenant_id: Uuid,
    metric_date: NaiveDate,
    period_type: &'static str,
    total_revenue: BigDecimal,
    pipeline_value: BigDecimal,
    deals_closed: i32,
    deals_lost: i32,
    win_rate: BigDecimal,
    customer_acquisition_cost: BigDecimal,
    customer_lifetime_value: BigDecimal,
    churn_rate: BigDecimal,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewSalesMetricRow {
    fn from_input(new: NewSalesMetric, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: SalesMetricId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            metric_date: new.metric_date,
            period_type: new.period_type.as_str(),
            total_revenue: new.total_revenue.into_decimal(),
            pipeline_value: new.pipeline_value.into_decimal(),
            deals_closed: new.deals_closed,
            deals_lost: new.deals_lost,
            win_rate: new.win_rate.as_decimal().clone(),
            customer_acquisition_cost: new.customer_acquisition_cost.into_decimal(),
            customer_lifetime_value: new.customer_lifetime_value.into_decimal(),
            churn_rate: new.churn_rate.as_decimal().clone(),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every figure an update may change, taken from the checked, patched row,
/// plus who changed them: one fixed SQL text for every update (see
/// [`sql::Cached`]); the audit trail still records only the changed columns.
/// The natural key (`metric_date`, `period_type`) is not among them.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = sales_metrics,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct SalesMetricChangeset {
    total_revenue: BigDecimal,
    pipeline_value: BigDecimal,
    deals_closed: i32,
    deals_lost: i32,
    win_rate: BigDecimal,
    customer_acquisition_cost: BigDecimal,
    customer_lifetime_value: BigDecimal,
    churn_rate: BigDecimal,
    updated_by: Uuid,
}

impl SalesMetricChangeset {
    fn from_entity(m: &SalesMetric, actor: UserId) -> Self {
        Self {
            total_revenue: m.total_revenue.as_decimal().clone(),
            pipeline_value: m.pipeline_value.as_decimal().clone(),
            deals_closed: m.deals_closed,
            deals_lost: m.deals_lost,
            win_rate: m.win_rate.as_decimal().clone(),
            customer_acquisition_cost: m.customer_acquisition_cost.as_decimal().clone(),
            customer_lifetime_value: m.customer_lifetime_value.as_decimal().clone(),
            churn_rate: m.churn_rate.as_decimal().clone(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold. Dates are inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct SalesMetricFilter {
    /// Only rows of this period type.
    pub period_type: Option<PeriodType>,
    /// Only rows whose `metric_date` is on or after this day.
    pub since: Option<NaiveDate>,
    /// Only rows whose `metric_date` is on or before this day.
    pub until: Option<NaiveDate>,
}

impl SalesMetricFilter {
    /// No condition: every row of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `period_type`.
    pub fn period_type(mut self, period_type: PeriodType) -> Self {
        self.period_type = Some(period_type);
        self
    }

    /// Only `metric_date >= day`.
    pub fn since(mut self, day: NaiveDate) -> Self {
        self.since = Some(day);
        self
    }

    /// Only `metric_date <= day`.
    pub fn until(mut self, day: NaiveDate) -> Self {
        self.until = Some(day);
        self
    }

    /// Only `first <= metric_date <= last`.
    pub fn between(self, first: NaiveDate, last: NaiveDate) -> Self {
        self.since(first).until(last)
    }
}

/// The sales metrics of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor: `uow.sales_metrics()`.
/// A period's row is written with [`upsert`](Self::upsert) (insert, or replace
/// the figures of the row already recorded for that date and period type).
#[derive(Debug)]
pub struct SalesMetrics<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> SalesMetrics<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The row `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: SalesMetricId) -> Result<SalesMetric> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The row `id`, if there is one.
    pub async fn find(&mut self, id: SalesMetricId) -> Result<Option<SalesMetric>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sales_metrics::table
                    .find(id.into_uuid())
                    .select(SalesMetricRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(SalesMetricRow::into_entity).transpose()
    }

    /// The row recorded for `metric_date` and `period_type`, if there is one.
    pub async fn find_for_period(
        &mut self,
        metric_date: NaiveDate,
        period_type: PeriodType,
    ) -> Result<Option<SalesMetric>> {
        let tenant = self.exec.context().tenant_id().into_uuid();
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sales_metrics::table
                    .filter(sales_metrics::tenant_id.eq(tenant))
                    .filter(sales_metrics::metric_date.eq(metric_date))
                    .filter(sales_metrics::period_type.eq(period_type.as_str()))
                    .select(SalesMetricRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(SalesMetricRow::into_entity).transpose()
    }

    /// One page of the rows matching `filter`.
    pub async fn list(
        &mut self,
        filter: &SalesMetricFilter,
        page: PageRequest,
    ) -> Result<Page<SalesMetric>> {
        let filter = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = sales_metrics::table
                    .select(SalesMetricRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(period_type) = filter.period_type {
                    query = query.filter(sales_metrics::period_type.eq(period_type.as_str()));
                }
                if let Some(since) = filter.since {
                    query = query.filter(sales_metrics::metric_date.ge(since));
                }
                if let Some(until) = filter.until {
                    query = query.filter(sales_metrics::metric_date.le(until));
                }
                keyset!(query, sales_metrics::tenant_id, sales_metrics::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |m| m.id.into_uuid()))
    }

    /// Records the metrics of a period that has none yet; a period already
    /// recorded is [`Error::UniqueViolation`]
    /// (`uq_sales_metrics_tenant_id_metric_date_period_type`) — use
    /// [`upsert`](Self::upsert) to replace it. The input is checked first;
    /// nothing is sent when it is invalid.
    pub async fn create(&mut self, new: NewSalesMetric) -> Result<SalesMetric> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewSalesMetricRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(sales_metrics::table)
                    .values(row)
                    .returning(SalesMetricRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Records the metrics of a period in one statement: inserts the row, or,
    /// when the tenant already has one for this `metric_date` and
    /// `period_type`, replaces every figure of it (keeping its id, creation
    /// time and creator; the context's actor becomes `updated_by`). The input
    /// is checked first; nothing is sent when it is invalid.
    pub async fn upsert(&mut self, new: NewSalesMetric) -> Result<SalesMetric> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewSalesMetricRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let written = self
            .exec
            .run(ENTITY, move |conn| {
                use sales_metrics::*;
                // A fixed SET list: one SQL text, prepared once (see `sql::Cached`).
                sql::Cached(
                    diesel::insert_into(table)
                        .values(row)
                        .on_conflict((tenant_id, metric_date, period_type))
                        .do_update()
                        .set((
                            total_revenue.eq(excluded(total_revenue)),
                            pipeline_value.eq(excluded(pipeline_value)),
                            deals_closed.eq(excluded(deals_closed)),
                            deals_lost.eq(excluded(deals_lost)),
                            win_rate.eq(excluded(win_rate)),
                            customer_acquisition_cost.eq(excluded(customer_acquisition_cost)),
                            customer_lifetime_value.eq(excluded(customer_lifetime_value)),
                            churn_rate.eq(excluded(churn_rate)),
                            updated_by.eq(excluded(updated_by)),
                        ))
                        .returning(SalesMetricRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        written.into_entity()
    }

    /// Applies `patch` to row `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    /// The patched row is checked as a whole before anything is written.
    pub async fn update(
        &mut self,
        id: SalesMetricId,
        expected_updated_at: DateTime<Utc>,
        patch: &SalesMetricPatch,
    ) -> Result<SalesMetric> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = SalesMetricChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        sales_metrics::table
                            .find(id.into_uuid())
                            .filter(sales_metrics::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(SalesMetricRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        // Changed (or deleted) between the read and the write.
        updated
            .ok_or(Error::Conflict { entity: ENTITY })?
            .into_entity()
    }

    /// Hard-deletes row `id` (metrics are recomputable figures, not history),
    /// returning it; [`Error::NotFound`] when there is no such row.
    pub async fn delete(&mut self, id: SalesMetricId) -> Result<SalesMetric> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(sales_metrics::table.find(id.into_uuid()))
                    .returning(SalesMetricRow::as_returning())
                    .get_result(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }
}

impl<'e, E: Transactional> SalesMetrics<'e, E> {
    /// Records many periods in one transaction, in multi-row INSERTs below
    /// PostgreSQL's parameter limit. Every input is checked first and every
    /// failing one reported (`[3].win_rate`); nothing is sent when one is
    /// invalid. A period already recorded is [`Error::UniqueViolation`].
    pub async fn create_many(&mut self, news: Vec<NewSalesMetric>) -> Result<Vec<SalesMetric>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewSalesMetricRow> = news
            .into_iter()
            .map(|n| NewSalesMetricRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(sales_metrics::table)
                        .values(chunk)
                        .returning(SalesMetricRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }
}
