//! `auth.user_sessions`: signed-in sessions, isolated through their user.
//!
//! Sessions are started, authenticated and refreshed by the
//! [`Authenticator`](crate::auth::Authenticator); this repository reads a
//! user's sessions and revokes them.

use aems_core::auth::user_sessions::{NewUserSession, SessionStatus, UserSession};
use aems_core::risk::audit_logs::AuditSeverity;
use aems_core::{Input, TokenHash, UserId, UserSessionId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use ipnet::IpNet;
use uuid::Uuid;

use crate::auth::access;
use crate::auth::events::{self, AuthEvent};
use crate::error::{Error, Result};
use crate::repository::{Page, PageRequest, decode, decode_object_opt, decode_opt, keyset};
use crate::schema::auth::user_sessions;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "user_sessions";

/// A row of `auth.user_sessions` as stored.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = user_sessions, check_for_backend(Pg))]
pub(crate) struct UserSessionRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    token_hash: String,
    refresh_token_hash: Option<String>,
    device_info: Option<serde_json::Value>,
    ip_address: IpNet,
    user_agent: Option<String>,
    pub(crate) expires_at: DateTime<Utc>,
    last_activity: DateTime<Utc>,
    pub(crate) status: String,
    pub(crate) created_at: DateTime<Utc>,
}

impl std::fmt::Debug for UserSessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSessionRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

fn decode_hash(column: &'static str, value: &str) -> Result<TokenHash> {
    TokenHash::new(value).map_err(|e| Error::Decode {
        entity: ENTITY,
        column,
        reason: e.to_string(),
    })
}

impl UserSessionRow {
    pub(crate) fn into_entity(self) -> Result<UserSession> {
        Ok(UserSession {
            id: UserSessionId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            token_hash: decode_hash("token_hash", &self.token_hash)?,
            refresh_token_hash: self
                .refresh_token_hash
                .as_deref()
                .map(|h| decode_hash("refresh_token_hash", h))
                .transpose()?,
            device_info: decode_object_opt(ENTITY, "device_info", self.device_info)?,
            ip_address: self.ip_address.addr(),
            user_agent: decode_opt(ENTITY, "user_agent", self.user_agent.as_deref())?,
            expires_at: self.expires_at,
            last_activity: self.last_activity,
            status: decode(ENTITY, "status", &self.status)?,
            created_at: self.created_at,
        })
    }

    /// The stored refresh hash, if any.
    pub(crate) fn refresh_hash(&self) -> Option<TokenHash> {
        self.refresh_token_hash
            .as_deref()
            .and_then(|h| TokenHash::new(h).ok())
    }
}

fn entities(rows: Vec<UserSessionRow>) -> Result<Vec<UserSession>> {
    rows.into_iter().map(UserSessionRow::into_entity).collect()
}

/// A new row, as inserted.
#[derive(Insertable)]
#[diesel(table_name = user_sessions, check_for_backend(Pg), treat_none_as_default_value = false)]
struct NewUserSessionRow {
    id: Uuid,
    user_id: Uuid,
    token_hash: String,
    refresh_token_hash: Option<String>,
    device_info: Option<serde_json::Value>,
    ip_address: IpNet,
    user_agent: Option<String>,
    expires_at: DateTime<Utc>,
    last_activity: DateTime<Utc>,
    status: &'static str,
    created_at: DateTime<Utc>,
}

/// What to list: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct SessionFilter {
    /// Only this status.
    pub status: Option<SessionStatus>,
}

