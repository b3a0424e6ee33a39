//! `risk.audit_logs`: the append-only audit trail.
//!
//! Rows are written by database triggers (data changes) and by the DB layer
//! (application events such as sign-ins); there is no patch type because the
//! trail is never updated. Tenant, user, IP address, user agent and session come
//! from the caller's context, so [`NewAuditLog`] carries only the event itself.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::ids::{AuditLogId, TenantId, UserId, UserSessionId};
use crate::macros::db_enum;
use crate::validation::Input;
use crate::values::{JsonObject, LongText, Text100};

db_enum! {
    /// How important an audit event is (`audit_logs.severity`).
    pub enum AuditSeverity {
        /// Diagnostic detail.
        Debug => "debug",
        /// Normal activity (the SQL default).
        Info => "info",
        /// Unusual but handled (e.g. a failed sign-in).
        Warning => "warning",
        /// Something failed.
        Error => "error",
        /// Needs attention now (e.g. an account locked after an attack).
        Critical => "critical",
    }
    default = Info;
}

/// A row of `risk.audit_logs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditLog {
    /// Primary key (with `timestamp`, as the table is partitioned by it).
    pub id: AuditLogId,
    /// The tenant concerned (none for platform events).
    pub tenant_id: Option<TenantId>,
    /// Who acted (none for the system, or a deleted user).
    pub user_id: Option<UserId>,
    /// What happened (`INSERT`, `UPDATE`, `login_failed`, ...).
    pub action: Text100,
    /// The kind of thing it happened to (usually a table name).
    pub entity_type: Text100,
    /// The row it happened to.
    pub entity_id: Option<Uuid>,
    /// Values before (sensitive columns redacted).
    pub old_values: Option<JsonObject>,
    /// Values after (sensitive columns redacted).
    pub new_values: Option<JsonObject>,
    /// The client's address.
    pub ip_address: Option<IpAddr>,
    /// The client's user agent.
    pub user_agent: Option<LongText>,
    /// The session the action came through.
    pub session_id: Option<UserSessionId>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// How important it is.
    pub severity: AuditSeverity,
}

/// Input to record an application event in the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewAuditLog {
    /// What happened.
    pub action: Text100,
    /// The kind of thing it happened to.
    pub entity_type: Text100,
    /// The row it happened to.
    #[serde(default)]
    pub entity_id: Option<Uuid>,
    /// Values before.
    #[serde(default)]
    pub old_values: Option<JsonObject>,
    /// Values after.
    #[serde(default)]
    pub new_values: Option<JsonObject>,
    /// How important it is (default `info`).
    #[serde(default)]
    pub severity: AuditSeverity,
}

impl NewAuditLog {
    /// An `info` event about `entity_type` with no values attached.
    pub fn new(action: Text100, entity_type: Text100) -> Self {
        Self {
            action,
            entity_type,
            entity_id: None,
            old_values: None,
            new_values: None,
            severity: AuditSeverity::default(),
        }
    }
}

impl Input for NewAuditLog {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_defaults_to_info_and_uses_database_strings() {
        let event: NewAuditLog =
            serde_json::from_str(r#"{"action":"login_failed","entity_type":"users"}"#).unwrap();
        assert_eq!(event.severity, AuditSeverity::Info);
        assert_eq!(AuditSeverity::ALL.len(), 5);
        assert!("fatal".parse::<AuditSeverity>().is_err());
    }
}
