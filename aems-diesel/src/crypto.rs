//! Secrets at rest: an AEAD key ring whose key id travels in every envelope,
//! so keys rotate without a flag day.
//!
//! An envelope is `version (1) ‖ key id (4, big-endian) ‖ nonce (24) ‖
//! ciphertext ‖ tag (16)`, sealed with XChaCha20-Poly1305 (random 192-bit
//! nonces: no counter to keep). The *associated data* names where the value
//! lives (`"hr.employees.salary:<employee id>"`), so an envelope copied into
//! another row or column does not open.
//!
//! ```
//! use aems_diesel::KeyRing;
//!
//! let old = KeyRing::new(1, [7; 32]);
//! let sealed = old.seal(b"85000.00", b"hr.employees.salary:42");
//! assert_eq!(old.open(&sealed, b"hr.employees.salary:42").unwrap(), b"85000.00");
//! assert!(old.open(&sealed, b"hr.employees.salary:43").is_err());
//!
//! // Rotation: a ring with a new current key still opens the old envelopes.
//! let rotated = KeyRing::new(2, [9; 32]).with_retired_key(1, [7; 32]);
//! assert_eq!(rotated.open(&sealed, b"hr.employees.salary:42").unwrap(), b"85000.00");
//! assert!(rotated.needs_rotation(&sealed));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 24;
const TAG: usize = 16;

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Not an envelope of this library (too short, unknown version, not base64).
    #[error("not an encrypted envelope")]
    Malformed,
    /// The envelope names a key this ring does not hold.
    #[error("the key ring holds no key {0}")]
    UnknownKey(u32),
    /// Wrong key, wrong place (associated data), or tampered ciphertext.
    #[error("the envelope does not open with its key here (tampered or moved)")]
    Rejected,
    /// A key given in configuration is unusable.
    #[error("bad key configuration: {0}")]
    BadKey(String),
}

