//! `auth.oauth_connections`: provider accounts (Google, Microsoft, LinkedIn)
//! linked to users, isolated through their user.
//!
//! Access and refresh tokens are sealed with the key ring (associated data
//! `auth.oauth_connections.<column>:<row id>`). Reads never open them: the
//! owner alone gets them, from [`OauthConnections::tokens`], which records
//! the disclosure, as [`SecretString`]s, which never print. One provider account is linked to at
//! most one user, across all tenants (`uq_oauth_connections_provider_provider_user_id`:
//! linking it again is [`Error::UniqueViolation`]).

use aems_core::auth::oauth_connections::{
    NewOauthConnection, OauthConnection, OauthConnectionPatch, OauthProvider, OauthTokens,
};
use aems_core::risk::audit_logs::AuditSeverity;
use aems_core::{Input, OauthConnectionId, SecretString, TenantId, UserId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::auth::access;
use crate::auth::events::{self, AuthEvent};
use crate::auth::user_mfa::needs_rotation;
use crate::crypto::KeyRing;
use crate::error::{Error, Result};
use crate::repository::{decode, decode_object_opt, decode_opt};
use crate::schema::auth::{oauth_connections, users};
use crate::sql;
use crate::unit_of_work::{Executor, PlatformWork, Transactional};

const ENTITY: &str = "oauth_connections";

fn place(column: &str, id: Uuid) -> Vec<u8> {
    format!("auth.oauth_connections.{column}:{id}").into_bytes()
}

fn seal(keys: &KeyRing, column: &str, id: Uuid, token: Option<&SecretString>) -> Option<String> {
    token.map(|t| keys.seal_text(t.expose().as_bytes(), &place(column, id)))
}

fn open(
    keys: &KeyRing,
    column: &'static str,
    id: Uuid,
    sealed: Option<&str>,
) -> Result<Option<SecretString>> {
    sealed
        .map(|s| {
            let bytes = keys.open_text(s, &place(column, id))?;
            String::from_utf8(bytes)
                .map(SecretString::new)
                .map_err(|_| Error::Decode {
                    entity: ENTITY,
                    column,
                    reason: "the opened token is not UTF-8".into(),
                })
        })
        .transpose()
}

/// A row of `auth.oauth_connections` as stored (tokens sealed).
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_connections, check_for_backend(Pg))]
pub(crate) struct OauthConnectionRow {
    id: Uuid,
    user_id: Uuid,
    provider: String,
    provider_user_id: String,
    provider_email: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    token_expires_at: Option<DateTime<Utc>>,
    provider_data: Option<serde_json::Value>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for OauthConnectionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OauthConnectionRow")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl OauthConnectionRow {
    /// The connection as read back: never its tokens (see
    /// [`OauthConnections::tokens`]).
    fn into_entity(self) -> Result<OauthConnection> {
        Ok(OauthConnection {
            id: OauthConnectionId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            provider: decode(ENTITY, "provider", &self.provider)?,
            provider_user_id: decode(ENTITY, "provider_user_id", &self.provider_user_id)?,
            provider_email: decode_opt(ENTITY, "provider_email", self.provider_email.as_deref())?,
            has_access_token: self.access_token.is_some(),
            has_refresh_token: self.refresh_token.is_some(),
            token_expires_at: self.token_expires_at,
            provider_data: decode_object_opt(ENTITY, "provider_data", self.provider_data)?,
            status: decode(ENTITY, "status", &self.status)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    /// The tokens, opened.
    fn tokens(&self, keys: &KeyRing) -> Result<OauthTokens> {
        Ok(OauthTokens {
            access_token: open(keys, "access_token", self.id, self.access_token.as_deref())?,
            refresh_token: open(
                keys,
                "refresh_token",
                self.id,
                self.refresh_token.as_deref(),
            )?,
            expires_at: self.token_expires_at,
        })
    }
}

/// A new row, tokens sealed.
#[derive(Insertable)]
#[diesel(table_name = oauth_connections, check_for_backend(Pg), treat_none_as_default_value = false)]
struct NewOauthConnectionRow {
    id: Uuid,
    user_id: Uuid,
    provider: &'static str,
    provider_user_id: String,
    provider_email: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    token_expires_at: Option<DateTime<Utc>>,
    provider_data: Option<serde_json::Value>,
    status: &'static str,
}

/// Every column an update may change, from the checked, patched connection
/// (tokens sealed afresh).
#[derive(AsChangeset)]
#[diesel(table_name = oauth_connections, check_for_backend(Pg), treat_none_as_null = true)]
struct OauthConnectionChangeset {
    provider_email: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    token_expires_at: Option<DateTime<Utc>>,
    provider_data: Option<serde_json::Value>,
    status: &'static str,
}

/// The OAuth connections of the context's tenant's users:
/// `uow.oauth_connections()`.
///
/// A user links, refreshes and unlinks their own connections; an admin may
/// read and unlink anyone's, never link one for someone else. No read returns
/// the tokens: they go to the connection's owner alone, through
/// [`tokens`](Self::tokens), which records the disclosure. Sealing tokens
/// (link, update) and opening them need the key ring ([`Error::Config`]
/// without one); reads do not.
#[derive(Debug)]
pub struct OauthConnections<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> OauthConnections<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Connection `id`, or [`Error::NotFound`] (also for another tenant's).
    pub async fn get(&mut self, id: OauthConnectionId) -> Result<OauthConnection> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Connection `id`, if the actor may see it (its user, or an admin).
    pub async fn find(&mut self, id: OauthConnectionId) -> Result<Option<OauthConnection>> {
        match self.visible_row(id).await? {
            Some(row) => row.into_entity().map(Some),
            None => Ok(None),
        }
    }

    /// The stored row of connection `id` (tokens sealed), once the actor is
    /// known to be its user or an admin.
    async fn visible_row(&mut self, id: OauthConnectionId) -> Result<Option<OauthConnectionRow>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                oauth_connections::table
                    .find(id.into_uuid())
                    .select(OauthConnectionRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        let Some(row) = row else { return Ok(None) };
        access::require_self_or_admin(self.exec, UserId::from_uuid(row.user_id)).await?;
        Ok(Some(row))
    }

    /// `user`'s connections, oldest first.
    pub async fn list_for_user(&mut self, user: UserId) -> Result<Vec<OauthConnection>> {
        access::require_self_or_admin(self.exec, user).await?;
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                oauth_connections::table
                    .filter(oauth_connections::user_id.eq(user.into_uuid()))
                    .select(OauthConnectionRow::as_select())
                    .order(oauth_connections::id)
                    .load(&mut { conn })
                    .boxed()
            })
            .await?;
        rows.into_iter()
            .map(OauthConnectionRow::into_entity)
            .collect()
    }

    /// The tokens of connection `id`, opened, for its owner alone (an admin
    /// is refused with [`Error::PermissionDenied`]; another tenant's
    /// connection is [`Error::NotFound`]). The disclosure is recorded
    /// (`oauth_tokens_read`: actor, connection, provider; never a token)
    /// before the tokens are handed out; if it cannot be, nothing is.
    pub async fn tokens(&mut self, id: OauthConnectionId) -> Result<OauthTokens> {
        let row = self
            .visible_row(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })?;
        access::require_self(self.exec, UserId::from_uuid(row.user_id))?;
        let tokens = row.tokens(self.exec.keys()?)?;
        events::record(
            self.exec,
            AuthEvent::new(
                "oauth_tokens_read",
                ENTITY,
                Some(row.id),
                AuditSeverity::Info,
            )
            .with("provider", row.provider.clone()),
        )
        .await?;
        Ok(tokens)
    }

