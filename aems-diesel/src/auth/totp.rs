//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps,
//! 6 digits): what authenticator apps compute.
//!
//! A code is accepted within a small window of steps around the server's
//! clock (default ±1, i.e. ±30 s of skew), and only for a step later than the
//! last accepted one, so no code is ever accepted twice.

use std::fmt;

use aems_core::Secret;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Bytes of a generated secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// The TOTP parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpParams {
    /// Seconds per step.
    pub period: u32,
    /// Digits per code.
    pub digits: u32,
    /// Steps accepted before and after the current one.
    pub skew: u32,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self {
            period: 30,
            digits: 6,
            skew: 1,
        }
    }
}

/// A TOTP shared secret; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Secret<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([REDACTED])")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        Self(Secret::new(
            crate::auth::tokens::random_bytes::<SECRET_BYTES>().to_vec(),
        ))
    }

    /// A secret from its bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Secret::new(bytes))
    }

    /// A secret from its base32 text (RFC 4648, case-insensitive, padding and
    /// spaces ignored), as authenticator apps show it; `None` when it is not
    /// base32 or empty.
    pub fn from_base32(text: &str) -> Option<Self> {
        let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
        for c in text.chars().filter(|c| !matches!(c, '=' | ' ')) {
            let value = match c.to_ascii_uppercase() {
                c @ 'A'..='Z' => c as u32 - 'A' as u32,
                c @ '2'..='7' => c as u32 - '2' as u32 + 26,
                _ => return None,
            };
            buffer = (buffer << 5) | value;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((buffer >> bits) as u8);
            }
        }
        (!out.is_empty()).then(|| Self::from_bytes(out))
    }

    /// The raw bytes (to seal them).
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }

    /// The base32 text (RFC 4648, no padding) authenticator apps take.
    pub fn to_base32(&self) -> Secret<String> {
        Secret::new(base32(self.expose()))
    }

    /// The code for `step` (Unix time / period).
    pub fn code_at_step(&self, step: i64, params: TotpParams) -> String {
        let mut mac =
            Hmac::<Sha1>::new_from_slice(self.expose()).expect("HMAC takes keys of any length");
        mac.update(&(step as u64).to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        let modulus = 10u64.pow(params.digits);
        format!(
            "{:0width$}",
            u64::from(binary) % modulus,
            width = params.digits as usize
        )
    }

    /// The code at Unix time `unix_seconds`.
    pub fn code_at(&self, unix_seconds: i64, params: TotpParams) -> String {
        self.code_at_step(step_of(unix_seconds, params), params)
    }

    /// The step whose code `code` is, within the skew window around
    /// `unix_seconds` and strictly after `last_step`; `None` when the code is
    /// wrong, outside the window, or already used. Compared in constant time.
    pub fn verify(
        &self,
        code: &str,
        unix_seconds: i64,
        last_step: Option<i64>,
        params: TotpParams,
    ) -> Option<i64> {
        use subtle::ConstantTimeEq;
        if code.len() != params.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = step_of(unix_seconds, params);
        let skew = i64::from(params.skew);
        let mut found = None;
        for step in now - skew..=now + skew {
            let matches: bool = self
                .code_at_step(step, params)
                .as_bytes()
                .ct_eq(code.as_bytes())
                .into();
            if matches && last_step.is_none_or(|last| step > last) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }

    /// The `otpauth://` URI an authenticator app scans (as a QR code).
    pub fn provisioning_uri(
        &self,
        issuer: &str,
        account: &str,
        params: TotpParams,
    ) -> Secret<String> {
        let issuer = percent_encode(issuer);
        Secret::new(format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={}&period={}",
            percent_encode(account),
            base32(self.expose()),
            params.digits,
            params.period
        ))
    }
}

/// The step of Unix time `unix_seconds`.
pub fn step_of(unix_seconds: i64, params: TotpParams) -> i64 {
    unix_seconds.div_euclid(i64::from(params.period))
}

/// The Unix time at which `step` starts.
pub fn step_start(step: i64, params: TotpParams) -> i64 {
    step * i64::from(params.period)
}

/// RFC 4648 base32, upper case, without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    use std::fmt::Write;
    text.bytes().fold(String::new(), |mut s, b| {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let params = TotpParams {
            digits: 8,
            ..TotpParams::default()
        };
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(time, params), code, "T = {time}");
        }
    }

    #[test]
    fn rfc_4648_base32_test_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), output);
            if !input.is_empty() {
                let back = TotpSecret::from_base32(&output.to_lowercase()).unwrap();
                assert_eq!(back.expose(), input.as_bytes());
            }
        }
        assert!(TotpSecret::from_base32("not base32!").is_none());
        assert!(TotpSecret::from_base32("").is_none());
    }

    #[test]
    fn codes_are_accepted_within_the_skew_window_and_never_twice() {
        let secret = TotpSecret::generate();
        let p = TotpParams::default();
        let now = 1_760_000_000;
        let step = step_of(now, p);
        let previous = secret.code_at(now - 30, p);
        assert_eq!(secret.verify(&previous, now, None, p), Some(step - 1));
        assert_eq!(
            secret.verify(&secret.code_at(now + 30, p), now, None, p),
            Some(step + 1)
        );
        assert_eq!(
            secret.verify(&secret.code_at(now - 90, p), now, None, p),
            None
        );
        // Once step - 1 was used, its code (and anything older) is refused.
        assert_eq!(secret.verify(&previous, now, Some(step - 1), p), None);
        assert_eq!(
            secret.verify(&secret.code_at(now, p), now, Some(step - 1), p),
            Some(step)
        );
        for junk in ["", "12345", "1234567", "abcdef", "12 456", "١٢٣٤٥٦"] {
            assert_eq!(secret.verify(junk, now, None, p), None, "{junk:?}");
        }
    }

    #[test]
    fn the_provisioning_uri_carries_the_base32_secret_and_is_not_printed() {
        let secret = TotpSecret::from_bytes(b"foobar".to_vec());
        let uri = secret.provisioning_uri("A-EMS", "ada@example.com", TotpParams::default());
        assert_eq!(
            uri.expose(),
            "otpauth://totp/A-EMS:ada%40example.com?secret=MZXW6YTBOI&issuer=A-EMS&algorithm=SHA1&digits=6&period=30"
        );
        assert!(!format!("{secret:?} {uri:?}").contains("MZXW6YTBOI"));
    }
}
