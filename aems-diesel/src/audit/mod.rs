//! The audit trail (`risk.audit_logs`): reading it, and writing application events.
//!
//! Data changes are recorded by the database itself (statement-level triggers
//! on the 19 business tables, migration `audit_triggers`): every insert,
//! update, soft delete, restore and delete, with the context's tenant, actor,
//! IP, user agent and session, old and new values with sensitive columns
//! redacted. What the database cannot see — a sign-in, a failed sign-in, an
//! MFA check, reading a decrypted salary — is recorded through
//! [`AuditTrail::record`], in the same transaction as the work it describes.
//!
//! Reads are tenant-isolated like everything else, newest first, paged by
//! `(timestamp, id)` so a page deep in the trail costs what the first does.
//! Partition maintenance (months ahead, the default partition, retention) is
//! in [`partitions`].

pub mod partitions;

use std::fmt;
use std::str::FromStr;

use aems_core::risk::audit_logs::{AuditLog, AuditSeverity, NewAuditLog};
use aems_core::{AuditLogId, Input, TenantId, UserId, UserSessionId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use ipnet::IpNet;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, decode, decode_object_opt, decode_opt};
use crate::schema::risk::audit_logs;
use crate::unit_of_work::Executor;

const ENTITY: &str = "audit_logs";

/// A row of `risk.audit_logs` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_logs, check_for_backend(Pg))]
pub(crate) struct AuditLogRow {
    id: Uuid,
    tenant_id: Option<Uuid>,
    user_id: Option<Uuid>,
    action: String,
    entity_type: String,
    entity_id: Option<Uuid>,
    old_values: Option<serde_json::Value>,
    new_values: Option<serde_json::Value>,
    ip_address: Option<IpNet>,
    user_agent: Option<String>,
    session_id: Option<Uuid>,
    timestamp: DateTime<Utc>,
    severity: String,
}

impl AuditLogRow {
    fn into_entity(self) -> Result<AuditLog> {
        Ok(AuditLog {
            id: AuditLogId::from_uuid(self.id),
            tenant_id: self.tenant_id.map(TenantId::from_uuid),
            user_id: self.user_id.map(UserId::from_uuid),
            action: decode(ENTITY, "action", &self.action)?,
            entity_type: decode(ENTITY, "entity_type", &self.entity_type)?,
            entity_id: self.entity_id,
            old_values: decode_object_opt(ENTITY, "old_values", self.old_values)?,
            new_values: decode_object_opt(ENTITY, "new_values", self.new_values)?,
            ip_address: self.ip_address.map(|net| net.addr()),
            user_agent: decode_opt(ENTITY, "user_agent", self.user_agent.as_deref())?,
            session_id: self.session_id.map(UserSessionId::from_uuid),
            timestamp: self.timestamp,
            severity: decode(ENTITY, "severity", &self.severity)?,
        })
    }
}

/// An audit row as inserted by the library (application events and the
/// record of cross-tenant work). NULL is bound, not DEFAULT rendered, so the
/// INSERT's text is fixed and prepared once.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_logs, check_for_backend(Pg), treat_none_as_default_value = false)]
pub(crate) struct NewAuditLogRow {
    pub(crate) id: Uuid,
    pub(crate) tenant_id: Option<Uuid>,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) action: String,
    pub(crate) entity_type: String,
    pub(crate) entity_id: Option<Uuid>,
    pub(crate) old_values: Option<serde_json::Value>,
    pub(crate) new_values: Option<serde_json::Value>,
    pub(crate) ip_address: Option<IpNet>,
    pub(crate) user_agent: Option<String>,
    pub(crate) session_id: Option<Uuid>,
    pub(crate) severity: &'static str,
}