    /// Links a provider account to the actor (`new.user_id` must be the actor),
    /// its tokens sealed. Checked first; a provider account already linked (to
    /// anyone) is [`Error::UniqueViolation`].
    ///
    /// Only the user links their own account, never an admin for them: a
    /// linked account signs its user in ([`PlatformWork::find_oauth_user`]), so
    /// an admin who could link their own provider account to a colleague could
    /// sign in as that colleague.
    pub async fn link(&mut self, new: NewOauthConnection) -> Result<OauthConnection> {
        new.check()?;
        access::require_self(self.exec, new.user_id)?;
        let id = OauthConnectionId::new().into_uuid();
        let keys = self.exec.keys()?;
        let row = NewOauthConnectionRow {
            id,
            user_id: new.user_id.into_uuid(),
            provider: new.provider.as_str(),
            provider_user_id: new.provider_user_id.into_string(),
            provider_email: new.provider_email.map(|e| e.into_string()),
            access_token: seal(keys, "access_token", id, new.access_token.as_ref()),
            refresh_token: seal(keys, "refresh_token", id, new.refresh_token.as_ref()),
            token_expires_at: new.token_expires_at,
            provider_data: new.provider_data.map(serde_json::Value::Object),
            status: new.status.as_str(),
        };
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(oauth_connections::table)
                    .values(row)
                    .returning(OauthConnectionRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` (new tokens after a refresh at the provider, a new
    /// status, ...) to connection `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    /// Only the connection's user. A token the patch does not change keeps
    /// its stored envelope, byte for byte (nothing is opened).
    pub async fn update(
        &mut self,
        id: OauthConnectionId,
        expected_updated_at: DateTime<Utc>,
        patch: &OauthConnectionPatch,
    ) -> Result<OauthConnection> {
        let row = self
            .visible_row(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })?;
        let (stored_access, stored_refresh) = (row.access_token.clone(), row.refresh_token.clone());
        let current = row.into_entity()?;
        access::require_self(self.exec, current.user_id)?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let uuid = id.into_uuid();
        let sealed = |column: &str, new: &Option<Option<SecretString>>, stored: Option<String>| {
            Ok::<_, Error>(match new {
                None => stored,
                Some(token) => seal(self.exec.keys()?, column, uuid, token.as_ref()),
            })
        };
        let changes = OauthConnectionChangeset {
            provider_email: next.provider_email.as_ref().map(|e| e.to_string()),
            access_token: sealed("access_token", &patch.access_token, stored_access)?,
            refresh_token: sealed("refresh_token", &patch.refresh_token, stored_refresh)?,
            token_expires_at: next.token_expires_at,
            provider_data: next.provider_data.clone().map(serde_json::Value::Object),
            status: next.status.as_str(),
        };
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        oauth_connections::table
                            .find(uuid)
                            .filter(oauth_connections::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(OauthConnectionRow::as_returning()),
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

    /// Stores the tokens a provider returned on refresh (`refresh_token`
    /// `None` keeps the stored one, as most providers do not rotate it).
    pub async fn store_refreshed_tokens(
        &mut self,
        id: OauthConnectionId,
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<OauthConnection> {
        let current = self.get(id).await?;
        let patch = OauthConnectionPatch {
            access_token: Some(Some(access_token)),
            refresh_token: refresh_token.map(Some),
            token_expires_at: Some(expires_at),
            ..OauthConnectionPatch::default()
        };
        self.update(id, current.updated_at, &patch).await
    }

    /// Unlinks (hard-deletes) connection `id` (its user or an admin).
    pub async fn unlink(&mut self, id: OauthConnectionId) -> Result<()> {
        let current = self.get(id).await?;
        access::require_self_or_admin(self.exec, current.user_id).await?;
        let removed = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(oauth_connections::table.find(id.into_uuid()))
                    .execute(&mut { conn })
                    .boxed()
            })
            .await?;
        if removed == 0 {
            return Err(Error::NotFound { entity: ENTITY });
        }
        Ok(())
    }
}

impl<'e, E: Transactional> OauthConnections<'e, E> {
    /// Re-seals, with the key ring's current key, the tokens of up to `limit`
    /// connections of the tenant sealed with another (retired) key. Returns
    /// how many connections were re-sealed; run it until it returns 0. Needs
    /// an admin of the tenant.
    pub async fn reseal_retired(&mut self, limit: usize) -> Result<usize> {
        access::require_admin(self.exec).await?;
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                oauth_connections::table
                    .filter(
                        oauth_connections::access_token
                            .is_not_null()
                            .or(oauth_connections::refresh_token.is_not_null()),
                    )
                    .select((
                        oauth_connections::id,
                        oauth_connections::access_token,
                        oauth_connections::refresh_token,
                    ))
                    .order(oauth_connections::id)
                    .for_update()
                    .load::<(Uuid, Option<String>, Option<String>)>(&mut { conn })
                    .boxed()
            })
            .await?;
        let keys = self.exec.keys()?;
        let reseal = |column: &str, id: Uuid, sealed: Option<String>| -> Result<Option<String>> {
            match sealed {
                Some(s) if needs_rotation(keys, &s) => {
                    let plain = keys.open_text(&s, &place(column, id))?;
                    Ok(Some(keys.seal_text(&plain, &place(column, id))))
                }
                other => Ok(other),
            }
        };
        let mut updates = Vec::new();
        for (id, access, refresh) in rows {
            if updates.len() >= limit {
                break;
            }
            let stale = access.as_deref().is_some_and(|s| needs_rotation(keys, s))
                || refresh.as_deref().is_some_and(|s| needs_rotation(keys, s));
            if stale {
                updates.push((
                    id,
                    reseal("access_token", id, access)?,
                    reseal("refresh_token", id, refresh)?,
                ));
            }
        }
        let count = updates.len();
        for (id, access, refresh) in updates {
            self.exec
                .run(ENTITY, move |conn| {
                    sql::Cached(diesel::update(oauth_connections::table.find(id)).set((
                        oauth_connections::access_token.eq(access),
                        oauth_connections::refresh_token.eq(refresh),
                    )))
                    .execute(&mut { conn })
                    .boxed()
                })
                .await?;
        }
        Ok(count)
    }
}

impl PlatformWork {
    /// The user (and their tenant) a provider account is linked to, if it is
    /// linked, active, and the user is live: how "sign in with …" finds whom
    /// to sign in. `provider_user_id` is matched exactly.
    pub async fn find_oauth_user(
        &mut self,
        provider: OauthProvider,
        provider_user_id: &str,
    ) -> Result<Option<(UserId, TenantId)>> {
        let provider_user_id =
            crate::repository::filter_text("provider_user_id", provider_user_id, 255)?;
        let found = self
            .run(ENTITY, move |conn| {
                oauth_connections::table
                    .inner_join(users::table)
                    .filter(oauth_connections::provider.eq(provider.as_str()))
                    .filter(oauth_connections::provider_user_id.eq(provider_user_id))
                    .filter(oauth_connections::status.eq("active"))
                    .filter(users::deleted_at.is_null())
                    .select((users::id, users::tenant_id))
                    .first::<(Uuid, Uuid)>(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        Ok(found.map(|(u, t)| (UserId::from_uuid(u), TenantId::from_uuid(t))))
    }
}
