//! The cross-tenant statements of authentication, on [`PlatformWork`]
//! (role `aems_platform`, every use audited with its reason): finding the
//! account behind an e-mail or a token, the failed-sign-in bookkeeping, and
//! platform administration of users and sessions.

use aems_core::auth::tenants::TenantStatus;
use aems_core::auth::users::{User, UserStatus};
use aems_core::{Email, PasswordHash, TenantId, UserId, UserSessionId};
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::auth::events::Statement;
use crate::auth::user_sessions::UserSessionRow;
use crate::auth::users::{UserRow, normalize_email};
use crate::error::{Error, Result};
use crate::schema::auth::{tenants, user_sessions, users};
use crate::sql;
use crate::unit_of_work::PlatformWork;

/// What sign-in needs to know about the account behind an e-mail, read with
/// the user's row locked (see [`PlatformWork::find_login_candidate`]).
#[derive(Clone)]
pub(crate) struct LoginCandidate {
    pub(crate) id: UserId,
    pub(crate) tenant_id: TenantId,
    pub(crate) password_hash: Option<PasswordHash>,
    pub(crate) status: String,
    pub(crate) failed_attempts: i32,
    pub(crate) locked_until: Option<DateTime<Utc>>,
    pub(crate) tenant_status: String,
}

impl LoginCandidate {
    pub(crate) fn may_sign_in(&self) -> bool {
        self.status == UserStatus::Active.as_str()
            && self.tenant_status == TenantStatus::Active.as_str()
    }
}

/// The session behind a token, with what decides whether it may be used.
pub(crate) struct SessionCandidate {
    pub(crate) row: UserSessionRow,
    pub(crate) tenant_id: TenantId,
    pub(crate) user_ok: bool,
}

/// The failed-attempt counter and lock after one more failure at `now`: a
/// lock that has run out starts the count again; reaching `max` locks for
/// `lockout`.
pub(crate) fn next_failure(
    attempts: i32,
    locked_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max: u32,
    lockout: TimeDelta,
) -> (i32, Option<DateTime<Utc>>) {
    let expired = locked_until.is_some_and(|until| until <= now);
    let attempts = if expired {
        1
    } else {
        attempts.saturating_add(1)
    };
    let locked = if i64::from(attempts) >= i64::from(max) {
        Some(now + lockout)
    } else if expired {
        None
    } else {
        locked_until
    };
    (attempts, locked)
}

/// A user's failed-attempt count and lock.
pub(crate) type Counters = (i32, Option<DateTime<Utc>>);

