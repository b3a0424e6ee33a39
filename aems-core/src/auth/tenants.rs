//! `auth.tenants`: the organisations that own all other data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::TenantId;
use crate::macros::{apply_patch, db_enum};
use crate::validation::Input;
use crate::values::{JsonObject, Slug, Text255};

db_enum! {
    /// What a tenant pays for (`tenants.subscription_plan`).
    pub enum SubscriptionPlan {
        /// The entry plan.
        Basic => "basic",
        /// The middle plan.
        Professional => "professional",
        /// The full plan (the SQL default).
        Enterprise => "enterprise",
    }
    default = Enterprise;
}

db_enum! {
    /// Whether a tenant may use the system (`tenants.status`).
    pub enum TenantStatus {
        /// In use (the SQL default).
        Active => "active",
        /// Switched off by the tenant.
        Inactive => "inactive",
        /// Switched off by the operator (e.g. unpaid).
        Suspended => "suspended",
    }
    default = Active;
}

/// A row of `auth.tenants`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    /// Primary key.
    pub id: TenantId,
    /// Display name, unique.
    pub name: Text255,
    /// URL-safe identifier, unique.
    pub slug: Slug,
    /// Tenant-wide settings.
    pub settings: JsonObject,
    /// The plan paid for.
    pub subscription_plan: SubscriptionPlan,
    /// Whether the tenant may use the system.
    pub status: TenantStatus,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
}

/// Input to create a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Display name, unique.
    pub name: Text255,
    /// URL-safe identifier, unique.
    pub slug: Slug,
    /// Tenant-wide settings (default `{}`).
    #[serde(default)]
    pub settings: JsonObject,
    /// The plan (default `enterprise`).
    #[serde(default)]
    pub subscription_plan: SubscriptionPlan,
    /// The status (default `active`).
    #[serde(default)]
    pub status: TenantStatus,
}

impl NewTenant {
    /// A tenant with the SQL defaults for everything but its name and slug.
    pub fn new(name: Text255, slug: Slug) -> Self {
        Self {
            name,
            slug,
            settings: JsonObject::new(),
            subscription_plan: SubscriptionPlan::default(),
            status: TenantStatus::default(),
        }
    }
}

impl Input for NewTenant {}

/// Changes to a tenant; `None` leaves a column unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct TenantPatch {
    /// New display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text255>,
    /// New slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<Slug>,
    /// New settings (replaces the whole object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<JsonObject>,
    /// New plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_plan: Option<SubscriptionPlan>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TenantStatus>,
}

impl Input for TenantPatch {}

impl Tenant {
    /// The tenant with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &TenantPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [name, slug, settings, subscription_plan, status]
        );
        Ok(next)
    }

    /// Whether the tenant's users may sign in.
    pub fn is_active(&self) -> bool {
        self.status == TenantStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_use_the_database_strings() {
        assert_eq!(SubscriptionPlan::ALL.len(), 3);
        assert_eq!(SubscriptionPlan::Professional.as_str(), "professional");
        assert_eq!(
            "suspended".parse::<TenantStatus>().unwrap(),
            TenantStatus::Suspended
        );
        assert!("Suspended".parse::<TenantStatus>().is_err());
        assert_eq!(SubscriptionPlan::default(), SubscriptionPlan::Enterprise);
    }

    #[test]
    fn new_tenant_json_gets_the_sql_defaults() {
        let input: NewTenant = serde_json::from_str(r#"{"name": "Acme", "slug": "acme"}"#).unwrap();
        assert_eq!(
            input,
            NewTenant::new("Acme".parse().unwrap(), "acme".parse().unwrap())
        );
        assert!(input.check().is_ok());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let result = serde_json::from_str::<TenantPatch>(r#"{"nmae": "typo"}"#);
        assert!(result.is_err());
    }
}
