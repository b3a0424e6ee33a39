//! `auth.tenants`: a tenant reads and changes its own row; the platform lists
//! every tenant and sets their status (see [`PlatformWork`]).

use aems_core::auth::tenants::{NewTenant, SubscriptionPlan, Tenant, TenantPatch, TenantStatus};
use aems_core::{DomainError, ErrorCode, Input, TenantId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::auth::access;
use crate::error::{Error, Result};
use crate::repository::{Page, PageRequest, decode, decode_object, keyset};
use crate::schema::auth::tenants;
use crate::sql;
use crate::unit_of_work::{Executor, PlatformWork};

const ENTITY: &str = "tenants";

/// A row of `auth.tenants` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenants, check_for_backend(Pg))]
pub(crate) struct TenantRow {
    id: Uuid,
    name: String,
    slug: String,
    settings: serde_json::Value,
    subscription_plan: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TenantRow {
    pub(crate) fn into_entity(self) -> Result<Tenant> {
        Ok(Tenant {
            id: TenantId::from_uuid(self.id),
            name: decode(ENTITY, "name", &self.name)?,
            slug: decode(ENTITY, "slug", &self.slug)?,
            settings: decode_object(ENTITY, "settings", self.settings)?,
            subscription_plan: decode(ENTITY, "subscription_plan", &self.subscription_plan)?,
            status: decode(ENTITY, "status", &self.status)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn entities(rows: Vec<TenantRow>) -> Result<Vec<Tenant>> {
    rows.into_iter().map(TenantRow::into_entity).collect()
}

/// A new row, as inserted (signup: its id is the context's tenant).
#[derive(Debug, Insertable)]
#[diesel(table_name = tenants, check_for_backend(Pg), treat_none_as_default_value = false)]
struct NewTenantRow {
    id: Uuid,
    name: String,
    slug: String,
    settings: serde_json::Value,
    subscription_plan: &'static str,
    status: &'static str,
}

/// Every column an update may change, from the checked, patched tenant.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tenants, check_for_backend(Pg), treat_none_as_null = true)]
struct TenantChangeset {
    name: String,
    slug: String,
    settings: serde_json::Value,
    subscription_plan: &'static str,
    status: &'static str,
}

impl TenantChangeset {
    fn from_entity(t: &Tenant) -> Self {
        Self {
            name: t.name.to_string(),
            slug: t.slug.to_string(),
            settings: serde_json::Value::Object(t.settings.clone()),
            subscription_plan: t.subscription_plan.as_str(),
            status: t.status.as_str(),
        }
    }
}

/// The context's own tenant: `uow.tenants()`.
#[derive(Debug)]
pub struct Tenants<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> Tenants<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The context's tenant ([`Error::NotFound`] when it does not exist).
    pub async fn current(&mut self) -> Result<Tenant> {
        let id = self.exec.context().tenant_id();
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Tenant `id`, if it is the context's own (no other is visible).
    pub async fn find(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                tenants::table
                    .find(id.into_uuid())
                    .select(TenantRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(TenantRow::into_entity).transpose()
    }

    /// Changes the context's tenant (name, slug, settings, plan; admins only,
    /// [`Error::PermissionDenied`] otherwise) if it is
    /// still as it was at `expected_updated_at`; otherwise [`Error::Conflict`]
    /// and nothing changes. The status is the platform's to set
    /// ([`PlatformWork::set_tenant_status`]): a patch carrying one is refused.
    pub async fn update(
        &mut self,
        expected_updated_at: DateTime<Utc>,
        patch: &TenantPatch,
    ) -> Result<Tenant> {
        if patch.status.is_some() {
            return Err(Error::Validation(DomainError::field(
                "status",
                ErrorCode::NotAllowed,
                "a tenant's status is set by the platform",
            )));
        }
        access::require_admin(self.exec).await?;
        let current = self.current().await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = TenantChangeset::from_entity(&next);
        let id = current.id.into_uuid();
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        tenants::table
                            .find(id)
                            .filter(tenants::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(TenantRow::as_returning()),
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

    /// Inserts the context's own tenant row (signup). The input is checked first.
    pub(crate) async fn create_own(&mut self, new: NewTenant) -> Result<Tenant> {
        new.check()?;
        let row = NewTenantRow {
            id: self.exec.context().tenant_id().into_uuid(),
            name: new.name.into_string(),
            slug: new.slug.into_string(),
            settings: serde_json::Value::Object(new.settings),
            subscription_plan: new.subscription_plan.as_str(),
            status: new.status.as_str(),
        };
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(tenants::table)
                    .values(row)
                    .returning(TenantRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }
}

/// What the platform lists: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct TenantFilter {
    /// Only this status.
    pub status: Option<TenantStatus>,
    /// Only this plan.
    pub plan: Option<SubscriptionPlan>,
}

impl TenantFilter {
    /// Every tenant.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `status`.
    pub fn status(mut self, status: TenantStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only `plan`.
    pub fn plan(mut self, plan: SubscriptionPlan) -> Self {
        self.plan = Some(plan);
        self
    }
}

impl PlatformWork {
    /// One page of every tenant matching `filter` (keyset-paged by id).
    pub async fn list_tenants(
        &mut self,
        filter: &TenantFilter,
        page: PageRequest,
    ) -> Result<Page<Tenant>> {
        let (status, plan) = (filter.status, filter.plan);
        let rows = self
            .run(ENTITY, move |conn| {
                let mut query = tenants::table
                    .select(TenantRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(status) = status {
                    query = query.filter(tenants::status.eq(status.as_str()));
                }
                if let Some(plan) = plan {
                    query = query.filter(tenants::subscription_plan.eq(plan.as_str()));
                }
                keyset!(query, tenants::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |t| t.id.into_uuid()))
    }

    /// Tenant `id`, whoever it is.
    pub async fn find_tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let row = self
            .run(ENTITY, move |conn| {
                tenants::table
                    .find(id.into_uuid())
                    .select(TenantRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(TenantRow::into_entity).transpose()
    }

    /// Sets tenant `id`'s status (suspending a tenant stops its users from
    /// signing in and their sessions from being used). [`Error::NotFound`]
    /// when there is no such tenant.
    pub async fn set_tenant_status(
        &mut self,
        id: TenantId,
        status: TenantStatus,
    ) -> Result<Tenant> {
        let row = self
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(tenants::table.find(id.into_uuid()))
                        .set(tenants::status.eq(status.as_str()))
                        .returning(TenantRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: ENTITY })?.into_entity()
    }
}
