//! Authentication: tenants, users, user_sessions, user_mfa, oauth_connections,
//! and the flows over them.
//!
//! * Repositories, from any executor (`uow.users()`, ...): [`Tenants`],
//!   [`Users`], [`UserSessions`], [`UserMfas`], [`OauthConnections`]; the
//!   three tables without `tenant_id` are isolated through their user.
//! * [`Authenticator`]: signup, login by e-mail (through the narrow,
//!   audited cross-tenant path), lockout, MFA, sessions with rotating refresh
//!   tokens.
//! * Primitives: [`passwords`] (argon2id, the policy), [`tokens`] (256-bit
//!   tokens, SHA-256 stored), [`totp`] (RFC 6238).
//! * Platform administration on [`PlatformWork`](crate::PlatformWork):
//!   `list_tenants`, `set_tenant_status`, `find_user_by_email`,
//!   `set_user_status`, `find_oauth_user`, `expire_sessions`.
//!
//! Every outcome that the database triggers cannot see (a sign-in, a failed
//! one, a lockout, an MFA check, a revocation, a refresh-token reuse) is
//! written to `risk.audit_logs` in the same transaction, never with a secret
//! in it.

mod access;
mod authenticator;
mod events;
pub mod oauth_connections;
pub mod passwords;
mod platform;
pub mod tenants;
pub mod tokens;
pub mod totp;
pub mod user_mfa;
pub mod user_sessions;
pub mod users;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::repository::domain_repositories;

pub use authenticator::{
    AuthConfig, AuthError, AuthenticatedSession, Authenticator, ClientInfo, LoginOutcome,
    MfaChallenge, SignedIn,
};
pub use oauth_connections::OauthConnections;
pub use passwords::{HashParams, PasswordHasher, PasswordPolicy, Passwords, Verification};
pub use tenants::{TenantFilter, Tenants};
pub use tokens::{MalformedToken, RefreshToken, SessionToken};
pub use totp::{TotpParams, TotpSecret};
pub use user_mfa::{BackupCodes, MfaSettings, SecondFactor, TotpEnrolment, UserMfas};
pub use user_sessions::{SessionFilter, UserSessions};
pub use users::{UserFilter, Users};

/// Where "now" comes from: the system clock, or a fixed or scripted one in
/// tests (lock expiry, TOTP steps, session expiry without sleeping).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(Utc::now))
    }

    /// A clock reading `now()` from a function.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

domain_repositories! {
    /// The auth repositories, reachable from any executor (`uow.users()`).
    pub trait AuthRepositories {
        /// `auth.tenants` (the context's own).
        tenants => Tenants,
        /// `auth.users`.
        users => Users,
        /// `auth.user_sessions`.
        user_sessions => UserSessions,
        /// `auth.user_mfa`.
        user_mfa => UserMfas,
        /// `auth.oauth_connections`.
        oauth_connections => OauthConnections,
    }
}
