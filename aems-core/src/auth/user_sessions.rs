//! `auth.user_sessions`: signed-in sessions, identified by the hash of their token.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors, TransitionError};
use crate::ids::{UserId, UserSessionId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::Input;
use crate::values::{JsonObject, LongText, TokenHash};

db_enum! {
    /// A session's state (`user_sessions.status`).
    pub enum SessionStatus {
        /// Usable until it expires (the SQL default).
        Active => "active",
        /// Ran out of time.
        Expired => "expired",
        /// Ended on purpose (sign-out, password change, administrator).
        Revoked => "revoked",
    }
    default = Active;
}

/// A row of `auth.user_sessions`. Token hashes are skipped when serialized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserSession {
    /// Primary key.
    pub id: UserSessionId,
    /// The signed-in user.
    pub user_id: UserId,
    /// SHA-256 of the session token.
    #[serde(skip_serializing)]
    pub token_hash: TokenHash,
    /// SHA-256 of the refresh token, if one was issued.
    #[serde(skip_serializing)]
    pub refresh_token_hash: Option<TokenHash>,
    /// What the client said about its device.
    pub device_info: Option<JsonObject>,
    /// The client's address at sign-in.
    pub ip_address: IpAddr,
    /// The client's user agent at sign-in.
    pub user_agent: Option<LongText>,
    /// When the session stops being valid (always after `created_at`).
    pub expires_at: DateTime<Utc>,
    /// Last time the session was used.
    pub last_activity: DateTime<Utc>,
    /// The session's state.
    pub status: SessionStatus,
    /// When the session started.
    pub created_at: DateTime<Utc>,
}

impl UserSession {
    /// Whether the session may be used at `now`: active and not past its expiry.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.status == SessionStatus::Active && now < self.expires_at
    }

    /// Ends an active session on purpose.
    pub fn revoke(&self) -> Result<SessionStatus, TransitionError> {
        self.end(SessionStatus::Revoked)
    }

    /// Marks an active session as expired.
    pub fn expire(&self) -> Result<SessionStatus, TransitionError> {
        self.end(SessionStatus::Expired)
    }

    fn end(&self, to: SessionStatus) -> Result<SessionStatus, TransitionError> {
        if self.status == SessionStatus::Active {
            Ok(to)
        } else {
            Err(TransitionError::Final {
                entity: "session",
                state: self.status.as_str(),
            })
        }
    }

    /// The session with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &UserSessionPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(next, patch, [last_activity, expires_at]);
        check_expiry(&mut errors, next.created_at, next.expires_at);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to start a session. `created_at` is part of the input (the DB layer
/// inserts it instead of the SQL default) so that `expires_at > created_at`, a
/// CHECK of the table, can be verified here against the same value.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewUserSession {
    /// The signed-in user.
    pub user_id: UserId,
    /// SHA-256 of the session token.
    pub token_hash: TokenHash,
    /// SHA-256 of the refresh token, if one is issued.
    #[serde(default)]
    pub refresh_token_hash: Option<TokenHash>,
    /// What the client said about its device.
    #[serde(default)]
    pub device_info: Option<JsonObject>,
    /// The client's address.
    pub ip_address: IpAddr,
    /// The client's user agent.
    #[serde(default)]
    pub user_agent: Option<LongText>,
    /// When the session starts.
    pub created_at: DateTime<Utc>,
    /// When the session stops being valid; must be after `created_at`.
    pub expires_at: DateTime<Utc>,
}

impl Input for NewUserSession {
    fn check_rules(&self, errors: &mut FieldErrors) {
        check_expiry(errors, self.created_at, self.expires_at);
    }
}

/// Changes to a session: activity and sliding expiry. Status changes go through
/// [`UserSession::revoke`] and [`UserSession::expire`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct UserSessionPatch {
    /// New last-activity time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<DateTime<Utc>>,
    /// New expiry (sliding sessions); must stay after `created_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Input for UserSessionPatch {}

fn check_expiry(errors: &mut FieldErrors, created_at: DateTime<Utc>, expires_at: DateTime<Utc>) {
    if expires_at <= created_at {
        errors.push(
            "expires_at",
            ErrorCode::DateOrder,
            "must be after created_at",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn new_session(ttl: TimeDelta) -> NewUserSession {
        let now = Utc::now();
        NewUserSession {
            user_id: UserId::new(),
            token_hash: TokenHash::new(&"a".repeat(64)).unwrap(),
            refresh_token_hash: None,
            device_info: None,
            ip_address: "192.0.2.1".parse().unwrap(),
            user_agent: None,
            created_at: now,
            expires_at: now + ttl,
        }
    }

    fn session() -> UserSession {
        let input = new_session(TimeDelta::hours(1));
        UserSession {
            id: UserSessionId::new(),
            user_id: input.user_id,
            token_hash: input.token_hash,
            refresh_token_hash: None,
            device_info: None,
            ip_address: input.ip_address,
            user_agent: None,
            expires_at: input.expires_at,
            last_activity: input.created_at,
            status: SessionStatus::Active,
            created_at: input.created_at,
        }
    }

    #[test]
    fn expiry_must_be_strictly_after_creation() {
        assert!(new_session(TimeDelta::microseconds(1)).check().is_ok());
        let error = new_session(TimeDelta::zero()).check().unwrap_err();
        assert!(error.has("expires_at", ErrorCode::DateOrder));
        assert!(new_session(TimeDelta::seconds(-1)).check().is_err());
    }

    #[test]
    fn sliding_the_expiry_before_creation_is_refused() {
        let session = session();
        let patch = UserSessionPatch {
            expires_at: Some(session.created_at),
            ..UserSessionPatch::default()
        };
        assert!(session.patched(&patch).is_err());
    }

    #[test]
    fn only_active_sessions_end() {
        let mut session = session();
        assert_eq!(session.revoke().unwrap(), SessionStatus::Revoked);
        session.status = SessionStatus::Revoked;
        assert!(matches!(
            session.expire(),
            Err(TransitionError::Final { .. })
        ));
    }

    #[test]
    fn validity_stops_at_the_expiry_instant() {
        let session = session();
        assert!(session.is_valid_at(session.created_at));
        assert!(!session.is_valid_at(session.expires_at));
    }
}
