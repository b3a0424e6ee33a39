//! `auth.user_mfa`: second factors (TOTP, SMS, e-mail), one per type per user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors};
use crate::ids::{UserId, UserMfaId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable};
use crate::values::SecretString;

db_enum! {
    /// The kind of second factor (`user_mfa.mfa_type`).
    pub enum MfaType {
        /// Time-based one-time passwords from an authenticator app.
        Totp => "totp",
        /// Codes sent by text message.
        Sms => "sms",
        /// Codes sent by e-mail.
        Email => "email",
    }
}

/// A row of `auth.user_mfa`, as read back.
///
/// It never carries the TOTP secret: the secret is shown once, when the factor
/// is enrolled, and never read back (the DB layer stores it AEAD-encrypted and
/// opens it only to check a code). The backup codes are their hashes
/// ([`SecretString`]s, skipped when serialized).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserMfa {
    /// Primary key.
    pub id: UserMfaId,
    /// The user this factor belongs to.
    pub user_id: UserId,
    /// The kind of factor.
    pub mfa_type: MfaType,
    /// Whether sign-in asks for this factor.
    pub is_enabled: bool,
    /// Hashed one-time backup codes.
    #[serde(skip_serializing)]
    pub backup_codes: Option<Vec<SecretString>>,
    /// Last time the factor was used.
    pub last_used: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
}

impl UserMfa {
    /// The factor with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &UserMfaPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(next, patch, [is_enabled, backup_codes, last_used]);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to add a second factor.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewUserMfa {
    /// The user.
    pub user_id: UserId,
    /// The kind of factor.
    pub mfa_type: MfaType,
    /// Whether sign-in asks for it yet (default false: enabled after a first
    /// successful code).
    #[serde(default)]
    pub is_enabled: bool,
    /// The TOTP secret; required for TOTP.
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    /// Hashed backup codes.
    #[serde(default)]
    pub backup_codes: Option<Vec<SecretString>>,
}

impl Input for NewUserMfa {
    fn check_rules(&self, errors: &mut FieldErrors) {
        check_secret(errors, self.mfa_type, self.secret_key.as_ref());
    }
}

/// Changes to a second factor. (A TOTP secret is never patched in: a new one
/// comes only from enrolling again.)
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct UserMfaPatch {
    /// Switch the factor on or off.
    pub is_enabled: Option<bool>,
    /// New backup codes; `Some(None)` removes them.
    #[serde(with = "nullable")]
    pub backup_codes: Option<Option<Vec<SecretString>>>,
    /// New last-use time.
    #[serde(with = "nullable")]
    pub last_used: Option<Option<DateTime<Utc>>>,
}

impl Input for UserMfaPatch {}

fn check_secret(errors: &mut FieldErrors, mfa_type: MfaType, secret: Option<&SecretString>) {
    let blank = secret.is_some_and(|s| s.expose().trim().is_empty());
    if mfa_type == MfaType::Totp && (secret.is_none() || blank) {
        errors.push("secret_key", ErrorCode::Required, "TOTP needs a secret key");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_factor(mfa_type: MfaType, secret: Option<&str>) -> NewUserMfa {
        NewUserMfa {
            user_id: UserId::new(),
            mfa_type,
            is_enabled: false,
            secret_key: secret.map(|s| SecretString::new(s.to_owned())),
            backup_codes: None,
        }
    }

    #[test]
    fn totp_requires_a_secret_other_factors_do_not() {
        assert!(
            new_factor(MfaType::Totp, Some("JBSWY3DPEHPK3PXP"))
                .check()
                .is_ok()
        );
        let error = new_factor(MfaType::Totp, None).check().unwrap_err();
        assert!(error.has("secret_key", ErrorCode::Required));
        assert!(new_factor(MfaType::Totp, Some(" ")).check().is_err());
        assert!(new_factor(MfaType::Sms, None).check().is_ok());
    }

    #[test]
    fn secrets_are_not_printed() {
        let factor = new_factor(MfaType::Totp, Some("JBSWY3DPEHPK3PXP"));
        assert!(!format!("{factor:?}").contains("JBSWY3DPEHPK3PXP"));
    }
}
