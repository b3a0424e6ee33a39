//! The authentication events written to `risk.audit_logs` (sign-ins, failed
//! sign-ins, lockouts, MFA, session revocations, cross-tenant lookups), in the
//! same transaction as the work they describe.
//!
//! Values hold identifiers, counts, times and outcomes only: never a
//! password, hash, token, code, secret or key (the security suite searches the
//! trail for them).

use aems_core::risk::audit_logs::AuditSeverity;
use aems_core::{TenantId, UserId, UserSessionId};
use diesel::result::QueryResult;

use crate::pg::Connection;
use futures_util::future::BoxFuture;
use ipnet::IpNet;
use std::net::IpAddr;
use uuid::Uuid;

use crate::audit::{EventRow, Subject};
use crate::error::Result;
use crate::unit_of_work::{Executor, PlatformWork};

const ENTITY: &str = "audit_logs";

/// One authentication event.
#[derive(Debug, Clone)]
pub(crate) struct AuthEvent {
    action: &'static str,
    entity_type: &'static str,
    entity_id: Option<Uuid>,
    severity: AuditSeverity,
    values: serde_json::Map<String, serde_json::Value>,
}

impl AuthEvent {
    /// An event about a row of `entity_type`.
    pub(crate) fn new(
        action: &'static str,
        entity_type: &'static str,
        entity_id: Option<Uuid>,
        severity: AuditSeverity,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            severity,
            values: serde_json::Map::new(),
        }
    }

    /// Adds a value (never a secret).
    pub(crate) fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.values.insert(key.to_owned(), value.into());
        self
    }

    fn into_row(self, subject: Subject) -> EventRow {
        EventRow {
            action: self.action.to_owned(),
            entity_type: self.entity_type.to_owned(),
            entity_ids: self.entity_id.map(|id| vec![id]),
            old_values: None,
            new_values: (!self.values.is_empty()).then_some(serde_json::Value::Object(self.values)),
            severity: self.severity.as_str(),
            subject,
        }
    }
}

/// A statement built by a helper function, as a boxed closure (one concrete
/// type, usable with every executor's `run`).
pub(crate) type Statement<T> =
    Box<dyn for<'c> FnOnce(&'c Connection) -> BoxFuture<'c, QueryResult<T>> + Send>;

fn insert(row: EventRow) -> Statement<Vec<Uuid>> {
    Box::new(move |conn| row.write(conn))
}

/// Records `event` for the executor's tenant and actor; the database takes
/// them, the IP, user agent and session from the transaction's context.
pub(crate) async fn record<E: Executor>(exec: &mut E, event: AuthEvent) -> Result<()> {
    let row = event.into_row(Subject::default());
    exec.run(ENTITY, insert(row)).await.map(|_| ())
}

/// Where a platform event comes from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    pub(crate) ip: Option<IpAddr>,
    pub(crate) user_agent: Option<String>,
}

/// Records `event` on the cross-tenant path, for `tenant`/`user` when known
/// (an unknown e-mail has neither).
pub(crate) async fn record_platform(
    work: &mut PlatformWork,
    event: AuthEvent,
    tenant: Option<TenantId>,
    user: Option<UserId>,
    session: Option<UserSessionId>,
    origin: &Origin,
) -> Result<()> {
    let row = event.into_row(Subject {
        tenant_id: tenant.map(|t| t.into_uuid()),
        user_id: user.map(|u| u.into_uuid()),
        ip: origin.ip.map(IpNet::from),
        user_agent: origin.user_agent.clone(),
        session_id: session.map(|s| s.into_uuid()),
    });
    work.run(ENTITY, insert(row)).await.map(|_| ())
}
