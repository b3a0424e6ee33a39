//! `auth.users`: people who sign in, each belonging to one tenant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::{TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable};
use crate::values::{Email, Password, PasswordHash, Text100};

db_enum! {
    /// What a user may do (`users.role`).
    pub enum UserRole {
        /// Everything, including user and tenant administration.
        Admin => "admin",
        /// Manages business data of the tenant.
        Manager => "manager",
        /// Works with business data (the SQL default).
        User => "user",
        /// Reads only.
        Viewer => "viewer",
    }
    default = User;
}

db_enum! {
    /// Whether a user may sign in (`users.status`).
    pub enum UserStatus {
        /// May sign in (the SQL default).
        Active => "active",
        /// Switched off.
        Inactive => "inactive",
        /// Blocked by an administrator.
        Suspended => "suspended",
        /// Invited, not yet confirmed.
        Pending => "pending",
    }
    default = Active;
}

/// A row of `auth.users`. The password hash is a [`PasswordHash`], never printed
/// and skipped when serialized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Primary key.
    pub id: UserId,
    /// The tenant the user belongs to.
    pub tenant_id: TenantId,
    /// Sign-in address, unique across all tenants.
    pub email: Email,
    /// Optional sign-in name, unique.
    pub username: Option<Text100>,
    /// The argon2id hash of the password.
    #[serde(skip_serializing)]
    pub password_hash: PasswordHash,
    /// Given name.
    pub first_name: Text100,
    /// Family name.
    pub last_name: Text100,
    /// What the user may do.
    pub role: UserRole,
    /// Whether the user may sign in.
    pub status: UserStatus,
    /// Whether the address was confirmed.
    pub email_verified: bool,
    /// Last successful sign-in.
    pub last_login: Option<DateTime<Utc>>,
    /// Failed sign-ins since the last success (never negative).
    pub failed_login_attempts: i32,
    /// Sign-in is refused until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-delete time; deleted users are hidden from normal reads.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl User {
    /// Whether sign-in is refused at `now` because of a lock.
    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// Whether the user may sign in at `now`: active, not deleted, not locked.
    pub fn can_sign_in_at(&self, now: DateTime<Utc>) -> bool {
        self.status == UserStatus::Active && self.deleted_at.is_none() && !self.is_locked_at(now)
    }

    /// The user with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &UserPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                email,
                username,
                first_name,
                last_name,
                role,
                status,
                email_verified
            ]
        );
        Ok(next)
    }
}

/// Input to create a user. The clear-text [`Password`] is hashed by the DB layer;
/// the tenant comes from the caller's context.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Sign-in address.
    pub email: Email,
    /// Optional sign-in name.
    #[serde(default)]
    pub username: Option<Text100>,
    /// The password, in clear, to be hashed.
    pub password: Password,
    /// Given name.
    pub first_name: Text100,
    /// Family name.
    pub last_name: Text100,
    /// Role (default `user`).
    #[serde(default)]
    pub role: UserRole,
    /// Status (default `active`).
    #[serde(default)]
    pub status: UserStatus,
    /// Whether the address is already confirmed (default false).
    #[serde(default)]
    pub email_verified: bool,
}

impl NewUser {
    /// A user with the SQL defaults for everything but the required columns.
    pub fn new(email: Email, password: Password, first_name: Text100, last_name: Text100) -> Self {
        Self {
            email,
            username: None,
            password,
            first_name,
            last_name,
            role: UserRole::default(),
            status: UserStatus::default(),
            email_verified: false,
        }
    }
}

impl Input for NewUser {}

/// Changes to a user's profile. Passwords, sign-in counters and locks change
/// through their own operations in the DB layer, not through a patch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct UserPatch {
    /// New sign-in address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// New sign-in name; `Some(None)` removes it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub username: Option<Option<Text100>>,
    /// New given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Text100>,
    /// New family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Text100>,
    /// New role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<UserRole>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Whether the address is confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl Input for UserPatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn user() -> User {
        let now = Utc::now();
        User {
            id: UserId::new(),
            tenant_id: TenantId::new(),
            email: "ada@example.com".parse().unwrap(),
            username: Some("ada".parse().unwrap()),
            password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
                .unwrap(),
            first_name: "Ada".parse().unwrap(),
            last_name: "Lovelace".parse().unwrap(),
            role: UserRole::User,
            status: UserStatus::Active,
            email_verified: true,
            last_login: None,
            failed_login_attempts: 0,
            locked_until: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    #[test]
    fn the_password_hash_never_leaves_the_entity() {
        let user = user();
        assert!(!format!("{user:?}").contains("argon2id"));
        let json = serde_json::to_value(&user).unwrap();
        assert!(json.get("password_hash").is_none());
    }

    #[test]
    fn a_lock_in_the_future_blocks_sign_in_until_it_passes() {
        let now = Utc::now();
        let mut user = user();
        user.locked_until = Some(now + TimeDelta::minutes(5));
        assert!(!user.can_sign_in_at(now));
        assert!(user.can_sign_in_at(now + TimeDelta::minutes(5)));
    }

    #[test]
    fn patch_distinguishes_absent_from_null() {
        let absent: UserPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.username, None);
        let null: UserPatch = serde_json::from_str(r#"{"username": null}"#).unwrap();
        assert_eq!(null.username, Some(None));
        let user = user().patched(&null).unwrap();
        assert_eq!(user.username, None);
        assert_eq!(
            serde_json::to_string(&null).unwrap(),
            r#"{"username":null}"#
        );
    }

    #[test]
    fn new_user_json_needs_a_long_enough_password() {
        let json = r#"{"email":"a@b.co","password":"short","first_name":"A","last_name":"B"}"#;
        assert!(serde_json::from_str::<NewUser>(json).is_err());
    }
}
