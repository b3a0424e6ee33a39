//! Secret-bearing values whose `Debug` never shows them and which cannot be
//! serialized by accident.
//!
//! [`Secret`] deliberately has no `Display` and no `Serialize`: an entity holding a
//! password hash, a token hash or a TOTP secret can be logged with `{:?}` or turned
//! into JSON (secret fields are skipped) without leaking it. Reading the value
//! takes an explicit [`Secret::expose`].

use std::fmt;

use serde::{Deserialize, Deserializer};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use crate::error::{ErrorCode, ValueError};

/// A value that is never printed: `Debug` shows `Secret([REDACTED])`.
///
/// It is wiped ([`Zeroize`]) when dropped, so the clear text does not linger
/// in freed memory, and compared in constant time ([`ConstantTimeEq`]; `==`
/// uses it), so a comparison does not tell how many leading bytes matched.
/// (Copies the caller makes with [`expose`](Self::expose) are the caller's to
/// look after; [`into_exposed`](Self::into_exposed) hands the value over.)
///
/// ```
/// use aems_core::SecretString;
///
/// let key = SecretString::new("JBSWY3DPEHPK3PXP".to_owned());
/// assert_eq!(format!("{key:?}"), "Secret([REDACTED])");
/// assert_eq!(key.expose(), "JBSWY3DPEHPK3PXP");
/// ```
pub struct Secret<T: Zeroize>(T);

/// A secret string (TOTP secrets, OAuth tokens, hashed backup codes).
pub type SecretString = Secret<String>;

impl<T: Zeroize> Secret<T> {
    /// Wraps a secret.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself; call it only where the value is really needed.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Consumes into the secret itself (what is left behind is wiped).
    pub fn into_exposed(mut self) -> T
    where
        T: Default,
    {
        std::mem::take(&mut self.0)
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize + AsRef<[u8]>> ConstantTimeEq for Secret<T> {
    /// Constant time in the contents; secrets of different lengths differ
    /// at once (the length is not secret).
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.as_ref().ct_eq(other.0.as_ref())
    }
}

impl<T: Zeroize + AsRef<[u8]>> PartialEq for Secret<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<T: Zeroize + AsRef<[u8]>> Eq for Secret<T> {}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl<'de, T: Zeroize + Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

/// A clear-text password as typed by a user, before the DB layer hashes it with
/// argon2id. Between [`Password::MIN_CHARS`] and [`Password::MAX_CHARS`] characters;
/// never printed.
///
/// ```
/// use aems_core::Password;
///
/// assert!(Password::new("correct horse battery").is_ok());
/// assert!(Password::new("short").is_err());
/// assert_eq!(format!("{:?}", Password::new("correct horse battery").unwrap()), "Password([REDACTED])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Secret<String>);

impl Password {
    /// Fewest characters accepted (OWASP's recommendation for accounts with MFA is
    /// at least 8; 12 leaves a margin without MFA).
    pub const MIN_CHARS: usize = 12;
    /// Most characters accepted, which bounds the hashing work.
    pub const MAX_CHARS: usize = 1024;

    /// Checks and wraps a password; nothing is trimmed (spaces may be intended).
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let count = value.chars().count();
        if count < Self::MIN_CHARS {
            return Err(ValueError::new(
                ErrorCode::TooShort,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if count > Self::MAX_CHARS {
            return Err(ValueError::new(
                ErrorCode::TooLong,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if value.contains('\0') {
            return Err(ValueError::new(
                ErrorCode::InvalidCharacters,
                "must not contain the NUL character",
            ));
        }
        Ok(Self(Secret::new(value.to_owned())))
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// An argon2id hash in PHC string form (`$argon2id$v=19$...`), as stored in
/// `users.password_hash VARCHAR(255)`. Anything else (a clear-text password stored
/// by mistake, another algorithm) is refused.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(Secret<String>);

impl PasswordHash {
    /// The PHC prefix every accepted hash starts with.
    pub const PREFIX: &'static str = "$argon2id$";
    /// Most characters the column holds.
    pub const MAX_CHARS: usize = 255;

    /// Checks and wraps a PHC string.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        if !value.starts_with(Self::PREFIX) {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be an argon2id PHC string",
            ));
        }
        if value.len() > Self::MAX_CHARS || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be at most 255 printable ASCII characters",
            ));
        }
        Ok(Self(Secret::new(value.to_owned())))
    }

    /// The PHC string, for the verifier and the DB layer only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// The SHA-256 digest of a session or refresh token, as 64 lower-case hex digits
/// (`user_sessions.token_hash`, `refresh_token_hash`). The token itself is never
/// stored; anything that is not a digest is refused.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Length of a hex SHA-256 digest.
    pub const HEX_LEN: usize = 64;

    /// Checks and wraps a hex digest.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        let hex = value.len() == Self::HEX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(ValueError::new(
                ErrorCode::InvalidFormat,
                "must be a SHA-256 digest: 64 lower-case hex digits",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The hex digest, for lookups by the DB layer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash([REDACTED])")
    }
}

impl<'de> Deserialize<'de> for TokenHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value that notes when it is wiped.
    #[derive(Default)]
    struct Probe(std::sync::Arc<std::sync::atomic::AtomicBool>);

    impl zeroize::Zeroize for Probe {
        fn zeroize(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_secret_is_wiped_when_dropped_and_compared_in_constant_time() {
        let wiped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        drop(Secret::new(Probe(wiped.clone())));
        assert!(
            wiped.load(std::sync::atomic::Ordering::SeqCst),
            "dropped without wiping"
        );

        // Equality goes through subtle's constant-time comparison.
        fn constant_time<T: subtle::ConstantTimeEq>(a: &T, b: &T) -> bool {
            a.ct_eq(b).into()
        }
        let a = SecretString::new("correct horse".into());
        assert!(constant_time(
            &a,
            &SecretString::new("correct horse".into())
        ));
        assert!(!constant_time(
            &a,
            &SecretString::new("correct horsf".into())
        ));
        assert!(!constant_time(&a, &SecretString::new("correct".into())));
        assert_eq!(a, a.clone());
        assert_ne!(a, SecretString::new("Correct horse".into()));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
        let token = TokenHash::new(&"ab".repeat(32)).unwrap();
        let printed = format!("{hash:?} {token:?} {:?}", Secret::new(String::from("x")));
        assert!(!printed.contains("argon2id") && !printed.contains("abab"));
    }

    #[test]
    fn password_length_limits() {
        assert!(Password::new(&"x".repeat(12)).is_ok());
        assert_eq!(
            Password::new(&"x".repeat(11)).unwrap_err().code,
            ErrorCode::TooShort
        );
        assert!(Password::new(&"x".repeat(1024)).is_ok());
        assert_eq!(
            Password::new(&"x".repeat(1025)).unwrap_err().code,
            ErrorCode::TooLong
        );
    }

    #[test]
    fn only_argon2id_hashes() {
        assert!(PasswordHash::new("hunter2hunter2").is_err());
        assert!(PasswordHash::new("$2b$12$abcdefghijklmnopqrstuv").is_err());
        assert!(PasswordHash::new(&format!("$argon2id${}", "a".repeat(246))).is_err());
    }

    #[test]
    fn token_hash_is_a_hex_digest() {
        assert!(TokenHash::new(&"0".repeat(64)).is_ok());
        assert!(TokenHash::new(&"0".repeat(63)).is_err());
        assert!(TokenHash::new(&"A".repeat(64)).is_err());
        assert!(TokenHash::new(&"g".repeat(64)).is_err());
    }
}
