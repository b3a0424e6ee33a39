//! The lockout under concurrency: however many sign-in attempts race for one
//! account, at most `max_failed_attempts` guesses (passwords or second-factor
//! codes) are evaluated before the lock holds, no sign-in succeeds while the
//! account is locked, and a success never ends a lock that failures earned.
//!
//! Each test fires 200 attempts at once through a pool of 16 connections.
//! What was evaluated is read back from the audit trail: every evaluated
//! guess leaves one `login_failed` (wrong password) or `mfa_failed` (wrong
//! code) row, every refusal without evaluation a `login_refused` row (or
//! nothing, for the second step), and every counter change an `update` row
//! of `auth.users` with its old and new values.

use aems_core::auth::tenants::NewTenant;
use aems_core::{TenantId, UserId};
use aems_diesel::auth::{
    AuthConfig, AuthError, Authenticator, ClientInfo, HashParams, LoginOutcome, MfaChallenge,
    TotpParams,
};
use aems_diesel::prelude::*;
use aems_diesel::{Database, DatabaseConfig};
use chrono::TimeDelta;

use super::{AuthWorld, PASSWORD, decode_base32, new_user};
use crate::support::admin;

const LIMIT: u32 = 5;
const ATTEMPTS: usize = 200;
const POOL: usize = 16;

/// An authenticator over a pool of [`POOL`] connections, locking after
/// [`LIMIT`] failures.
async fn racing_world() -> (AuthWorld, Authenticator) {
    let config = AuthConfig::default().lockout(LIMIT, TimeDelta::minutes(15));
    let w = AuthWorld::with_config(config.clone()).await;
    let db = Database::new(DatabaseConfig::new(w.t.db.app_url()).max_connections(POOL))
        .unwrap()
        .with_key_ring(w.keys.clone());
    let auth = Authenticator::new(
        db,
        config
            .password_params(HashParams::INSECURE_FAST_FOR_TESTS)
            .backup_code_params(HashParams::INSECURE_FAST_FOR_TESTS)
            .clock(w.clock.clock()),
    )
    .unwrap();
    (w, auth)
}

async fn signup(auth: &Authenticator, email: &str) -> (TenantId, UserId) {
    let (tenant, user) = auth
        .signup(
            NewTenant::new("Raced".parse().unwrap(), "raced".parse().unwrap()),
            new_user(email),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    (tenant.id, user.id)
}

/// How many audit rows of `user` have `action` (and, if given, `reason`).
async fn events(w: &AuthWorld, user: UserId, action: &str, reason: Option<&str>) -> i64 {
    admin(&w.t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs
             WHERE entity_id = $1 AND action = $2
               AND ($3::text IS NULL OR new_values->>'reason' = $3)",
            &[&user.into_uuid(), &action, &reason],
        )
        .await
        .unwrap()
        .get(0)
}

/// Updates of `user`'s row that ended a lock: `locked_until` went from a
/// time to NULL. Within these tests (a 15-minute lock) only a sign-in that
/// succeeded while the account was locked could do that.
async fn locks_ended(w: &AuthWorld, user: UserId) -> i64 {
    admin(&w.t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs
             WHERE entity_type = 'users' AND entity_id = $1 AND action = 'update'
               AND jsonb_typeof(old_values->'locked_until') = 'string'
               AND jsonb_typeof(new_values->'locked_until') = 'null'",
            &[&user.into_uuid()],
        )
        .await
        .unwrap()
        .get(0)
}

async fn locked_now(w: &AuthWorld, user: UserId) -> bool {
    admin(&w.t.db)
        .await
        .query_one(
            "SELECT coalesce(locked_until > now(), false) FROM auth.users WHERE id = $1",
            &[&user.into_uuid()],
        )
        .await
        .unwrap()
        .get(0)
}

/// Fires one password attempt per entry of `right` (the right password
/// where it is true) at once; returns how many signed in.
async fn race_passwords(auth: &Authenticator, email: &str, right: &[bool]) -> usize {
    let tasks: Vec<_> = right
        .iter()
        .map(|&right| {
            let (auth, email) = (auth.clone(), email.to_owned());
            tokio::spawn(async move {
                let password = if right {
                    PASSWORD
                } else {
                    "not-the-password-1"
                };
                auth.login(&email, password, &ClientInfo::default()).await
            })
        })
        .collect();
    let mut signed_in = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(LoginOutcome::SignedIn(_)) => signed_in += 1,
            Err(AuthError::InvalidCredentials | AuthError::Locked { .. }) => {}
            other => panic!("unexpected outcome: {other:?}"),
        }
    }
    signed_in
}

#[tokio::test]
async fn two_hundred_concurrent_wrong_passwords_evaluate_at_most_the_limit() {
    let (w, auth) = racing_world().await;
    let (_, user) = signup(&auth, "raced@example.com").await;
    let signed_in = race_passwords(&auth, "raced@example.com", &[false; ATTEMPTS]).await;
    assert_eq!(signed_in, 0);
    let evaluated = events(&w, user, "login_failed", Some("wrong_password")).await;
    assert_eq!(
        evaluated,
        i64::from(LIMIT),
        "password guesses evaluated before the lock held"
    );
    assert_eq!(events(&w, user, "account_locked", None).await, 1);
    assert_eq!(
        events(&w, user, "login_refused", Some("locked")).await,
        ATTEMPTS as i64 - evaluated,
        "every other attempt refused unevaluated"
    );
    assert!(locked_now(&w, user).await);
    // The right password during the lock is refused too.
    assert!(matches!(
        auth.login("raced@example.com", PASSWORD, &ClientInfo::default())
            .await,
        Err(AuthError::Locked { .. })
    ));
}

