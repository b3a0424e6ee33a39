//! `hr.employees`: the row structs, the repository, its filters, soft delete
//! and termination.
//!
//! ## Salaries are sealed
//!
//! `salary` is a `BYTEA` AEAD envelope (see [`KeyRing`]), sealed for its place
//! — `hr.employees.salary:<employee id>` — so an envelope copied into another
//! row does not open. It is sealed on every write and opened on every read
//! through the executor's key ring; without one, any read or write of an
//! employee *with* a salary is [`Error::Config`] (rows whose salary is NULL
//! need no key), and nothing is ever written in clear.
//!
//! ## Soft delete
//!
//! Soft-deleted employees are invisible to `get`, `find`, `list` and every
//! filter; [`Employees::list_deleted`] shows them, [`Employees::restore`] brings
//! them back, [`Employees::purge_deleted_before`] removes them for good. Their
//! employee number stays taken (the unique key covers them): creating another
//! employee with it is [`Error::CollidesWithDeleted`].

use aems_core::hr::employees::{Employee, EmployeePatch, EmployeeStatus, NewEmployee};
use aems_core::{EmployeeId, Input, Money12, TenantId, Text255, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;

use crate::pg::Connection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::crypto::KeyRing;
use crate::error::{Error, Result};
use crate::repository::bulk::insert_all_or_none;
use crate::repository::decode_decimal_opt;
use crate::repository::{self, Page, PageRequest, decode, decode_opt, keyset};
use crate::schema::hr::employees;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "employees";

/// The unique key on (tenant, employee number).
pub const EMPLOYEE_NUMBER_KEY: &str = "uq_employees_tenant_id_employee_id";

/// Where a salary envelope belongs: its associated data.
fn salary_place(id: Uuid) -> Vec<u8> {
    format!("hr.employees.salary:{id}").into_bytes()
}

fn seal_salary(keys: &KeyRing, id: Uuid, salary: &Money12) -> Vec<u8> {
    keys.seal(salary.to_string().as_bytes(), &salary_place(id))
}

fn open_salary(keys: &KeyRing, id: Uuid, envelope: &[u8]) -> Result<Money12> {
    let clear = keys.open(envelope, &salary_place(id))?;
    let text = std::str::from_utf8(&clear).map_err(|_| Error::Decode {
        entity: ENTITY,
        column: "salary",
        reason: "the opened envelope is not text".into(),
    })?;
    decode(ENTITY, "salary", text)
}

/// A row of `hr.employees` as stored (the salary still sealed).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = employees, check_for_backend(Pg))]
pub(crate) struct EmployeeRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Option<Uuid>,
    employee_id: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: Option<String>,
    department: String,
    job_title: String,
    manager_id: Option<Uuid>,
    hire_date: NaiveDate,
    employment_type: String,
    status: String,
    salary: Option<Vec<u8>>,
    salary_currency: String,
    location: Option<String>,
    remote_work: bool,
    performance_rating: Option<BigDecimal>,
    last_promotion_date: Option<NaiveDate>,
    termination_date: Option<NaiveDate>,
    termination_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
    deleted_at: Option<DateTime<Utc>>,
}

impl EmployeeRow {
    /// Decodes the row; `keys` must be given when the row holds a salary.
    fn into_entity(self, keys: Option<&KeyRing>) -> Result<Employee> {
        let salary = match (&self.salary, keys) {
            (None, _) => None,
            (Some(envelope), Some(keys)) => Some(open_salary(keys, self.id, envelope)?),
            (Some(_), None) => {
                return Err(Error::Config(
                    "no key ring configured: employee salaries cannot be read".into(),
                ));
            }
        };
        Ok(Employee {
            id: EmployeeId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            user_id: self.user_id.map(UserId::from_uuid),
            employee_code: decode(ENTITY, "employee_id", &self.employee_id)?,
            first_name: decode(ENTITY, "first_name", &self.first_name)?,
            last_name: decode(ENTITY, "last_name", &self.last_name)?,
            email: decode(ENTITY, "email", &self.email)?,
            phone: decode_opt(ENTITY, "phone", self.phone.as_deref())?,
            department: decode(ENTITY, "department", &self.department)?,
            job_title: decode(ENTITY, "job_title", &self.job_title)?,
            manager_id: self.manager_id.map(EmployeeId::from_uuid),
            hire_date: self.hire_date,
            employment_type: decode(ENTITY, "employment_type", &self.employment_type)?,
            status: decode(ENTITY, "status", &self.status)?,
            salary,
            salary_currency: decode(ENTITY, "salary_currency", &self.salary_currency)?,
            location: decode_opt(ENTITY, "location", self.location.as_deref())?,
            remote_work: self.remote_work,
            performance_rating: decode_decimal_opt(
                ENTITY,
                "performance_rating",
                self.performance_rating,
            )?,
            last_promotion_date: self.last_promotion_date,
            termination_date: self.termination_date,
            termination_reason: decode_opt(
                ENTITY,
                "termination_reason",
                self.termination_reason.as_deref(),
            )?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
            deleted_at: self.deleted_at,
        })
    }
}

