//! `auth.user_mfa` and the second step of sign-in: TOTP enrolment and
//! verification, backup codes, externally delivered codes, sealed secrets.

use aems_core::auth::user_mfa::MfaType;
use aems_core::{TenantId, UserId};
use aems_diesel::auth::{
    AuthConfig, AuthError, ClientInfo, LoginOutcome, MfaChallenge, SecondFactor, TotpParams,
    TotpSecret,
};
use aems_diesel::prelude::*;
use aems_diesel::{Error, KeyRing};
use chrono::TimeDelta;

use super::{AuthWorld, PASSWORD, decode_base32, new_user};
use crate::support::admin;

fn client() -> ClientInfo {
    ClientInfo::default()
}

/// Signs up a tenant whose admin enrols TOTP; returns the ids and the secret.
async fn enrolled(w: &AuthWorld) -> (TenantId, UserId, TotpSecret, Vec<String>) {
    let (tenant, user) = w
        .auth
        .signup(
            aems_core::auth::tenants::NewTenant::new(
                "Acme".parse().unwrap(),
                "acme".parse().unwrap(),
            ),
            new_user("ada@acme.example.com"),
            &client(),
        )
        .await
        .unwrap();
    let ctx = aems_diesel::Context::new(tenant.id, user.id);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let enrolment = uow
        .user_mfa()
        .begin_totp_enrolment(user.id, w.auth.mfa())
        .await
        .unwrap();
    assert!(
        enrolment
            .provisioning_uri
            .expose()
            .starts_with("otpauth://totp/A-EMS:ada%40acme.example.com?secret=")
    );
    let secret = decode_base32(enrolment.secret_base32.expose());
    // Not enabled yet: sign-in does not ask for it.
    uow.commit().await.unwrap();
    assert!(matches!(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await,
        Ok(LoginOutcome::SignedIn(_))
    ));

    let now = w.clock.now().timestamp();
    let right = secret.code_at(now, TotpParams::default());
    let wrong: String = right
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                char::from(b'0' + (c as u8 - b'0' + 1) % 10)
            } else {
                c
            }
        })
        .collect();
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    match uow
        .user_mfa()
        .confirm_totp(user.id, &wrong, w.auth.mfa())
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has_field("code")),
        other => panic!("{other:?}"),
    }
    drop(uow);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let codes = uow
        .user_mfa()
        .confirm_totp(user.id, &right, w.auth.mfa())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(codes.len(), 10);
    let codes = codes.expose().map(str::to_owned).collect();
    (tenant.id, user.id, secret, codes)
}

