//! `hr.hr_metrics`: workforce KPIs, one row per (tenant, metric date, period).
//!
//! Metrics are recomputed and recorded again, so the usual write is
//! [`HrMetrics::upsert`] on the row's unique key; rows are hard-deleted (they are
//! derived figures, not records anyone must keep).

use aems_core::hr::hr_metrics::{HrMetric, HrMetricPatch, NewHrMetric};
use aems_core::{HrMetricId, Input, PeriodType, TenantId, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::decode_decimal;
use crate::repository::{self, Page, PageRequest, decode, keyset};
use crate::schema::hr::hr_metrics;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "hr_metrics";

/// A row of `hr.hr_metrics` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = hr_metrics, check_for_backend(Pg))]
pub(crate) struct HrMetricRow {
    id: Uuid,
    tenant_id: Uuid,
    metric_date: NaiveDate,
    period_type: String,
    total_headcount: i32,
    new_hires: i32,
    departures: i32,
    turnover_rate: BigDecimal,
    open_positions: i32,
    time_to_hire_avg: i32,
    employee_satisfaction: BigDecimal,
    engagement_score: BigDecimal,
    training_hours: i32,
    overtime_hours: i32,
    absenteeism_rate: BigDecimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl HrMetricRow {
    fn into_entity(self) -> Result<HrMetric> {
        Ok(HrMetric {
            id: HrMetricId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            metric_date: self.metric_date,
            period_type: decode(ENTITY, "period_type", &self.period_type)?,
            total_headcount: self.total_headcount,
            new_hires: self.new_hires,
            departures: self.departures,
            turnover_rate: decode_decimal(ENTITY, "turnover_rate", self.turnover_rate)?,
            open_positions: self.open_positions,
            time_to_hire_avg: self.time_to_hire_avg,
            employee_satisfaction: decode_decimal(
                ENTITY,
                "employee_satisfaction",
                self.employee_satisfaction,
            )?,
            engagement_score: decode_decimal(ENTITY, "engagement_score", self.engagement_score)?,
            training_hours: self.training_hours,
            overtime_hours: self.overtime_hours,
            absenteeism_rate: decode_decimal(ENTITY, "absenteeism_rate", self.absenteeism_rate)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<HrMetricRow>) -> Result<Vec<HrMetric>> {
    rows.into_iter().map(HrMetricRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context. `None`
/// would be bound as NULL, never rendered as DEFAULT, so the INSERT's text
/// never varies and it is prepared once per connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = hr_metrics,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewHrMetricRow {
    id: Uuid,
    tenant_id: Uuid,
    metric_date: NaiveDate,
    period_type: &'static str,
    total_headcount: i32,
    new_hires: i32,
    departures: i32,
    turnover_rate: BigDecimal,
    open_positions: i32,
    time_to_hire_avg: i32,
    employee_satisfaction: BigDecimal,
    engagement_score: BigDecimal,
    training_hours: i32,
    overtime_hours: i32,
    absenteeism_rate: BigDecimal,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewHrMetricRow {
    fn from_input(new: NewHrMetric, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: HrMetricId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            metric_date: new.metric_date,
            period_type: new.period_type.as_str(),
            total_headcount: new.total_headcount,
            new_hires: new.new_hires,
            departures: new.departures,
            turnover_rate: new.turnover_rate.into_decimal(),
            open_positions: new.open_positions,
            time_to_hire_avg: new.time_to_hire_avg,
            employee_satisfaction: new.employee_satisfaction.as_decimal().clone(),
            engagement_score: new.engagement_score.as_decimal().clone(),
            training_hours: new.training_hours,
            overtime_hours: new.overtime_hours,
            absenteeism_rate: new.absenteeism_rate.as_decimal().clone(),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched row:
/// one fixed SQL text for every update (see [`sql::Cached`]); the audit trail
/// still records only the columns whose values changed.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = hr_metrics, check_for_backend(Pg), treat_none_as_null = true)]
struct HrMetricChangeset {
    total_headcount: i32,
    new_hires: i32,
    departures: i32,
    turnover_rate: BigDecimal,
    open_positions: i32,
    time_to_hire_avg: i32,
    employee_satisfaction: BigDecimal,
    engagement_score: BigDecimal,
    training_hours: i32,
    overtime_hours: i32,
    absenteeism_rate: BigDecimal,
    updated_by: Uuid,
}

impl HrMetricChangeset {
    fn from_entity(m: &HrMetric, actor: UserId) -> Self {
        Self {
            total_headcount: m.total_headcount,
            new_hires: m.new_hires,
            departures: m.departures,
            turnover_rate: m.turnover_rate.as_decimal().clone(),
            open_positions: m.open_positions,
            time_to_hire_avg: m.time_to_hire_avg,
            employee_satisfaction: m.employee_satisfaction.as_decimal().clone(),
            engagement_score: m.engagement_score.as_decimal().clone(),
            training_hours: m.training_hours,
            overtime_hours: m.overtime_hours,
            absenteeism_rate: m.absenteeism_rate.as_decimal().clone(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct HrMetricFilter {
    /// Only this period length.
    pub period_type: Option<PeriodType>,
    /// Only metric dates on or after this day.
    pub from: Option<NaiveDate>,
    /// Only metric dates on or before this day.
    pub until: Option<NaiveDate>,
}

impl HrMetricFilter {
    /// No condition: every row.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `period_type`.
    pub fn period_type(mut self, period_type: PeriodType) -> Self {
        self.period_type = Some(period_type);
        self
    }

    /// Only metric dates in `from ..= until` (both inclusive).
    pub fn between(mut self, from: NaiveDate, until: NaiveDate) -> Self {
        self.from = Some(from);
        self.until = Some(until);
        self
    }

    /// Only metric dates on or after `from`.
    pub fn from(mut self, from: NaiveDate) -> Self {
        self.from = Some(from);
        self
    }

    /// Only metric dates on or before `until`.
    pub fn until(mut self, until: NaiveDate) -> Self {
        self.until = Some(until);
        self
    }
}

/// The HR metrics of the context's tenant (`uow.hr_metrics()`).
#[derive(Debug)]
pub struct HrMetrics<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> HrMetrics<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The row `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: HrMetricId) -> Result<HrMetric> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The row `id`, if there is one.
    pub async fn find(&mut self, id: HrMetricId) -> Result<Option<HrMetric>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                hr_metrics::table
                    .find(id.into_uuid())
                    .select(HrMetricRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(HrMetricRow::into_entity).transpose()
    }

    /// The row for `metric_date` and `period_type`, if there is one.
    pub async fn find_for(
        &mut self,
        metric_date: NaiveDate,
        period_type: PeriodType,
    ) -> Result<Option<HrMetric>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                hr_metrics::table
                    .filter(hr_metrics::metric_date.eq(metric_date))
                    .filter(hr_metrics::period_type.eq(period_type.as_str()))
                    .select(HrMetricRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(HrMetricRow::into_entity).transpose()
    }

    /// One page of the rows matching `filter`.
    pub async fn list(
        &mut self,
        filter: &HrMetricFilter,
        page: PageRequest,
    ) -> Result<Page<HrMetric>> {
        let HrMetricFilter {
            period_type,
            from,
            until,
        } = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = hr_metrics::table
                    .select(HrMetricRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(period_type) = period_type {
                    query = query.filter(hr_metrics::period_type.eq(period_type.as_str()));
                }
                if let Some(from) = from {
                    query = query.filter(hr_metrics::metric_date.ge(from));
                }
                if let Some(until) = until {
                    query = query.filter(hr_metrics::metric_date.le(until));
                }
                keyset!(query, hr_metrics::tenant_id, hr_metrics::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |m| m.id.into_uuid()))
    }

    /// Records the metrics of a period that has none yet; a row for the same
    /// date and period is refused with [`Error::UniqueViolation`] (see
    /// [`upsert`](Self::upsert) to replace it). Nothing is sent when the input
    /// is invalid.
    pub async fn create(&mut self, new: NewHrMetric) -> Result<HrMetric> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewHrMetricRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(hr_metrics::table)
                    .values(row)
                    .returning(HrMetricRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Records the metrics of a period, replacing every figure of the row
    /// already there for the same (date, period) — one statement
    /// (`INSERT … ON CONFLICT … DO UPDATE`), so concurrent upserts of one
    /// period never fail or duplicate. A replaced row keeps its id,
    /// `created_at` and `created_by`; `updated_by` becomes the context's actor.
    pub async fn upsert(&mut self, new: NewHrMetric) -> Result<HrMetric> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewHrMetricRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let stored = self
            .exec
            .run(ENTITY, move |conn| {
                use hr_metrics::*;
                // A fixed SET list: one text, prepared once.
                sql::Cached(
                    diesel::insert_into(table)
                        .values(row)
                        .on_conflict((tenant_id, metric_date, period_type))
                        .do_update()
                        .set((
                            total_headcount.eq(excluded(total_headcount)),
                            new_hires.eq(excluded(new_hires)),
                            departures.eq(excluded(departures)),
                            turnover_rate.eq(excluded(turnover_rate)),
                            open_positions.eq(excluded(open_positions)),
                            time_to_hire_avg.eq(excluded(time_to_hire_avg)),
                            employee_satisfaction.eq(excluded(employee_satisfaction)),
                            engagement_score.eq(excluded(engagement_score)),
                            training_hours.eq(excluded(training_hours)),
                            overtime_hours.eq(excluded(overtime_hours)),
                            absenteeism_rate.eq(excluded(absenteeism_rate)),
                            updated_by.eq(excluded(updated_by)),
                        ))
                        .returning(HrMetricRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        stored.into_entity()
    }

    /// Applies `patch` to row `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    pub async fn update(
        &mut self,
        id: HrMetricId,
        expected_updated_at: DateTime<Utc>,
        patch: &HrMetricPatch,
    ) -> Result<HrMetric> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = HrMetricChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        hr_metrics::table
                            .find(id.into_uuid())
                            .filter(hr_metrics::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(HrMetricRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        updated
            .ok_or(Error::Conflict { entity: ENTITY })?
            .into_entity()
    }

    /// Deletes row `id` for good (metrics are derived figures and can be
    /// recomputed); [`Error::NotFound`] when there is none.
    pub async fn delete(&mut self, id: HrMetricId) -> Result<()> {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(hr_metrics::table.find(id.into_uuid()))
                    .execute(&mut { conn })
                    .boxed()
            })
            .await?;
        if deleted == 0 {
            return Err(Error::NotFound { entity: ENTITY });
        }
        Ok(())
    }
}

impl<'e, E: Transactional> HrMetrics<'e, E> {
    /// Records many periods in one transaction, in multi-row INSERTs below
    /// PostgreSQL's parameter limit. Every input is checked first and every
    /// failing one reported (`[3].departures`); nothing is sent when one is
    /// invalid.
    pub async fn create_many(&mut self, news: Vec<NewHrMetric>) -> Result<Vec<HrMetric>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewHrMetricRow> = news
            .into_iter()
            .map(|n| NewHrMetricRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(hr_metrics::table)
                        .values(chunk)
                        .returning(HrMetricRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }
}
