//! `finance.budget_plans`: the row structs, the repository, its filters, and
//! [`BudgetPlans::recompute_actuals`], which derives a budget's actual amount
//! from the approved expenses it covers.
//!
//! The four amount columns (`planned_amount`, `actual_amount`, `variance`,
//! `variance_percentage`) are always written together from aems-core's
//! [`BudgetAmounts`], never taken from the caller: `variance = actual −
//! planned` and its percentage of the plan. A value that does not fit its
//! column is refused ([`Error::Validation`]), never clamped.

use aems_core::finance::budget_plans::{
    BudgetAmounts, BudgetPlan, BudgetPlanPatch, BudgetStatus, NewBudgetPlan,
};
use aems_core::finance::expense_transactions::ApprovalStatus;
use aems_core::{
    BudgetPlanId, DomainError, ErrorCode, Input, Money, TenantId, TransitionError, UserId,
};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_decimal, decode_opt, keyset};
use crate::schema::finance::{budget_plans, expense_transactions};
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "budget_plans";

/// Longest department accepted as a filter (the column's length).
const MAX_DEPARTMENT_CHARS: usize = 100;

/// A row of `finance.budget_plans` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = budget_plans, check_for_backend(Pg))]
pub(crate) struct BudgetPlanRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    fiscal_year: i32,
    department: String,
    category: String,
    planned_amount: BigDecimal,
    actual_amount: BigDecimal,
    variance: BigDecimal,
    variance_percentage: BigDecimal,
    period_start: NaiveDate,
    period_end: NaiveDate,
    status: String,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl BudgetPlanRow {
    /// Whether the stored amount columns are exactly `amounts`.
    fn stores(&self, amounts: &BudgetAmounts) -> bool {
        &self.planned_amount == amounts.planned_amount().as_decimal()
            && &self.actual_amount == amounts.actual_amount().as_decimal()
            && &self.variance == amounts.variance().as_decimal()
            && &self.variance_percentage == amounts.variance_percentage().as_decimal()
    }

    /// The budget, its variance derived from the planned and actual amounts.
    ///
    /// The stored `variance` and `variance_percentage` are not read back: a
    /// row written around this library (the SQL defaults leave them at 0
    /// whatever the amounts) would otherwise carry a wrong variance into the
    /// domain. The next write of the amounts repairs the stored columns.
    fn into_entity(self) -> Result<BudgetPlan> {
        let planned: Money = decode_decimal(ENTITY, "planned_amount", self.planned_amount)?;
        let actual: Money = decode_decimal(ENTITY, "actual_amount", self.actual_amount)?;
        let amounts = BudgetAmounts::new(planned, actual).map_err(|e| Error::Decode {
            entity: ENTITY,
            column: "variance",
            reason: e.to_string(),
        })?;
        Ok(BudgetPlan {
            id: BudgetPlanId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            name: decode(ENTITY, "name", &self.name)?,
            fiscal_year: self.fiscal_year,
            department: decode(ENTITY, "department", &self.department)?,
            category: decode(ENTITY, "category", &self.category)?,
            amounts,
            period_start: self.period_start,
            period_end: self.period_end,
            status: decode(ENTITY, "status", &self.status)?,
            notes: decode_opt(ENTITY, "notes", self.notes.as_deref())?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<BudgetPlanRow>) -> Result<Vec<BudgetPlan>> {
    rows.into_iter().map(BudgetPlanRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context, the
/// variance columns from aems-core. `None` is bound as NULL (not rendered as
/// DEFAULT), so the INSERT's text never varies and it is prepared once per
/// connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = budget_plans,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewBudgetPlanRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    fiscal_year: i32,
    department: String,
    category: String,
    planned_amount: BigDecimal,
    actual_amount: BigDecimal,
    variance: BigDecimal,
    variance_percentage: BigDecimal,
    period_start: NaiveDate,
    period_end: NaiveDate,
    status: &'static str,
    notes: Option<String>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewBudgetPlanRow {
    /// The row for a checked input (its amounts derive).
    fn from_input(new: NewBudgetPlan, tenant: TenantId, actor: UserId) -> Result<Self> {
        let amounts = new.amounts()?;
        Ok(Self {
            id: BudgetPlanId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            name: new.name.into_string(),
            fiscal_year: new.fiscal_year,
            department: new.department.into_string(),
            category: new.category.into_string(),
            planned_amount: amounts.planned_amount().as_decimal().clone(),
            actual_amount: amounts.actual_amount().as_decimal().clone(),
            variance: amounts.variance().as_decimal().clone(),
            variance_percentage: amounts.variance_percentage().as_decimal().clone(),
            period_start: new.period_start,
            period_end: new.period_end,
            status: new.status.as_str(),
            notes: new.notes.map(|n| n.into_string()),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        })
    }
}

/// The four amount columns, written together (one fixed SQL text).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = budget_plans, check_for_backend(Pg))]
struct AmountsChangeset {
    planned_amount: BigDecimal,
    actual_amount: BigDecimal,
    variance: BigDecimal,
    variance_percentage: BigDecimal,
    updated_by: Uuid,
}

impl AmountsChangeset {
    fn new(amounts: &BudgetAmounts, actor: UserId) -> Self {
        Self {
            planned_amount: amounts.planned_amount().as_decimal().clone(),
            actual_amount: amounts.actual_amount().as_decimal().clone(),
            variance: amounts.variance().as_decimal().clone(),
            variance_percentage: amounts.variance_percentage().as_decimal().clone(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched
/// budget, plus who changed them: one fixed SQL text for every update (see
/// [`sql::Cached`]); the audit trail still records only the changed columns.
/// The four amount columns are always written from the patched budget's
/// derived [`BudgetAmounts`], so they never disagree.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = budget_plans,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct BudgetPlanChangeset {
    name: String,
    fiscal_year: i32,
    department: String,
    category: String,
    planned_amount: BigDecimal,
    actual_amount: BigDecimal,
    variance: BigDecimal,
    variance_percentage: BigDecimal,
    period_start: NaiveDate,
    period_end: NaiveDate,
    status: &'static str,
    notes: Option<String>,
    updated_by: Uuid,
}

impl BudgetPlanChangeset {
    fn from_entity(b: &BudgetPlan, actor: UserId) -> Self {
        let amounts = &b.amounts;
        Self {
            name: b.name.to_string(),
            fiscal_year: b.fiscal_year,
            department: b.department.to_string(),
            category: b.category.to_string(),
            planned_amount: amounts.planned_amount().as_decimal().clone(),
            actual_amount: amounts.actual_amount().as_decimal().clone(),
            variance: amounts.variance().as_decimal().clone(),
            variance_percentage: amounts.variance_percentage().as_decimal().clone(),
            period_start: b.period_start,
            period_end: b.period_end,
            status: b.status.as_str(),
            notes: b.notes.as_ref().map(|n| n.to_string()),
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
pub struct BudgetPlanFilter {
    /// Only budgets of this fiscal year.
    pub fiscal_year: Option<i32>,
    /// Only this department (exact match).
    pub department: Option<String>,
    /// Only budgets in this status.
    pub status: Option<BudgetStatus>,
}

impl BudgetPlanFilter {
    /// No condition: every budget of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `fiscal_year`.
    pub fn fiscal_year(mut self, year: i32) -> Self {
        self.fiscal_year = Some(year);
        self
    }

    /// Only `department`.
    pub fn department(mut self, department: impl Into<String>) -> Self {
        self.department = Some(department.into());
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: BudgetStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// The budget plans of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor: `uow.budget_plans()`.
/// [`recompute_actuals`](Self::recompute_actuals) needs a unit of work (it
/// locks the budget).
#[derive(Debug)]
pub struct BudgetPlans<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> BudgetPlans<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The budget `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: BudgetPlanId) -> Result<BudgetPlan> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The budget `id`, if there is one.
    pub async fn find(&mut self, id: BudgetPlanId) -> Result<Option<BudgetPlan>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                budget_plans::table
                    .find(id.into_uuid())
                    .select(BudgetPlanRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(BudgetPlanRow::into_entity).transpose()
    }

    /// One page of the budgets matching `filter`.
    pub async fn list(
        &mut self,
        filter: &BudgetPlanFilter,
        page: PageRequest,
    ) -> Result<Page<BudgetPlan>> {
        let department = filter
            .department
            .as_deref()
            .map(|d| repository::filter_text("department", d, MAX_DEPARTMENT_CHARS))
            .transpose()?;
        let (fiscal_year, status) = (filter.fiscal_year, filter.status);
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = budget_plans::table
                    .select(BudgetPlanRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(year) = fiscal_year {
                    query = query.filter(budget_plans::fiscal_year.eq(year));
                }
                if let Some(department) = department {
                    query = query.filter(budget_plans::department.eq(department));
                }
                if let Some(status) = status {
                    query = query.filter(budget_plans::status.eq(status.as_str()));
                }
                keyset!(query, budget_plans::tenant_id, budget_plans::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |b| b.id.into_uuid()))
    }

    /// Creates a budget for the context's tenant, recorded as created by its
    /// actor, with its variance derived from the amounts. The input is checked
    /// first; nothing is sent when it is invalid.
    pub async fn create(&mut self, new: NewBudgetPlan) -> Result<BudgetPlan> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewBudgetPlanRow::from_input(new, ctx.tenant_id(), ctx.actor())?;
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(budget_plans::table)
                    .values(row)
                    .returning(BudgetPlanRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` to budget `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing
    /// changes. The patched budget is checked as a whole first (a locked or
    /// archived budget's amounts are frozen; the period must stay ordered), and
    /// a changed amount rewrites the variance with it. Every update writes the
    /// four amount columns as aems-core derives them, so stale stored variance
    /// columns (a row written around this library) are repaired by it too.
    pub async fn update(
        &mut self,
        id: BudgetPlanId,
        expected_updated_at: DateTime<Utc>,
        patch: &BudgetPlanPatch,
    ) -> Result<BudgetPlan> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = BudgetPlanChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        budget_plans::table
                            .find(id.into_uuid())
                            .filter(budget_plans::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(BudgetPlanRow::as_returning()),
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

    /// Hard-deletes the active budget `id` (nothing references budgets),
    /// returning it. A locked or archived budget is kept for the record:
    /// [`Error::Transition`] ([`TransitionError::Final`]), nothing deleted.
    /// The condition is part of the `DELETE`, so a budget locked concurrently
    /// is never deleted.
    pub async fn delete(&mut self, id: BudgetPlanId) -> Result<BudgetPlan> {
        let active = BudgetStatus::Active.as_str();
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(
                    budget_plans::table
                        .find(id.into_uuid())
                        .filter(budget_plans::status.eq(active)),
                )
                .returning(BudgetPlanRow::as_returning())
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        match row {
            Some(row) => row.into_entity(),
            None => {
                let kept = self.get(id).await?;
                Err(Error::Transition(TransitionError::Final {
                    entity: "budget",
                    state: kept.status.as_str(),
                }))
            }
        }
    }
}

impl<'e, E: Transactional> BudgetPlans<'e, E> {
    /// Creates many budgets in one transaction, in multi-row INSERTs below
    /// PostgreSQL's parameter limit. Every input is checked first and every
    /// failing one reported (`[3].period_end`); nothing is sent when one is
    /// invalid.
    pub async fn create_many(&mut self, news: Vec<NewBudgetPlan>) -> Result<Vec<BudgetPlan>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows = news
            .into_iter()
            .map(|n| NewBudgetPlanRow::from_input(n, tenant, actor))
            .collect::<Result<Vec<_>>>()?;
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(budget_plans::table)
                        .values(chunk)
                        .returning(BudgetPlanRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }

    /// Recomputes budget `id`'s actual amount from the expenses it covers and
    /// writes it with its variance, atomically.
    ///
    /// `actual_amount` becomes the sum of the **approved** expenses of the
    /// budget's tenant whose `department` and `category` equal the budget's
    /// and whose `transaction_date` lies in `period_start ..= period_end`
    /// (pending, rejected and cancelled expenses do not count; an expense
    /// without a department matches no budget). Expenses carry a currency and
    /// budgets none: when the expenses a budget covers are in more than one
    /// currency, their sum would mean nothing, so [`Error::Validation`]
    /// (`actual_amount`, [`Inconsistent`](aems_core::ErrorCode::Inconsistent))
    /// is returned and nothing is written — convert them to one first.
    ///
    /// The budget row is locked (`FOR UPDATE`) for the rest of the unit of
    /// work, so concurrent recomputations of one budget queue up. The variance
    /// comes from aems-core ([`BudgetPlan::record_actual`]); nothing is
    /// written, and [`Error::Validation`] is returned, when the budget is
    /// locked or archived (`actual_amount`,
    /// [`NotAllowed`](aems_core::ErrorCode::NotAllowed)), or when a value does
    /// not fit its column (`actual_amount`, `variance` or
    /// `variance_percentage`, [`TooManyDigits`](aems_core::ErrorCode::TooManyDigits)).
    /// When the stored amount columns are already right, nothing is written
    /// either and the budget is returned as it is (its `updated_at` unchanged,
    /// so no editor gets a needless [`Error::Conflict`]); stale stored
    /// variance columns are rewritten even when the actual amount is unchanged.
    pub async fn recompute_actuals(&mut self, id: BudgetPlanId) -> Result<BudgetPlan> {
        let row = self.lock(id).await?;
        let stored = row.clone();
        let budget = row.into_entity()?;
        let tenant = budget.tenant_id.into_uuid();
        let department = budget.department.as_str().to_owned();
        let category = budget.category.as_str().to_owned();
        let (start, end) = (budget.period_start, budget.period_end);
        let approved = ApprovalStatus::Approved.as_str();
        let (sum, currencies): (Option<BigDecimal>, i64) = self
            .exec
            .run("expense_transactions", move |conn| {
                use expense_transactions as e;
                e::table
                    .filter(e::tenant_id.eq(tenant))
                    .filter(e::approval_status.eq(approved))
                    .filter(e::department.eq(department))
                    .filter(e::category.eq(category))
                    .filter(e::transaction_date.between(start, end))
                    .select((
                        diesel::dsl::sum(e::amount),
                        diesel::dsl::count(e::currency).aggregate_distinct(),
                    ))
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        if currencies > 1 {
            // Adding amounts in different currencies gives a number that
            // means nothing: refuse rather than store it.
            return Err(Error::Validation(DomainError::field(
                "actual_amount",
                ErrorCode::Inconsistent,
                format!(
                    "the approved expenses this budget covers are in {currencies} currencies; \
                     convert them to one before recomputing"
                ),
            )));
        }
        let actual = Money::new(sum.unwrap_or_default())
            .map_err(|e| DomainError::from_value("actual_amount", e))?;
        let amounts = budget.record_actual(actual)?;
        if stored.stores(&amounts) {
            return Ok(budget);
        }
        let changes = AmountsChangeset::new(&amounts, self.exec.context().actor());
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(budget_plans::table.find(id.into_uuid()))
                        .set(changes)
                        .returning(BudgetPlanRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        row.into_entity()
    }

    /// Reads budget `id` as stored and locks its row until the unit of work ends.
    async fn lock(&mut self, id: BudgetPlanId) -> Result<BudgetPlanRow> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                budget_plans::table
                    .find(id.into_uuid())
                    .select(BudgetPlanRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })
    }
}
