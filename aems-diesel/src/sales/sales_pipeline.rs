//! `sales.sales_pipeline`: deals — the row structs, the repository, its
//! filters, and the stage moves of aems-core's [`Deal`] applied atomically.
//!
//! Stage, status and close date change only through the domain operations
//! ([`SalesPipeline::move_to_stage`], [`close_won`](SalesPipeline::close_won),
//! [`close_lost`](SalesPipeline::close_lost), [`reopen`](SalesPipeline::reopen),
//! [`put_on_hold`](SalesPipeline::put_on_hold), [`resume`](SalesPipeline::resume)),
//! which lock the deal, ask aems-core whether the move is legal, and write the
//! three columns together. A closed deal never moves again except through the
//! explicit `reopen`.
//!
//! The deal's customer and sales representative must belong to the deal's
//! tenant: the composite foreign keys `(tenant_id, customer_id)` and
//! `(tenant_id, sales_rep)` enforce it, so another tenant's customer is refused
//! exactly like one that does not exist, as [`Error::ForeignKeyViolation`] with
//! [`FK_CUSTOMER`] (or [`FK_SALES_REP`]).

use aems_core::sales::sales_pipeline::{
    Deal, DealPatch, DealStage, DealStageChange, DealStatus, NewDeal,
};
use aems_core::{CustomerId, DealId, Input, TenantId, TransitionError, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_decimal, decode_opt, keyset};
use crate::schema::sales::sales_pipeline;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "sales_pipeline";

/// The constraint refusing a deal whose customer is not one of the tenant's.
pub const FK_CUSTOMER: &str = "fk_sales_pipeline_customer_id";
/// The constraint refusing a deal whose sales rep is not one of the tenant's users.
pub const FK_SALES_REP: &str = "fk_sales_pipeline_sales_rep";

