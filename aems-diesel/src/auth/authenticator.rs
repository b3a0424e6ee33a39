//! The authentication flows: signup, login with lockout, MFA, sessions with
//! rotating refresh tokens.
//!
//! Login by e-mail has to find the account before it knows the tenant, so it
//! starts on the narrow cross-tenant path ([`Database::platform`], role
//! `aems_platform`, audited with its reason): one lookup, and on a wrong
//! password the failed-attempt bookkeeping. Everything after a correct
//! password — the second factor, the session, `last_login` — runs in a unit of
//! work of the user's own tenant, as the user.

use std::net::{IpAddr, Ipv4Addr};

use aems_core::auth::tenants::{NewTenant, Tenant};
use aems_core::auth::user_mfa::MfaType;
use aems_core::auth::user_sessions::{NewUserSession, SessionStatus};
use aems_core::auth::users::{NewUser, User, UserRole, UserStatus};
use aems_core::risk::audit_logs::AuditSeverity;
use aems_core::{Email, Input, JsonObject, LongText, Password, TenantId, UserId, UserSessionId};
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};

use crate::auth::events::{self, AuthEvent, Origin};
use crate::auth::passwords::{HashParams, PasswordPolicy, Passwords, Verification, blocking};
use crate::auth::platform::{Counters, next_failure, write_counters};
use crate::auth::tokens::{RefreshToken, SessionToken, same_hash};
use crate::auth::totp::TotpParams;
use crate::auth::user_mfa::{MfaSettings, SecondFactor};
use crate::auth::users::normalize_email;
use crate::auth::{AuthRepositories, Clock};
use crate::context::Context;
use crate::database::Database;
use crate::error::{Error, Result};
use crate::schema::auth::users;
use crate::sql;
use crate::unit_of_work::UnitOfWork;
use crate::unit_of_work::sealed::Executor as _;

/// Longest password text looked at: longer input is refused without hashing
/// it (argon2's work grows with the input), at the cost of a dummy hash.
const MAX_PASSWORD_BYTES: usize = 4 * Password::MAX_CHARS;
/// Associated data of a sealed MFA challenge.
const CHALLENGE_PLACE: &[u8] = b"auth.mfa_challenge";

/// Why an authentication step was refused. The messages never say whether
/// an e-mail address exists, and never contain what the client sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Unknown e-mail, wrong password, or a soft-deleted account.
    #[error("the e-mail address or the password is wrong")]
    InvalidCredentials,
    /// Too many failed attempts: sign-in is refused until `until`.
    #[error("the account is locked until {until}")]
    Locked {
        /// When the lock runs out.
        until: DateTime<Utc>,
    },
    /// The password was right but the account (or its tenant) is inactive,
    /// suspended or pending.
    #[error("this account cannot sign in")]
    AccountDisabled,
    /// The second-factor code is wrong, outside the time window, or was
    /// already used.
    #[error("the code is wrong or was already used")]
    InvalidCode,
    /// The MFA challenge is not one of ours, or has expired.
    #[error("the sign-in attempt has expired; start again")]
    InvalidChallenge,
    /// The session token is malformed, unknown, expired or revoked (or its
    /// user can no longer sign in).
    #[error("the session is not valid")]
    InvalidSession,
    /// A refresh token that was already used was presented again: the
    /// session has been revoked (a stolen token is the likely cause).
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshTokenReused,
    /// The data layer failed (or refused an input).
    #[error(transparent)]
    Data(#[from] Error),
}

impl From<aems_core::DomainError> for AuthError {
    fn from(error: aems_core::DomainError) -> Self {
        Self::Data(Error::Validation(error))
    }
}

