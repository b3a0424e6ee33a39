//! `risk.compliance_records`: the row structs, the repository and its filters.

use aems_core::risk::compliance_records::{
    ComplianceRecord, ComplianceRecordPatch, ComplianceStatus, NewComplianceRecord,
};
use aems_core::{ComplianceRecordId, EmployeeId, ErrorCode, Input, LongText, TenantId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_opt, keyset};
use crate::schema::risk::compliance_records;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "compliance_records";

/// The foreign key that keeps the responsible party an employee of the same
/// tenant: anyone else is refused with [`Error::ForeignKeyViolation`] naming it.
pub const RESPONSIBLE_PARTY_CONSTRAINT: &str = "fk_compliance_records_responsible_party";

/// A row of `risk.compliance_records` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = compliance_records, check_for_backend(Pg))]
pub(crate) struct ComplianceRecordRow {
    id: Uuid,
    tenant_id: Uuid,
    regulation_name: String,
    compliance_area: String,
    requirement_description: String,
    compliance_status: String,
    last_audit_date: Option<NaiveDate>,
    next_audit_date: Option<NaiveDate>,
    responsible_party: Uuid,
    evidence_documentation: Option<String>,
    remediation_plan: Option<String>,
    deadline: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl ComplianceRecordRow {
    fn into_entity(self) -> Result<ComplianceRecord> {
        Ok(ComplianceRecord {
            id: ComplianceRecordId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            regulation_name: decode(ENTITY, "regulation_name", &self.regulation_name)?,
            compliance_area: decode(ENTITY, "compliance_area", &self.compliance_area)?,
            requirement_description: decode(
                ENTITY,
                "requirement_description",
                &self.requirement_description,
            )?,
            compliance_status: decode(ENTITY, "compliance_status", &self.compliance_status)?,
            last_audit_date: self.last_audit_date,
            next_audit_date: self.next_audit_date,
            responsible_party: EmployeeId::from_uuid(self.responsible_party),
            evidence_documentation: decode_opt(
                ENTITY,
                "evidence_documentation",
                self.evidence_documentation.as_deref(),
            )?,
            remediation_plan: decode_opt(
                ENTITY,
                "remediation_plan",
                self.remediation_plan.as_deref(),
            )?,
            deadline: self.deadline,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<ComplianceRecordRow>) -> Result<Vec<ComplianceRecord>> {
    rows.into_iter()
        .map(ComplianceRecordRow::into_entity)
        .collect()
}

/// A new row, as inserted: ids and authorship come from the context. `None`
/// is bound as NULL, so the INSERT's text never varies.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = compliance_records,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewComplianceRecordRow {
    id: Uuid,
    tenant_id: Uuid,
    regulation_name: String,
    compliance_area: String,
    requirement_description: String,
    compliance_status: &'static str,
    last_audit_date: Option<NaiveDate>,
    next_audit_date: Option<NaiveDate>,
    responsible_party: Uuid,
    evidence_documentation: Option<String>,
    remediation_plan: Option<String>,
    deadline: Option<NaiveDate>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewComplianceRecordRow {
    fn from_input(new: NewComplianceRecord, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: ComplianceRecordId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            regulation_name: new.regulation_name.into_string(),
            compliance_area: new.compliance_area.into_string(),
            requirement_description: new.requirement_description.into_string(),
            compliance_status: new.compliance_status.as_str(),
            last_audit_date: new.last_audit_date,
            next_audit_date: new.next_audit_date,
            responsible_party: new.responsible_party.into_uuid(),
            evidence_documentation: new.evidence_documentation.map(LongText::into_string),
            remediation_plan: new.remediation_plan.map(LongText::into_string),
            deadline: new.deadline,
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, from the checked, patched record: one
/// fixed SQL text (see [`sql::Cached`]).
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = compliance_records,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct ComplianceRecordChangeset {
    regulation_name: String,
    compliance_area: String,
    requirement_description: String,
    compliance_status: &'static str,
    last_audit_date: Option<NaiveDate>,
    next_audit_date: Option<NaiveDate>,
    responsible_party: Uuid,
    evidence_documentation: Option<String>,
    remediation_plan: Option<String>,
    deadline: Option<NaiveDate>,
    updated_by: Uuid,
}

impl ComplianceRecordChangeset {
    fn from_entity(r: &ComplianceRecord, actor: UserId) -> Self {
        Self {
            regulation_name: r.regulation_name.to_string(),
            compliance_area: r.compliance_area.to_string(),
            requirement_description: r.requirement_description.to_string(),
            compliance_status: r.compliance_status.as_str(),
            last_audit_date: r.last_audit_date,
            next_audit_date: r.next_audit_date,
            responsible_party: r.responsible_party.into_uuid(),
            evidence_documentation: r.evidence_documentation.as_ref().map(|e| e.to_string()),
            remediation_plan: r.remediation_plan.as_ref().map(|p| p.to_string()),
            deadline: r.deadline,
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold. A record without a
/// deadline matches no deadline condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct ComplianceRecordFilter {
    /// Only this compliance status.
    pub status: Option<ComplianceStatus>,
    /// Only records this employee is responsible for.
    pub responsible_party: Option<EmployeeId>,
    /// Only records whose deadline is strictly before this date (overdue as
    /// of that date).
    pub deadline_before: Option<NaiveDate>,
    /// Only records whose deadline falls within these dates, both included.
    pub deadline_within: Option<(NaiveDate, NaiveDate)>,
}

impl ComplianceRecordFilter {
    /// No condition: every record of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `status`.
    pub fn status(mut self, status: ComplianceStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only records `employee` is responsible for.
    pub fn responsible_party(mut self, employee: EmployeeId) -> Self {
        self.responsible_party = Some(employee);
        self
    }

    /// Only records whose deadline is before `date` (`deadline < date`).
    pub fn deadline_before(mut self, date: NaiveDate) -> Self {
        self.deadline_before = Some(date);
        self
    }

    /// Only records whose deadline is within `from..=to`; a range whose start
    /// is after its end is refused as [`Error::Validation`] when listing.
    pub fn deadline_within(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        self.deadline_within = Some((from, to));
        self
    }

    fn check(&self) -> Result<()> {
        if let Some((from, to)) = self.deadline_within
            && from > to
        {
            return Err(Error::Validation(aems_core::DomainError::field(
                "deadline_within",
                ErrorCode::DateOrder,
                format!("starts ({from}) after it ends ({to})"),
            )));
        }
        Ok(())
    }
}

/// The compliance records of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor:
/// `uow.compliance_records()`.
#[derive(Debug)]
pub struct ComplianceRecords<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> ComplianceRecords<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Record `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: ComplianceRecordId) -> Result<ComplianceRecord> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Record `id`, if there is one.
    pub async fn find(&mut self, id: ComplianceRecordId) -> Result<Option<ComplianceRecord>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                compliance_records::table
                    .find(id.into_uuid())
                    .select(ComplianceRecordRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(ComplianceRecordRow::into_entity).transpose()
    }

    /// One page of the records matching `filter`.
    pub async fn list(
        &mut self,
        filter: &ComplianceRecordFilter,
        page: PageRequest,
    ) -> Result<Page<ComplianceRecord>> {
        filter.check()?;
        let ComplianceRecordFilter {
            status,
            responsible_party,
            deadline_before,
            deadline_within,
        } = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = compliance_records::table
                    .select(ComplianceRecordRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(status) = status {
                    query = query.filter(compliance_records::compliance_status.eq(status.as_str()));
                }
                if let Some(employee) = responsible_party {
                    query = query
                        .filter(compliance_records::responsible_party.eq(employee.into_uuid()));
                }
                if let Some(date) = deadline_before {
                    query = query.filter(compliance_records::deadline.lt(date));
                }
                if let Some((from, to)) = deadline_within {
                    query = query.filter(compliance_records::deadline.between(from, to));
                }
                keyset!(
                    query,
                    compliance_records::tenant_id,
                    compliance_records::id,
                    page
                )
                .load(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |r| r.id.into_uuid()))
    }

    /// Records a compliance requirement for the context's tenant, recorded as
    /// created by its actor. The input is checked first; nothing is sent when
    /// it is invalid. A responsible party who is not an employee of the tenant
    /// is refused with [`Error::ForeignKeyViolation`] on
    /// [`RESPONSIBLE_PARTY_CONSTRAINT`].
    pub async fn create(&mut self, new: NewComplianceRecord) -> Result<ComplianceRecord> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewComplianceRecordRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(compliance_records::table)
                    .values(row)
                    .returning(ComplianceRecordRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` to record `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing
    /// changes. The patched record is checked as a whole before anything is
    /// written.
    pub async fn update(
        &mut self,
        id: ComplianceRecordId,
        expected_updated_at: DateTime<Utc>,
        patch: &ComplianceRecordPatch,
    ) -> Result<ComplianceRecord> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = ComplianceRecordChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        compliance_records::table
                            .find(id.into_uuid())
                            .filter(compliance_records::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(ComplianceRecordRow::as_returning()),
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

    /// Deletes record `id` for good (a requirement recorded in error or
    /// withdrawn; one that merely does not apply is better marked
    /// `not_applicable`). The audit trail keeps its last values.
    /// [`Error::NotFound`] when there is no such record.
    pub async fn delete(&mut self, id: ComplianceRecordId) -> Result<()> {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(compliance_records::table.find(id.into_uuid()))
                    .execute(&mut { conn })
                    .boxed()
            })
            .await?;
        match deleted {
            0 => Err(Error::NotFound { entity: ENTITY }),
            _ => Ok(()),
        }
    }
}

impl<'e, E: Transactional> ComplianceRecords<'e, E> {
    /// Records many requirements in one transaction, in multi-row INSERTs
    /// small enough for PostgreSQL's 65,535-parameter limit. Every input is
    /// checked first and every failing one reported (`[3].next_audit_date`);
    /// nothing is sent when one is invalid.
    pub async fn create_many(
        &mut self,
        news: Vec<NewComplianceRecord>,
    ) -> Result<Vec<ComplianceRecord>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewComplianceRecordRow> = news
            .into_iter()
            .map(|n| NewComplianceRecordRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(compliance_records::table)
                        .values(chunk)
                        .returning(ComplianceRecordRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }
}