/// A new row, as inserted: ids and authorship come from the context, the
/// salary is sealed. `None` is bound as NULL (not rendered as DEFAULT), so the
/// INSERT's text never varies and it is prepared once per connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = employees,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewEmployeeRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Option<Uuid>,
    employee_id: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: Option<String>,
    department: String,
    job_title: String,
    manager_id: Option<Uuid>,
    hire_date: NaiveDate,
    employment_type: &'static str,
    status: &'static str,
    salary: Option<Vec<u8>>,
    salary_currency: String,
    location: Option<String>,
    remote_work: bool,
    performance_rating: Option<BigDecimal>,
    last_promotion_date: Option<NaiveDate>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewEmployeeRow {
    /// `keys` must be given when the input has a salary.
    fn from_input(
        new: NewEmployee,
        tenant: TenantId,
        actor: UserId,
        keys: Option<&KeyRing>,
    ) -> Self {
        let id = EmployeeId::new().into_uuid();
        let salary = match (&new.salary, keys) {
            (Some(salary), Some(keys)) => Some(seal_salary(keys, id, salary)),
            _ => None,
        };
        Self {
            id,
            tenant_id: tenant.into_uuid(),
            user_id: new.user_id.map(UserId::into_uuid),
            employee_id: new.employee_code.into_string(),
            first_name: new.first_name.into_string(),
            last_name: new.last_name.into_string(),
            email: new.email.into_string(),
            phone: new.phone.map(|p| p.into_string()),
            department: new.department.into_string(),
            job_title: new.job_title.into_string(),
            manager_id: new.manager_id.map(EmployeeId::into_uuid),
            hire_date: new.hire_date,
            employment_type: new.employment_type.as_str(),
            status: new.status.as_str(),
            salary,
            salary_currency: new.salary_currency.as_str().to_owned(),
            location: new.location.map(|l| l.into_string()),
            remote_work: new.remote_work,
            performance_rating: new.performance_rating.map(|r| r.as_decimal().clone()),
            last_promotion_date: new.last_promotion_date,
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched
/// employee: one fixed SQL text for every update (see [`sql::Cached`]); the
/// audit trail still records only the columns whose values changed. The
/// salary is the stored envelope, byte for byte, unless the patch changes it
/// (a new envelope for an unchanged salary would read as a change).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = employees, check_for_backend(Pg), treat_none_as_null = true)]
struct EmployeeChangeset {
    user_id: Option<Uuid>,
    employee_id: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: Option<String>,
    department: String,
    job_title: String,
    manager_id: Option<Uuid>,
    hire_date: NaiveDate,
    employment_type: &'static str,
    status: &'static str,
    salary: Option<Vec<u8>>,
    salary_currency: String,
    location: Option<String>,
    remote_work: bool,
    performance_rating: Option<BigDecimal>,
    last_promotion_date: Option<NaiveDate>,
    updated_by: Uuid,
}

impl EmployeeChangeset {
    /// `salary` is the envelope to store (already sealed, or kept).
    fn from_entity(e: &Employee, salary: Option<Vec<u8>>, actor: UserId) -> Self {
        Self {
            user_id: e.user_id.map(UserId::into_uuid),
            employee_id: e.employee_code.to_string(),
            first_name: e.first_name.to_string(),
            last_name: e.last_name.to_string(),
            email: e.email.to_string(),
            phone: e.phone.as_ref().map(|p| p.to_string()),
            department: e.department.to_string(),
            job_title: e.job_title.to_string(),
            manager_id: e.manager_id.map(EmployeeId::into_uuid),
            hire_date: e.hire_date,
            employment_type: e.employment_type.as_str(),
            status: e.status.as_str(),
            salary,
            salary_currency: e.salary_currency.as_str().to_owned(),
            location: e.location.as_ref().map(|l| l.to_string()),
            remote_work: e.remote_work,
            performance_rating: e
                .performance_rating
                .as_ref()
                .map(|r| r.as_decimal().clone()),
            last_promotion_date: e.last_promotion_date,
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold. Soft-deleted employees are
/// never listed (see [`Employees::list_deleted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct EmployeeFilter {
    /// Only this department (exact match).
    pub department: Option<String>,
    /// Only the direct reports of this manager.
    pub manager: Option<EmployeeId>,
    /// Only this status.
    pub status: Option<EmployeeStatus>,
}

impl EmployeeFilter {
    /// No condition: every live employee.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `department`.
    pub fn department(mut self, department: impl Into<String>) -> Self {
        self.department = Some(department.into());
        self
    }

    /// Only the direct reports of `manager`.
    pub fn manager(mut self, manager: EmployeeId) -> Self {
        self.manager = Some(manager);
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: EmployeeStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// The employees of the context's tenant (`uow.employees()`).
#[derive(Debug)]
pub struct Employees<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> Employees<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The key ring, asked for only when `needed` (a salary to seal or open).
    fn keys_if(&self, needed: bool) -> Result<Option<&KeyRing>> {
        if needed {
            self.exec.keys().map(Some)
        } else {
            Ok(None)
        }
    }

    fn entity(&self, row: EmployeeRow) -> Result<Employee> {
        let keys = self.keys_if(row.salary.is_some())?;
        row.into_entity(keys)
    }

    fn entities(&self, rows: Vec<EmployeeRow>) -> Result<Vec<Employee>> {
        let keys = self.keys_if(rows.iter().any(|r| r.salary.is_some()))?;
        rows.into_iter().map(|r| r.into_entity(keys)).collect()
    }

    /// Decodes rows read for the caller (`get`, `find`, `list`). Reading a
    /// decrypted salary is an audited event (`salary_read`, one per employee,
    /// no amount in the record), committed before the salaries are handed out
    /// and independently of the executor's transaction: if it cannot be
    /// recorded, the read fails, and a rollback does not erase it.
    /// (Writes return what the caller wrote or changed, and are audited as
    /// writes.)
    async fn disclose(&mut self, rows: Vec<EmployeeRow>) -> Result<Vec<Employee>> {
        let read: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.salary.is_some())
            .map(|r| r.id)
            .collect();
        let entities = self.entities(rows)?;
        if !read.is_empty() {
            self.record_salary_reads(read).await?;
        }
        Ok(entities)
    }

    /// One `salary_read` audit row per employee in `ids` (those read with a
    /// salary), written by `risk.record_event` in one statement whose text
    /// never varies (the ids are one array parameter), and committed before
    /// this returns: in a one-shot as its own transaction on the same
    /// connection, in a unit of work on a connection of the record pool
    /// ([`RECORD_CONNECTIONS`](crate::RECORD_CONNECTIONS)), so
    /// rolling the unit back does not erase it. One round trip either way.
    async fn record_salary_reads(&mut self, ids: Vec<Uuid>) -> Result<()> {
        let row = crate::audit::EventRow::tenant(
            "salary_read",
            ENTITY,
            Some(ids),
            aems_core::risk::audit_logs::AuditSeverity::Info,
        );
        self.exec.record_committed(row).await
    }

    fn new_row(&self, new: NewEmployee) -> Result<NewEmployeeRow> {
        let keys = self.keys_if(new.salary.is_some())?;
        let ctx = self.exec.context();
        Ok(NewEmployeeRow::from_input(
            new,
            ctx.tenant_id(),
            ctx.actor(),
            keys,
        ))
    }

    /// The live (not soft-deleted) employee `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: EmployeeId) -> Result<Employee> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The live employee `id`, if there is one.
    pub async fn find(&mut self, id: EmployeeId) -> Result<Option<Employee>> {
        match self.find_row(id).await? {
            Some(row) => Ok(self.disclose(vec![row]).await?.pop()),
            None => Ok(None),
        }
    }

    /// The stored row of the live employee `id` (its salary still sealed).
    async fn find_row(&mut self, id: EmployeeId) -> Result<Option<EmployeeRow>> {
        self.exec
            .run(ENTITY, move |conn| {
                employees::table
                    .find(id.into_uuid())
                    .filter(employees::deleted_at.is_null())
                    .select(EmployeeRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await
    }

    /// One page of the live employees matching `filter`.
    pub async fn list(
        &mut self,
        filter: &EmployeeFilter,
        page: PageRequest,
    ) -> Result<Page<Employee>> {
        let department = filter
            .department
            .as_deref()
            .map(|d| repository::filter_text("department", d, 100))
            .transpose()?;
        let (manager, status) = (filter.manager, filter.status);
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = employees::table
                    .filter(employees::deleted_at.is_null())
                    .select(EmployeeRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(department) = department {
                    query = query.filter(employees::department.eq(department));
                }
                if let Some(manager) = manager {
                    query = query.filter(employees::manager_id.eq(manager.into_uuid()));
                }
                if let Some(status) = status {
                    query = query.filter(employees::status.eq(status.as_str()));
                }
                keyset!(query, employees::tenant_id, employees::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(self.disclose(rows).await?, |e| e.id.into_uuid()))
    }

    /// Creates an employee for the context's tenant, recorded as created by its
    /// actor, the salary sealed. The input is checked first; nothing is sent
    /// when it is invalid, or when it has a salary and no key ring is
    /// configured ([`Error::Config`]).
    ///
    /// An employee number already taken is [`Error::UniqueViolation`]
    /// ([`EMPLOYEE_NUMBER_KEY`]), or [`Error::CollidesWithDeleted`] when a
    /// soft-deleted employee holds it; either way nothing is written and a unit
    /// of work stays usable.
    pub async fn create(&mut self, new: NewEmployee) -> Result<Employee> {
        new.check()?;
        let row = self.new_row(new)?;
        let code = row.employee_id.clone();
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(employees::table)
                    .values(row)
                    .on_conflict((employees::tenant_id, employees::employee_id))
                    .do_nothing()
                    .returning(EmployeeRow::as_returning())
                    .get_result(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        match created {
            Some(row) => self.entity(row),
            // Only on this path: who holds the number?
            None => Err(self.number_taken(vec![code]).await),
        }
    }

    /// Why an employee number is taken: [`Error::CollidesWithDeleted`] when a
    /// soft-deleted employee holds one of `codes`, else
    /// [`Error::UniqueViolation`].
    async fn number_taken(&mut self, codes: Vec<String>) -> Error {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                deleted_holder(codes)
                    .first::<Uuid>(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await;
        match deleted {
            Ok(Some(_)) => Error::CollidesWithDeleted {
                entity: ENTITY,
                constraint: EMPLOYEE_NUMBER_KEY.to_owned(),
            },
            Ok(None) => Error::UniqueViolation {
                constraint: EMPLOYEE_NUMBER_KEY.to_owned(),
                detail: None,
            },
            Err(error) => error,
        }
    }

    /// Applies `patch` to employee `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    /// The patched employee is checked as a whole before anything is written
    /// (a patch cannot terminate: see [`terminate`](Self::terminate)). A new
    /// employee number held by a soft-deleted employee is
    /// [`Error::CollidesWithDeleted`] (checked only when the number changes).
    pub async fn update(
        &mut self,
        id: EmployeeId,
        expected_updated_at: DateTime<Utc>,
        patch: &EmployeePatch,
    ) -> Result<Employee> {
        let row = self
            .find_row(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })?;
        let stored_salary = row.salary.clone();
        let current = self.entity(row)?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let salary = match &patch.salary {
            None => stored_salary,
            Some(None) => None,
            Some(Some(salary)) => Some(seal_salary(self.exec.keys()?, id.into_uuid(), salary)),
        };
        let changes = EmployeeChangeset::from_entity(&next, salary, self.exec.context().actor());
        if let Some(code) = &patch.employee_code
            && code != &current.employee_code
        {
            let taken = self
                .exec
                .run(ENTITY, {
                    let code = code.to_string();
                    move |conn| {
                        employees::table
                            .filter(employees::employee_id.eq(code))
                            .select(employees::deleted_at)
                            .first::<Option<DateTime<Utc>>>(&mut { conn })
                            .map(|r| r.optional())
                            .boxed()
                    }
                })
                .await?;
            match taken {
                Some(Some(_)) => {
                    return Err(Error::CollidesWithDeleted {
                        entity: ENTITY,
                        constraint: EMPLOYEE_NUMBER_KEY.to_owned(),
                    });
                }
                Some(None) => {
                    return Err(Error::UniqueViolation {
                        constraint: EMPLOYEE_NUMBER_KEY.to_owned(),
                        detail: None,
                    });
                }
                None => {}
            }
        }
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        employees::table
                            .find(id.into_uuid())
                            .filter(employees::updated_at.eq(expected_updated_at))
                            .filter(employees::deleted_at.is_null()),
                    )
                    .set(changes)
                    .returning(EmployeeRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        // Changed (or deleted) between the read and the write.
        let row = updated.ok_or(Error::Conflict { entity: ENTITY })?;
        self.entity(row)
    }

    repository::soft_delete::soft_delete_methods! {
        table: employees,
        row: EmployeeRow,
        id: EmployeeId,
        entity: Employee,
        /// Soft-deletes employee `id`: they disappear from every read and filter,
        /// and can be restored until they are purged.
        soft_delete,
        /// Restores the soft-deleted employee `id`.
        restore,
        /// One page of the soft-deleted employees.
        list_deleted,
        finish_one: |repo, row| repo.entity(row),
        finish_page: |repo, rows| repo.disclose(rows).await?,
    }
}

/// The soft-deleted employees holding one of `codes`. On PostgreSQL diesel
/// renders `eq_any` of a list as `= ANY($1)`, the whole list one array
/// parameter: one fixed text however many codes, so it is prepared once
/// (see the unit test below).
fn deleted_holder(
    codes: Vec<String>,
) -> employees::BoxedQuery<'static, Pg, diesel::sql_types::Uuid> {
    employees::table
        .filter(employees::employee_id.eq_any(codes))
        .filter(employees::deleted_at.is_not_null())
        .select(employees::id)
        .into_boxed()
}

fn insert_chunk(
    conn: &Connection,
    chunk: Vec<NewEmployeeRow>,
) -> BoxFuture<'_, QueryResult<Vec<EmployeeRow>>> {
    diesel::insert_into(employees::table)
        .values(chunk)
        .returning(EmployeeRow::as_returning())
        .get_results(&mut { conn })
        .boxed()
}

impl<'e, E: Transactional> Employees<'e, E> {
    /// Creates many employees in one step of the unit of work, in multi-row
    /// INSERTs below PostgreSQL's parameter limit. Every input is checked first
    /// and every failing one reported (`[3].email`); nothing is sent when one
    /// is invalid. All or nothing: when a chunk fails (an employee number taken
    /// — [`Error::CollidesWithDeleted`] when a soft-deleted employee holds it —
    /// or repeated in the input, a missing manager, ...), none of them is kept
    /// and the unit of work stays usable.
    pub async fn create_many(&mut self, news: Vec<NewEmployee>) -> Result<Vec<Employee>> {
        repository::check_all(&news)?;
        let rows = news
            .into_iter()
            .map(|n| self.new_row(n))
            .collect::<Result<Vec<_>>>()?;
        let codes: Vec<String> = rows.iter().map(|r| r.employee_id.clone()).collect();
        let outcome =
            insert_all_or_none(self.exec, ENTITY, repository::chunks(rows), insert_chunk).await?;
        match outcome {
            Ok(rows) => self.entities(rows),
            Err(error) => match Error::from_diesel_for(ENTITY, error) {
                Error::UniqueViolation { constraint, .. } if constraint == EMPLOYEE_NUMBER_KEY => {
                    Err(self.number_taken(codes).await)
                }
                other => Err(other),
            },
        }
    }

    /// Terminates employee `id` on `on` for `reason`, atomically: the row is
    /// locked, the termination checked by [`Employee::terminate`] (not already
    /// terminated, not before the hire date: [`Error::Transition`], nothing
    /// written), then status, date and reason are written together.
    pub async fn terminate(
        &mut self,
        id: EmployeeId,
        on: NaiveDate,
        reason: Text255,
    ) -> Result<Employee> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                employees::table
                    .find(id.into_uuid())
                    .filter(employees::deleted_at.is_null())
                    .select(EmployeeRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        let current = self.entity(row.ok_or(Error::NotFound { entity: ENTITY })?)?;
        let change = current.terminate(on, reason)?;
        let actor = self.exec.context().actor().into_uuid();
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(employees::table.find(id.into_uuid()))
                        .set((
                            employees::status.eq(change.status.as_str()),
                            employees::termination_date.eq(Some(change.termination_date)),
                            employees::termination_reason
                                .eq(Some(change.termination_reason.into_string())),
                            employees::updated_by.eq(actor),
                        ))
                        .returning(EmployeeRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        self.entity(row)
    }

    repository::soft_delete::purge_method! {
        /// Hard-deletes the employees soft-deleted before `cutoff` (the end of a
        /// retention period). Returns how many went. An employee still referenced
        /// (as a manager, hiring manager, risk owner, ...) is refused with
        /// [`Error::ForeignKeyViolation`] and nothing is purged.
        table: employees,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_of_any_number_of_codes_is_one_statement_text() {
        let text = |codes: &[&str]| {
            let codes = codes.iter().map(|c| c.to_string()).collect();
            diesel::debug_query::<Pg, _>(&deleted_holder(codes))
                .to_string()
                .split(" -- binds:")
                .next()
                .unwrap()
                .to_owned()
        };
        let one = text(&["E-1"]);
        assert!(one.contains("\"employee_id\" = ANY($1)"), "{one}");
        assert_eq!(text(&["E-1", "E-2", "E-3"]), one);
    }
}