/// A row of `sales.sales_pipeline` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sales_pipeline, check_for_backend(Pg))]
pub(crate) struct DealRow {
    id: Uuid,
    tenant_id: Uuid,
    customer_id: Uuid,
    opportunity_name: String,
    stage: String,
    value: BigDecimal,
    probability: BigDecimal,
    expected_close_date: NaiveDate,
    actual_close_date: Option<NaiveDate>,
    sales_rep: Uuid,
    source: Option<String>,
    status: String,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl DealRow {
    fn into_entity(self) -> Result<Deal> {
        Ok(Deal {
            id: DealId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            customer_id: CustomerId::from_uuid(self.customer_id),
            opportunity_name: decode(ENTITY, "opportunity_name", &self.opportunity_name)?,
            stage: decode(ENTITY, "stage", &self.stage)?,
            value: decode_decimal(ENTITY, "value", self.value)?,
            probability: decode_decimal(ENTITY, "probability", self.probability)?,
            expected_close_date: self.expected_close_date,
            actual_close_date: self.actual_close_date,
            sales_rep: UserId::from_uuid(self.sales_rep),
            source: decode_opt(ENTITY, "source", self.source.as_deref())?,
            status: decode(ENTITY, "status", &self.status)?,
            notes: decode_opt(ENTITY, "notes", self.notes.as_deref())?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<DealRow>) -> Result<Vec<Deal>> {
    rows.into_iter().map(DealRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context; a new
/// deal is open, without a close date. `None` is bound as NULL (not rendered
/// as DEFAULT), so the INSERT's text never varies and it is prepared once per
/// connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = sales_pipeline,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewDealRow {
    id: Uuid,
    tenant_id: Uuid,
    customer_id: Uuid,
    opportunity_name: String,
    stage: &'static str,
    value: BigDecimal,
    probability: BigDecimal,
    expected_close_date: NaiveDate,
    actual_close_date: Option<NaiveDate>,
    sales_rep: Uuid,
    source: Option<String>,
    status: &'static str,
    notes: Option<String>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewDealRow {
    fn from_input(new: NewDeal, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: DealId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            customer_id: new.customer_id.into_uuid(),
            opportunity_name: new.opportunity_name.into_string(),
            stage: new.stage.as_str(),
            value: new.value.into_decimal(),
            probability: new.probability.as_decimal().clone(),
            expected_close_date: new.expected_close_date,
            actual_close_date: None,
            sales_rep: new.sales_rep.into_uuid(),
            source: new.source.map(|s| s.into_string()),
            status: DealStatus::Open.as_str(),
            notes: new.notes.map(|n| n.into_string()),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched deal,
/// plus who changed them: one fixed SQL text for every update (see
/// [`sql::Cached`]); the audit trail still records only the changed columns.
/// Stage, status and close date are not among them.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = sales_pipeline,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct DealChangeset {
    customer_id: Uuid,
    opportunity_name: String,
    value: BigDecimal,
    probability: BigDecimal,
    expected_close_date: NaiveDate,
    sales_rep: Uuid,
    source: Option<String>,
    notes: Option<String>,
    updated_by: Uuid,
}

impl DealChangeset {
    fn from_entity(d: &Deal, actor: UserId) -> Self {
        Self {
            customer_id: d.customer_id.into_uuid(),
            opportunity_name: d.opportunity_name.to_string(),
            value: d.value.as_decimal().clone(),
            probability: d.probability.as_decimal().clone(),
            expected_close_date: d.expected_close_date,
            sales_rep: d.sales_rep.into_uuid(),
            source: d.source.as_ref().map(|s| s.to_string()),
            notes: d.notes.as_ref().map(|n| n.to_string()),
            updated_by: actor.into_uuid(),
        }
    }
}

/// The three columns of a stage change, written together, plus who wrote them
/// (one fixed SQL text for every move).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = sales_pipeline, check_for_backend(Pg), treat_none_as_null = true)]
struct StageChangeset {
    stage: &'static str,
    status: &'static str,
    actual_close_date: Option<NaiveDate>,
    updated_by: Uuid,
}

impl StageChangeset {
    fn new(change: DealStageChange, actor: UserId) -> Self {
        Self {
            stage: change.stage.as_str(),
            status: change.status.as_str(),
            actual_close_date: change.actual_close_date,
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
pub struct DealFilter {
    /// Only deals in this stage.
    pub stage: Option<DealStage>,
    /// Only deals in this status.
    pub status: Option<DealStatus>,
    /// Only deals of this sales representative.
    pub sales_rep: Option<UserId>,
    /// Only deals with this customer.
    pub customer: Option<CustomerId>,
    /// Only deals expected to close on or after this day.
    pub closing_since: Option<NaiveDate>,
    /// Only deals expected to close on or before this day.
    pub closing_until: Option<NaiveDate>,
}

impl DealFilter {
    /// No condition: every deal of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `stage`.
    pub fn stage(mut self, stage: DealStage) -> Self {
        self.stage = Some(stage);
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: DealStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only the deals of `sales_rep`.
    pub fn sales_rep(mut self, sales_rep: UserId) -> Self {
        self.sales_rep = Some(sales_rep);
        self
    }

    /// Only the deals with `customer`.
    pub fn customer(mut self, customer: CustomerId) -> Self {
        self.customer = Some(customer);
        self
    }

    /// Only deals whose `expected_close_date` lies between `first` and `last`,
    /// both included.
    pub fn closing_between(mut self, first: NaiveDate, last: NaiveDate) -> Self {
        self.closing_since = Some(first);
        self.closing_until = Some(last);
        self
    }

    /// Only deals expected to close on or after `day`.
    pub fn closing_since(mut self, day: NaiveDate) -> Self {
        self.closing_since = Some(day);
        self
    }

    /// Only deals expected to close on or before `day`.
    pub fn closing_until(mut self, day: NaiveDate) -> Self {
        self.closing_until = Some(day);
        self
    }
}

/// The deals of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor: `uow.sales_pipeline()`.
/// Stage moves need a unit of work (they lock the deal).
#[derive(Debug)]
pub struct SalesPipeline<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> SalesPipeline<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The deal `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: DealId) -> Result<Deal> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The deal `id`, if there is one.
    pub async fn find(&mut self, id: DealId) -> Result<Option<Deal>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sales_pipeline::table
                    .find(id.into_uuid())
                    .select(DealRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(DealRow::into_entity).transpose()
    }

    /// One page of the deals matching `filter`.
    pub async fn list(&mut self, filter: &DealFilter, page: PageRequest) -> Result<Page<Deal>> {
        let filter = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = sales_pipeline::table
                    .select(DealRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(stage) = filter.stage {
                    query = query.filter(sales_pipeline::stage.eq(stage.as_str()));
                }
                if let Some(status) = filter.status {
                    query = query.filter(sales_pipeline::status.eq(status.as_str()));
                }
                if let Some(rep) = filter.sales_rep {
                    query = query.filter(sales_pipeline::sales_rep.eq(rep.into_uuid()));
                }
                if let Some(customer) = filter.customer {
                    query = query.filter(sales_pipeline::customer_id.eq(customer.into_uuid()));
                }
                if let Some(since) = filter.closing_since {
                    query = query.filter(sales_pipeline::expected_close_date.ge(since));
                }
                if let Some(until) = filter.closing_until {
                    query = query.filter(sales_pipeline::expected_close_date.le(until));
                }
                keyset!(query, sales_pipeline::tenant_id, sales_pipeline::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |d| d.id.into_uuid()))
    }

    /// Creates an open deal for the context's tenant, recorded as created by
    /// its actor. The input is checked first; nothing is sent when it is
    /// invalid. A customer or sales rep that is not the tenant's is
    /// [`Error::ForeignKeyViolation`] ([`FK_CUSTOMER`], [`FK_SALES_REP`]).
    pub async fn create(&mut self, new: NewDeal) -> Result<Deal> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewDealRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(sales_pipeline::table)
                    .values(row)
                    .returning(DealRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` (the deal's details; never its stage) to deal `id` if
    /// it is still as it was at `expected_updated_at`; otherwise
    /// [`Error::Conflict`] and nothing changes. The patched deal is checked as
    /// a whole before anything is written.
    pub async fn update(
        &mut self,
        id: DealId,
        expected_updated_at: DateTime<Utc>,
        patch: &DealPatch,
    ) -> Result<Deal> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = DealChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        sales_pipeline::table
                            .find(id.into_uuid())
                            .filter(sales_pipeline::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(DealRow::as_returning()),
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

    /// Hard-deletes deal `id` while it is open or on hold (a deal entered by
    /// mistake), returning it. A closed deal is a record of a sale and stays:
    /// [`Error::Transition`] ([`TransitionError::Final`]), nothing deleted.
    /// The condition is part of the `DELETE`, so a deal closed concurrently is
    /// never deleted.
    pub async fn delete(&mut self, id: DealId) -> Result<Deal> {
        let (open, on_hold) = (DealStatus::Open.as_str(), DealStatus::OnHold.as_str());
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(
                    sales_pipeline::table.find(id.into_uuid()).filter(
                        sales_pipeline::status
                            .eq(open)
                            .or(sales_pipeline::status.eq(on_hold)),
                    ),
                )
                .returning(DealRow::as_returning())
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        match row {
            Some(row) => row.into_entity(),
            None => {
                let closed = self.get(id).await?;
                Err(Error::Transition(TransitionError::Final {
                    entity: "deal",
                    state: closed.status.as_str(),
                }))
            }
        }
    }
}

impl<'e, E: Transactional> SalesPipeline<'e, E> {
    /// Creates many deals in one transaction, in multi-row INSERTs below
    /// PostgreSQL's parameter limit. Every input is checked first and every
    /// failing one reported (`[3].value`); nothing is sent when one is invalid.
    pub async fn create_many(&mut self, news: Vec<NewDeal>) -> Result<Vec<Deal>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewDealRow> = news
            .into_iter()
            .map(|n| NewDealRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(sales_pipeline::table)
                        .values(chunk)
                        .returning(DealRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }

    /// Moves deal `id` to stage `to` (see aems-core's
    /// [`Deal::move_to_stage`] for the rules). Closing stages set the status
    /// to the same outcome and `actual_close_date` to `on`, in the same
    /// `UPDATE`. The deal is locked for the rest of the unit of work; a move
    /// aems-core refuses (a closed deal, a deal on hold, winning from `lead`,
    /// ...) is [`Error::Transition`] and nothing is written.
    ///
    /// `on` is the business day of the close, in the tenant's calendar (which
    /// the library does not know), so the caller gives it.
    pub async fn move_to_stage(
        &mut self,
        id: DealId,
        to: DealStage,
        on: NaiveDate,
    ) -> Result<Deal> {
        let deal = self.lock(id).await?;
        let change = deal.move_to_stage(to, on)?;
        self.write(id, change).await
    }

    /// Closes deal `id` as won on `on` ([`move_to_stage`](Self::move_to_stage)
    /// to [`DealStage::ClosedWon`]: only from `proposal` or `negotiation`).
    pub async fn close_won(&mut self, id: DealId, on: NaiveDate) -> Result<Deal> {
        self.move_to_stage(id, DealStage::ClosedWon, on).await
    }

    /// Closes deal `id` as lost on `on` ([`move_to_stage`](Self::move_to_stage)
    /// to [`DealStage::ClosedLost`]: from any open stage).
    pub async fn close_lost(&mut self, id: DealId, on: NaiveDate) -> Result<Deal> {
        self.move_to_stage(id, DealStage::ClosedLost, on).await
    }

    /// Brings the closed deal `id` back to the open stage `to`, clearing its
    /// close date: the only way a closed deal moves again. An open deal, or a
    /// closed `to`, is [`Error::Transition`] and nothing is written.
    pub async fn reopen(&mut self, id: DealId, to: DealStage) -> Result<Deal> {
        let deal = self.lock(id).await?;
        let change = deal.reopen(to)?;
        self.write(id, change).await
    }

    /// Pauses the open deal `id` in its stage (status `on_hold`); it does not
    /// move until [`resume`](Self::resume)d.
    pub async fn put_on_hold(&mut self, id: DealId) -> Result<Deal> {
        let deal = self.lock(id).await?;
        let change = deal.put_on_hold()?;
        self.write(id, change).await
    }

    /// Resumes the paused deal `id` in its stage (status `open`).
    pub async fn resume(&mut self, id: DealId) -> Result<Deal> {
        let deal = self.lock(id).await?;
        let change = deal.resume()?;
        self.write(id, change).await
    }

    /// Reads deal `id` and locks its row until the unit of work ends.
    async fn lock(&mut self, id: DealId) -> Result<Deal> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sales_pipeline::table
                    .find(id.into_uuid())
                    .select(DealRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }

    /// Writes a stage change to the (locked) deal `id`.
    async fn write(&mut self, id: DealId, change: DealStageChange) -> Result<Deal> {
        let changes = StageChangeset::new(change, self.exec.context().actor());
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(sales_pipeline::table.find(id.into_uuid()))
                        .set(changes)
                        .returning(DealRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        row.into_entity()
    }
}