impl NewAuditLogRow {
    fn from_event(event: NewAuditLog, ctx: &crate::Context) -> Self {
        Self {
            id: AuditLogId::new().into_uuid(),
            tenant_id: Some(ctx.tenant_id().into_uuid()),
            user_id: Some(ctx.actor().into_uuid()),
            action: event.action.into_string(),
            entity_type: event.entity_type.into_string(),
            entity_id: event.entity_id,
            old_values: event.old_values.map(serde_json::Value::Object),
            new_values: event.new_values.map(serde_json::Value::Object),
            ip_address: ctx.ip().map(IpNet::from),
            user_agent: ctx.user_agent().map(str::to_owned),
            session_id: ctx.session_id().map(|s| s.into_uuid()),
            severity: event.severity.as_str(),
        }
    }
}

/// What to read from the trail: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct AuditFilter {
    /// Only this kind of entity (usually a table name, e.g. `"customers"`).
    pub entity_type: Option<String>,
    /// Only this row.
    pub entity_id: Option<Uuid>,
    /// Only what this user did.
    pub actor: Option<UserId>,
    /// Only this action (`insert`, `update`, `soft_delete`, `restore`,
    /// `delete`, or an application event such as `login_failed`).
    pub action: Option<String>,
    /// Only at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only before this instant.
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// Everything (of the tenant).
    pub fn all() -> Self {
        Self::default()
    }

    /// The history of one row.
    pub fn entity(entity_type: impl Into<String>, entity_id: impl Into<Uuid>) -> Self {
        Self {
            entity_type: Some(entity_type.into()),
            entity_id: Some(entity_id.into()),
            ..Self::default()
        }
    }

    /// Only what `actor` did.
    pub fn actor(mut self, actor: UserId) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Only `action`.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Only within `[from, until)`.
    pub fn between(mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        self.from = Some(from);
        self.until = Some(until);
        self
    }
}

/// Where a page of the trail continues (newest first): opaque, with a stable
/// text form (its serialized form with feature `serde`), validated when parsed
/// back; unsigned for the reason given on [`Cursor`](crate::Cursor).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    timestamp: DateTime<Utc>,
    id: Uuid,
}

impl fmt::Debug for AuditCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditCursor({self})")
    }
}

impl fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "t{}.{}",
            self.timestamp.timestamp_micros(),
            self.id.simple()
        )
    }
}

impl FromStr for AuditCursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || {
            Error::Validation(aems_core::DomainError::field(
                "cursor",
                aems_core::ErrorCode::InvalidFormat,
                "is not an audit cursor this library handed out",
            ))
        };
        let (micros, id) = s
            .strip_prefix('t')
            .and_then(|r| r.split_once('.'))
            .ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let timestamp = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        if id.len() != 32 {
            return Err(invalid());
        }
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Self { timestamp, id })
    }
}

repository::serde_as_text!(AuditCursor);

/// A page of the trail, newest first (with feature `serde`, serializes like
/// [`Page`](crate::Page)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditLog>,
    /// Where the next (older) page starts; `None` on the last page.
    pub next: Option<AuditCursor>,
}