/// The policies and parameters of authentication.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthConfig {
    /// argon2id parameters for passwords (default [`HashParams::OWASP`]).
    pub password_params: HashParams,
    /// What new passwords must satisfy.
    pub password_policy: PasswordPolicy,
    /// Failed sign-ins (wrong passwords or codes) before the account locks (default 5).
    pub max_failed_attempts: u32,
    /// How long a lock lasts (default 15 minutes).
    pub lockout: TimeDelta,
    /// How long a session token is valid after sign-in or refresh (default 1 hour).
    pub session_ttl: TimeDelta,
    /// How long a session may be refreshed from its start (default 30 days).
    pub session_max_lifetime: TimeDelta,
    /// How long the step between password and second factor may take (default 5 minutes).
    pub mfa_challenge_ttl: TimeDelta,
    /// The issuer name shown in authenticator apps (default "A-EMS").
    pub totp_issuer: String,
    /// TOTP period, digits and accepted skew (default 30 s, 6, ±1 step).
    pub totp: TotpParams,
    /// argon2id parameters for backup codes (default [`HashParams::BACKUP_CODES`]).
    pub backup_code_params: HashParams,
    /// Where "now" comes from.
    pub clock: Clock,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            password_params: HashParams::OWASP,
            password_policy: PasswordPolicy::default(),
            max_failed_attempts: 5,
            lockout: TimeDelta::minutes(15),
            session_ttl: TimeDelta::hours(1),
            session_max_lifetime: TimeDelta::days(30),
            mfa_challenge_ttl: TimeDelta::minutes(5),
            totp_issuer: "A-EMS".into(),
            totp: TotpParams::default(),
            backup_code_params: HashParams::BACKUP_CODES,
            clock: Clock::system(),
        }
    }
}

impl AuthConfig {
    /// Sets the password hashing parameters.
    pub fn password_params(mut self, params: HashParams) -> Self {
        self.password_params = params;
        self
    }

    /// Sets the password policy.
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.password_policy = policy;
        self
    }

    /// Locks after `attempts` failures for `lockout`.
    pub fn lockout(mut self, attempts: u32, lockout: TimeDelta) -> Self {
        self.max_failed_attempts = attempts.max(1);
        self.lockout = lockout;
        self
    }

    /// Sets the session token lifetime and the longest refreshable lifetime.
    pub fn sessions(mut self, ttl: TimeDelta, max_lifetime: TimeDelta) -> Self {
        self.session_ttl = ttl;
        self.session_max_lifetime = max_lifetime;
        self
    }

    /// Sets the backup-code hashing parameters.
    pub fn backup_code_params(mut self, params: HashParams) -> Self {
        self.backup_code_params = params;
        self
    }

    /// Sets the TOTP issuer shown in apps.
    pub fn totp_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.totp_issuer = issuer.into();
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

/// Where a request comes from: recorded on the session and in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address.
    pub ip: IpAddr,
    /// Its user agent (cleaned like [`Context::with_user_agent`]).
    pub user_agent: Option<String>,
    /// What the client says about its device.
    pub device_info: Option<JsonObject>,
}

impl ClientInfo {
    /// A client at `ip`.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            ip,
            user_agent: None,
            device_info: None,
        }
    }

    /// With a user agent.
    pub fn with_user_agent(mut self, user_agent: impl AsRef<str>) -> Self {
        self.user_agent = Context::new(TenantId::new(), UserId::new())
            .with_user_agent(user_agent)
            .user_agent()
            .map(str::to_owned);
        self
    }

    fn origin(&self) -> Origin {
        Origin {
            ip: Some(self.ip),
            user_agent: self.user_agent.clone(),
        }
    }

    fn context(&self, tenant: TenantId, user: UserId) -> Context {
        let ctx = Context::new(tenant, user).with_ip(self.ip);
        match &self.user_agent {
            Some(ua) => ctx.with_user_agent(ua),
            None => ctx,
        }
    }
}

