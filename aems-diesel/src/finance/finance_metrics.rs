//! `finance.finance_metrics`: the row structs, the repository, its filters
//! and the upsert on the row's natural key `(tenant, metric_date, period_type)`.
//!
//! Metrics rows are figures computed elsewhere and recorded per period; they
//! carry no history of their own, so a row may be hard-deleted
//! ([`FinanceMetrics::delete`]).

use aems_core::finance::finance_metrics::{FinanceMetric, FinanceMetricPatch, NewFinanceMetric};
use aems_core::{FinanceMetricId, Input, PeriodType, TenantId, UserId};
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
use crate::schema::finance::finance_metrics;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "finance_metrics";

/// A row of `finance.finance_metrics` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = finance_metrics, check_for_backend(Pg))]
pub(crate) struct FinanceMetricRow {
    id: Uuid,
    tenant_id: Uuid,
    metric_date: NaiveDate,
    period_type: String,
    total_revenue: BigDecimal,
    total_expenses: BigDecimal,
    gross_profit: BigDecimal,
    net_profit: BigDecimal,
    ebitda: BigDecimal,
    gross_margin: BigDecimal,
    net_margin: BigDecimal,
    cash_flow: BigDecimal,
    accounts_receivable: BigDecimal,
    accounts_payable: BigDecimal,
    cash_balance: BigDecimal,
    burn_rate: BigDecimal,
    runway_months: BigDecimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl FinanceMetricRow {
    fn into_entity(self) -> Result<FinanceMetric> {
        Ok(FinanceMetric {
            id: FinanceMetricId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            metric_date: self.metric_date,
            period_type: decode(ENTITY, "period_type", &self.period_type)?,
            total_revenue: decode_decimal(ENTITY, "total_revenue", self.total_revenue)?,
            total_expenses: decode_decimal(ENTITY, "total_expenses", self.total_expenses)?,
            gross_profit: decode_decimal(ENTITY, "gross_profit", self.gross_profit)?,
            net_profit: decode_decimal(ENTITY, "net_profit", self.net_profit)?,
            ebitda: decode_decimal(ENTITY, "ebitda", self.ebitda)?,
            gross_margin: decode_decimal(ENTITY, "gross_margin", self.gross_margin)?,
            net_margin: decode_decimal(ENTITY, "net_margin", self.net_margin)?,
            cash_flow: decode_decimal(ENTITY, "cash_flow", self.cash_flow)?,
            accounts_receivable: decode_decimal(
                ENTITY,
                "accounts_receivable",
                self.accounts_receivable,
            )?,
            accounts_payable: decode_decimal(ENTITY, "accounts_payable", self.accounts_payable)?,
            cash_balance: decode_decimal(ENTITY, "cash_balance", self.cash_balance)?,
            burn_rate: decode_decimal(ENTITY, "burn_rate", self.burn_rate)?,
            runway_months: decode_decimal(ENTITY, "runway_months", self.runway_months)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<FinanceMetricRow>) -> Result<Vec<FinanceMetric>> {
    rows.into_iter()
        .map(FinanceMetricRow::into_entity)
        .collect()
}

/// A new row, as inserted: ids and authorship come from the context. Every
/// value is bound (none rendered as DEFAULT), so the INSERT's text never
/// varies and it is prepared once per connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = finance_metrics,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewFinanceMetricRow {
    id: Uuid,
    tenant_id: Uuid,
    metric_date: NaiveDate,
    period_type: &'static str,
    total_revenue: BigDecimal,
    total_expenses: BigDecimal,
    gross_profit: BigDecimal,
    net_profit: BigDecimal,
    ebitda: BigDecimal,
    gross_margin: BigDecimal,
    net_margin: BigDecimal,
    cash_flow: BigDecimal,
    accounts_receivable: BigDecimal,
    accounts_payable: BigDecimal,
    cash_balance: BigDecimal,
    burn_rate: BigDecimal,
    runway_months: BigDecimal,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewFinanceMetricRow {
    fn from_input(new: NewFinanceMetric, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: FinanceMetricId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            metric_date: new.metric_date,
            period_type: new.period_type.as_str(),
            total_revenue: new.total_revenue.into_decimal(),
            total_expenses: new.total_expenses.into_decimal(),
            gross_profit: new.gross_profit.into_decimal(),
            net_profit: new.net_profit.into_decimal(),
            ebitda: new.ebitda.into_decimal(),
            gross_margin: new.gross_margin.into_decimal(),
            net_margin: new.net_margin.into_decimal(),
            cash_flow: new.cash_flow.into_decimal(),
            accounts_receivable: new.accounts_receivable.into_decimal(),
            accounts_payable: new.accounts_payable.into_decimal(),
            cash_balance: new.cash_balance.into_decimal(),
            burn_rate: new.burn_rate.into_decimal(),
            runway_months: new.runway_months.into_decimal(),
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
    table_name = finance_metrics,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct FinanceMetricChangeset {
    total_revenue: BigDecimal,
    total_expenses: BigDecimal,
    gross_profit: BigDecimal,
    net_profit: BigDecimal,
    ebitda: BigDecimal,
    gross_margin: BigDecimal,
    net_margin: BigDecimal,
    cash_flow: BigDecimal,
    accounts_receivable: BigDecimal,
    accounts_payable: BigDecimal,
    cash_balance: BigDecimal,
    burn_rate: BigDecimal,
    runway_months: BigDecimal,
    updated_by: Uuid,
}

impl FinanceMetricChangeset {
    fn from_entity(m: &FinanceMetric, actor: UserId) -> Self {
        Self {
            total_revenue: m.total_revenue.as_decimal().clone(),
            total_expenses: m.total_expenses.as_decimal().clone(),
            gross_profit: m.gross_profit.as_decimal().clone(),
            net_profit: m.net_profit.as_decimal().clone(),
            ebitda: m.ebitda.as_decimal().clone(),
            gross_margin: m.gross_margin.as_decimal().clone(),
            net_margin: m.net_margin.as_decimal().clone(),
            cash_flow: m.cash_flow.as_decimal().clone(),
            accounts_receivable: m.accounts_receivable.as_decimal().clone(),
            accounts_payable: m.accounts_payable.as_decimal().clone(),
            cash_balance: m.cash_balance.as_decimal().clone(),
            burn_rate: m.burn_rate.as_decimal().clone(),
            runway_months: m.runway_months.as_decimal().clone(),
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
pub struct FinanceMetricFilter {
    /// Only rows of this period type.
    pub period_type: Option<PeriodType>,
    /// Only rows whose `metric_date` is on or after this day.
    pub since: Option<NaiveDate>,
    /// Only rows whose `metric_date` is on or before this day.
    pub until: Option<NaiveDate>,
}

impl FinanceMetricFilter {
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

/// The finance metrics of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor:
/// `uow.finance_metrics()`. A period's row is written with
/// [`upsert`](Self::upsert) (insert, or replace the figures of the row already
/// recorded for that date and period type).
#[derive(Debug)]
pub struct FinanceMetrics<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> FinanceMetrics<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The row `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: FinanceMetricId) -> Result<FinanceMetric> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The row `id`, if there is one.
    pub async fn find(&mut self, id: FinanceMetricId) -> Result<Option<FinanceMetric>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                finance_metrics::table
                    .find(id.into_uuid())
                    .select(FinanceMetricRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(FinanceMetricRow::into_entity).transpose()
    }

    /// The row recorded for `metric_date` and `period_type`, if there is one.
    pub async fn find_for_period(
        &mut self,
        metric_date: NaiveDate,
        period_type: PeriodType,
    ) -> Result<Option<FinanceMetric>> {
        let tenant = self.exec.context().tenant_id().into_uuid();
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                finance_metrics::table
                    .filter(finance_metrics::tenant_id.eq(tenant))
                    .filter(finance_metrics::metric_date.eq(metric_date))
                    .filter(finance_metrics::period_type.eq(period_type.as_str()))
                    .select(FinanceMetricRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(FinanceMetricRow::into_entity).transpose()
    }

    /// One page of the rows matching `filter`.
    pub async fn list(
        &mut self,
        filter: &FinanceMetricFilter,
        page: PageRequest,
    ) -> Result<Page<FinanceMetric>> {
        let filter = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = finance_metrics::table
                    .select(FinanceMetricRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(period_type) = filter.period_type {
                    query = query.filter(finance_metrics::period_type.eq(period_type.as_str()));
                }
                if let Some(since) = filter.since {
                    query = query.filter(finance_metrics::metric_date.ge(since));
                }
                if let Some(until) = filter.until {
                    query = query.filter(finance_metrics::metric_date.le(until));
                }
                keyset!(query, finance_metrics::tenant_id, finance_metrics::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |m| m.id.into_uuid()))
    }

    /// Records the metrics of a period that has none yet; a period already
    /// recorded is [`Error::UniqueViolation`]
    /// (`uq_finance_metrics_tenant_id_metric_date_period_type`) — use
    /// [`upsert`](Self::upsert) to replace it. The input is checked first;
    /// nothing is sent when it is invalid.
    pub async fn create(&mut self, new: NewFinanceMetric) -> Result<FinanceMetric> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewFinanceMetricRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(finance_metrics::table)
                    .values(row)
                    .returning(FinanceMetricRow::as_returning())
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
    pub async fn upsert(&mut self, new: NewFinanceMetric) -> Result<FinanceMetric> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewFinanceMetricRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let written = self
            .exec
            .run(ENTITY, move |conn| {
                use finance_metrics::*;
                // A fixed SET list: one SQL text, prepared once (see `sql::Cached`).
                sql::Cached(
                    diesel::insert_into(table)
                        .values(row)
                        .on_conflict((tenant_id, metric_date, period_type))
                        .do_update()
                        .set((
                            total_revenue.eq(excluded(total_revenue)),
                            total_expenses.eq(excluded(total_expenses)),
                            gross_profit.eq(excluded(gross_profit)),
                            net_profit.eq(excluded(net_profit)),
                            ebitda.eq(excluded(ebitda)),
                            gross_margin.eq(excluded(gross_margin)),
                            net_margin.eq(excluded(net_margin)),
                            cash_flow.eq(excluded(cash_flow)),
                            accounts_receivable.eq(excluded(accounts_receivable)),
                            accounts_payable.eq(excluded(accounts_payable)),
                            cash_balance.eq(excluded(cash_balance)),
                            burn_rate.eq(excluded(burn_rate)),
                            runway_months.eq(excluded(runway_months)),
                            updated_by.eq(excluded(updated_by)),
                        ))
                        .returning(FinanceMetricRow::as_returning()),
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
        id: FinanceMetricId,
        expected_updated_at: DateTime<Utc>,
        patch: &FinanceMetricPatch,
    ) -> Result<FinanceMetric> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = FinanceMetricChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        finance_metrics::table
                            .find(id.into_uuid())
                            .filter(finance_metrics::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(FinanceMetricRow::as_returning()),
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
    pub async fn delete(&mut self, id: FinanceMetricId) -> Result<FinanceMetric> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(finance_metrics::table.find(id.into_uuid()))
                    .returning(FinanceMetricRow::as_returning())
                    .get_result(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }
}

impl<'e, E: Transactional> FinanceMetrics<'e, E> {
    /// Records many periods in one transaction, in multi-row INSERTs below
    /// PostgreSQL's parameter limit. Every input is checked first and every
    /// failing one reported (`[3].burn_rate`); nothing is sent when one is
    /// invalid. A period already recorded is [`Error::UniqueViolation`].
    pub async fn create_many(&mut self, news: Vec<NewFinanceMetric>) -> Result<Vec<FinanceMetric>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewFinanceMetricRow> = news
            .into_iter()
            .map(|n| NewFinanceMetricRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(finance_metrics::table)
                        .values(chunk)
                        .returning(FinanceMetricRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }
}
