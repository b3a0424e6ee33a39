//! `finance.expense_transactions`: the row structs, the repository, its
//! filters, and the approval decisions of aems-core's [`ExpenseTransaction`]
//! applied atomically.
//!
//! An expense starts `pending`. While pending its details may be patched and it
//! may be deleted; [`approve`](ExpenseTransactions::approve),
//! [`reject`](ExpenseTransactions::reject) and
//! [`cancel`](ExpenseTransactions::cancel) decide it for good. The decider is
//! the context's actor, who may be neither the employee who incurred the
//! expense nor the user who entered it ([`TransitionError::SelfApproval`]).

use aems_core::finance::expense_transactions::{
    ApprovalStatus, ExpenseDecision, ExpenseTransaction, ExpenseTransactionPatch,
    NewExpenseTransaction,
};
use aems_core::{ExpenseTransactionId, Input, TenantId, TransitionError, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_decimal, decode_opt, keyset};
use crate::schema::finance::expense_transactions;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "expense_transactions";

/// Longest category accepted as a filter (the column's length).
const MAX_CATEGORY_CHARS: usize = 100;

/// A row of `finance.expense_transactions` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = expense_transactions, check_for_backend(Pg))]
pub(crate) struct ExpenseRow {
    id: Uuid,
    tenant_id: Uuid,
    transaction_date: NaiveDate,
    amount: BigDecimal,
    currency: String,
    category: String,
    subcategory: Option<String>,
    vendor: String,
    description: String,
    department: Option<String>,
    employee_id: Option<Uuid>,
    receipt_url: Option<String>,
    tax_amount: BigDecimal,
    is_reimbursable: bool,
    approval_status: String,
    approved_by: Option<Uuid>,
    approved_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl ExpenseRow {
    fn into_entity(self) -> Result<ExpenseTransaction> {
        Ok(ExpenseTransaction {
            id: ExpenseTransactionId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            transaction_date: self.transaction_date,
            amount: decode_decimal(ENTITY, "amount", self.amount)?,
            currency: decode(ENTITY, "currency", &self.currency)?,
            category: decode(ENTITY, "category", &self.category)?,
            subcategory: decode_opt(ENTITY, "subcategory", self.subcategory.as_deref())?,
            vendor: decode(ENTITY, "vendor", &self.vendor)?,
            description: decode(ENTITY, "description", &self.description)?,
            department: decode_opt(ENTITY, "department", self.department.as_deref())?,
            employee_id: self.employee_id.map(UserId::from_uuid),
            receipt_url: decode_opt(ENTITY, "receipt_url", self.receipt_url.as_deref())?,
            tax_amount: decode_decimal(ENTITY, "tax_amount", self.tax_amount)?,
            is_reimbursable: self.is_reimbursable,
            approval_status: decode(ENTITY, "approval_status", &self.approval_status)?,
            approved_by: self.approved_by.map(UserId::from_uuid),
            approved_at: self.approved_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<ExpenseRow>) -> Result<Vec<ExpenseTransaction>> {
    rows.into_iter().map(ExpenseRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context; a new
/// expense is pending, undecided. `None` is bound as NULL (not rendered as
/// DEFAULT), so the INSERT's text never varies and it is prepared once per
/// connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = expense_transactions,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewExpenseRow {
    id: Uuid,
    tenant_id: Uuid,
    transaction_date: NaiveDate,
    amount: BigDecimal,
    currency: String,
    category: String,
    subcategory: Option<String>,
    vendor: String,
    description: String,
    department: Option<String>,
    employee_id: Option<Uuid>,
    receipt_url: Option<String>,
    tax_amount: BigDecimal,
    is_reimbursable: bool,
    approval_status: &'static str,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewExpenseRow {
    fn from_input(new: NewExpenseTransaction, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: ExpenseTransactionId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            transaction_date: new.transaction_date,
            amount: new.amount.into_decimal(),
            currency: new.currency.as_str().to_owned(),
            category: new.category.into_string(),
            subcategory: new.subcategory.map(|s| s.into_string()),
            vendor: new.vendor.into_string(),
            description: new.description.into_string(),
            department: new.department.map(|d| d.into_string()),
            employee_id: new.employee_id.map(|e| e.into_uuid()),
            receipt_url: new.receipt_url.map(|u| u.into_string()),
            tax_amount: new.tax_amount.into_decimal(),
            is_reimbursable: new.is_reimbursable,
            approval_status: ApprovalStatus::Pending.as_str(),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched
/// expense, plus who changed them: one fixed SQL text for every update (see
/// [`sql::Cached`]); the audit trail still records only the changed columns.
/// The approval columns are not among them.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = expense_transactions,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct ExpenseChangeset {
    transaction_date: NaiveDate,
    amount: BigDecimal,
    currency: String,
    category: String,
    subcategory: Option<String>,
    vendor: String,
    description: String,
    department: Option<String>,
    employee_id: Option<Uuid>,
    receipt_url: Option<String>,
    tax_amount: BigDecimal,
    is_reimbursable: bool,
    updated_by: Uuid,
}

impl ExpenseChangeset {
    fn from_entity(e: &ExpenseTransaction, actor: UserId) -> Self {
        Self {
            transaction_date: e.transaction_date,
            amount: e.amount.as_decimal().clone(),
            currency: e.currency.as_str().to_owned(),
            category: e.category.to_string(),
            subcategory: e.subcategory.as_ref().map(|s| s.to_string()),
            vendor: e.vendor.to_string(),
            description: e.description.to_string(),
            department: e.department.as_ref().map(|d| d.to_string()),
            employee_id: e.employee_id.map(|u| u.into_uuid()),
            receipt_url: e.receipt_url.as_ref().map(|u| u.to_string()),
            tax_amount: e.tax_amount.as_decimal().clone(),
            is_reimbursable: e.is_reimbursable,
            updated_by: actor.into_uuid(),
        }
    }
}

/// The three approval columns of a decision, written together, plus who
/// wrote them (one fixed SQL text for every decision).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = expense_transactions, check_for_backend(Pg), treat_none_as_null = true)]
struct DecisionChangeset {
    approval_status: &'static str,
    approved_by: Option<Uuid>,
    approved_at: Option<DateTime<Utc>>,
    updated_by: Uuid,
}

impl DecisionChangeset {
    fn new(decision: ExpenseDecision, actor: UserId) -> Self {
        Self {
            approval_status: decision.approval_status.as_str(),
            approved_by: decision.approved_by.map(|u| u.into_uuid()),
            approved_at: decision.approved_at,
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
pub struct ExpenseFilter {
    /// Only expenses in this approval status.
    pub approval_status: Option<ApprovalStatus>,
    /// Only expenses spent on or after this day.
    pub since: Option<NaiveDate>,
    /// Only expenses spent on or before this day.
    pub until: Option<NaiveDate>,
    /// Only this category (exact match).
    pub category: Option<String>,
    /// Only expenses incurred by this user.
    pub employee: Option<UserId>,
}

impl ExpenseFilter {
    /// No condition: every expense of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `approval_status`.
    pub fn approval_status(mut self, status: ApprovalStatus) -> Self {
        self.approval_status = Some(status);
        self
    }

    /// Only `transaction_date >= day`.
    pub fn since(mut self, day: NaiveDate) -> Self {
        self.since = Some(day);
        self
    }

    /// Only `transaction_date <= day`.
    pub fn until(mut self, day: NaiveDate) -> Self {
        self.until = Some(day);
        self
    }

    /// Only `first <= transaction_date <= last`.
    pub fn between(self, first: NaiveDate, last: NaiveDate) -> Self {
        self.since(first).until(last)
    }

    /// Only `category`.
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Only the expenses `employee` incurred.
    pub fn employee(mut self, employee: UserId) -> Self {
        self.employee = Some(employee);
        self
    }
}

/// The expenses of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor:
/// `uow.expense_transactions()`. Decisions need a unit of work (they lock the
/// expense).
#[derive(Debug)]
pub struct ExpenseTransactions<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> ExpenseTransactions<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The expense `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: ExpenseTransactionId) -> Result<ExpenseTransaction> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The expense `id`, if there is one.
    pub async fn find(&mut self, id: ExpenseTransactionId) -> Result<Option<ExpenseTransaction>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                expense_transactions::table
                    .find(id.into_uuid())
                    .select(ExpenseRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(ExpenseRow::into_entity).transpose()
    }

    /// One page of the expenses matching `filter`.
    pub async fn list(
        &mut self,
        filter: &ExpenseFilter,
        page: PageRequest,
    ) -> Result<Page<ExpenseTransaction>> {
        let category = filter
            .category
            .as_deref()
            .map(|c| repository::filter_text("category", c, MAX_CATEGORY_CHARS))
            .transpose()?;
        let filter = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = expense_transactions::table
                    .select(ExpenseRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(status) = filter.approval_status {
                    query = query.filter(expense_transactions::approval_status.eq(status.as_str()));
                }
                if let Some(since) = filter.since {
                    query = query.filter(expense_transactions::transaction_date.ge(since));
                }
                if let Some(until) = filter.until {
                    query = query.filter(expense_transactions::transaction_date.le(until));
                }
                if let Some(category) = category {
                    query = query.filter(expense_transactions::category.eq(category));
                }
                if let Some(employee) = filter.employee {
                    query =
                        query.filter(expense_transactions::employee_id.eq(employee.into_uuid()));
                }
                keyset!(
                    query,
                    expense_transactions::tenant_id,
                    expense_transactions::id,
                    page
                )
                .load(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |e| e.id.into_uuid()))
    }

    /// Records a pending expense for the context's tenant, entered by its
    /// actor. The input is checked first; nothing is sent when it is invalid.
    /// An employee who is not one of the tenant's users is
    /// [`Error::ForeignKeyViolation`] (`fk_expense_transactions_employee_id`).
    pub async fn create(&mut self, new: NewExpenseTransaction) -> Result<ExpenseTransaction> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewExpenseRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(expense_transactions::table)
                    .values(row)
                    .returning(ExpenseRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` to the pending expense `id` if it is still as it was
    /// at `expected_updated_at`; otherwise [`Error::Conflict`] and nothing
    /// changes. A decided expense is frozen: [`Error::Validation`] on
    /// `approval_status` ([`aems_core::ErrorCode::NotAllowed`]). The patched
    /// expense is checked as a whole before anything is written.
    pub async fn update(
        &mut self,
        id: ExpenseTransactionId,
        expected_updated_at: DateTime<Utc>,
        patch: &ExpenseTransactionPatch,
    ) -> Result<ExpenseTransaction> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = ExpenseChangeset::from_entity(&next, self.exec.context().actor());
        let pending = ApprovalStatus::Pending.as_str();
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        expense_transactions::table
                            .find(id.into_uuid())
                            .filter(expense_transactions::updated_at.eq(expected_updated_at))
                            .filter(expense_transactions::approval_status.eq(pending)),
                    )
                    .set(changes)
                    .returning(ExpenseRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        // Changed (or decided) between the read and the write.
        updated
            .ok_or(Error::Conflict { entity: ENTITY })?
            .into_entity()
    }

    /// Hard-deletes the pending expense `id` (entered by mistake), returning
    /// it. A decided expense is part of the books and stays:
    /// [`Error::Transition`] ([`TransitionError::Final`]), nothing deleted.
    /// The condition is part of the `DELETE`, so an expense approved
    /// concurrently is never deleted.
    pub async fn delete(&mut self, id: ExpenseTransactionId) -> Result<ExpenseTransaction> {
        let pending = ApprovalStatus::Pending.as_str();
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(
                    expense_transactions::table
                        .find(id.into_uuid())
                        .filter(expense_transactions::approval_status.eq(pending)),
                )
                .returning(ExpenseRow::as_returning())
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        match row {
            Some(row) => row.into_entity(),
            None => {
                let decided = self.get(id).await?;
                Err(Error::Transition(TransitionError::Final {
                    entity: "expense",
                    state: decided.approval_status.as_str(),
                }))
            }
        }
    }
}

impl<'e, E: Transactional> ExpenseTransactions<'e, E> {
    /// Records many pending expenses in one transaction, in multi-row INSERTs
    /// below PostgreSQL's parameter limit. Every input is checked first and
    /// every failing one reported (`[3].amount`); nothing is sent when one is
    /// invalid.
    pub async fn create_many(
        &mut self,
        news: Vec<NewExpenseTransaction>,
    ) -> Result<Vec<ExpenseTransaction>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewExpenseRow> = news
            .into_iter()
            .map(|n| NewExpenseRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(expense_transactions::table)
                        .values(chunk)
                        .returning(ExpenseRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }

    /// Approves the pending expense `id`: the context's actor is recorded as
    /// `approved_by`, now as `approved_at`, in one `UPDATE` with the status.
    /// The expense is locked for the rest of the unit of work. Refused with
    /// [`Error::Transition`], nothing written, when it is no longer pending or
    /// the actor incurred or entered it ([`TransitionError::SelfApproval`]).
    pub async fn approve(&mut self, id: ExpenseTransactionId) -> Result<ExpenseTransaction> {
        let expense = self.lock(id).await?;
        let decision = expense.approve(self.exec.context().actor(), Utc::now())?;
        self.write(id, decision).await
    }

    /// Rejects the pending expense `id`; the same rules and records as
    /// [`approve`](Self::approve).
    pub async fn reject(&mut self, id: ExpenseTransactionId) -> Result<ExpenseTransaction> {
        let expense = self.lock(id).await?;
        let decision = expense.reject(self.exec.context().actor(), Utc::now())?;
        self.write(id, decision).await
    }

    /// Withdraws the pending expense `id` (status `cancelled`, no decider
    /// recorded). Refused with [`Error::Transition`], nothing written, when it
    /// is no longer pending.
    pub async fn cancel(&mut self, id: ExpenseTransactionId) -> Result<ExpenseTransaction> {
        let expense = self.lock(id).await?;
        let decision = expense.cancel()?;
        self.write(id, decision).await
    }

    /// Reads expense `id` and locks its row until the unit of work ends.
    async fn lock(&mut self, id: ExpenseTransactionId) -> Result<ExpenseTransaction> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                expense_transactions::table
                    .find(id.into_uuid())
                    .select(ExpenseRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }

    /// Writes a decision to the (locked) expense `id`.
    async fn write(
        &mut self,
        id: ExpenseTransactionId,
        decision: ExpenseDecision,
    ) -> Result<ExpenseTransaction> {
        let changes = DecisionChangeset::new(decision, self.exec.context().actor());
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(expense_transactions::table.find(id.into_uuid()))
                        .set(changes)
                        .returning(ExpenseRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        row.into_entity()
    }
}
