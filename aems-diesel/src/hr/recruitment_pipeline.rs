//! `hr.recruitment_pipeline`: candidates, their filters, and how they move
//! through hiring.
//!
//! Stage and status change only through the transitions —
//! [`move_to_stage`](RecruitmentPipeline::move_to_stage),
//! [`reject`](RecruitmentPipeline::reject),
//! [`withdraw`](RecruitmentPipeline::withdraw) and
//! [`hire`](RecruitmentPipeline::hire) — each atomic in a unit of work: the
//! candidate's row is locked, the move checked by aems-core's [`Candidate`]
//! rules (a refused move is [`Error::Transition`] and nothing is written), and
//! the change written in the same transaction. Hiring also creates the employee
//! in that transaction: both or neither.

use aems_core::hr::employees::{Employee, NewEmployee};
use aems_core::hr::recruitment_pipeline::{
    Candidate, CandidateChange, CandidatePatch, NewCandidate, RecruitmentStage, RecruitmentStatus,
};
use aems_core::{CandidateId, EmployeeId, Input, LongText, TenantId, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use super::employees::Employees;
use crate::error::{Error, Result};
use crate::repository::decode_decimal_opt;
use crate::repository::{self, Page, PageRequest, decode, decode_opt, keyset};
use crate::schema::hr::recruitment_pipeline as candidates;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "recruitment_pipeline";

/// A row of `hr.recruitment_pipeline` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = candidates, check_for_backend(Pg))]
pub(crate) struct CandidateRow {
    id: Uuid,
    tenant_id: Uuid,
    job_title: String,
    department: String,
    candidate_name: String,
    candidate_email: String,
    candidate_phone: Option<String>,
    stage: String,
    source: Option<String>,
    recruiter_id: Uuid,
    hiring_manager_id: Uuid,
    resume_url: Option<String>,
    cover_letter_url: Option<String>,
    application_date: NaiveDate,
    expected_start_date: Option<NaiveDate>,
    salary_expectation: Option<BigDecimal>,
    status: String,
    rejection_reason: Option<String>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl CandidateRow {
    fn into_entity(self) -> Result<Candidate> {
        Ok(Candidate {
            id: CandidateId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            job_title: decode(ENTITY, "job_title", &self.job_title)?,
            department: decode(ENTITY, "department", &self.department)?,
            candidate_name: decode(ENTITY, "candidate_name", &self.candidate_name)?,
            candidate_email: decode(ENTITY, "candidate_email", &self.candidate_email)?,
            candidate_phone: decode_opt(
                ENTITY,
                "candidate_phone",
                self.candidate_phone.as_deref(),
            )?,
            stage: decode(ENTITY, "stage", &self.stage)?,
            source: decode_opt(ENTITY, "source", self.source.as_deref())?,
            recruiter_id: UserId::from_uuid(self.recruiter_id),
            hiring_manager_id: EmployeeId::from_uuid(self.hiring_manager_id),
            resume_url: decode_opt(ENTITY, "resume_url", self.resume_url.as_deref())?,
            cover_letter_url: decode_opt(
                ENTITY,
                "cover_letter_url",
                self.cover_letter_url.as_deref(),
            )?,
            application_date: self.application_date,
            expected_start_date: self.expected_start_date,
            salary_expectation: decode_decimal_opt(
                ENTITY,
                "salary_expectation",
                self.salary_expectation,
            )?,
            status: decode(ENTITY, "status", &self.status)?,
            rejection_reason: decode_opt(
                ENTITY,
                "rejection_reason",
                self.rejection_reason.as_deref(),
            )?,
            notes: decode_opt(ENTITY, "notes", self.notes.as_deref())?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<CandidateRow>) -> Result<Vec<Candidate>> {
    rows.into_iter().map(CandidateRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context; a new
/// candidate is `active`. `None` is bound as NULL (not rendered as DEFAULT),
/// so the INSERT's text never varies and it is prepared once per connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = candidates,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewCandidateRow {
    id: Uuid,
    tenant_id: Uuid,
    job_title: String,
    department: String,
    candidate_name: String,
    candidate_email: String,
    candidate_phone: Option<String>,
    stage: &'static str,
    source: Option<String>,
    recruiter_id: Uuid,
    hiring_manager_id: Uuid,
    resume_url: Option<String>,
    cover_letter_url: Option<String>,
    application_date: NaiveDate,
    expected_start_date: Option<NaiveDate>,
    salary_expectation: Option<BigDecimal>,
    status: &'static str,
    notes: Option<String>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewCandidateRow {
    fn from_input(new: NewCandidate, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: CandidateId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            job_title: new.job_title.into_string(),
            department: new.department.into_string(),
            candidate_name: new.candidate_name.into_string(),
            candidate_email: new.candidate_email.into_string(),
            candidate_phone: new.candidate_phone.map(|p| p.into_string()),
            stage: new.stage.as_str(),
            source: new.source.map(|s| s.into_string()),
            recruiter_id: new.recruiter_id.into_uuid(),
            hiring_manager_id: new.hiring_manager_id.into_uuid(),
            resume_url: new.resume_url.map(|u| u.into_string()),
            cover_letter_url: new.cover_letter_url.map(|u| u.into_string()),
            application_date: new.application_date,
            expected_start_date: new.expected_start_date,
            salary_expectation: new.salary_expectation.map(|s| s.into_decimal()),
            status: RecruitmentStatus::Active.as_str(),
            notes: new.notes.map(|n| n.into_string()),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched
/// candidate: one fixed SQL text for every update (see [`sql::Cached`]); the
/// audit trail still records only the columns whose values changed. Stage,
/// status and rejection reason are not among them (see the transitions).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = candidates, check_for_backend(Pg), treat_none_as_null = true)]
struct CandidateChangeset {
    job_title: String,
    department: String,
    candidate_name: String,
    candidate_email: String,
    candidate_phone: Option<String>,
    source: Option<String>,
    recruiter_id: Uuid,
    hiring_manager_id: Uuid,
    resume_url: Option<String>,
    cover_letter_url: Option<String>,
    application_date: NaiveDate,
    expected_start_date: Option<NaiveDate>,
    salary_expectation: Option<BigDecimal>,
    notes: Option<String>,
    updated_by: Uuid,
}

impl CandidateChangeset {
    fn from_entity(c: &Candidate, actor: UserId) -> Self {
        fn text<T: ToString>(v: &Option<T>) -> Option<String> {
            v.as_ref().map(T::to_string)
        }
        Self {
            job_title: c.job_title.to_string(),
            department: c.department.to_string(),
            candidate_name: c.candidate_name.to_string(),
            candidate_email: c.candidate_email.to_string(),
            candidate_phone: text(&c.candidate_phone),
            source: text(&c.source),
            recruiter_id: c.recruiter_id.into_uuid(),
            hiring_manager_id: c.hiring_manager_id.into_uuid(),
            resume_url: text(&c.resume_url),
            cover_letter_url: text(&c.cover_letter_url),
            application_date: c.application_date,
            expected_start_date: c.expected_start_date,
            salary_expectation: c
                .salary_expectation
                .as_ref()
                .map(|s| s.as_decimal().clone()),
            notes: text(&c.notes),
            updated_by: actor.into_uuid(),
        }
    }
}

/// The columns a transition writes, together: one fixed SQL text (see
/// [`sql::Cached`]).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = candidates, check_for_backend(Pg), treat_none_as_null = true)]
struct TransitionChangeset {
    stage: &'static str,
    status: &'static str,
    rejection_reason: Option<String>,
    expected_start_date: Option<NaiveDate>,
    updated_by: Uuid,
}

impl TransitionChangeset {
    fn from_change(change: CandidateChange, actor: UserId) -> Self {
        Self {
            stage: change.stage.as_str(),
            status: change.status.as_str(),
            rejection_reason: change.rejection_reason.map(LongText::into_string),
            expected_start_date: change.expected_start_date,
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
pub struct CandidateFilter {
    /// Only this stage.
    pub stage: Option<RecruitmentStage>,
    /// Only this department (exact match).
    pub department: Option<String>,
    /// Only this status.
    pub status: Option<RecruitmentStatus>,
}

impl CandidateFilter {
    /// No condition: every candidate.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `stage`.
    pub fn stage(mut self, stage: RecruitmentStage) -> Self {
        self.stage = Some(stage);
        self
    }

    /// Only `department`.
    pub fn department(mut self, department: impl Into<String>) -> Self {
        self.department = Some(department.into());
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: RecruitmentStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// What [`RecruitmentPipeline::hire`] made: the hired candidate and the new
/// employee.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Hire {
    /// The candidate, now `hired`/`hired`.
    pub candidate: Candidate,
    /// The employee created for them.
    pub employee: Employee,
}

/// The candidates of the context's tenant (`uow.recruitment_pipeline()`).
#[derive(Debug)]
pub struct RecruitmentPipeline<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> RecruitmentPipeline<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Candidate `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: CandidateId) -> Result<Candidate> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Candidate `id`, if there is one.
    pub async fn find(&mut self, id: CandidateId) -> Result<Option<Candidate>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                candidates::table
                    .find(id.into_uuid())
                    .select(CandidateRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(CandidateRow::into_entity).transpose()
    }

    /// One page of the candidates matching `filter`.
    pub async fn list(
        &mut self,
        filter: &CandidateFilter,
        page: PageRequest,
    ) -> Result<Page<Candidate>> {
        let department = filter
            .department
            .as_deref()
            .map(|d| repository::filter_text("department", d, 100))
            .transpose()?;
        let (stage, status) = (filter.stage, filter.status);
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = candidates::table
                    .select(CandidateRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(stage) = stage {
                    query = query.filter(candidates::stage.eq(stage.as_str()));
                }
                if let Some(department) = department {
                    query = query.filter(candidates::department.eq(department));
                }
                if let Some(status) = status {
                    query = query.filter(candidates::status.eq(status.as_str()));
                }
                keyset!(query, candidates::tenant_id, candidates::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |c| c.id.into_uuid()))
    }

    /// Adds a candidate (active, in an open stage) for the context's tenant,
    /// recorded as created by its actor. The input is checked first; nothing is
    /// sent when it is invalid.
    pub async fn create(&mut self, new: NewCandidate) -> Result<Candidate> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewCandidateRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(candidates::table)
                    .values(row)
                    .returning(CandidateRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` (details only; stage and status change through the
    /// transitions) to candidate `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    pub async fn update(
        &mut self,
        id: CandidateId,
        expected_updated_at: DateTime<Utc>,
        patch: &CandidatePatch,
    ) -> Result<Candidate> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = CandidateChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        candidates::table
                            .find(id.into_uuid())
                            .filter(candidates::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(CandidateRow::as_returning()),
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

    /// Deletes candidate `id` for good — what a data-protection erasure
    /// request needs (candidates are not soft-deleted: a rejected or withdrawn
    /// candidate already stays on record by status). [`Error::NotFound`] when
    /// there is none.
    pub async fn delete(&mut self, id: CandidateId) -> Result<()> {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(candidates::table.find(id.into_uuid()))
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

impl<'e, E: Transactional> RecruitmentPipeline<'e, E> {
    /// Adds many candidates in one transaction, in multi-row INSERTs below
    /// PostgreSQL's parameter limit. Every input is checked first and every
    /// failing one reported (`[3].candidate_email`); nothing is sent when one
    /// is invalid.
    pub async fn create_many(&mut self, news: Vec<NewCandidate>) -> Result<Vec<Candidate>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewCandidateRow> = news
            .into_iter()
            .map(|n| NewCandidateRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(candidates::table)
                        .values(chunk)
                        .returning(CandidateRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }

    /// Moves an active candidate forward to a later open stage (never back,
    /// never to `hired` or `rejected`: see [`hire`](Self::hire) and
    /// [`reject`](Self::reject)).
    pub async fn move_to_stage(
        &mut self,
        id: CandidateId,
        stage: RecruitmentStage,
    ) -> Result<Candidate> {
        let current = self.lock(id).await?;
        let change = current.move_to_stage(stage)?;
        self.write(id, change).await
    }

    /// Rejects an active candidate, recording `reason` (never empty).
    pub async fn reject(&mut self, id: CandidateId, reason: LongText) -> Result<Candidate> {
        let current = self.lock(id).await?;
        let change = current.reject(reason)?;
        self.write(id, change).await
    }

    /// Records that an active candidate withdrew (the stage reached is kept).
    pub async fn withdraw(&mut self, id: CandidateId) -> Result<Candidate> {
        let current = self.lock(id).await?;
        let change = current.withdraw()?;
        self.write(id, change).await
    }

    /// Hires candidate `id` (who must have an offer) as the employee
    /// `new_employee`, in one transaction: the employee is created and the
    /// candidate marked `hired`, with their expected start date set to the
    /// employee's hire date (not before the application) — both or neither.
    ///
    /// The input is checked before anything is sent. A refused transition is
    /// [`Error::Transition`]; a failure creating the employee (an employee
    /// number taken, a missing manager, ...) is returned as is, and the
    /// candidate is not marked hired.
    pub async fn hire(&mut self, id: CandidateId, new_employee: NewEmployee) -> Result<Hire> {
        new_employee.check()?;
        if new_employee.salary.is_some() {
            self.exec.keys()?;
        }
        let current = self.lock(id).await?;
        let change = current.hire(Some(new_employee.hire_date))?;
        // The employee first: if it fails, the candidate has not been touched,
        // whatever the caller then does with the unit of work.
        let employee = Employees::new(&mut *self.exec).create(new_employee).await?;
        let candidate = self.write(id, change).await?;
        Ok(Hire {
            candidate,
            employee,
        })
    }

    /// Candidate `id`, its row locked until the end of the transaction.
    async fn lock(&mut self, id: CandidateId) -> Result<Candidate> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                candidates::table
                    .find(id.into_uuid())
                    .select(CandidateRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }

    /// Writes a checked transition onto the locked row `id`.
    async fn write(&mut self, id: CandidateId, change: CandidateChange) -> Result<Candidate> {
        let changes = TransitionChangeset::from_change(change, self.exec.context().actor());
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(candidates::table.find(id.into_uuid()))
                        .set(changes)
                        .returning(CandidateRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        row.into_entity()
    }
}