impl SessionFilter {
    /// Every session.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `status`.
    pub fn status(mut self, status: SessionStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// The sessions of the context's tenant's users: `uow.user_sessions()`.
///
/// A user reads and revokes their own sessions; an admin those of every user
/// of the tenant ([`Error::PermissionDenied`] otherwise).
#[derive(Debug)]
pub struct UserSessions<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> UserSessions<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Session `id`, or [`Error::NotFound`] (also for another tenant's).
    pub async fn get(&mut self, id: UserSessionId) -> Result<UserSession> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Session `id`, if it belongs to a user of the tenant that the actor may
    /// see (their own, or anyone's for an admin).
    pub async fn find(&mut self, id: UserSessionId) -> Result<Option<UserSession>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                user_sessions::table
                    .find(id.into_uuid())
                    .select(UserSessionRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        let Some(session) = row.map(UserSessionRow::into_entity).transpose()? else {
            return Ok(None);
        };
        access::require_self_or_admin(self.exec, session.user_id).await?;
        Ok(Some(session))
    }

    /// One page of `user`'s sessions matching `filter`.
    pub async fn list_for_user(
        &mut self,
        user: UserId,
        filter: &SessionFilter,
        page: PageRequest,
    ) -> Result<Page<UserSession>> {
        access::require_self_or_admin(self.exec, user).await?;
        let status = filter.status;
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = user_sessions::table
                    .filter(user_sessions::user_id.eq(user.into_uuid()))
                    .select(UserSessionRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(status) = status {
                    query = query.filter(user_sessions::status.eq(status.as_str()));
                }
                keyset!(query, user_sessions::id, page)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |s| s.id.into_uuid()))
    }

    /// Inserts a session (the authenticator's sign-in). Checked first.
    pub(crate) async fn insert(
        &mut self,
        id: UserSessionId,
        new: NewUserSession,
    ) -> Result<UserSession> {
        new.check()?;
        let row = NewUserSessionRow {
            id: id.into_uuid(),
            user_id: new.user_id.into_uuid(),
            token_hash: new.token_hash.expose().to_owned(),
            refresh_token_hash: new.refresh_token_hash.map(|h| h.expose().to_owned()),
            device_info: new.device_info.map(serde_json::Value::Object),
            ip_address: IpNet::from(new.ip_address),
            user_agent: new.user_agent.map(|u| u.into_string()),
            expires_at: new.expires_at,
            last_activity: new.created_at,
            status: SessionStatus::Active.as_str(),
            created_at: new.created_at,
        };
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(user_sessions::table)
                    .values(row)
                    .returning(UserSessionRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }
}

impl<'e, E: Transactional> UserSessions<'e, E> {
    /// Revokes session `id` (its user or an admin): it can no longer be used
    /// or refreshed. A session that is not active is refused with
    /// [`Error::Transition`] and nothing changes.
    pub async fn revoke(&mut self, id: UserSessionId) -> Result<UserSession> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                user_sessions::table
                    .find(id.into_uuid())
                    .select(UserSessionRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        let session = row
            .ok_or(Error::NotFound { entity: ENTITY })?
            .into_entity()?;
        access::require_self_or_admin(self.exec, session.user_id).await?;
        let status = session.revoke()?;
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(user_sessions::table.find(id.into_uuid()))
                        .set(user_sessions::status.eq(status.as_str()))
                        .returning(UserSessionRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?
            .into_entity()?;
        events::record(
            self.exec,
            AuthEvent::new(
                "session_revoked",
                ENTITY,
                Some(id.into_uuid()),
                AuditSeverity::Info,
            )
            .with("user_id", session.user_id.to_string()),
        )
        .await?;
        Ok(updated)
    }

    /// Hard-deletes the tenant's ended (revoked or expired) sessions whose
    /// expiry is before `cutoff` (retention; admins only). Active sessions
    /// are never purged. Returns how many went.
    pub async fn purge_ended_before(&mut self, cutoff: DateTime<Utc>) -> Result<usize> {
        access::require_admin(self.exec).await?;
        self.exec
            .run(ENTITY, move |conn| {
                diesel::delete(
                    user_sessions::table
                        .filter(user_sessions::status.ne(SessionStatus::Active.as_str()))
                        .filter(user_sessions::expires_at.lt(cutoff)),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await
    }

    /// Revokes every active session of `user` (the user or an admin): "sign
    /// out everywhere". Returns how many were revoked.
    pub async fn revoke_all_for_user(&mut self, user: UserId) -> Result<usize> {
        access::require_self_or_admin(self.exec, user).await?;
        let revoked = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        user_sessions::table
                            .filter(user_sessions::user_id.eq(user.into_uuid()))
                            .filter(user_sessions::status.eq(SessionStatus::Active.as_str())),
                    )
                    .set(user_sessions::status.eq(SessionStatus::Revoked.as_str())),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        events::record(
            self.exec,
            AuthEvent::new(
                "sessions_revoked",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Info,
            )
            .with("count", revoked),
        )
        .await?;
        Ok(revoked)
    }
}
