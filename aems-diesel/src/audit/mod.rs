//! The audit trail (`risk.audit_logs`): reading it, and writing application events.
//!
//! Data changes are recorded by the database itself (statement-level triggers
//! on the 19 business tables, migration `audit_triggers`): every insert,
//! update, soft delete, restore and delete, with the context's tenant, actor,
//! IP, user agent and session, old and new values with sensitive columns
//! redacted. What the database cannot see — a sign-in, a failed sign-in, an
//! MFA check, reading a decrypted salary — is recorded through
//! [`AuditTrail::record`], in the same transaction as the work it describes,
//! by `risk.record_event`, the only way the application roles write the trail
//! (the database stamps the time and takes tenant, actor, IP, user agent and
//! session from the context). Records of disclosures (a salary read, each
//! piece of cross-tenant work) are committed apart from the disclosing work,
//! before the data is handed out: see [`RECORD_CONNECTIONS`](crate::RECORD_CONNECTIONS).
//!
//! Reads are tenant-isolated like everything else, newest first, paged by
//! `(timestamp, id)` so a page deep in the trail costs what the first does.
//! Partition maintenance (months ahead, the default partition, retention) is
//! in [`partitions`].
// `risk.record_event` takes the audit row's eleven columns, and the type
// diesel generates for its call spells them out.
#![allow(clippy::too_many_arguments, clippy::type_complexity)]

pub mod partitions;

use std::fmt;
use std::str::FromStr;

use aems_core::risk::audit_logs::{AuditLog, AuditSeverity, NewAuditLog};
use aems_core::{AuditLogId, Input, TenantId, UserId, UserSessionId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{Array, Inet, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use ipnet::IpNet;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::pg::Connection;
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

diesel::define_sql_function! {
    /// `risk.record_event(...)` (migration `audit_writes_through_definer_functions`):
    /// the only way the application roles write audit rows. One row per entity
    /// id (one without an entity when the array is NULL); returns their ids.
    #[sql_name = "risk.record_event"]
    fn record_event(
        action: Text,
        entity_type: Text,
        entity_ids: Nullable<Array<SqlUuid>>,
        old_values: Nullable<Jsonb>,
        new_values: Nullable<Jsonb>,
        severity: Text,
        tenant_id: Nullable<SqlUuid>,
        user_id: Nullable<SqlUuid>,
        ip: Nullable<Inet>,
        user_agent: Nullable<Text>,
        session_id: Nullable<SqlUuid>,
    ) -> Array<SqlUuid>;
}

diesel::define_sql_function! {
    /// `pg_catalog.transaction_timestamp()`: the instant every audit row of the
    /// transaction is stamped with (the column default).
    #[sql_name = "pg_catalog.transaction_timestamp"]
    fn transaction_timestamp() -> Timestamptz;
}

/// An application event as handed to `risk.record_event`. The database
/// stamps the time; in tenant work it also takes the tenant, actor, IP, user
/// agent and session from the transaction's context, so the subject fields
/// stay `None` there and are only filled on the platform path.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub(crate) action: String,
    pub(crate) entity_type: String,
    /// One row per id; `None`: one row without an entity.
    pub(crate) entity_ids: Option<Vec<Uuid>>,
    pub(crate) old_values: Option<serde_json::Value>,
    pub(crate) new_values: Option<serde_json::Value>,
    pub(crate) severity: &'static str,
    /// Platform path only: whom the event is about.
    pub(crate) subject: Subject,
}

/// Whom a platform event is about and where it came from (all `None` in
/// tenant work, where the context says it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    pub(crate) tenant_id: Option<Uuid>,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) ip: Option<IpNet>,
    pub(crate) user_agent: Option<String>,
    pub(crate) session_id: Option<Uuid>,
}