async fn challenge(w: &AuthWorld) -> MfaChallenge {
    match w
        .auth
        .login("ada@acme.example.com", PASSWORD, &client())
        .await
        .unwrap()
    {
        LoginOutcome::MfaRequired { challenge, factors } => {
            assert_eq!(factors, vec![MfaType::Totp]);
            challenge
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn totp_enrolment_then_sign_in_with_a_code_that_is_never_accepted_twice() {
    let w = AuthWorld::new().await;
    let (tenant, user, secret, _) = enrolled(&w).await;
    w.clock.advance(TimeDelta::seconds(60));
    let c = challenge(&w).await;
    assert!(!format!("{c:?}").contains(c.expose()));
    let code = secret.code_at(w.clock.now().timestamp(), TotpParams::default());
    let session = w.auth.complete_mfa(&c, &code, &client()).await.unwrap();
    assert_eq!((session.tenant_id, session.user_id), (tenant, user));
    // The same code again, even inside its window, is refused.
    let c = challenge(&w).await;
    assert!(matches!(
        w.auth.complete_mfa(&c, &code, &client()).await,
        Err(AuthError::InvalidCode)
    ));
    // A code from the previous step (clock skew) is accepted only if newer
    // than the last used one: the next step's code is.
    w.clock.advance(TimeDelta::seconds(30));
    let skewed = secret.code_at(w.clock.now().timestamp() + 30, TotpParams::default());
    w.auth.complete_mfa(&c, &skewed, &client()).await.unwrap();
    // Too far off the clock: refused.
    let far = secret.code_at(w.clock.now().timestamp() + 120, TotpParams::default());
    let c = challenge(&w).await;
    assert!(matches!(
        w.auth.complete_mfa(&c, &far, &client()).await,
        Err(AuthError::InvalidCode)
    ));
}

#[tokio::test]
async fn a_backup_code_works_once_and_is_removed() {
    let w = AuthWorld::new().await;
    let (tenant, user, _, codes) = enrolled(&w).await;
    let c = challenge(&w).await;
    let session = w
        .auth
        .complete_mfa(&c, &codes[3].to_lowercase(), &client())
        .await
        .unwrap();
    assert_eq!(session.user_id, user);
    let c = challenge(&w).await;
    assert!(matches!(
        w.auth.complete_mfa(&c, &codes[3], &client()).await,
        Err(AuthError::InvalidCode)
    ));
    let ctx = aems_diesel::Context::new(tenant, user);
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    let factor = db
        .user_mfa()
        .find(user, MfaType::Totp)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(factor.backup_codes.unwrap().len(), 9);
    let left: i64 = admin(&w.t.db)
        .await
        .query_one(
            "SELECT (new_values->>'backup_codes_left')::bigint FROM risk.audit_logs
             WHERE action = 'mfa_verified'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 9);
    // Regenerated codes replace the old ones.
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let fresh = uow
        .user_mfa()
        .regenerate_backup_codes(user, w.auth.mfa())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let c = challenge(&w).await;
    assert!(w.auth.complete_mfa(&c, &codes[0], &client()).await.is_err());
    let first = fresh.expose().next().unwrap().to_owned();
    w.auth.complete_mfa(&c, &first, &client()).await.unwrap();
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lock_and_an_expired_or_forged_challenge_is_refused() {
    let w = AuthWorld::with_config(AuthConfig::default().lockout(3, TimeDelta::minutes(5))).await;
    let (_, _, secret, _) = enrolled(&w).await;
    let c = challenge(&w).await;
    for _ in 0..2 {
        assert!(matches!(
            w.auth.complete_mfa(&c, "12345", &client()).await,
            Err(AuthError::InvalidCode)
        ));
    }
    assert!(matches!(
        w.auth.complete_mfa(&c, "not-a-code-'; --", &client()).await,
        Err(AuthError::Locked { .. })
    ));
    let code = secret.code_at(w.clock.now().timestamp(), TotpParams::default());
    assert!(matches!(
        w.auth.complete_mfa(&c, &code, &client()).await,
        Err(AuthError::Locked { .. })
    ));

    w.clock.advance(TimeDelta::minutes(6));
    let c = challenge(&w).await;
    w.clock.advance(TimeDelta::minutes(6));
    assert!(matches!(
        w.auth.complete_mfa(&c, "123456", &client()).await,
        Err(AuthError::InvalidChallenge)
    ));
    for forged in [
        MfaChallenge::from_client(""),
        MfaChallenge::from_client("AAAA"),
        MfaChallenge::from_client("x".repeat(100_000)),
        MfaChallenge::from_client(KeyRing::generate(1).seal_text(b"{}", b"auth.mfa_challenge")),
    ] {
        assert!(matches!(
            w.auth.complete_mfa(&forged, "123456", &client()).await,
            Err(AuthError::InvalidChallenge)
        ));
    }
}

#[tokio::test]
async fn the_totp_secret_is_stored_sealed_and_only_opens_with_the_key_ring() {
    let w = AuthWorld::new().await;
    let (tenant, user, secret, codes) = enrolled(&w).await;
    let row = admin(&w.t.db)
        .await
        .query_one(
            "SELECT id, secret_key, backup_codes FROM auth.user_mfa WHERE user_id = $1",
            &[&user.into_uuid()],
        )
        .await
        .unwrap();
    let sealed: String = row.get(1);
    let base32 = secret.to_base32().expose().clone();
    assert!(!sealed.contains(&base32));
    let id: uuid::Uuid = row.get(0);
    let opened = w
        .keys
        .open_text(&sealed, format!("auth.user_mfa.secret_key:{id}").as_bytes())
        .unwrap();
    assert_eq!(opened, secret.expose());
    let hashes: Vec<String> = row.get(2);
    assert_eq!(hashes.len(), 10);
    for (hash, code) in hashes.iter().zip(&codes) {
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(&code.replace('-', "")));
    }
    let _ = tenant;
}

#[tokio::test]
async fn the_totp_secret_is_shown_once_at_enrolment_and_never_read_back() {
    // Every read of a factor used to open the sealed secret and hand it to
    // the user and to any admin of the tenant. Now no read opens it: a
    // database without a key ring serves every read of a factor, which it
    // could not if one of them opened the secret.
    let w = AuthWorld::new().await;
    let (tenant, admin_id, _, _) = enrolled(&w).await;
    let admin_ctx = aems_diesel::Context::new(tenant, admin_id);
    let colleague =
        w.db.one_shot(&admin_ctx)
            .await
            .unwrap()
            .users()
            .create(new_user("bob@acme.example.com"), w.auth.passwords())
            .await
            .unwrap()
            .id;
    let ctx = aems_diesel::Context::new(tenant, colleague);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let enrolment = uow
        .user_mfa()
        .begin_totp_enrolment(colleague, w.auth.mfa())
        .await
        .unwrap();
    let base32 = enrolment.secret_base32.expose().clone();
    let code = decode_base32(&base32).code_at(w.clock.now().timestamp(), TotpParams::default());
    uow.user_mfa()
        .confirm_totp(colleague, &code, w.auth.mfa())
        .await
        .unwrap();
    uow.commit().await.unwrap();

    for reader in [&ctx, &admin_ctx] {
        let mut db = w.t.database.one_shot(reader).await.unwrap();
        let factors = db.user_mfa().list_for_user(colleague).await.unwrap();
        assert_eq!(factors.len(), 1);
        assert!(factors[0].is_enabled);
        let found = db.user_mfa().find(colleague, MfaType::Totp).await.unwrap();
        assert_eq!(found.as_ref(), factors.first());
        let shown = format!("{factors:?} {}", serde_json::to_string(&factors).unwrap());
        assert!(!shown.contains(&base32));
    }
}

#[tokio::test]
async fn enrolling_twice_is_refused_and_disabling_removes_the_factor() {
    let w = AuthWorld::new().await;
    let (tenant, user, _, _) = enrolled(&w).await;
    let ctx = aems_diesel::Context::new(tenant, user);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    assert!(matches!(
        uow.user_mfa()
            .begin_totp_enrolment(user, w.auth.mfa())
            .await,
        Err(Error::Transition(_))
    ));
    drop(uow);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    assert!(uow.user_mfa().disable(user, MfaType::Totp).await.unwrap());
    assert!(!uow.user_mfa().disable(user, MfaType::Totp).await.unwrap());
    uow.commit().await.unwrap();
    assert!(matches!(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await,
        Ok(LoginOutcome::SignedIn(_))
    ));
}

#[tokio::test]
async fn sms_and_email_factors_are_checked_by_the_application() {
    let w = AuthWorld::new().await;
    let (tenant, user) = w
        .auth
        .signup(
            aems_core::auth::tenants::NewTenant::new(
                "Acme".parse().unwrap(),
                "acme".parse().unwrap(),
            ),
            new_user("ada@acme.example.com"),
            &client(),
        )
        .await
        .unwrap();
    let ctx = aems_diesel::Context::new(tenant.id, user.id);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let factor = uow
        .user_mfa()
        .enable_external(user.id, MfaType::Sms)
        .await
        .unwrap();
    assert!(factor.is_enabled);
    assert!(matches!(
        uow.user_mfa().enable_external(user.id, MfaType::Totp).await,
        Err(Error::Validation(_))
    ));
    uow.commit().await.unwrap();
    let c = match w
        .auth
        .login("ada@acme.example.com", PASSWORD, &client())
        .await
        .unwrap()
    {
        LoginOutcome::MfaRequired { challenge, factors } => {
            assert_eq!(factors, vec![MfaType::Sms]);
            challenge
        }
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        w.auth
            .complete_mfa_external(&c, MfaType::Sms, false, &client())
            .await,
        Err(AuthError::InvalidCode)
    ));
    assert!(matches!(
        w.auth
            .complete_mfa_external(&c, MfaType::Email, true, &client())
            .await,
        Err(AuthError::InvalidCode)
    ));
    let session = w
        .auth
        .complete_mfa_external(&c, MfaType::Sms, true, &client())
        .await
        .unwrap();
    assert_eq!(session.user_id, user.id);
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    let sms = db
        .user_mfa()
        .find(user.id, MfaType::Sms)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sms.last_used, Some(w.clock.now()));
    let _ = SecondFactor::Totp;
}

#[tokio::test]
async fn factors_of_another_tenants_user_are_invisible_and_untouchable() {
    let w = AuthWorld::new().await;
    let (_, user, _, _) = enrolled(&w).await;
    // Tenant A's admin looks for the Acme admin's factors.
    let mut uow = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    assert!(uow.user_mfa().list_for_user(user).await.unwrap().is_empty());
    assert!(!uow.user_mfa().disable(user, MfaType::Totp).await.unwrap());
    assert_eq!(
        w.t.count("auth.user_mfa").await,
        3,
        "seeded A, B, and Acme's"
    );
}