/// Writes a user's counters.
pub(crate) fn write_counters(
    user: UserId,
    attempts: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Statement<usize> {
    Box::new(move |conn| {
        sql::Cached(diesel::update(users::table.find(user.into_uuid())).set((
            users::failed_login_attempts.eq(attempts),
            users::locked_until.eq(locked_until),
        )))
        .execute(&mut { conn })
        .boxed()
    })
}

impl PlatformWork {
    /// The live account behind `email` (already normalised), with its
    /// tenant's status, **its row locked** until the platform work ends.
    ///
    /// The lock is what makes the lockout hold under concurrency: every
    /// attempt on one account reads `failed_login_attempts` and
    /// `locked_until` only after the previous attempt has written them, so
    /// the decision (refuse as locked, or evaluate the password and count a
    /// failure) is always taken on current values, and at most
    /// `max_failed_attempts` passwords are ever evaluated before the lock
    /// holds. Only the user's row is locked (the tenant's status is read by a
    /// sub-select), so sign-ins of different users never wait for each other.
    pub(crate) async fn find_login_candidate(
        &mut self,
        email: Email,
    ) -> Result<Option<LoginCandidate>> {
        let email = email.into_string();
        let found = self
            .run("users", move |conn| {
                users::table
                    .filter(users::email.eq(email))
                    .filter(users::deleted_at.is_null())
                    .select((
                        users::id,
                        users::tenant_id,
                        users::password_hash,
                        users::status,
                        users::failed_login_attempts,
                        users::locked_until,
                        tenants::table
                            .filter(tenants::id.eq(users::tenant_id))
                            .select(tenants::status)
                            .single_value(),
                    ))
                    .for_update()
                    .first::<(
                        Uuid,
                        Uuid,
                        String,
                        String,
                        i32,
                        Option<DateTime<Utc>>,
                        Option<String>,
                    )>(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        Ok(found.map(
            |(id, tenant, hash, status, failed_attempts, locked_until, tenant_status)| {
                LoginCandidate {
                    id: UserId::from_uuid(id),
                    tenant_id: TenantId::from_uuid(tenant),
                    // A stored value that is not an argon2id hash never matches.
                    password_hash: PasswordHash::new(&hash).ok(),
                    status,
                    failed_attempts,
                    locked_until,
                    // The foreign key guarantees the tenant; "" never signs in.
                    tenant_status: tenant_status.unwrap_or_default(),
                }
            },
        ))
    }

    /// Counts one failed sign-in of `candidate` (whose row this work locked
    /// when it found it, so the counters are current) and returns the new
    /// count and lock.
    pub(crate) async fn record_failed_login(
        &mut self,
        candidate: &LoginCandidate,
        now: DateTime<Utc>,
        max: u32,
        lockout: TimeDelta,
    ) -> Result<Counters> {
        let (attempts, locked_until) = next_failure(
            candidate.failed_attempts,
            candidate.locked_until,
            now,
            max,
            lockout,
        );
        self.run(
            "users",
            write_counters(candidate.id, attempts, locked_until),
        )
        .await?;
        Ok((attempts, locked_until))
    }

    /// The session whose token hashes to `hash`, with its user's tenant and
    /// whether the user and tenant may still be used.
    pub(crate) async fn session_by_token_hash(
        &mut self,
        hash: String,
    ) -> Result<Option<SessionCandidate>> {
        let row = self
            .run("user_sessions", move |conn| {
                user_sessions::table
                    .filter(user_sessions::token_hash.eq(hash))
                    .select(UserSessionRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        match row {
            Some(row) => self.with_owner(row).await.map(Some),
            None => Ok(None),
        }
    }

    /// Session `id`, locked, with its owner's state.
    pub(crate) async fn session_for_update(
        &mut self,
        id: UserSessionId,
    ) -> Result<Option<SessionCandidate>> {
        let row = self
            .run("user_sessions", move |conn| {
                user_sessions::table
                    .find(id.into_uuid())
                    .select(UserSessionRow::as_select())
                    .for_update()
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        match row {
            Some(row) => self.with_owner(row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn with_owner(&mut self, row: UserSessionRow) -> Result<SessionCandidate> {
        let user = row.user_id;
        let (tenant, status, deleted, tenant_status) = self
            .run("users", move |conn| {
                users::table
                    .inner_join(tenants::table)
                    .filter(users::id.eq(user))
                    .select((
                        users::tenant_id,
                        users::status,
                        users::deleted_at,
                        tenants::status,
                    ))
                    .first::<(Uuid, String, Option<DateTime<Utc>>, String)>(&mut { conn })
                    .boxed()
            })
            .await?;
        Ok(SessionCandidate {
            row,
            tenant_id: TenantId::from_uuid(tenant),
            user_ok: status == UserStatus::Active.as_str()
                && deleted.is_none()
                && tenant_status == TenantStatus::Active.as_str(),
        })
    }

    /// Sets a session's status.
    pub(crate) async fn set_session_status(
        &mut self,
        id: Uuid,
        status: &'static str,
    ) -> Result<usize> {
        self.run("user_sessions", move |conn| {
            sql::Cached(
                diesel::update(user_sessions::table.find(id)).set(user_sessions::status.eq(status)),
            )
            .execute(&mut { conn })
            .boxed()
        })
        .await
    }

    /// Touches a session's last activity.
    pub(crate) async fn touch_session(&mut self, id: Uuid, now: DateTime<Utc>) -> Result<usize> {
        self.run("user_sessions", move |conn| {
            sql::Cached(
                diesel::update(user_sessions::table.find(id))
                    .set(user_sessions::last_activity.eq(now)),
            )
            .execute(&mut { conn })
            .boxed()
        })
        .await
    }

    /// Replaces a session's token hashes (rotation) and slides its expiry.
    pub(crate) async fn rotate_session(
        &mut self,
        id: Uuid,
        token_hash: String,
        refresh_hash: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.run("user_sessions", move |conn| {
            sql::Cached(diesel::update(user_sessions::table.find(id)).set((
                user_sessions::token_hash.eq(token_hash),
                user_sessions::refresh_token_hash.eq(Some(refresh_hash)),
                user_sessions::expires_at.eq(expires_at),
                user_sessions::last_activity.eq(now),
            )))
            .execute(&mut { conn })
            .boxed()
        })
        .await
    }

    /// The live user behind `email` in any tenant (platform support: "which
    /// tenant is this person in?"). The lookup is audited with the work's
    /// reason.
    pub async fn find_user_by_email(&mut self, email: &Email) -> Result<Option<User>> {
        let email = normalize_email(email)?.into_string();
        let row = self
            .run("users", move |conn| {
                users::table
                    .filter(users::email.eq(email))
                    .filter(users::deleted_at.is_null())
                    .select(UserRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(UserRow::into_entity).transpose()
    }

    /// Sets user `id`'s status in any tenant (platform support: suspending an
    /// abusive account). [`Error::NotFound`] for no live user.
    pub async fn set_user_status(&mut self, id: UserId, status: UserStatus) -> Result<User> {
        let row = self
            .run("users", move |conn| {
                sql::Cached(
                    diesel::update(
                        users::table
                            .find(id.into_uuid())
                            .filter(users::deleted_at.is_null()),
                    )
                    .set(users::status.eq(status.as_str()))
                    .returning(UserRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        row.ok_or(Error::NotFound { entity: "users" })?
            .into_entity()
    }

    /// Marks as expired every active session started before `started_before`
    /// (the end of the longest session lifetime). Returns how many.
    pub async fn expire_sessions(&mut self, started_before: DateTime<Utc>) -> Result<usize> {
        self.run("user_sessions", move |conn| {
            sql::Cached(
                diesel::update(
                    user_sessions::table
                        .filter(user_sessions::status.eq("active"))
                        .filter(user_sessions::created_at.lt(started_before)),
                )
                .set(user_sessions::status.eq("expired")),
            )
            .execute(&mut { conn })
            .boxed()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_up_lock_at_the_limit_and_restart_after_a_lock() {
        let now = Utc::now();
        let lockout = TimeDelta::minutes(15);
        assert_eq!(next_failure(0, None, now, 3, lockout), (1, None));
        assert_eq!(next_failure(1, None, now, 3, lockout), (2, None));
        assert_eq!(
            next_failure(2, None, now, 3, lockout),
            (3, Some(now + lockout))
        );
        // A lock that ran out: counting starts again.
        let past = now - TimeDelta::seconds(1);
        assert_eq!(next_failure(3, Some(past), now, 3, lockout), (1, None));
    }
}