/// Reads and writes the audit trail of the context's tenant: `uow.audit()`.
#[derive(Debug)]
pub struct AuditTrail<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> AuditTrail<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Records an application event (a sign-in, an MFA check, reading a
    /// decrypted value, ...) for the context's tenant, actor, IP, user agent
    /// and session, in the executor's transaction. Never put a secret in its
    /// values.
    pub async fn record(&mut self, event: NewAuditLog) -> Result<AuditLog> {
        event.check()?;
        let row = NewAuditLogRow::from_event(event, self.exec.context());
        let stored = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(audit_logs::table)
                    .values(row)
                    .returning(AuditLogRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        stored.into_entity()
    }

    /// One page of the trail matching `filter`, newest first; `after` is the
    /// previous page's [`AuditPage::next`].
    pub async fn list(
        &mut self,
        filter: &AuditFilter,
        after: Option<AuditCursor>,
        limit: u32,
    ) -> Result<AuditPage> {
        let limit = limit.clamp(1, repository::MAX_PAGE_SIZE);
        let entity_type = filter
            .entity_type
            .as_deref()
            .map(|t| repository::filter_text("entity_type", t, 100))
            .transpose()?;
        let action = filter
            .action
            .as_deref()
            .map(|a| repository::filter_text("action", a, 100))
            .transpose()?;
        let (entity_id, actor, from, until) = (
            filter.entity_id,
            filter.actor.map(|a| a.into_uuid()),
            filter.from,
            filter.until,
        );
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = audit_logs::table
                    .select(AuditLogRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(entity_type) = entity_type {
                    query = query.filter(audit_logs::entity_type.eq(entity_type));
                }
                if let Some(entity_id) = entity_id {
                    query = query.filter(audit_logs::entity_id.eq(entity_id));
                }
                if let Some(actor) = actor {
                    query = query.filter(audit_logs::user_id.eq(actor));
                }
                if let Some(action) = action {
                    query = query.filter(audit_logs::action.eq(action));
                }
                if let Some(from) = from {
                    query = query.filter(audit_logs::timestamp.ge(from));
                }
                if let Some(until) = until {
                    query = query.filter(audit_logs::timestamp.lt(until));
                }
                if let Some(cursor) = after {
                    query = query.filter(
                        audit_logs::timestamp
                            .lt(cursor.timestamp)
                            .or(audit_logs::timestamp
                                .eq(cursor.timestamp)
                                .and(audit_logs::id.lt(cursor.id))),
                    );
                }
                query
                    // tenant_id first: the order of idx_audit_logs_tenant_time (see `keyset!`).
                    .order((
                        audit_logs::tenant_id.desc(),
                        audit_logs::timestamp.desc(),
                        audit_logs::id.desc(),
                    ))
                    .limit(i64::from(limit) + 1)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        let mut items = rows
            .into_iter()
            .map(AuditLogRow::into_entity)
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| AuditCursor {
                timestamp: last.timestamp,
                id: last.id.into_uuid(),
            })
        } else {
            None
        };
        Ok(AuditPage { items, next })
    }

    /// The history of one row, newest first (one page of at most `limit`).
    pub async fn history(
        &mut self,
        entity_type: &str,
        entity_id: Uuid,
        limit: u32,
    ) -> Result<AuditPage> {
        self.list(&AuditFilter::entity(entity_type, entity_id), None, limit)
            .await
    }
}

/// The audit trail, reachable from any executor: `uow.audit()`.
pub trait AuditRepositories: Executor + Sized {
    /// `risk.audit_logs`.
    fn audit(&mut self) -> AuditTrail<'_, Self> {
        AuditTrail::new(self)
    }
}

impl<E: Executor> AuditRepositories for E {}

/// The audit row recording one piece of cross-tenant work: written with the
/// work's first statement (pipelined, no extra round trip).
pub(crate) fn cross_tenant_access(
    reason: &str,
    actor: Option<UserId>,
    entity: &'static str,
) -> NewAuditLogRow {
    let mut values = serde_json::Map::new();
    values.insert("_cross_tenant_reason".into(), reason.into());
    if let Some(actor) = actor {
        values.insert("actor".into(), actor.to_string().into());
    }
    NewAuditLogRow {
        id: AuditLogId::new().into_uuid(),
        tenant_id: None,
        user_id: None,
        action: "cross_tenant_access".into(),
        entity_type: entity.into(),
        entity_id: None,
        old_values: None,
        new_values: Some(serde_json::Value::Object(values)),
        ip_address: None,
        user_agent: None,
        session_id: None,
        severity: AuditSeverity::Warning.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_cursor_round_trips_and_forgeries_are_refused() {
        let cursor = AuditCursor {
            timestamp: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(cursor.to_string().parse::<AuditCursor>().unwrap(), cursor);
        for bad in [
            "",
            "t",
            "t1.",
            "x1.00",
            "tabc.0123456789abcdef0123456789abcdef",
            "t1.zz",
        ] {
            assert!(bad.parse::<AuditCursor>().is_err(), "{bad:?}");
        }
    }
}
