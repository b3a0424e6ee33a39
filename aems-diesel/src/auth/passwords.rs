//! Password hashing (argon2id) and the password policy.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so
//! each carries the parameters it was made with: when the configured
//! parameters change, a hash made with older ones still verifies, and
//! [`PasswordHasher::verify`] says it should be replaced (login does that).
//!
//! The default parameters are OWASP's recommendation for argon2id (2025): 19 MiB
//! of memory, 2 passes, 1 lane ([`HashParams::OWASP`]). Salts are 128-bit,
//! from the operating system's generator.

use aems_core::{DomainError, ErrorCode, FieldErrors, Password, PasswordHash};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::OsRng;

use crate::error::{Error, Result};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's recommended minimum for argon2id: m = 19 MiB, t = 2, p = 1.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The cost of backup-code hashes: 4 MiB, 1 pass. Backup codes are 50
    /// random bits each (not chosen by people), so an offline search is
    /// already out of reach; the hash only adds margin, and checking a code
    /// against every stored hash stays cheap.
    pub const BACKUP_CODES: Self = Self {
        memory_kib: 4 * 1024,
        iterations: 1,
        parallelism: 1,
    };

    /// Cheap parameters for tests only (8 MiB would still be slow in debug
    /// builds): never use them for real passwords.
    pub const INSECURE_FAST_FOR_TESTS: Self = Self {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn to_argon2(self) -> Result<Params> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::Config(format!("argon2 parameters refused: {e}")))
    }
}

impl Default for HashParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches. `needs_rehash`: the hash was made with other
    /// parameters (or another variant) than the configured ones.
    Match {
        /// Whether the stored hash should be replaced by a new one.
        needs_rehash: bool,
    },
    /// The password does not match (or the stored hash is unusable).
    Mismatch,
}

impl Verification {
    /// Whether the password matched.
    pub fn is_match(self) -> bool {
        matches!(self, Self::Match { .. })
    }
}

/// Hashes and verifies passwords with argon2id and the configured parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    argon: Argon2<'static>,
    /// A hash of a random password with the configured parameters: an unknown
    /// e-mail is checked against it, so it costs what a wrong password costs.
    dummy: PasswordHash,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with `params` (hashes one random password to have a dummy).
    pub fn new(params: HashParams) -> Result<Self> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.to_argon2()?);
        let mut random = [0u8; 32];
        chacha20poly1305::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut random);
        let dummy_password = crate::auth::tokens::hex(&random);
        let mut hasher = Self {
            params,
            argon,
            dummy: PasswordHash::new("$argon2id$placeholder").expect("a PHC prefix"),
        };
        hasher.dummy = hasher.hash_text(&dummy_password)?;
        Ok(hasher)
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Hashes a password with a fresh salt.
    pub fn hash(&self, password: &Password) -> Result<PasswordHash> {
        self.hash_text(password.expose())
    }

    pub(crate) fn hash_text(&self, secret: &str) -> Result<PasswordHash> {
        let salt = SaltString::generate(&mut OsRng);
        let phc = self
            .argon
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|e| Error::PasswordHashing(Box::new(e)))?
            .to_string();
        PasswordHash::new(&phc).map_err(|e| Error::PasswordHashing(Box::new(e)))
    }

    /// Checks `password` against `hash`. A hash that is not a usable argon2
    /// PHC string never matches.
    pub fn verify(&self, password: &str, hash: &PasswordHash) -> Verification {
        let Ok(parsed) = argon2::PasswordHash::new(hash.expose()) else {
            // Same work as a real mismatch, so a broken row is not visible by timing.
            let _ = self.verify_against(password, &self.dummy);
            return Verification::Mismatch;
        };
        if self
            .argon
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Verification::Mismatch;
        }
        let current = Params::try_from(&parsed).ok();
        let needs_rehash = parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
            || current.is_none_or(|p| {
                p.m_cost() != self.params.memory_kib
                    || p.t_cost() != self.params.iterations
                    || p.p_cost() != self.params.parallelism
            });
        Verification::Match { needs_rehash }
    }

    /// Spends the work of one verification on nothing: what an unknown e-mail
    /// costs, so it cannot be told from a wrong password by timing.
    pub fn verify_dummy(&self, password: &str) {
        let _ = self.verify_against(password, &self.dummy);
    }

    fn verify_against(&self, password: &str, hash: &PasswordHash) -> bool {
        argon2::PasswordHash::new(hash.expose())
            .map(|parsed| {
                self.argon
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

/// What a new password must satisfy beyond [`Password`]'s own length rules.
///
/// Every failing rule is reported on the field `password`, with a stable
/// [`ErrorCode`]: `too_short` (fewer than [`min_chars`](Self::min_chars)),
/// `not_allowed` (contains the e-mail's local part or a name), `invalid_format`
/// (fewer than [`min_distinct_chars`](Self::min_distinct_chars) different
/// characters).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Fewest characters (at least [`Password::MIN_CHARS`]).
    pub min_chars: usize,
    /// Fewest different characters ("aaaaaaaaaaaa" has one).
    pub min_distinct_chars: usize,
    /// Refuse passwords containing the e-mail's local part or the user's
    /// first or last name (compared case-insensitively, when 3+ characters).
    pub refuse_personal_data: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: Password::MIN_CHARS,
            min_distinct_chars: 5,
            refuse_personal_data: true,
        }
    }
}

impl PasswordPolicy {
    /// Sets the fewest characters (never below [`Password::MIN_CHARS`]).
    pub fn min_chars(mut self, n: usize) -> Self {
        self.min_chars = n.max(Password::MIN_CHARS);
        self
    }

    /// Sets the fewest different characters.
    pub fn min_distinct_chars(mut self, n: usize) -> Self {
        self.min_distinct_chars = n;
        self
    }