/// The keys that seal and open secrets: one current key for sealing, and any
/// number of retired keys kept only to open older envelopes.
#[derive(Clone)]
pub struct KeyRing {
    current: u32,
    keys: BTreeMap<u32, XChaCha20Poly1305>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring sealing with key `id`.
    pub fn new(id: u32, key: [u8; 32]) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(id, XChaCha20Poly1305::new(&key.into()));
        Self { current: id, keys }
    }

    /// A fresh random 256-bit key, from the operating system's generator (for
    /// provisioning: store it base64-encoded in `AEMS_KEYS`).
    pub fn generate_key() -> [u8; 32] {
        XChaCha20Poly1305::generate_key(&mut OsRng).into()
    }

    /// A ring with one fresh random key `id` (tests, demos: what it seals is
    /// lost with it).
    pub fn generate(id: u32) -> Self {
        Self::new(id, Self::generate_key())
    }

    /// The base64 text of a key, as `AEMS_KEYS` takes it.
    pub fn encode_key(key: &[u8; 32]) -> String {
        BASE64.encode(key)
    }

    /// Keeps an older key to open envelopes sealed with it.
    pub fn with_retired_key(mut self, id: u32, key: [u8; 32]) -> Self {
        self.keys
            .entry(id)
            .or_insert_with(|| XChaCha20Poly1305::new(&key.into()));
        self
    }

    /// Reads the ring from `AEMS_KEYS` (`id:base64key,id:base64key,...`, each
    /// key 32 bytes) and `AEMS_CURRENT_KEY` (the id that seals; default the
    /// highest). `Ok(None)` when `AEMS_KEYS` is not set.
    pub fn from_env() -> Result<Option<Self>, CryptoError> {
        let Ok(keys) = std::env::var("AEMS_KEYS") else {
            return Ok(None);
        };
        Self::parse(&keys, std::env::var("AEMS_CURRENT_KEY").ok().as_deref()).map(Some)
    }

    /// Parses the `AEMS_KEYS` format; see [`from_env`](Self::from_env).
    pub fn parse(keys: &str, current: Option<&str>) -> Result<Self, CryptoError> {
        let mut parsed = BTreeMap::new();
        for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| CryptoError::BadKey("each key is id:base64".into()))?;
            let id: u32 = id
                .trim()
                .parse()
                .map_err(|_| CryptoError::BadKey(format!("key id {id:?} is not a number")))?;
            let bytes = BASE64
                .decode(key.trim())
                .map_err(|_| CryptoError::BadKey(format!("key {id} is not base64")))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| CryptoError::BadKey(format!("key {id} is not 32 bytes")))?;
            if parsed.insert(id, key).is_some() {
                return Err(CryptoError::BadKey(format!("key {id} given twice")));
            }
        }
        let current = match current {
            Some(c) => c
                .trim()
                .parse()
                .map_err(|_| CryptoError::BadKey(format!("current key {c:?} is not a number")))?,
            None => *parsed
                .keys()
                .next_back()
                .ok_or_else(|| CryptoError::BadKey("no key given".into()))?,
        };
        let current_key = *parsed.get(&current).ok_or_else(|| {
            CryptoError::BadKey(format!("current key {current} is not in the ring"))
        })?;
        let mut ring = Self::new(current, current_key);
        for (id, key) in parsed {
            ring = ring.with_retired_key(id, key);
        }
        Ok(ring)
    }

    /// The id of the key that seals.
    pub fn current_key_id(&self) -> u32 {
        self.current
    }

    /// Seals `plaintext`, bound to `place` (what and where it is).
    pub fn seal(&self, plaintext: &[u8], place: &[u8]) -> Vec<u8> {
        let cipher = &self.keys[&self.current];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: place,
                },
            )
            .expect("XChaCha20-Poly1305 sealing does not fail for in-memory input");
        let mut envelope = Vec::with_capacity(HEADER + sealed.len());
        envelope.push(VERSION);
        envelope.extend_from_slice(&self.current.to_be_bytes());
        envelope.extend_from_slice(&nonce);
        envelope.extend_from_slice(&sealed);
        envelope
    }

    /// Opens an envelope sealed for `place`.
    pub fn open(&self, envelope: &[u8], place: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key_id = Self::key_id_of(envelope).ok_or(CryptoError::Malformed)?;
        let cipher = self
            .keys
            .get(&key_id)
            .ok_or(CryptoError::UnknownKey(key_id))?;
        let nonce = XNonce::from_slice(&envelope[5..HEADER]);
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &envelope[HEADER..],
                    aad: place,
                },
            )
            .map_err(|_| CryptoError::Rejected)
    }

    /// The key id an envelope was sealed with, if it is an envelope at all.
    pub fn key_id_of(envelope: &[u8]) -> Option<u32> {
        if envelope.len() < HEADER + TAG || envelope[0] != VERSION {
            return None;
        }
        Some(u32::from_be_bytes(envelope[1..5].try_into().ok()?))
    }

    /// Whether an envelope was sealed with another key than the current one.
    pub fn needs_rotation(&self, envelope: &[u8]) -> bool {
        Self::key_id_of(envelope) != Some(self.current)
    }

    /// Re-seals an envelope with the current key (for rotation).
    pub fn reseal(&self, envelope: &[u8], place: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(self.seal(&self.open(envelope, place)?, place))
    }

    /// [`seal`](Self::seal) as base64 text, for TEXT/VARCHAR columns.
    pub fn seal_text(&self, plaintext: &[u8], place: &[u8]) -> String {
        BASE64.encode(self.seal(plaintext, place))
    }

    /// [`open`](Self::open) of base64 text.
    pub fn open_text(&self, envelope: &str, place: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let bytes = BASE64
            .decode(envelope)
            .map_err(|_| CryptoError::Malformed)?;
        self.open(&bytes, place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_twice_gives_different_envelopes_that_both_open() {
        let ring = KeyRing::new(1, [1; 32]);
        let a = ring.seal(b"secret", b"t:1");
        let b = ring.seal(b"secret", b"t:1");
        assert_ne!(a, b, "nonces repeat");
        assert_eq!(ring.open(&a, b"t:1").unwrap(), b"secret");
        assert_eq!(ring.open(&b, b"t:1").unwrap(), b"secret");
        assert!(
            !a.windows(6).any(|w| w == b"secret"),
            "plaintext visible in the envelope"
        );
    }

    #[test]
    fn tampering_moving_or_a_wrong_key_is_rejected() {
        let ring = KeyRing::new(1, [1; 32]);
        let mut sealed = ring.seal(b"secret", b"t:1");
        assert_eq!(ring.open(&sealed, b"t:2"), Err(CryptoError::Rejected));
        assert_eq!(
            KeyRing::new(1, [2; 32]).open(&sealed, b"t:1"),
            Err(CryptoError::Rejected)
        );
        assert_eq!(
            KeyRing::new(5, [1; 32]).open(&sealed, b"t:1"),
            Err(CryptoError::UnknownKey(1))
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(ring.open(&sealed, b"t:1"), Err(CryptoError::Rejected));
        assert_eq!(ring.open(b"short", b"t:1"), Err(CryptoError::Malformed));
        assert_eq!(
            ring.open_text("not base64!", b"t:1"),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn rotation_reseals_with_the_current_key() {
        let old = KeyRing::new(1, [1; 32]);
        let sealed = old.seal_text(b"totp-secret", b"u:1");
        let ring = KeyRing::parse(
            &format!("1:{},2:{}", BASE64.encode([1; 32]), BASE64.encode([2; 32])),
            None,
        )
        .unwrap();
        assert_eq!(ring.current_key_id(), 2);
        let bytes = BASE64.decode(&sealed).unwrap();
        assert!(ring.needs_rotation(&bytes));
        let resealed = ring.reseal(&bytes, b"u:1").unwrap();
        assert_eq!(KeyRing::key_id_of(&resealed), Some(2));
        assert!(!ring.needs_rotation(&resealed));
        assert_eq!(ring.open(&resealed, b"u:1").unwrap(), b"totp-secret");
    }

    #[test]
    fn bad_key_configuration_is_refused_with_a_reason() {
        for (keys, current) in [
            ("", None),
            ("1", None),
            ("x:AAAA", None),
            ("1:not-base64", None),
            ("1:AAAA", None),
            (&*format!("1:{}", BASE64.encode([0; 32])), Some("2")),
        ] {
            assert!(
                matches!(KeyRing::parse(keys, current), Err(CryptoError::BadKey(_))),
                "{keys:?}/{current:?} accepted"
            );
        }
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let ring = KeyRing::new(3, [0xAB; 32]);
        let shown = format!("{ring:?}");
        assert!(shown.contains("current: 3"));
        assert!(!shown.to_lowercase().contains("ab, ab"), "{shown}");
    }
}
