//! `auth.user_mfa`: second factors, one per type per user, isolated through
//! their user.
//!
//! * TOTP: the secret is generated here, sealed with the key ring (associated
//!   data `auth.user_mfa.secret_key:<row id>`) and shown once, as base32 and
//!   as an `otpauth://` URI; the factor is enabled when a first code
//!   confirms it. `last_used` holds the start of the time step of the last
//!   accepted code, so no code is accepted twice.
//! * Backup codes: ten 50-bit codes shown once when TOTP is enabled (or
//!   regenerated), stored as argon2id hashes; each is removed when used.
//! * SMS and e-mail: the row records that the factor is enabled and when it
//!   was last used; the application sends and checks those codes itself.

use std::fmt;

use aems_core::auth::user_mfa::{MfaType, UserMfa};
use aems_core::risk::audit_logs::AuditSeverity;
use aems_core::{DomainError, ErrorCode, PasswordHash, Secret, SecretString, TransitionError};
use aems_core::{UserId, UserMfaId};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::auth::Clock;
use crate::auth::access;
use crate::auth::events::{self, AuthEvent};
use crate::auth::passwords::{HashParams, PasswordHasher, blocking};
use crate::auth::totp::{self, TotpParams, TotpSecret};
use crate::crypto::KeyRing;
use crate::error::{Error, Result};
use crate::schema::auth::{user_mfa, users};
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "user_mfa";

/// Characters of a backup code, without its separator.
const BACKUP_CODE_CHARS: usize = 10;
/// Crockford's base32 alphabet (no I, L, O, U: nothing to mistake).
const BACKUP_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The associated data binding a sealed TOTP secret to its row.
fn secret_place(id: Uuid) -> Vec<u8> {
    format!("auth.user_mfa.secret_key:{id}").into_bytes()
}

/// What the MFA operations need: the issuer shown in authenticator apps, the
/// TOTP parameters, how many backup codes to issue and how to hash them, and
/// the clock.
#[derive(Debug, Clone)]
pub struct MfaSettings {
    /// The issuer name shown in authenticator apps.
    pub issuer: String,
    /// Period, digits and accepted skew.
    pub totp: TotpParams,
    /// How many backup codes to issue.
    pub backup_code_count: usize,
    pub(crate) backup_hasher: PasswordHasher,
    pub(crate) clock: Clock,
}

impl MfaSettings {
    /// Settings with the defaults: 30-second steps, 6 digits, ±1 step, ten
    /// backup codes hashed with [`HashParams::BACKUP_CODES`].
    pub fn new(issuer: impl Into<String>, clock: Clock) -> Result<Self> {
        Ok(Self {
            issuer: issuer.into(),
            totp: TotpParams::default(),
            backup_code_count: 10,
            backup_hasher: PasswordHasher::new(HashParams::BACKUP_CODES)?,
            clock,
        })
    }

    /// Hashes backup codes with `params` instead (tests use cheap ones).
    pub fn backup_code_params(mut self, params: HashParams) -> Result<Self> {
        self.backup_hasher = PasswordHasher::new(params)?;
        Ok(self)
    }
}

/// What a user sees once when enrolling TOTP: the secret, as base32 text and
/// as the URI to scan. Never printed.
pub struct TotpEnrolment {
    /// The factor's row.
    pub factor_id: UserMfaId,
    /// The secret, base32 (for typing into an app).
    pub secret_base32: SecretString,
    /// The `otpauth://totp/...` URI (for a QR code).
    pub provisioning_uri: SecretString,
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpEnrolment")
            .field("factor_id", &self.factor_id)
            .finish_non_exhaustive()
    }
}

/// Backup codes, shown once (each `XXXXX-XXXXX`); only their hashes are kept.
pub struct BackupCodes(Vec<SecretString>);

impl BackupCodes {
    /// The codes, to show the user once.
    pub fn expose(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|c| c.expose().as_str())
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for BackupCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackupCodes({} [REDACTED])", self.0.len())
    }
}

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// A TOTP code.
    Totp,
    /// A backup code; `remaining` are left.
    BackupCode {
        /// Unused backup codes left.
        remaining: usize,
    },
    /// A code the application sent and checked itself (SMS, e-mail).
    External(MfaType),
}