#[tokio::test]
async fn the_right_password_racing_wrong_ones_never_signs_in_while_locked() {
    let (w, auth) = racing_world().await;
    let (_, user) = signup(&auth, "raced@example.com").await;
    // The attacker's guess list holds the right password at every tenth place
    // from the tenth on.
    let right: Vec<bool> = (0..ATTEMPTS).map(|i| i >= 10 && i % 10 == 0).collect();
    let signed_in = race_passwords(&auth, "raced@example.com", &right).await;
    assert_eq!(
        locks_ended(&w, user).await,
        0,
        "a sign-in succeeded while locked (and ended the lock)"
    );
    let locks = events(&w, user, "account_locked", None).await;
    assert!(locks <= 1, "{locks} locks: attempts went on after the lock");
    let evaluated = events(&w, user, "login_failed", Some("wrong_password")).await;
    // A success resets the count (that is what it is for), so at most LIMIT
    // wrong guesses before each success and after the last.
    assert!(
        evaluated <= i64::from(LIMIT) * (signed_in as i64 + 1),
        "{evaluated} wrong guesses evaluated around {signed_in} sign-ins"
    );
    if locks == 1 {
        assert!(locked_now(&w, user).await, "the lock that was earned holds");
    }
}

/// Signs up a tenant whose admin enrols TOTP; returns the user, the secret,
/// and a challenge from a right password.
async fn enrolled(w: &AuthWorld, auth: &Authenticator) -> (UserId, aems_diesel::auth::TotpSecret) {
    let (tenant, user) = signup(auth, "second@example.com").await;
    let ctx = aems_diesel::Context::new(tenant, user);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let enrolment = uow
        .user_mfa()
        .begin_totp_enrolment(user, auth.mfa())
        .await
        .unwrap();
    let secret = decode_base32(enrolment.secret_base32.expose());
    let code = secret.code_at(w.clock.now().timestamp(), TotpParams::default());
    uow.user_mfa()
        .confirm_totp(user, &code, auth.mfa())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    // The next step, so the confirming code cannot be used again by accident.
    w.clock.advance(TimeDelta::seconds(90));
    (user, secret)
}

async fn challenge(auth: &Authenticator) -> MfaChallenge {
    match auth
        .login("second@example.com", PASSWORD, &ClientInfo::default())
        .await
        .unwrap()
    {
        LoginOutcome::MfaRequired { challenge, .. } => challenge,
        other => panic!("{other:?}"),
    }
}

/// A six-digit code that no step of the accepted window produces.
fn wrong_code(secret: &aems_diesel::auth::TotpSecret, now: i64, n: usize) -> String {
    let params = TotpParams::default();
    let valid: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|d| secret.code_at(now + d, params))
        .collect();
    (0..)
        .map(|k| format!("{:06}", (n * 7_919 + k * 104_729) % 1_000_000))
        .find(|c| !valid.contains(c))
        .unwrap()
}

async fn race_codes(auth: &Authenticator, challenge: &MfaChallenge, codes: Vec<String>) -> usize {
    let tasks: Vec<_> = codes
        .into_iter()
        .map(|code| {
            let (auth, challenge) = (auth.clone(), challenge.clone());
            tokio::spawn(async move {
                auth.complete_mfa(&challenge, &code, &ClientInfo::default())
                    .await
            })
        })
        .collect();
    let mut signed_in = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => signed_in += 1,
            Err(AuthError::InvalidCode | AuthError::Locked { .. }) => {}
            other => panic!("unexpected outcome: {other:?}"),
        }
    }
    signed_in
}

#[tokio::test]
async fn two_hundred_concurrent_wrong_codes_evaluate_at_most_the_limit() {
    let (w, auth) = racing_world().await;
    let (user, secret) = enrolled(&w, &auth).await;
    let c = challenge(&auth).await;
    let now = w.clock.now().timestamp();
    let codes = (0..ATTEMPTS).map(|n| wrong_code(&secret, now, n)).collect();
    assert_eq!(race_codes(&auth, &c, codes).await, 0);
    assert_eq!(
        events(&w, user, "mfa_failed", None).await,
        i64::from(LIMIT),
        "codes evaluated before the lock held"
    );
    assert_eq!(events(&w, user, "account_locked", None).await, 1);
    assert!(locked_now(&w, user).await);
    // The right code during the lock is refused.
    let right = secret.code_at(now, TotpParams::default());
    assert!(matches!(
        auth.complete_mfa(&c, &right, &ClientInfo::default()).await,
        Err(AuthError::Locked { .. })
    ));
}

#[tokio::test]
async fn the_right_code_racing_wrong_ones_never_signs_in_while_locked() {
    let (w, auth) = racing_world().await;
    let (user, secret) = enrolled(&w, &auth).await;
    let c = challenge(&auth).await;
    let now = w.clock.now().timestamp();
    let right = secret.code_at(now, TotpParams::default());
    let codes = (0..ATTEMPTS)
        .map(|n| {
            if n >= 10 && n % 10 == 0 {
                right.clone()
            } else {
                wrong_code(&secret, now, n)
            }
        })
        .collect();
    let signed_in = race_codes(&auth, &c, codes).await;
    assert!(signed_in <= 1, "a code is accepted once");
    assert_eq!(
        locks_ended(&w, user).await,
        0,
        "a sign-in succeeded while locked (and ended the lock)"
    );
    let locks = events(&w, user, "account_locked", None).await;
    assert!(locks <= 1, "{locks} locks: attempts went on after the lock");
    let evaluated = events(&w, user, "mfa_failed", None).await;
    assert!(
        evaluated <= i64::from(LIMIT) * (signed_in as i64 + 1),
        "{evaluated} wrong codes evaluated around {signed_in} sign-ins"
    );
    if locks == 1 {
        assert!(locked_now(&w, user).await, "the lock that was earned holds");
    }
}
