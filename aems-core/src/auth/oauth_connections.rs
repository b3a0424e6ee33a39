//! `auth.oauth_connections`: sign-in through an external identity provider.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::DomainError;
use crate::ids::{OauthConnectionId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable};
use crate::values::{Email, JsonObject, SecretString, Text255};

db_enum! {
    /// The identity provider (`oauth_connections.provider`).
    pub enum OauthProvider {
        /// Google.
        Google => "google",
        /// Microsoft.
        Microsoft => "microsoft",
        /// LinkedIn.
        Linkedin => "linkedin",
    }
}

db_enum! {
    /// A connection's state (`oauth_connections.status`).
    pub enum OauthStatus {
        /// Usable for sign-in (the SQL default).
        Active => "active",
        /// Switched off by the user.
        Inactive => "inactive",
        /// Revoked (by the user, the provider or an administrator).
        Revoked => "revoked",
    }
    default = Active;
}

/// A row of `auth.oauth_connections`, as read back: without its tokens, which
/// go only to the connection's owner through an explicit, audited call (the
/// DB layer's `OauthConnections::tokens`), as [`OauthTokens`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OauthConnection {
    /// Primary key.
    pub id: OauthConnectionId,
    /// The local user.
    pub user_id: UserId,
    /// The provider.
    pub provider: OauthProvider,
    /// The user's id at the provider; unique per provider.
    pub provider_user_id: Text255,
    /// The address the provider reported.
    pub provider_email: Option<Email>,
    /// Whether an access token is stored.
    pub has_access_token: bool,
    /// Whether a refresh token is stored.
    pub has_refresh_token: bool,
    /// When the access token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Profile data from the provider.
    pub provider_data: Option<JsonObject>,
    /// The connection's state.
    pub status: OauthStatus,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
}

impl OauthConnection {
    /// The connection with `patch` applied, or every reason it cannot be.
    /// (The tokens themselves are not part of the entity: a patch's tokens
    /// show here only as whether one is stored.)
    pub fn patched(&self, patch: &OauthConnectionPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [provider_email, token_expires_at, provider_data, status]
        );
        if let Some(token) = &patch.access_token {
            next.has_access_token = token.is_some();
        }
        if let Some(token) = &patch.refresh_token {
            next.has_refresh_token = token.is_some();
        }
        Ok(next)
    }
}

/// A connection's tokens, opened for its owner. Never printed (the tokens are
/// [`SecretString`]s) and not serializable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthTokens {
    /// The provider's access token.
    pub access_token: Option<SecretString>,
    /// The provider's refresh token.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Input to link a provider account to a user.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewOauthConnection {
    /// The local user.
    pub user_id: UserId,
    /// The provider.
    pub provider: OauthProvider,
    /// The user's id at the provider.
    pub provider_user_id: Text255,
    /// The address the provider reported.
    #[serde(default)]
    pub provider_email: Option<Email>,
    /// The provider's access token.
    #[serde(default)]
    pub access_token: Option<SecretString>,
    /// The provider's refresh token.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// When the access token expires.
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Profile data from the provider.
    #[serde(default)]
    pub provider_data: Option<JsonObject>,
    /// Status (default `active`).
    #[serde(default)]
    pub status: OauthStatus,
}

impl Input for NewOauthConnection {}

/// Changes to a connection (token refresh, revocation).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct OauthConnectionPatch {
    /// New provider address; `Some(None)` clears it.
    #[serde(with = "nullable")]
    pub provider_email: Option<Option<Email>>,
    /// New access token; `Some(None)` clears it.
    #[serde(with = "nullable")]
    pub access_token: Option<Option<SecretString>>,
    /// New refresh token; `Some(None)` clears it.
    #[serde(with = "nullable")]
    pub refresh_token: Option<Option<SecretString>>,
    /// New token expiry; `Some(None)` clears it.
    #[serde(with = "nullable")]
    pub token_expires_at: Option<Option<DateTime<Utc>>>,
    /// New profile data; `Some(None)` clears it.
    #[serde(with = "nullable")]
    pub provider_data: Option<Option<JsonObject>>,
    /// New status.
    pub status: Option<OauthStatus>,
}

impl Input for OauthConnectionPatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_strings_match_the_check_list() {
        let names: Vec<&str> = OauthProvider::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["google", "microsoft", "linkedin"]);
    }

    #[test]
    fn tokens_are_not_printed() {
        let input: NewOauthConnection = serde_json::from_str(
            r#"{"user_id":"0190c2a0-0000-7000-8000-000000000000","provider":"google",
                "provider_user_id":"1234","access_token":"ya29.secret"}"#,
        )
        .unwrap();
        assert!(!format!("{input:?}").contains("ya29"));
        assert!(input.check().is_ok());
    }

    #[test]
    fn patch_can_clear_a_token() {
        let patch: OauthConnectionPatch =
            serde_json::from_str(r#"{"refresh_token": null}"#).unwrap();
        assert_eq!(patch.refresh_token, Some(None));
        assert_eq!(patch.access_token, None);
    }
}
