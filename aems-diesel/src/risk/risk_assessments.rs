//! `risk.risk_assessments`: the row structs, the repository, its filters and
//! the reassessment operation.
//!
//! The score and level are never taken from the caller: every write derives
//! them from the factors through aems-core's [`RiskRating`]
//! (`risk_score = likelihood × impact`, the level from the score), and the
//! database refuses a row where they disagree
//! (`chk_risk_assessments_risk_score_product`,
//! `chk_risk_assessments_risk_level_matches_score`). Factors and review dates
//! change only through [`RiskAssessments::reassess`].

use aems_core::risk::risk_assessments::{
    NewRiskAssessment, Reassessment, RiskAssessment, RiskAssessmentPatch, RiskLevel, RiskRating,
    RiskStatus,
};
use aems_core::{
    EmployeeId, Impact, Input, Likelihood, LongText, RiskAssessmentId, TenantId, Text100, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_opt, keyset};
use crate::schema::risk::risk_assessments;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "risk_assessments";

/// The foreign key that keeps a risk's owner an employee of the same tenant:
/// an `owner_id` that is not one of the tenant's employees is refused with
/// [`Error::ForeignKeyViolation`] naming it.
pub const OWNER_CONSTRAINT: &str = "fk_risk_assessments_owner_id";

/// A row of `risk.risk_assessments` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = risk_assessments, check_for_backend(Pg))]
pub(crate) struct RiskAssessmentRow {
    id: Uuid,
    tenant_id: Uuid,
    risk_name: String,
    risk_category: String,
    description: String,
    likelihood: i32,
    impact: i32,
    risk_score: i32,
    risk_level: String,
    owner_id: Uuid,
    status: String,
    mitigation_plan: Option<String>,
    contingency_plan: Option<String>,
    last_review_date: Option<NaiveDate>,
    next_review_date: NaiveDate,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

/// A stored factor, refused (as [`Error::Decode`]) outside 1–5.
fn decode_factor<T>(column: &'static str, value: i32) -> Result<T>
where
    T: TryFrom<i32, Error = aems_core::ValueError>,
{
    T::try_from(value).map_err(|e| Error::Decode {
        entity: ENTITY,
        column,
        reason: e.to_string(),
    })
}

impl RiskAssessmentRow {
    fn into_entity(self) -> Result<RiskAssessment> {
        let likelihood: Likelihood = decode_factor("likelihood", self.likelihood)?;
        let impact: Impact = decode_factor("impact", self.impact)?;
        let rating = RiskRating::new(likelihood, impact);
        // The database enforces both; a disagreement means the constraints
        // were dropped or bypassed, and the row must not be trusted.
        if i32::from(rating.score().get()) != self.risk_score {
            return Err(Error::Decode {
                entity: ENTITY,
                column: "risk_score",
                reason: format!(
                    "{} is not likelihood × impact = {}",
                    self.risk_score,
                    rating.score()
                ),
            });
        }
        let level: RiskLevel = decode(ENTITY, "risk_level", &self.risk_level)?;
        if level != rating.level() {
            return Err(Error::Decode {
                entity: ENTITY,
                column: "risk_level",
                reason: format!("`{level}` is not the level of score {}", rating.score()),
            });
        }
        Ok(RiskAssessment {
            id: RiskAssessmentId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            risk_name: decode(ENTITY, "risk_name", &self.risk_name)?,
            risk_category: decode(ENTITY, "risk_category", &self.risk_category)?,
            description: decode(ENTITY, "description", &self.description)?,
            rating,
            owner_id: EmployeeId::from_uuid(self.owner_id),
            status: decode(ENTITY, "status", &self.status)?,
            mitigation_plan: decode_opt(
                ENTITY,
                "mitigation_plan",
                self.mitigation_plan.as_deref(),
            )?,
            contingency_plan: decode_opt(
                ENTITY,
                "contingency_plan",
                self.contingency_plan.as_deref(),
            )?,
            last_review_date: self.last_review_date,
            next_review_date: self.next_review_date,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<RiskAssessmentRow>) -> Result<Vec<RiskAssessment>> {
    rows.into_iter()
        .map(RiskAssessmentRow::into_entity)
        .collect()
}

/// The score and level columns of a rating, as stored.
fn derived(rating: RiskRating) -> (i32, &'static str) {
    (i32::from(rating.score().get()), rating.level().as_str())
}

/// A new row, as inserted: ids and authorship come from the context, score
/// and level from the factors. `None` is bound as NULL, so the INSERT's text
/// never varies.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = risk_assessments,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewRiskAssessmentRow {
    id: Uuid,
    tenant_id: Uuid,
    risk_name: String,
    risk_category: String,
    description: String,
    likelihood: i32,
    impact: i32,
    risk_score: i32,
    risk_level: &'static str,
    owner_id: Uuid,
    status: &'static str,
    mitigation_plan: Option<String>,
    contingency_plan: Option<String>,
    last_review_date: Option<NaiveDate>,
    next_review_date: NaiveDate,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewRiskAssessmentRow {
    fn from_input(new: NewRiskAssessment, tenant: TenantId, actor: UserId) -> Self {
        let rating = new.rating();
        let (risk_score, risk_level) = derived(rating);
        Self {
            id: RiskAssessmentId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            risk_name: new.risk_name.into_string(),
            risk_category: new.risk_category.into_string(),
            description: new.description.into_string(),
            likelihood: rating.likelihood.as_i32(),
            impact: rating.impact.as_i32(),
            risk_score,
            risk_level,
            owner_id: new.owner_id.into_uuid(),
            status: new.status.as_str(),
            mitigation_plan: new.mitigation_plan.map(LongText::into_string),
            contingency_plan: new.contingency_plan.map(LongText::into_string),
            last_review_date: new.last_review_date,
            next_review_date: new.next_review_date,
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, from the checked, patched risk: one
/// fixed SQL text (see [`sql::Cached`]). The factors, score, level and last
/// review are not among them: they change only by reassessment.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = risk_assessments,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct RiskAssessmentChangeset {
    risk_name: String,
    risk_category: String,
    description: String,
    owner_id: Uuid,
    status: &'static str,
    mitigation_plan: Option<String>,
    contingency_plan: Option<String>,
    next_review_date: NaiveDate,
    updated_by: Uuid,
}

impl RiskAssessmentChangeset {
    fn from_entity(r: &RiskAssessment, actor: UserId) -> Self {
        Self {
            risk_name: r.risk_name.to_string(),
            risk_category: r.risk_category.to_string(),
            description: r.description.to_string(),
            owner_id: r.owner_id.into_uuid(),
            status: r.status.as_str(),
            mitigation_plan: r.mitigation_plan.as_ref().map(|p| p.to_string()),
            contingency_plan: r.contingency_plan.as_ref().map(|p| p.to_string()),
            next_review_date: r.next_review_date,
            updated_by: actor.into_uuid(),
        }
    }
}

/// What a reassessment writes, from the reassessed risk: the factors with
/// their score and level, both review dates and both plans (one fixed SQL text).
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = risk_assessments,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct ReassessmentChangeset {
    likelihood: i32,
    impact: i32,
    risk_score: i32,
    risk_level: &'static str,
    last_review_date: Option<NaiveDate>,
    next_review_date: NaiveDate,
    mitigation_plan: Option<String>,
    contingency_plan: Option<String>,
    updated_by: Uuid,
}

impl ReassessmentChangeset {
    fn from_entity(r: &RiskAssessment, actor: UserId) -> Self {
        let (risk_score, risk_level) = derived(r.rating);
        Self {
            likelihood: r.rating.likelihood.as_i32(),
            impact: r.rating.impact.as_i32(),
            risk_score,
            risk_level,
            last_review_date: r.last_review_date,
            next_review_date: r.next_review_date,
            mitigation_plan: r.mitigation_plan.as_ref().map(|p| p.to_string()),
            contingency_plan: r.contingency_plan.as_ref().map(|p| p.to_string()),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Plans revised at a review, written with it (`None`: keep the current
/// plan; `Some(None)`: clear it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevisedPlans {
    /// The new mitigation plan.
    pub mitigation_plan: Option<Option<LongText>>,
    /// The new contingency plan.
    pub contingency_plan: Option<Option<LongText>>,
}

impl RevisedPlans {
    /// Keep both plans as they are.
    pub fn unchanged() -> Self {
        Self::default()
    }

    /// Replace the mitigation plan (`None` clears it).
    pub fn mitigation(mut self, plan: Option<LongText>) -> Self {
        self.mitigation_plan = Some(plan);
        self
    }

    /// Replace the contingency plan (`None` clears it).
    pub fn contingency(mut self, plan: Option<LongText>) -> Self {
        self.contingency_plan = Some(plan);
        self
    }

    fn apply_to(self, risk: &mut RiskAssessment) {
        if let Some(plan) = self.mitigation_plan {
            risk.mitigation_plan = plan;
        }
        if let Some(plan) = self.contingency_plan {
            risk.contingency_plan = plan;
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
pub struct RiskAssessmentFilter {
    /// Only this level.
    pub level: Option<RiskLevel>,
    /// Only this status.
    pub status: Option<RiskStatus>,
    /// Only this category (exact match).
    pub category: Option<Text100>,
    /// Only risks owned by this employee.
    pub owner: Option<EmployeeId>,
    /// Only risks whose next review is due on or before this date.
    pub review_due_by: Option<NaiveDate>,
}

impl RiskAssessmentFilter {
    /// No condition: every risk of the tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `level`.
    pub fn level(mut self, level: RiskLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: RiskStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only `category`.
    pub fn category(mut self, category: Text100) -> Self {
        self.category = Some(category);
        self
    }

    /// Only risks owned by `owner`.
    pub fn owner(mut self, owner: EmployeeId) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Only risks due for review on or before `date` (`next_review_date <= date`).
    pub fn review_due_by(mut self, date: NaiveDate) -> Self {
        self.review_due_by = Some(date);
        self
    }
}

/// The risk register of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor:
/// `uow.risk_assessments()`. Reassessment needs a unit of work (it locks the
/// row and writes in the same transaction).
#[derive(Debug)]
pub struct RiskAssessments<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> RiskAssessments<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Risk `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: RiskAssessmentId) -> Result<RiskAssessment> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Risk `id`, if there is one.
    pub async fn find(&mut self, id: RiskAssessmentId) -> Result<Option<RiskAssessment>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                risk_assessments::table
                    .find(id.into_uuid())
                    .select(RiskAssessmentRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(RiskAssessmentRow::into_entity).transpose()
    }

    /// One page of the risks matching `filter`.
    pub async fn list(
        &mut self,
        filter: &RiskAssessmentFilter,
        page: PageRequest,
    ) -> Result<Page<RiskAssessment>> {
        let RiskAssessmentFilter {
            level,
            status,
            category,
            owner,
            review_due_by,
        } = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = risk_assessments::table
                    .select(RiskAssessmentRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(level) = level {
                    query = query.filter(risk_assessments::risk_level.eq(level.as_str()));
                }
                if let Some(status) = status {
                    query = query.filter(risk_assessments::status.eq(status.as_str()));
                }
                if let Some(category) = category {
                    query =
                        query.filter(risk_assessments::risk_category.eq(category.into_string()));
                }
                if let Some(owner) = owner {
                    query = query.filter(risk_assessments::owner_id.eq(owner.into_uuid()));
                }
                if let Some(date) = review_due_by {
                    query = query.filter(risk_assessments::next_review_date.le(date));
                }
                keyset!(
                    query,
                    risk_assessments::tenant_id,
                    risk_assessments::id,
                    page
                )
                .load(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |r| r.id.into_uuid()))
    }

    /// Records a risk for the context's tenant, recorded as created by its
    /// actor; score and level are derived from the factors. The input is
    /// checked first; nothing is sent when it is invalid. An owner who is not
    /// an employee of the tenant is refused with [`Error::ForeignKeyViolation`]
    /// on [`OWNER_CONSTRAINT`].
    pub async fn create(&mut self, new: NewRiskAssessment) -> Result<RiskAssessment> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewRiskAssessmentRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(risk_assessments::table)
                    .values(row)
                    .returning(RiskAssessmentRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` to risk `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing
    /// changes. The patched risk is checked as a whole before anything is
    /// written. Factors and review dates change through
    /// [`RiskAssessments::reassess`].
    pub async fn update(
        &mut self,
        id: RiskAssessmentId,
        expected_updated_at: DateTime<Utc>,
        patch: &RiskAssessmentPatch,
    ) -> Result<RiskAssessment> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = RiskAssessmentChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        risk_assessments::table
                            .find(id.into_uuid())
                            .filter(risk_assessments::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(RiskAssessmentRow::as_returning()),
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

    /// Deletes risk `id` for good: for an entry recorded in error (a risk
    /// that no longer applies is closed instead, and stays in the register).
    /// The audit trail keeps its last values. [`Error::NotFound`] when there
    /// is no such risk.
    pub async fn delete(&mut self, id: RiskAssessmentId) -> Result<()> {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(risk_assessments::table.find(id.into_uuid()))
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

impl<'e, E: Transactional> RiskAssessments<'e, E> {
    /// Records many risks in one transaction, in multi-row INSERTs small
    /// enough for PostgreSQL's 65,535-parameter limit. Every input is checked
    /// first and every failing one reported (`[3].next_review_date`); nothing
    /// is sent when one is invalid.
    pub async fn create_many(
        &mut self,
        news: Vec<NewRiskAssessment>,
    ) -> Result<Vec<RiskAssessment>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewRiskAssessmentRow> = news
            .into_iter()
            .map(|n| NewRiskAssessmentRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(risk_assessments::table)
                        .values(chunk)
                        .returning(RiskAssessmentRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }

    /// Records a review of risk `id`: new factors (score and level
    /// recomputed), `last_review_date` set to the review date,
    /// `next_review_date` moved to the one given, and the plans revised at the
    /// review written with them.
    ///
    /// The row is locked (`SELECT … FOR UPDATE`) for the rest of the unit of
    /// work, so concurrent reviews of one risk apply one after the other, each
    /// judged against the one before. aems-core's transition decides: a closed
    /// risk ([`aems_core::TransitionError::Final`]), a review dated before the
    /// previous one, or a next review not after this one
    /// ([`aems_core::TransitionError::Invalid`]) is refused with
    /// [`Error::Transition`] and nothing is written.
    pub async fn reassess(
        &mut self,
        id: RiskAssessmentId,
        review: Reassessment,
        plans: RevisedPlans,
    ) -> Result<RiskAssessment> {
        let locked = self
            .exec
            .run(ENTITY, move |conn| {
                risk_assessments::table
                    .find(id.into_uuid())
                    .select(RiskAssessmentRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })?
            .into_entity()?;
        let change = locked.reassess(review)?;
        let mut next = locked;
        change.apply_to(&mut next);
        plans.apply_to(&mut next);
        let changes = ReassessmentChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(risk_assessments::table.find(id.into_uuid()))
                        .set(changes)
                        .returning(RiskAssessmentRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        updated.into_entity()
    }
}