impl EventRow {
    /// An event of the context's tenant and actor, about `entity_ids`.
    pub(crate) fn tenant(
        action: impl Into<String>,
        entity_type: impl Into<String>,
        entity_ids: Option<Vec<Uuid>>,
        severity: AuditSeverity,
    ) -> Self {
        Self {
            action: action.into(),
            entity_type: entity_type.into(),
            entity_ids,
            old_values: None,
            new_values: None,
            severity: severity.as_str(),
            subject: Subject::default(),
        }
    }

    fn call(
        self,
    ) -> record_event<
        String,
        String,
        Option<Vec<Uuid>>,
        Option<serde_json::Value>,
        Option<serde_json::Value>,
        &'static str,
        Option<Uuid>,
        Option<Uuid>,
        Option<IpNet>,
        Option<String>,
        Option<Uuid>,
    > {
        let s = self.subject;
        record_event(
            self.action,
            self.entity_type,
            self.entity_ids,
            self.old_values,
            self.new_values,
            self.severity,
            s.tenant_id,
            s.user_id,
            s.ip,
            s.user_agent,
            s.session_id,
        )
    }

    /// The statement writing the event's rows; its ids in entity order.
    pub(crate) fn write(self, conn: &Connection) -> BoxFuture<'_, QueryResult<Vec<Uuid>>> {
        diesel::select(self.call())
            .get_result(&mut { conn })
            .boxed()
    }

    /// The same, with the instant the rows are stamped with.
    fn write_stamped(
        self,
        conn: &Connection,
    ) -> BoxFuture<'_, QueryResult<(Vec<Uuid>, DateTime<Utc>)>> {
        diesel::select((self.call(), transaction_timestamp()))
            .get_result(&mut { conn })
            .boxed()
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
    /// and session, in the executor's transaction, through
    /// `risk.record_event`: the database stamps the time and takes the
    /// tenant, actor, IP, user agent and session from the context, never from
    /// the caller. The actions the triggers write (`insert`, `update`,
    /// `soft_delete`, `restore`, `delete`) are refused
    /// ([`Error::PermissionDenied`]). Never put a secret in its values.
    pub async fn record(&mut self, event: NewAuditLog) -> Result<AuditLog> {
        event.check()?;
        let row = EventRow {
            action: event.action.as_str().to_owned(),
            entity_type: event.entity_type.as_str().to_owned(),
            entity_ids: event.entity_id.map(|id| vec![id]),
            old_values: event.old_values.clone().map(serde_json::Value::Object),
            new_values: event.new_values.clone().map(serde_json::Value::Object),
            severity: event.severity.as_str(),
            subject: Subject::default(),
        };
        let (ids, timestamp) = self
            .exec
            .run(ENTITY, move |conn| row.write_stamped(conn))
            .await?;
        let id = ids
            .into_iter()
            .next()
            .ok_or(Error::Database(diesel::result::Error::NotFound))?;
        let ctx = self.exec.context();
        Ok(AuditLog {
            id: AuditLogId::from_uuid(id),
            tenant_id: Some(ctx.tenant_id()),
            user_id: Some(ctx.actor()),
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            old_values: event.old_values,
            new_values: event.new_values,
            ip_address: ctx.ip(),
            user_agent: decode_opt(ENTITY, "user_agent", ctx.user_agent())?,
            session_id: ctx.session_id(),
            timestamp,
            severity: event.severity,
        })
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

/// The audit row recording one piece of cross-tenant work: who (the platform
/// actor, when known), why, and the first table it reached.
pub(crate) fn cross_tenant_access(
    reason: &str,
    actor: Option<UserId>,
    entity: &'static str,
) -> EventRow {
    let mut values = serde_json::Map::new();
    values.insert("_cross_tenant_reason".into(), reason.into());
    if let Some(actor) = actor {
        values.insert("actor".into(), actor.to_string().into());
    }
    EventRow {
        new_values: Some(serde_json::Value::Object(values)),
        ..EventRow::tenant("cross_tenant_access", entity, None, AuditSeverity::Warning)
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
