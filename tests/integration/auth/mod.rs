//! `auth` tables through their repositories, the authentication flows, and
//! the security suite.

mod attacks;
mod flows;
mod lockout;
mod mfa;
mod oauth_connections;
mod security;
mod tenants;
mod user_sessions;
mod users;

use std::sync::{Arc, Mutex};

use aems_core::auth::users::NewUser;
use aems_diesel::auth::{AuthConfig, Authenticator, Clock, HashParams, TotpSecret};
use aems_diesel::{Database, KeyRing};
use chrono::{DateTime, TimeDelta, Utc};

use crate::support::TwoTenants;

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        // Microseconds: what PostgreSQL keeps, so stored times compare equal.
        let now = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap();
        Self(Arc::new(Mutex::new(now)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }

    pub fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }

    pub fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Clock::from_fn(move || *inner.lock().unwrap())
    }
}

/// Two seeded tenants, a key ring, and an authenticator with cheap hashes
/// and a hand-moved clock.
pub struct AuthWorld {
    pub t: TwoTenants,
    pub db: Database,
    pub keys: KeyRing,
    pub auth: Authenticator,
    pub clock: TestClock,
}

pub const PASSWORD: &str = "violet-Tangent-42-orbit";

impl AuthWorld {
    pub async fn new() -> Self {
        Self::with_config(AuthConfig::default()).await
    }

    pub async fn with_config(config: AuthConfig) -> Self {
        let t = TwoTenants::new().await;
        let keys = KeyRing::generate(1);
        let db = t.database.clone().with_key_ring(keys.clone());
        let clock = TestClock::new();
        let auth = Authenticator::new(
            db.clone(),
            config
                .password_params(HashParams::INSECURE_FAST_FOR_TESTS)
                .backup_code_params(HashParams::INSECURE_FAST_FOR_TESTS)
                .clock(clock.clock()),
        )
        .unwrap();
        Self {
            t,
            db,
            keys,
            auth,
            clock,
        }
    }
}

/// A new user input with the test password.
pub fn new_user(email: &str) -> NewUser {
    NewUser::new(
        email.parse().unwrap(),
        aems_core::Password::new(PASSWORD).unwrap(),
        "Grace".parse().unwrap(),
        "Hopper".parse().unwrap(),
    )
}

/// RFC 4648 base32 (no padding) back to a TOTP secret, as an app would.
pub fn decode_base32(text: &str) -> TotpSecret {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.chars() {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    TotpSecret::from_bytes(out)
}