    /// Whether passwords containing the e-mail or a name are refused.
    pub fn refuse_personal_data(mut self, refuse: bool) -> Self {
        self.refuse_personal_data = refuse;
        self
    }

    /// Checks `password` for a user with these personal data; every failing
    /// rule is reported (field `password`). The password never appears in the
    /// error.
    pub fn check(
        &self,
        password: &Password,
        email: &str,
        names: &[&str],
    ) -> std::result::Result<(), DomainError> {
        let text = password.expose();
        let mut errors = FieldErrors::new();
        if text.chars().count() < self.min_chars {
            errors.push(
                "password",
                ErrorCode::TooShort,
                format!("must be at least {} characters", self.min_chars),
            );
        }
        let mut distinct: Vec<char> = text.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < self.min_distinct_chars {
            errors.push(
                "password",
                ErrorCode::InvalidFormat,
                format!(
                    "must use at least {} different characters",
                    self.min_distinct_chars
                ),
            );
        }
        if self.refuse_personal_data {
            let lower = text.to_lowercase();
            let local = email.split('@').next().unwrap_or_default();
            let personal = std::iter::once(local).chain(names.iter().copied());
            if personal
                .map(|p| p.trim().to_lowercase())
                .any(|p| p.chars().count() >= 3 && lower.contains(&p))
            {
                errors.push(
                    "password",
                    ErrorCode::NotAllowed,
                    "must not contain the e-mail address or the user's name",
                );
            }
        }
        errors.into_result()
    }
}

/// The password hasher and policy together: what creating a user or
/// changing a password needs. Hashing runs on a blocking thread, so the
/// async runtime is never stalled by argon2's work.
#[derive(Debug, Clone)]
pub struct Passwords {
    hasher: PasswordHasher,
    policy: PasswordPolicy,
}

impl Passwords {
    /// A hasher with `params` and the `policy`.
    pub fn new(params: HashParams, policy: PasswordPolicy) -> Result<Self> {
        Ok(Self {
            hasher: PasswordHasher::new(params)?,
            policy,
        })
    }

    /// The hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The policy.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// Checks `password` against the policy for this person, then hashes it.
    pub async fn hash_checked(
        &self,
        password: &Password,
        email: &str,
        names: &[&str],
    ) -> Result<PasswordHash> {
        self.policy.check(password, email, names)?;
        let (hasher, password) = (self.hasher.clone(), password.clone());
        blocking(move || hasher.hash(&password)).await?
    }

    /// [`PasswordHasher::verify`] on a blocking thread.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification> {
        let (hasher, password, hash) = (self.hasher.clone(), password.to_owned(), hash.clone());
        blocking(move || hasher.verify(&password, &hash)).await
    }

    /// [`PasswordHasher::verify_dummy`] on a blocking thread.
    pub async fn verify_dummy(&self, password: &str) -> Result<()> {
        let (hasher, password) = (self.hasher.clone(), password.to_owned());
        blocking(move || hasher.verify_dummy(&password)).await
    }
}

/// Runs CPU-heavy work (argon2) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::PasswordHashing(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hasher = fast();
        let password = Password::new("correct horse battery").unwrap();
        let hash = hasher.hash(&password).unwrap();
        assert!(hash.expose().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            hasher.verify("correct horse battery", &hash),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher.verify("correct horse batterz", &hash),
            Verification::Mismatch
        );
        assert_ne!(hasher.hash(&password).unwrap(), hash, "salts repeat");
    }

    #[test]
    fn a_hash_made_with_other_parameters_verifies_and_asks_for_a_rehash() {
        let old = PasswordHasher::new(HashParams {
            memory_kib: 128,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let hash = old
            .hash(&Password::new("correct horse battery").unwrap())
            .unwrap();
        assert_eq!(
            fast().verify("correct horse battery", &hash),
            Verification::Match { needs_rehash: true }
        );
    }

    #[test]
    fn an_unusable_stored_hash_never_matches() {
        let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
        assert_eq!(
            fast().verify("anything at all", &hash),
            Verification::Mismatch
        );
        let garbage = PasswordHash::new("$argon2id$garbage").unwrap();
        assert_eq!(
            fast().verify("anything at all", &garbage),
            Verification::Mismatch
        );
    }

    #[test]
    fn the_default_parameters_are_owasps() {
        assert_eq!(HashParams::default(), HashParams::OWASP);
        assert_eq!(HashParams::OWASP.memory_kib, 19_456);
        assert!(format!("{:?}", fast()).contains("memory_kib: 64"));
    }

    #[test]
    fn the_policy_reports_every_failing_rule_without_the_password() {
        let policy = PasswordPolicy::default().min_chars(16);
        let password = Password::new("adaadaadaada").unwrap();
        let error = policy
            .check(&password, "ada@example.com", &["Ada", "Lovelace"])
            .unwrap_err();
        assert!(error.has("password", ErrorCode::TooShort));
        assert!(error.has("password", ErrorCode::InvalidFormat));
        assert!(error.has("password", ErrorCode::NotAllowed));
        assert!(!error.to_string().contains("adaadaadaada"));
        let good = Password::new("violet-Tangent-42-orbit").unwrap();
        assert!(
            policy
                .check(&good, "ada@example.com", &["Ada", "Lovelace"])
                .is_ok()
        );
    }

    #[test]
    fn a_hashing_task_that_fails_is_a_hashing_error_not_a_configuration_error() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let error = runtime
            .block_on(blocking(|| -> u32 { panic!("argon2 failed") }))
            .unwrap_err();
        assert!(matches!(error, Error::PasswordHashing(_)), "{error:?}");
        crate::error::tests::assert_each_cause_once(&error);
    }
}