impl Default for ClientInfo {
    fn default() -> Self {
        Self::new(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }
}

/// A signed-in session: the tokens go to the client once and are never
/// stored (only their SHA-256). Never printed.
#[derive(Clone)]
pub struct SignedIn {
    /// The session.
    pub session_id: UserSessionId,
    /// The user.
    pub user_id: UserId,
    /// The user's tenant.
    pub tenant_id: TenantId,
    /// Presented with every request ([`Authenticator::authenticate`]).
    pub session_token: SessionToken,
    /// Exchanged once for new tokens ([`Authenticator::refresh`]).
    pub refresh_token: RefreshToken,
    /// When the session token stops working (refresh before).
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session_id", &self.session_id)
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The proof, between the password and the second factor, that the password
/// was right: sealed with the key ring, naming the user and its expiry.
/// Opaque to the client; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaChallenge(String);

impl MfaChallenge {
    /// The text to hand to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A challenge the client sent back.
    pub fn from_client(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl std::fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaChallenge([REDACTED])")
    }
}

#[derive(Serialize, Deserialize)]
struct ChallengeBody {
    user: UserId,
    tenant: TenantId,
    expires: i64,
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in.
    SignedIn(SignedIn),
    /// A second factor is needed: answer with
    /// [`Authenticator::complete_mfa`] (TOTP or backup code) or
    /// [`Authenticator::complete_mfa_external`] (SMS, e-mail).
    MfaRequired {
        /// Hand back with the code.
        challenge: MfaChallenge,
        /// The user's enabled factors.
        factors: Vec<MfaType>,
    },
}

/// A session token that checked out: who it is, for building the request's
/// [`Context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedSession {
    /// The session.
    pub session_id: UserSessionId,
    /// Its user.
    pub user_id: UserId,
    /// The user's tenant.
    pub tenant_id: TenantId,
    /// When the session token stops working.
    pub expires_at: DateTime<Utc>,
}

impl AuthenticatedSession {
    /// The context for this session's requests.
    pub fn context(&self) -> Context {
        Context::new(self.tenant_id, self.user_id).with_session(self.session_id)
    }
}

/// Signup, login, MFA and sessions over a [`Database`] with a key ring.
#[derive(Debug, Clone)]
pub struct Authenticator {
    db: Database,
    config: AuthConfig,
    passwords: Passwords,
    mfa: MfaSettings,
}

impl Authenticator {
    /// An authenticator over `db` (which needs a key ring, for TOTP secrets
    /// and MFA challenges). Hashes one random password to have the dummy an
    /// unknown e-mail is checked against.
    pub fn new(db: Database, config: AuthConfig) -> Result<Self> {
        db.key_ring()?;
        let passwords = Passwords::new(config.password_params, config.password_policy.clone())?;
        let mut mfa = MfaSettings::new(config.totp_issuer.clone(), config.clock.clone())?
            .backup_code_params(config.backup_code_params)?;
        mfa.totp = config.totp;
        Ok(Self {
            db,
            config,
            passwords,
            mfa,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The password hasher and policy, for [`Users::create`](crate::auth::Users::create)
    /// and [`Users::change_password`](crate::auth::Users::change_password).
    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// The MFA settings, for the operations of [`UserMfas`](crate::auth::UserMfas).
    pub fn mfa(&self) -> &MfaSettings {
        &self.mfa
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Now, to the microsecond (what PostgreSQL keeps, so a time handed out
    /// equals the one stored).
    fn now(&self) -> DateTime<Utc> {
        let now = self.config.clock.now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// Creates a tenant with its first admin, atomically: the tenant row, then
    /// the admin (role `admin`, status `active`, whatever `admin` says), in one
    /// unit of work of the new tenant acting as the new admin. Every input
    /// and the password policy are checked before anything is sent.
    pub async fn signup(
        &self,
        tenant: NewTenant,
        admin: NewUser,
        client: &ClientInfo,
    ) -> Result<(Tenant, User), AuthError> {
        tenant.check()?;
        admin.check()?;
        let email = normalize_email(&admin.email)?;
        self.passwords.policy().check(
            &admin.password,
            email.as_str(),
            &[admin.first_name.as_str(), admin.last_name.as_str()],
        )?;
        let (tenant_id, admin_id) = (TenantId::new(), UserId::new());
        let admin = NewUser {
            role: UserRole::Admin,
            status: UserStatus::Active,
            ..admin
        };
        let mut uow = self
            .db
            .unit_of_work(&client.context(tenant_id, admin_id))
            .await?;
        let tenant = uow.tenants().create_own(tenant).await?;
        let user = uow
            .users()
            .insert(admin_id, admin, email, &self.passwords)
            .await?;
        events::record(
            &mut uow,
            AuthEvent::new(
                "tenant_signed_up",
                "tenants",
                Some(tenant_id.into_uuid()),
                AuditSeverity::Info,
            )
            .with("admin_id", admin_id.to_string()),
        )
        .await?;
        uow.commit().await?;
        Ok((tenant, user))
    }

    /// Signs in with an e-mail address and a password.
    ///
    /// Unknown addresses, wrong passwords and soft-deleted accounts are all
    /// [`AuthError::InvalidCredentials`], and each costs one argon2id
    /// verification. A wrong password counts a failed attempt; reaching
    /// [`AuthConfig::max_failed_attempts`] locks the account for
    /// [`AuthConfig::lockout`] ([`AuthError::Locked`], also for every attempt
    /// during the lock, right password or not: its password is not even
    /// evaluated). A right password on an inactive, suspended or pending
    /// account (or tenant) is [`AuthError::AccountDisabled`]. Success clears
    /// the counter and sets `last_login` (after the second factor, when the
    /// user has one), unless a lock was earned meanwhile: a success never ends
    /// a lock. Every outcome is audited.
    ///
    /// Concurrent attempts on one account are decided one at a time (its row
    /// is locked from the lookup to the counter's update), so however many
    /// race, at most `max_failed_attempts` passwords are evaluated before the
    /// lock holds.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome, AuthError> {
        let now = self.now();
        let origin = client.origin();
        let password_usable = password.len() <= MAX_PASSWORD_BYTES && !password.contains('\0');
        let email = Email::new(email)
            .ok()
            .and_then(|e| normalize_email(&e).ok());
        let mut platform = self.db.platform("login by e-mail", None).await?;
        let candidate = match email {
            Some(email) => platform.find_login_candidate(email).await?,
            None => None,
        };
        let Some(candidate) = candidate else {
            self.passwords
                .verify_dummy(if password_usable { password } else { "" })
                .await?;
            let event = AuthEvent::new("login_failed", "users", None, AuditSeverity::Warning)
                .with("reason", "unknown_account");
            events::record_platform(&mut platform, event, None, None, None, &origin).await?;
            platform.commit().await?;
            return Err(AuthError::InvalidCredentials);
        };
        let (user, tenant) = (candidate.id, candidate.tenant_id);
        // The candidate's row is locked until this platform work ends, and
        // its counters are current: a locked account is refused before its
        // password is looked at, so no guess is evaluated during a lock.
        if let Some(until) = candidate.locked_until.filter(|until| *until > now) {
            let event = AuthEvent::new(
                "login_refused",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Warning,
            )
            .with("reason", "locked")
            .with("locked_until", until.to_rfc3339());
            events::record_platform(
                &mut platform,
                event,
                Some(tenant),
                Some(user),
                None,
                &origin,
            )
            .await?;
            platform.commit().await?;
            return Err(AuthError::Locked { until });
        }
        let verification = match (&candidate.password_hash, password_usable) {
            (Some(hash), true) => self.passwords.verify(password, hash).await?,
            _ => {
                self.passwords.verify_dummy("").await?;
                Verification::Mismatch
            }
        };
        let Verification::Match { needs_rehash } = verification else {
            let (attempts, locked_until) = platform
                .record_failed_login(
                    &candidate,
                    now,
                    self.config.max_failed_attempts,
                    self.config.lockout,
                )
                .await?;
            let event = AuthEvent::new(
                "login_failed",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Warning,
            )
            .with("reason", "wrong_password")
            .with("failed_attempts", attempts);
            events::record_platform(
                &mut platform,
                event,
                Some(tenant),
                Some(user),
                None,
                &origin,
            )
            .await?;
            let locked = locked_until.filter(|until| *until > now);
            if let Some(until) = locked {
                let event = AuthEvent::new(
                    "account_locked",
                    "users",
                    Some(user.into_uuid()),
                    AuditSeverity::Critical,
                )
                .with("failed_attempts", attempts)
                .with("locked_until", until.to_rfc3339());
                events::record_platform(
                    &mut platform,
                    event,
                    Some(tenant),
                    Some(user),
                    None,
                    &origin,
                )
                .await?;
            }
            platform.commit().await?;
            return Err(match locked {
                Some(until) => AuthError::Locked { until },
                None => AuthError::InvalidCredentials,
            });
        };
        if !candidate.may_sign_in() {
            let event = AuthEvent::new(
                "login_refused",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Warning,
            )
            .with("reason", "account_disabled")
            .with("user_status", candidate.status.clone())
            .with("tenant_status", candidate.tenant_status.clone());
            events::record_platform(
                &mut platform,
                event,
                Some(tenant),
                Some(user),
                None,
                &origin,
            )
            .await?;
            platform.commit().await?;
            return Err(AuthError::AccountDisabled);
        }
        platform.commit().await?;

        // The password was right: the rest happens in the user's own tenant.
        let mut uow = self.db.unit_of_work(&client.context(tenant, user)).await?;
        if needs_rehash {
            let hasher = self.passwords.hasher().clone();
            let clear = password.to_owned();
            let hash = blocking(move || hasher.hash_text(&clear)).await??;
            let hash = hash.expose().to_owned();
            uow.run("users", move |conn| {
                sql::Cached(
                    diesel::update(users::table.find(user.into_uuid()))
                        .set(users::password_hash.eq(hash)),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
            events::record(
                &mut uow,
                AuthEvent::new(
                    "password_rehashed",
                    "users",
                    Some(user.into_uuid()),
                    AuditSeverity::Info,
                ),
            )
            .await?;
        }
        let factors = uow.user_mfa().enabled_types(user).await?;
        if !factors.is_empty() {
            let challenge = self.challenge_for(user, tenant, now)?;
            let event = AuthEvent::new(
                "login_mfa_required",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Info,
            )
            .with(
                "factors",
                factors.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            );
            events::record(&mut uow, event).await?;
            uow.commit().await?;
            return Ok(LoginOutcome::MfaRequired { challenge, factors });
        }
        let signed_in = self
            .finish_sign_in(&mut uow, user, tenant, client, now, "password")
            .await?;
        uow.commit().await?;
        Ok(LoginOutcome::SignedIn(signed_in))
    }

    fn challenge_for(
        &self,
        user: UserId,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<MfaChallenge> {
        let body = ChallengeBody {
            user,
            tenant,
            expires: (now + self.config.mfa_challenge_ttl).timestamp(),
        };
        let json = serde_json::to_vec(&body).expect("the challenge serializes");
        Ok(MfaChallenge(
            self.db.key_ring()?.seal_text(&json, CHALLENGE_PLACE),
        ))
    }

    fn open_challenge(&self, challenge: &MfaChallenge) -> Result<ChallengeBody, AuthError> {
        if challenge.0.len() > 1024 {
            return Err(AuthError::InvalidChallenge);
        }
        let json = self
            .db
            .key_ring()?
            .open_text(&challenge.0, CHALLENGE_PLACE)
            .map_err(|_| AuthError::InvalidChallenge)?;
        let body: ChallengeBody =
            serde_json::from_slice(&json).map_err(|_| AuthError::InvalidChallenge)?;
        if body.expires <= self.now().timestamp() {
            return Err(AuthError::InvalidChallenge);
        }
        Ok(body)
    }

    /// Completes a sign-in that needs a second factor with a TOTP code or an
    /// unused backup code. A wrong (or reused) code counts as a failed
    /// attempt toward the lock, and is audited.
    pub async fn complete_mfa(
        &self,
        challenge: &MfaChallenge,
        code: &str,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let body = self.open_challenge(challenge)?;
        let now = self.now();
        let mut uow = self
            .db
            .unit_of_work(&client.context(body.tenant, body.user))
            .await?;
        let counters = self.check_still_allowed(&mut uow, body.user, now).await?;
        let code = code.trim();
        let factor = if code.len() <= 64 {
            uow.user_mfa()
                .check_code(body.user, code, &self.mfa)
                .await?
        } else {
            None
        };
        let Some(factor) = factor else {
            return Err(self.mfa_failed(uow, body.user, counters, now).await?);
        };
        let method = match factor {
            SecondFactor::Totp => "totp",
            SecondFactor::BackupCode { .. } => "backup_code",
            SecondFactor::External(t) => t.as_str(),
        };
        let mut event = AuthEvent::new(
            "mfa_verified",
            "users",
            Some(body.user.into_uuid()),
            AuditSeverity::Info,
        )
        .with("method", method);
        if let SecondFactor::BackupCode { remaining } = factor {
            event = event.with("backup_codes_left", remaining);
        }
        events::record(&mut uow, event).await?;
        let signed_in = self
            .finish_sign_in(&mut uow, body.user, body.tenant, client, now, method)
            .await?;
        uow.commit().await?;
        Ok(signed_in)
    }

    /// Completes a sign-in with an SMS or e-mail factor whose code the
    /// application sent and checked itself. `code_was_right` is its verdict:
    /// `false` counts a failed attempt (and is audited) like a wrong TOTP code.
    pub async fn complete_mfa_external(
        &self,
        challenge: &MfaChallenge,
        mfa_type: MfaType,
        code_was_right: bool,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let body = self.open_challenge(challenge)?;
        let now = self.now();
        let mut uow = self
            .db
            .unit_of_work(&client.context(body.tenant, body.user))
            .await?;
        let counters = self.check_still_allowed(&mut uow, body.user, now).await?;
        let accepted = code_was_right
            && mfa_type != MfaType::Totp
            && uow
                .user_mfa()
                .touch_external(body.user, mfa_type, now)
                .await?;
        if !accepted {
            return Err(self.mfa_failed(uow, body.user, counters, now).await?);
        }
        events::record(
            &mut uow,
            AuthEvent::new(
                "mfa_verified",
                "users",
                Some(body.user.into_uuid()),
                AuditSeverity::Info,
            )
            .with("method", mfa_type.as_str()),
        )
        .await?;
        let signed_in = self
            .finish_sign_in(
                &mut uow,
                body.user,
                body.tenant,
                client,
                now,
                mfa_type.as_str(),
            )
            .await?;
        uow.commit().await?;
        Ok(signed_in)
    }

    /// Refuses the second step when the account was locked, disabled or
    /// deleted since the password step. The user's row stays locked until the
    /// unit of work ends, so concurrent second steps of one account are
    /// decided one at a time, each on current counters (returned): at most
    /// `max_failed_attempts` codes are evaluated before the lock holds.
    async fn check_still_allowed(
        &self,
        uow: &mut UnitOfWork,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Counters, AuthError> {
        let state = uow
            .run("users", move |conn| {
                users::table
                    .find(user.into_uuid())
                    .filter(users::deleted_at.is_null())
                    .select((
                        users::failed_login_attempts,
                        users::locked_until,
                        users::status,
                    ))
                    .for_update()
                    .first::<(i32, Option<DateTime<Utc>>, String)>(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        let Some((attempts, locked_until, status)) = state else {
            return Err(AuthError::InvalidChallenge);
        };
        if let Some(until) = locked_until.filter(|until| *until > now) {
            return Err(AuthError::Locked { until });
        }
        if status != UserStatus::Active.as_str() {
            return Err(AuthError::AccountDisabled);
        }
        Ok((attempts, locked_until))
    }

    /// Counts a failed second factor (`counters` as read, under the row lock,
    /// by [`check_still_allowed`](Self::check_still_allowed)), audits it,
    /// commits, and says what to answer.
    async fn mfa_failed(
        &self,
        mut uow: UnitOfWork,
        user: UserId,
        counters: Counters,
        now: DateTime<Utc>,
    ) -> Result<AuthError> {
        let (attempts, locked_until) = next_failure(
            counters.0,
            counters.1,
            now,
            self.config.max_failed_attempts,
            self.config.lockout,
        );
        uow.run("users", write_counters(user, attempts, locked_until))
            .await?;
        events::record(
            &mut uow,
            AuthEvent::new(
                "mfa_failed",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Warning,
            )
            .with("failed_attempts", attempts),
        )
        .await?;
        let locked = locked_until.filter(|until| *until > now);
        if let Some(until) = locked {
            events::record(
                &mut uow,
                AuthEvent::new(
                    "account_locked",
                    "users",
                    Some(user.into_uuid()),
                    AuditSeverity::Critical,
                )
                .with("failed_attempts", attempts)
                .with("locked_until", until.to_rfc3339()),
            )
            .await?;
        }
        uow.commit().await?;
        Ok(match locked {
            Some(until) => AuthError::Locked { until },
            None => AuthError::InvalidCode,
        })
    }

    /// Clears the counters, sets `last_login`, starts the session, audits.
    ///
    /// Only while the account is not locked: the counters are cleared by one
    /// conditional UPDATE, so a lock that concurrent failures earned after
    /// this attempt's password or code was checked is never ended by it, and
    /// the sign-in is refused instead ([`AuthError::Locked`]).
    async fn finish_sign_in(
        &self,
        uow: &mut UnitOfWork,
        user: UserId,
        tenant: TenantId,
        client: &ClientInfo,
        now: DateTime<Utc>,
        method: &'static str,
    ) -> Result<SignedIn, AuthError> {
        let cleared = uow
            .run("users", move |conn| {
                sql::Cached(
                    diesel::update(
                        users::table
                            .find(user.into_uuid())
                            .filter(users::deleted_at.is_null())
                            .filter(users::status.eq(UserStatus::Active.as_str()))
                            .filter(
                                users::locked_until
                                    .is_null()
                                    .or(users::locked_until.le(now)),
                            ),
                    )
                    .set((
                        users::failed_login_attempts.eq(0),
                        users::locked_until.eq(None::<DateTime<Utc>>),
                        users::last_login.eq(Some(now)),
                    )),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        if cleared == 0 {
            // Locked since the check, or no longer allowed to sign in.
            let locked = uow
                .run("users", move |conn| {
                    users::table
                        .find(user.into_uuid())
                        .select(users::locked_until)
                        .first::<Option<DateTime<Utc>>>(&mut { conn })
                        .map(|r| r.optional())
                        .boxed()
                })
                .await?
                .flatten()
                .filter(|until| *until > now);
            return Err(match locked {
                Some(until) => AuthError::Locked { until },
                None => AuthError::AccountDisabled,
            });
        }
        let session_id = UserSessionId::new();
        let session_token = SessionToken::generate();
        let refresh_token = RefreshToken::generate(session_id);
        let expires_at = now + self.config.session_ttl;
        let new = NewUserSession {
            user_id: user,
            token_hash: session_token.hash(),
            refresh_token_hash: Some(refresh_token.hash()),
            device_info: client.device_info.clone(),
            ip_address: client.ip,
            user_agent: client
                .user_agent
                .as_deref()
                .and_then(|ua| LongText::new(ua).ok()),
            created_at: now,
            expires_at,
        };
        uow.user_sessions().insert(session_id, new).await?;
        events::record(
            uow,
            AuthEvent::new(
                "login_succeeded",
                "users",
                Some(user.into_uuid()),
                AuditSeverity::Info,
            )
            .with("method", method)
            .with("session_id", session_id.to_string()),
        )
        .await?;
        Ok(SignedIn {
            session_id,
            user_id: user,
            tenant_id: tenant,
            session_token,
            refresh_token,
            expires_at,
        })
    }

    /// Checks a session token: it must exist, be active and unexpired, its
    /// user active and not deleted, and its tenant active (a lock from failed
    /// sign-ins does not end existing sessions). Touches the session's
    /// `last_activity`.
    pub async fn authenticate(
        &self,
        session_token: &str,
    ) -> Result<AuthenticatedSession, AuthError> {
        let token = SessionToken::parse(session_token).map_err(|_| AuthError::InvalidSession)?;
        let now = self.now();
        let mut platform = self
            .db
            .platform("authenticate a session token", None)
            .await?;
        let candidate = platform
            .session_by_token_hash(token.hash().expose().to_owned())
            .await?;
        let Some(candidate) = candidate else {
            platform.commit().await?;
            return Err(AuthError::InvalidSession);
        };
        let row = &candidate.row;
        let usable = row.status == SessionStatus::Active.as_str()
            && now < row.expires_at
            && candidate.user_ok;
        if !usable {
            platform.commit().await?;
            return Err(AuthError::InvalidSession);
        }
        let session = AuthenticatedSession {
            session_id: UserSessionId::from_uuid(row.id),
            user_id: UserId::from_uuid(row.user_id),
            tenant_id: candidate.tenant_id,
            expires_at: row.expires_at,
        };
        platform.touch_session(row.id, now).await?;
        platform.commit().await?;
        Ok(session)
    }

    /// Exchanges a refresh token for a new session token and a new refresh
    /// token (rotation: the old ones stop working). A refresh token that was
    /// already used is refused and revokes its session
    /// ([`AuthError::RefreshTokenReused`]). Refused too: a session that is
    /// not active, older than [`AuthConfig::session_max_lifetime`] (it is
    /// marked expired), or whose user can no longer sign in.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let token = RefreshToken::parse(refresh_token).map_err(|_| AuthError::InvalidSession)?;
        let now = self.now();
        let origin = client.origin();
        let mut platform = self.db.platform("refresh a session", None).await?;
        let Some(candidate) = platform.session_for_update(token.session_id()).await? else {
            platform.commit().await?;
            return Err(AuthError::InvalidSession);
        };
        let row = &candidate.row;
        let (tenant, user) = (candidate.tenant_id, UserId::from_uuid(row.user_id));
        let session = Some(token.session_id());
        let active = row.status == SessionStatus::Active.as_str();
        let current = row
            .refresh_hash()
            .is_some_and(|stored| same_hash(&stored, &token.hash()));
        if !current {
            if active {
                platform
                    .set_session_status(row.id, SessionStatus::Revoked.as_str())
                    .await?;
                let event = AuthEvent::new(
                    "refresh_token_reused",
                    "user_sessions",
                    Some(row.id),
                    AuditSeverity::Critical,
                )
                .with("action_taken", "session revoked");
                events::record_platform(
                    &mut platform,
                    event,
                    Some(tenant),
                    Some(user),
                    session,
                    &origin,
                )
                .await?;
                platform.commit().await?;
                return Err(AuthError::RefreshTokenReused);
            }
            platform.commit().await?;
            return Err(AuthError::InvalidSession);
        }
        let end_of_life = row.created_at + self.config.session_max_lifetime;
        if active && now >= end_of_life {
            platform
                .set_session_status(row.id, SessionStatus::Expired.as_str())
                .await?;
        }
        if !active || now >= end_of_life || !candidate.user_ok {
            platform.commit().await?;
            return Err(AuthError::InvalidSession);
        }
        let session_token = SessionToken::generate();
        let refresh = RefreshToken::generate(token.session_id());
        let expires_at = (now + self.config.session_ttl).min(end_of_life);
        platform
            .rotate_session(
                row.id,
                session_token.hash().expose().to_owned(),
                refresh.hash().expose().to_owned(),
                expires_at,
                now,
            )
            .await?;
        let event = AuthEvent::new(
            "session_refreshed",
            "user_sessions",
            Some(row.id),
            AuditSeverity::Info,
        );
        events::record_platform(
            &mut platform,
            event,
            Some(tenant),
            Some(user),
            session,
            &origin,
        )
        .await?;
        platform.commit().await?;
        Ok(SignedIn {
            session_id: token.session_id(),
            user_id: user,
            tenant_id: tenant,
            session_token,
            refresh_token: refresh,
            expires_at,
        })
    }

    /// Signs out: revokes the session of `session_token`. An unknown or
    /// already ended session is [`AuthError::InvalidSession`].
    pub async fn logout(&self, session_token: &str, client: &ClientInfo) -> Result<(), AuthError> {
        let token = SessionToken::parse(session_token).map_err(|_| AuthError::InvalidSession)?;
        let mut platform = self.db.platform("sign out", None).await?;
        let candidate = platform
            .session_by_token_hash(token.hash().expose().to_owned())
            .await?;
        let Some(candidate) = candidate.filter(|c| c.row.status == SessionStatus::Active.as_str())
        else {
            platform.commit().await?;
            return Err(AuthError::InvalidSession);
        };
        let row = &candidate.row;
        platform
            .set_session_status(row.id, SessionStatus::Revoked.as_str())
            .await?;
        let event = AuthEvent::new(
            "session_revoked",
            "user_sessions",
            Some(row.id),
            AuditSeverity::Info,
        )
        .with("reason", "logout");
        events::record_platform(
            &mut platform,
            event,
            Some(candidate.tenant_id),
            Some(UserId::from_uuid(row.user_id)),
            Some(UserSessionId::from_uuid(row.id)),
            &client.origin(),
        )
        .await?;
        platform.commit().await?;
        Ok(())
    }

    /// Re-seals every TOTP secret and OAuth token of the context's tenant
    /// that was sealed with a retired key, with the key ring's current key
    /// (key rotation; the context's actor must be an admin). Returns how many
    /// factors and connections were re-sealed.
    pub async fn reseal_tenant_secrets(&self, ctx: &Context) -> Result<(usize, usize)> {
        const BATCH: usize = 500;
        let (mut factors, mut connections) = (0, 0);
        loop {
            let mut uow = self.db.unit_of_work(ctx).await?;
            let f = uow.user_mfa().reseal_retired(BATCH).await?;
            let c = uow.oauth_connections().reseal_retired(BATCH).await?;
            uow.commit().await?;
            factors += f;
            connections += c;
            if f < BATCH && c < BATCH {
                return Ok((factors, connections));
            }
        }
    }
}
