//! Session and refresh tokens: 256 random bits each, handed to the client
//! once; only their SHA-256 is stored.
//!
//! * A session token is 43 characters of unpadded base64url.
//! * A refresh token is `<session id, 32 hex>.<43 characters of base64url>`:
//!   naming its session lets a refresh token that was already used (rotated
//!   away) be recognised, so that reusing it revokes the session.
//!
//! Neither type prints itself (`Debug` shows `[REDACTED]`), and parsing text
//! from a client never echoes it in the error.

use std::fmt;

use aems_core::{Secret, TokenHash, UserSessionId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Characters of the base64url text of 32 bytes.
const SECRET_CHARS: usize = 43;

/// A token from a client was not one this library hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a token this library hands out")]
pub struct MalformedToken;

/// 32 bytes from the operating system's generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The SHA-256 of `text`, as stored.
pub(crate) fn sha256_hex(text: &str) -> TokenHash {
    TokenHash::new(&hex(&Sha256::digest(text.as_bytes()))).expect("a SHA-256 hex digest")
}

/// Whether two digests are equal, in constant time.
pub(crate) fn same_hash(a: &TokenHash, b: &TokenHash) -> bool {
    a.expose().as_bytes().ct_eq(b.expose().as_bytes()).into()
}

fn is_secret_text(text: &str) -> bool {
    text.len() == SECRET_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A session token: what a client presents with every request. Wiped when
/// dropped and compared in constant time (it is a [`Secret`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(Secret<String>);

impl SessionToken {
    pub(crate) fn generate() -> Self {
        Self(Secret::new(URL_SAFE_NO_PAD.encode(random_bytes::<32>())))
    }

    /// Checks the shape of a token a client sent (nothing is looked up).
    pub fn parse(text: &str) -> Result<Self, MalformedToken> {
        if is_secret_text(text) {
            Ok(Self(Secret::new(text.to_owned())))
        } else {
            Err(MalformedToken)
        }
    }

    /// The token, to hand to the client (once).
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What is stored: its SHA-256.
    pub fn hash(&self) -> TokenHash {
        sha256_hex(self.0.expose())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([REDACTED])")
    }
}

/// A refresh token: exchanged once for a new session token and a new
/// refresh token. Wiped when dropped and compared in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    session: UserSessionId,
    text: Secret<String>,
}

impl RefreshToken {
    pub(crate) fn generate(session: UserSessionId) -> Self {
        let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        Self {
            session,
            text: Secret::new(format!("{}.{secret}", session.into_uuid().simple())),
        }
    }

    /// Checks the shape of a token a client sent (nothing is looked up).
    pub fn parse(text: &str) -> Result<Self, MalformedToken> {
        let (id, secret) = text.split_once('.').ok_or(MalformedToken)?;
        if id.len() != 32 || !is_secret_text(secret) {
            return Err(MalformedToken);
        }
        let session = Uuid::try_parse(id).map_err(|_| MalformedToken)?;
        Ok(Self {
            session: UserSessionId::from_uuid(session),
            text: Secret::new(text.to_owned()),
        })
    }

    /// The session it refreshes.
    pub fn session_id(&self) -> UserSessionId {
        self.session
    }

    /// The token, to hand to the client (once).
    pub fn expose(&self) -> &str {
        self.text.expose()
    }

    /// What is stored: its SHA-256.
    pub fn hash(&self) -> TokenHash {
        sha256_hex(self.text.expose())
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_round_trip_through_their_text() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(SessionToken::parse(a.expose()).unwrap(), a);
        let session = UserSessionId::new();
        let r = RefreshToken::generate(session);
        let parsed = RefreshToken::parse(r.expose()).unwrap();
        assert_eq!(parsed.session_id(), session);
        assert_eq!(parsed.hash(), r.hash());
    }

    #[test]
    fn the_stored_hash_is_the_sha256_of_the_text() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            sha256_hex("abc").expose(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = SessionToken::generate();
        assert_eq!(t.hash(), sha256_hex(t.expose()));
        assert!(same_hash(&t.hash(), &t.hash()));
        assert!(!same_hash(&t.hash(), &SessionToken::generate().hash()));
    }

    #[test]
    fn hostile_text_is_refused_without_echo() {
        let huge = "A".repeat(1_000_000);
        for bad in [
            "",
            "short",
            "' OR 1=1 --",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\0",
            huge.as_str(),
            "ÄAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(SessionToken::parse(bad), Err(MalformedToken));
            assert_eq!(RefreshToken::parse(bad), Err(MalformedToken));
        }
        let token = SessionToken::generate();
        assert!(RefreshToken::parse(&format!("zz.{}", token.expose())).is_err());
        assert!(!format!("{token:?}").contains(token.expose()));
        let r = RefreshToken::generate(UserSessionId::new());
        assert!(!format!("{r:?}").contains(r.expose()));
    }
}