fn generate_backup_code() -> String {
    let bytes = crate::auth::tokens::random_bytes::<BACKUP_CODE_CHARS>();
    let chars: String = bytes
        .iter()
        .map(|b| BACKUP_ALPHABET[usize::from(b & 31)] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// A code as typed, normalised for comparison (upper case, no separators);
/// `None` when it cannot be a backup code.
fn normalize_backup_code(code: &str) -> Option<String> {
    if code.len() > 64 {
        return None;
    }
    let cleaned: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (cleaned.len() == BACKUP_CODE_CHARS && cleaned.bytes().all(|b| BACKUP_ALPHABET.contains(&b)))
        .then_some(cleaned)
}

/// A row of `auth.user_mfa` as stored.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = user_mfa, check_for_backend(Pg))]
pub(crate) struct UserMfaRow {
    id: Uuid,
    user_id: Uuid,
    mfa_type: String,
    is_enabled: bool,
    secret_key: Option<String>,
    backup_codes: Option<Vec<Option<String>>>,
    last_used: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl fmt::Debug for UserMfaRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserMfaRow")
            .field("id", &self.id)
            .field("mfa_type", &self.mfa_type)
            .finish_non_exhaustive()
    }
}

impl UserMfaRow {
    fn secret(&self, keys: &KeyRing) -> Result<Option<TotpSecret>> {
        self.secret_key
            .as_deref()
            .map(|sealed| {
                keys.open_text(sealed, &secret_place(self.id))
                    .map(TotpSecret::from_bytes)
                    .map_err(Error::from)
            })
            .transpose()
    }

    fn hashes(&self) -> Vec<String> {
        self.backup_codes
            .iter()
            .flatten()
            .flatten()
            .cloned()
            .collect()
    }

    /// The factor as read back: never its secret, which is shown once at
    /// enrolment and opened afterwards only to check a code.
    fn into_entity(self) -> Result<UserMfa> {
        Ok(UserMfa {
            id: UserMfaId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            mfa_type: crate::repository::decode(ENTITY, "mfa_type", &self.mfa_type)?,
            is_enabled: self.is_enabled,
            backup_codes: self
                .backup_codes
                .as_ref()
                .map(|_| self.hashes().into_iter().map(Secret::new).collect()),
            last_used: self.last_used,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A new factor row.
#[derive(Insertable)]
#[diesel(table_name = user_mfa, check_for_backend(Pg), treat_none_as_default_value = false)]
struct NewUserMfaRow {
    id: Uuid,
    user_id: Uuid,
    mfa_type: &'static str,
    is_enabled: bool,
    secret_key: Option<String>,
    backup_codes: Option<Vec<Option<String>>>,
    last_used: Option<DateTime<Utc>>,
}

/// The second factors of the context's tenant's users: `uow.user_mfa()`.
///
/// A user reads and manages their own factors; an admin may read and disable
/// anyone's (e.g. a lost phone). No read returns the TOTP secret: it is shown
/// once, by [`begin_totp_enrolment`](Self::begin_totp_enrolment), and opened
/// afterwards only to check a code (which needs the key ring).
#[derive(Debug)]
pub struct UserMfas<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> UserMfas<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// `user`'s factors (at most one per type), by type. The TOTP secret is
    /// not among what is returned (nor opened): it was shown once, at
    /// enrolment.
    pub async fn list_for_user(&mut self, user: UserId) -> Result<Vec<UserMfa>> {
        access::require_self_or_admin(self.exec, user).await?;
        let rows = self.rows_of(user).await?;
        rows.into_iter().map(UserMfaRow::into_entity).collect()
    }

    /// `user`'s factor of type `mfa_type`, if any (without its secret).
    pub async fn find(&mut self, user: UserId, mfa_type: MfaType) -> Result<Option<UserMfa>> {
        access::require_self_or_admin(self.exec, user).await?;
        let row = self.row(user, mfa_type, false).await?;
        row.map(UserMfaRow::into_entity).transpose()
    }

    /// Whether `user` has any enabled factor (what sign-in asks).
    pub(crate) async fn enabled_types(&mut self, user: UserId) -> Result<Vec<MfaType>> {
        let types = self
            .exec
            .run(ENTITY, move |conn| {
                user_mfa::table
                    .filter(user_mfa::user_id.eq(user.into_uuid()))
                    .filter(user_mfa::is_enabled.eq(true))
                    .select(user_mfa::mfa_type)
                    .order(user_mfa::mfa_type)
                    .load::<String>(&mut { conn })
                    .boxed()
            })
            .await?;
        types
            .iter()
            .map(|t| crate::repository::decode(ENTITY, "mfa_type", t))
            .collect()
    }

    async fn rows_of(&mut self, user: UserId) -> Result<Vec<UserMfaRow>> {
        self.exec
            .run(ENTITY, move |conn| {
                user_mfa::table
                    .filter(user_mfa::user_id.eq(user.into_uuid()))
                    .select(UserMfaRow::as_select())
                    .order(user_mfa::mfa_type)
                    .load(&mut { conn })
                    .boxed()
            })
            .await
    }

    async fn row(
        &mut self,
        user: UserId,
        mfa_type: MfaType,
        lock: bool,
    ) -> Result<Option<UserMfaRow>> {
        self.exec
            .run(ENTITY, move |conn| {
                let query = user_mfa::table
                    .filter(user_mfa::user_id.eq(user.into_uuid()))
                    .filter(user_mfa::mfa_type.eq(mfa_type.as_str()))
                    .select(UserMfaRow::as_select());
                if lock {
                    query
                        .for_update()
                        .first(&mut { conn })
                        .map(|r| r.optional())
                        .boxed()
                } else {
                    query.first(&mut { conn }).map(|r| r.optional()).boxed()
                }
            })
            .await
    }
}

impl<'e, E: Transactional> UserMfas<'e, E> {
    /// Starts TOTP enrolment for the actor (`user` must be the actor): a new
    /// secret, sealed and stored with the factor still disabled, shown once.
    /// Starting again before confirming replaces the secret; a TOTP factor
    /// that is already enabled is refused ([`Error::Transition`]).
    pub async fn begin_totp_enrolment(
        &mut self,
        user: UserId,
        settings: &MfaSettings,
    ) -> Result<TotpEnrolment> {
        access::require_self(self.exec, user)?;
        let email = self
            .exec
            .run("users", move |conn| {
                users::table
                    .find(user.into_uuid())
                    .filter(users::deleted_at.is_null())
                    .select(users::email)
                    .first::<String>(&mut { conn })
                    .boxed()
            })
            .await?;
        let existing = self.row(user, MfaType::Totp, true).await?;
        if existing.as_ref().is_some_and(|r| r.is_enabled) {
            return Err(TransitionError::Final {
                entity: "totp factor",
                state: "enabled",
            }
            .into());
        }
        let id = existing.as_ref().map_or_else(Uuid::now_v7, |r| r.id);
        let secret = TotpSecret::generate();
        let sealed = self
            .exec
            .keys()?
            .seal_text(secret.expose(), &secret_place(id));
        if existing.is_some() {
            self.exec
                .run(ENTITY, move |conn| {
                    sql::Cached(diesel::update(user_mfa::table.find(id)).set((
                        user_mfa::secret_key.eq(Some(sealed)),
                        user_mfa::backup_codes.eq(None::<Vec<Option<String>>>),
                        user_mfa::last_used.eq(None::<DateTime<Utc>>),
                    )))
                    .execute(&mut { conn })
                    .boxed()
                })
                .await?;
        } else {
            let row = NewUserMfaRow {
                id,
                user_id: user.into_uuid(),
                mfa_type: MfaType::Totp.as_str(),
                is_enabled: false,
                secret_key: Some(sealed),
                backup_codes: None,
                last_used: None,
            };
            self.exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(user_mfa::table)
                        .values(row)
                        .execute(&mut { conn })
                        .boxed()
                })
                .await?;
        }
        Ok(TotpEnrolment {
            factor_id: UserMfaId::from_uuid(id),
            secret_base32: secret.to_base32(),
            provisioning_uri: secret.provisioning_uri(&settings.issuer, &email, settings.totp),
        })
    }

    /// Confirms TOTP enrolment with a first code from the app: the factor is
    /// enabled and backup codes are issued (shown once). A wrong code is
    /// [`Error::Validation`] on `code` and nothing changes; no enrolment in
    /// progress (or one already confirmed) is [`Error::Transition`].
    pub async fn confirm_totp(
        &mut self,
        user: UserId,
        code: &str,
        settings: &MfaSettings,
    ) -> Result<BackupCodes> {
        access::require_self(self.exec, user)?;
        let row =
            self.row(user, MfaType::Totp, true)
                .await?
                .ok_or(TransitionError::IllegalMove {
                    entity: "totp factor",
                    from: "not enrolled",
                    to: "enabled",
                })?;
        if row.is_enabled {
            return Err(TransitionError::Final {
                entity: "totp factor",
                state: "enabled",
            }
            .into());
        }
        let secret = row.secret(self.exec.keys()?)?.ok_or(Error::Decode {
            entity: ENTITY,
            column: "secret_key",
            reason: "a TOTP factor without a secret".into(),
        })?;
        let now = settings.clock.now();
        let Some(step) = secret.verify(code, now.timestamp(), None, settings.totp) else {
            return Err(wrong_code());
        };
        let (codes, hashes) = issue_backup_codes(settings).await?;
        let id = row.id;
        let used = step_instant(step, settings.totp);
        self.exec
            .run(ENTITY, move |conn| {
                sql::Cached(diesel::update(user_mfa::table.find(id)).set((
                    user_mfa::is_enabled.eq(true),
                    user_mfa::last_used.eq(Some(used)),
                    user_mfa::backup_codes.eq(Some(hashes)),
                )))
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        events::record(
            self.exec,
            AuthEvent::new("mfa_enabled", ENTITY, Some(id), AuditSeverity::Info)
                .with("mfa_type", "totp"),
        )
        .await?;
        Ok(codes)
    }

    /// Replaces the actor's backup codes with new ones (shown once); the old
    /// ones stop working. Needs an enabled TOTP factor.
    pub async fn regenerate_backup_codes(
        &mut self,
        user: UserId,
        settings: &MfaSettings,
    ) -> Result<BackupCodes> {
        access::require_self(self.exec, user)?;
        let row = self.row(user, MfaType::Totp, true).await?;
        let Some(row) = row.filter(|r| r.is_enabled) else {
            return Err(TransitionError::IllegalMove {
                entity: "backup codes",
                from: "no enabled totp factor",
                to: "issued",
            }
            .into());
        };
        let (codes, hashes) = issue_backup_codes(settings).await?;
        let id = row.id;
        self.exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(user_mfa::table.find(id))
                        .set(user_mfa::backup_codes.eq(Some(hashes))),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        events::record(
            self.exec,
            AuthEvent::new(
                "mfa_backup_codes_regenerated",
                ENTITY,
                Some(id),
                AuditSeverity::Info,
            )
            .with("count", codes.len()),
        )
        .await?;
        Ok(codes)
    }

    /// Enables an SMS or e-mail factor for the actor, whose codes the
    /// application sends and checks itself (call it once the application has
    /// confirmed the phone or address). TOTP is refused here (it needs
    /// [`begin_totp_enrolment`](Self::begin_totp_enrolment)).
    pub async fn enable_external(&mut self, user: UserId, mfa_type: MfaType) -> Result<UserMfa> {
        access::require_self(self.exec, user)?;
        if mfa_type == MfaType::Totp {
            return Err(Error::Validation(DomainError::field(
                "mfa_type",
                ErrorCode::NotAllowed,
                "TOTP is enrolled with begin_totp_enrolment and confirm_totp",
            )));
        }
        let row = NewUserMfaRow {
            id: Uuid::now_v7(),
            user_id: user.into_uuid(),
            mfa_type: mfa_type.as_str(),
            is_enabled: true,
            secret_key: None,
            backup_codes: None,
            last_used: None,
        };
        let stored = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(user_mfa::table)
                    .values(row)
                    .on_conflict((user_mfa::user_id, user_mfa::mfa_type))
                    .do_update()
                    .set(user_mfa::is_enabled.eq(true))
                    .returning(UserMfaRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        let id = stored.id;
        events::record(
            self.exec,
            AuthEvent::new("mfa_enabled", ENTITY, Some(id), AuditSeverity::Info)
                .with("mfa_type", mfa_type.as_str()),
        )
        .await?;
        stored.into_entity()
    }

    /// Removes `user`'s factor of type `mfa_type` (the user, or an admin for
    /// a user who lost it). Returns whether there was one.
    pub async fn disable(&mut self, user: UserId, mfa_type: MfaType) -> Result<bool> {
        access::require_self_or_admin(self.exec, user).await?;
        let removed = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(
                    user_mfa::table
                        .filter(user_mfa::user_id.eq(user.into_uuid()))
                        .filter(user_mfa::mfa_type.eq(mfa_type.as_str())),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        if removed > 0 {
            events::record(
                self.exec,
                AuthEvent::new(
                    "mfa_disabled",
                    "users",
                    Some(user.into_uuid()),
                    AuditSeverity::Warning,
                )
                .with("mfa_type", mfa_type.as_str()),
            )
            .await?;
        }
        Ok(removed > 0)
    }

    /// Checks a second-factor code of `user` (sign-in): a TOTP code within
    /// the skew window and newer than the last accepted one, or an unused
    /// backup code (then removed). `None` when it is neither. Writes the use.
    pub(crate) async fn check_code(
        &mut self,
        user: UserId,
        code: &str,
        settings: &MfaSettings,
    ) -> Result<Option<SecondFactor>> {
        let Some(row) = self
            .row(user, MfaType::Totp, true)
            .await?
            .filter(|r| r.is_enabled)
        else {
            return Ok(None);
        };
        let id = row.id;
        let now = settings.clock.now();
        if code.len() == settings.totp.digits as usize {
            let secret = row.secret(self.exec.keys()?)?;
            let last = row
                .last_used
                .map(|t| totp::step_of(t.timestamp(), settings.totp));
            let step = secret.and_then(|s| s.verify(code, now.timestamp(), last, settings.totp));
            let Some(step) = step else { return Ok(None) };
            let used = step_instant(step, settings.totp);
            self.exec
                .run(ENTITY, move |conn| {
                    sql::Cached(
                        diesel::update(user_mfa::table.find(id))
                            .set(user_mfa::last_used.eq(Some(used))),
                    )
                    .execute(&mut { conn })
                    .boxed()
                })
                .await?;
            return Ok(Some(SecondFactor::Totp));
        }
        let Some(code) = normalize_backup_code(code) else {
            return Ok(None);
        };
        let hashes = row.hashes();
        let hasher = settings.backup_hasher.clone();
        let candidates = hashes.clone();
        let matched = blocking(move || {
            candidates.iter().position(|h| {
                PasswordHash::new(h).is_ok_and(|h| hasher.verify(&code, &h).is_match())
            })
        })
        .await?;
        let Some(index) = matched else {
            return Ok(None);
        };
        let remaining: Vec<Option<String>> = hashes
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, h)| Some(h))
            .collect();
        let left = remaining.len();
        // `last_used` is the TOTP replay guard; a backup code leaves it alone.
        self.exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(user_mfa::table.find(id))
                        .set(user_mfa::backup_codes.eq(Some(remaining))),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(Some(SecondFactor::BackupCode { remaining: left }))
    }

    /// Stamps the use of an externally checked factor; `false` when `user`
    /// has no such enabled factor.
    pub(crate) async fn touch_external(
        &mut self,
        user: UserId,
        mfa_type: MfaType,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let touched = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        user_mfa::table
                            .filter(user_mfa::user_id.eq(user.into_uuid()))
                            .filter(user_mfa::mfa_type.eq(mfa_type.as_str()))
                            .filter(user_mfa::is_enabled.eq(true)),
                    )
                    .set(user_mfa::last_used.eq(Some(now))),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(touched > 0)
    }

    /// Re-seals, with the key ring's current key, up to `limit` TOTP secrets
    /// of the tenant sealed with another (retired) key. Returns how many were
    /// re-sealed; run it until it returns 0. Needs an admin of the tenant.
    pub async fn reseal_retired(&mut self, limit: usize) -> Result<usize> {
        access::require_admin(self.exec).await?;
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                user_mfa::table
                    .filter(user_mfa::secret_key.is_not_null())
                    .select((user_mfa::id, user_mfa::secret_key.assume_not_null()))
                    .order(user_mfa::id)
                    .for_update()
                    .load::<(Uuid, String)>(&mut { conn })
                    .boxed()
            })
            .await?;
        let keys = self.exec.keys()?;
        let mut updates = Vec::new();
        for (id, sealed) in rows {
            if updates.len() >= limit {
                break;
            }
            if !needs_rotation(keys, &sealed) {
                continue;
            }
            let plain = keys.open_text(&sealed, &secret_place(id))?;
            updates.push((id, keys.seal_text(&plain, &secret_place(id))));
        }
        let count = updates.len();
        for (id, sealed) in updates {
            self.exec
                .run(ENTITY, move |conn| {
                    sql::Cached(
                        diesel::update(user_mfa::table.find(id))
                            .set(user_mfa::secret_key.eq(Some(sealed))),
                    )
                    .execute(&mut { conn })
                    .boxed()
                })
                .await?;
        }
        Ok(count)
    }
}

/// Whether a base64 envelope was sealed with another key than the current.
pub(crate) fn needs_rotation(keys: &KeyRing, sealed: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map(|bytes| keys.needs_rotation(&bytes))
        .unwrap_or(false)
}

fn wrong_code() -> Error {
    Error::Validation(DomainError::field(
        "code",
        ErrorCode::InvalidFormat,
        "is not a current code of this factor",
    ))
}

fn step_instant(step: i64, params: TotpParams) -> DateTime<Utc> {
    DateTime::from_timestamp(totp::step_start(step, params), 0).unwrap_or_default()
}

async fn issue_backup_codes(settings: &MfaSettings) -> Result<(BackupCodes, Vec<Option<String>>)> {
    let codes: Vec<String> = (0..settings.backup_code_count)
        .map(|_| generate_backup_code())
        .collect();
    let hasher = settings.backup_hasher.clone();
    let plain = codes.clone();
    let hashes = blocking(move || {
        plain
            .iter()
            .map(|c| {
                let normalized = normalize_backup_code(c).expect("generated codes are valid");
                hasher
                    .hash_text(&normalized)
                    .map(|h| Some(h.expose().to_owned()))
            })
            .collect::<Result<Vec<_>>>()
    })
    .await??;
    Ok((
        BackupCodes(codes.into_iter().map(Secret::new).collect()),
        hashes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_codes_have_50_bits_and_normalise() {
        let code = generate_backup_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        let normalized = normalize_backup_code(&code).unwrap();
        assert_eq!(normalized.len(), 10);
        assert_eq!(
            normalize_backup_code(&code.to_lowercase().replace('-', " ")),
            Some(normalized)
        );
        for bad in ["", "123456", "ABCDE-ABCD", "ABCDE-ABCDO", "'; DROP --"] {
            assert_eq!(normalize_backup_code(bad), None, "{bad:?}");
        }
        assert_ne!(generate_backup_code(), generate_backup_code());
    }

    #[test]
    fn secrets_do_not_print() {
        let codes = BackupCodes(vec![Secret::new("ABCDE-FGHJK".into())]);
        assert!(!format!("{codes:?}").contains("ABCDE"));
    }
}
