//! Signup, login with lockout, sessions with rotation, end to end.

use aems_core::auth::tenants::{NewTenant, TenantStatus};
use aems_core::auth::user_sessions::SessionStatus;
use aems_core::auth::users::{UserPatch, UserRole, UserStatus};
use aems_core::{ErrorCode, Password, TenantId, UserId};
use aems_diesel::auth::{
    AuthConfig, AuthError, Authenticator, ClientInfo, HashParams, LoginOutcome, SessionFilter,
    SignedIn,
};
use aems_diesel::prelude::*;
use aems_diesel::{Error, audit::AuditFilter};
use chrono::TimeDelta;

use super::{AuthWorld, PASSWORD, new_user};
use crate::support::admin;

fn client() -> ClientInfo {
    ClientInfo::new("203.0.113.9".parse().unwrap()).with_user_agent("tests/1.0")
}

async fn signup(w: &AuthWorld, slug: &str, email: &str) -> (TenantId, UserId) {
    let (tenant, user) = w
        .auth
        .signup(
            NewTenant::new(
                format!("Org {slug}").parse().unwrap(),
                slug.parse().unwrap(),
            ),
            new_user(email),
            &client(),
        )
        .await
        .unwrap();
    (tenant.id, user.id)
}

fn signed_in(outcome: LoginOutcome) -> SignedIn {
    match outcome {
        LoginOutcome::SignedIn(s) => s,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// The actions recorded for `tenant`, oldest first, as the administrator sees them.
async fn actions(w: &AuthWorld, tenant: TenantId) -> Vec<String> {
    admin(&w.t.db)
        .await
        .query(
            "SELECT action FROM risk.audit_logs WHERE tenant_id = $1 ORDER BY timestamp, id",
            &[&tenant.into_uuid()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn signup_creates_the_tenant_and_its_admin_who_can_then_sign_in() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "Founder@Acme.example.com").await;
    let ctx = aems_diesel::Context::new(tenant, user);
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    let me = db.users().get(user).await.unwrap();
    assert_eq!(me.role, UserRole::Admin);
    assert_eq!(me.status, UserStatus::Active);
    assert_eq!(
        me.email.as_str(),
        "founder@acme.example.com",
        "stored in lower case"
    );
    assert!(me.password_hash.expose().starts_with("$argon2id$"));
    assert_eq!(db.tenants().current().await.unwrap().slug.as_str(), "acme");
    assert!(
        actions(&w, tenant)
            .await
            .contains(&"tenant_signed_up".to_owned())
    );

    // Any case of the address signs in.
    let session = signed_in(
        w.auth
            .login("FOUNDER@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    assert_eq!((session.tenant_id, session.user_id), (tenant, user));
    let me = db.users().get(user).await.unwrap();
    assert_eq!(me.last_login, Some(w.clock.now()));
}

#[tokio::test]
async fn a_signup_that_fails_half_way_leaves_nothing_behind() {
    let w = AuthWorld::new().await;
    let before = (
        w.t.count("auth.tenants").await,
        w.t.count("auth.users").await,
    );
    // The seeded tenant A's admin already holds this address (unique across tenants).
    let result = w
        .auth
        .signup(
            NewTenant::new("Copycat".parse().unwrap(), "copycat".parse().unwrap()),
            new_user("admin@a.example.com"),
            &client(),
        )
        .await;
    match result {
        Err(AuthError::Data(Error::UniqueViolation { constraint, .. })) => {
            assert_eq!(constraint, "uq_users_email")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        (
            w.t.count("auth.tenants").await,
            w.t.count("auth.users").await
        ),
        before
    );
}

#[tokio::test]
async fn a_weak_password_is_a_typed_policy_error_and_nothing_is_written() {
    let w = AuthWorld::new().await;
    let mut admin_input = new_user("weak@acme.example.com");
    admin_input.password = Password::new("aaaaaaaaaaaa").unwrap();
    let before = w.t.count("auth.tenants").await;
    match w
        .auth
        .signup(
            NewTenant::new("Weak".parse().unwrap(), "weak".parse().unwrap()),
            admin_input,
            &client(),
        )
        .await
    {
        Err(AuthError::Data(Error::Validation(e))) => {
            assert!(e.has("password", ErrorCode::InvalidFormat), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.t.count("auth.tenants").await, before);
}

#[tokio::test]
async fn unknown_addresses_and_wrong_passwords_are_one_error_and_both_are_audited() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    for (email, password) in [
        ("nobody@acme.example.com", PASSWORD),
        ("ada@acme.example.com", "wrong password here"),
        ("not an address", PASSWORD),
    ] {
        assert!(
            matches!(
                w.auth.login(email, password, &client()).await,
                Err(AuthError::InvalidCredentials)
            ),
            "{email}"
        );
    }
    let ctx = aems_diesel::Context::new(tenant, user);
    let me =
        w.db.one_shot(&ctx)
            .await
            .unwrap()
            .users()
            .get(user)
            .await
            .unwrap();
    assert_eq!(me.failed_login_attempts, 1, "only the known account counts");
    let audited: i64 = admin(&w.t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE action = 'login_failed'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(audited, 3);
    let lookups: i64 = admin(&w.t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE action = 'cross_tenant_access'
               AND new_values->>'_cross_tenant_reason' = 'login by e-mail'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(lookups, 3, "every cross-tenant lookup is audited");
}

#[tokio::test]
async fn the_account_locks_after_the_configured_failures_and_opens_again_after_the_lock() {
    let w = AuthWorld::with_config(AuthConfig::default().lockout(3, TimeDelta::minutes(10))).await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    for _ in 0..2 {
        assert!(matches!(
            w.auth
                .login("ada@acme.example.com", "wrong password!", &client())
                .await,
            Err(AuthError::InvalidCredentials)
        ));
    }
    let until = match w
        .auth
        .login("ada@acme.example.com", "wrong password!", &client())
        .await
    {
        Err(AuthError::Locked { until }) => until,
        other => panic!("{other:?}"),
    };
    assert_eq!(until, w.clock.now() + TimeDelta::minutes(10));
    // Locked: even the right password is refused, and does not reset anything.
    assert!(matches!(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await,
        Err(AuthError::Locked { .. })
    ));
    let logged = actions(&w, tenant).await;
    assert!(logged.contains(&"account_locked".to_owned()), "{logged:?}");
    assert!(logged.contains(&"login_refused".to_owned()), "{logged:?}");

    w.clock.advance(TimeDelta::minutes(10));
    signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    let ctx = aems_diesel::Context::new(tenant, user);
    let me =
        w.db.one_shot(&ctx)
            .await
            .unwrap()
            .users()
            .get(user)
            .await
            .unwrap();
    assert_eq!(me.failed_login_attempts, 0);
    assert_eq!(me.locked_until, None);
    assert!(
        actions(&w, tenant)
            .await
            .contains(&"login_succeeded".to_owned())
    );
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_all_counted() {
    let w = AuthWorld::with_config(AuthConfig::default().lockout(100, TimeDelta::minutes(1))).await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let auth = w.auth.clone();
            tokio::spawn(async move {
                auth.login("ada@acme.example.com", "wrong password!", &client())
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert!(matches!(
            task.await.unwrap(),
            Err(AuthError::InvalidCredentials)
        ));
    }
    let ctx = aems_diesel::Context::new(tenant, user);
    let me =
        w.db.one_shot(&ctx)
            .await
            .unwrap()
            .users()
            .get(user)
            .await
            .unwrap();
    assert_eq!(me.failed_login_attempts, 8);
}

#[tokio::test]
async fn inactive_suspended_pending_and_deleted_users_and_suspended_tenants_cannot_sign_in() {
    let w = AuthWorld::new().await;
    let (tenant, owner) = signup(&w, "acme", "owner@acme.example.com").await;
    let ctx = aems_diesel::Context::new(tenant, owner);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let mut ids = Vec::new();
    for (i, status) in [
        UserStatus::Inactive,
        UserStatus::Suspended,
        UserStatus::Pending,
    ]
    .into_iter()
    .enumerate()
    {
        let mut input = new_user(&format!("u{i}@acme.example.com"));
        input.status = status;
        ids.push(
            uow.users()
                .create(input, w.auth.passwords())
                .await
                .unwrap()
                .id,
        );
    }
    let deleted = uow
        .users()
        .create(new_user("gone@acme.example.com"), w.auth.passwords())
        .await
        .unwrap();
    uow.users().soft_delete(deleted.id).await.unwrap();
    uow.commit().await.unwrap();

    for i in 0..3 {
        assert!(matches!(
            w.auth
                .login(&format!("u{i}@acme.example.com"), PASSWORD, &client())
                .await,
            Err(AuthError::AccountDisabled)
        ));
    }
    assert!(matches!(
        w.auth
            .login("gone@acme.example.com", PASSWORD, &client())
            .await,
        Err(AuthError::InvalidCredentials)
    ));

    // A suspended tenant: its admin cannot sign in, its sessions stop working.
    let session = signed_in(
        w.auth
            .login("owner@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    let mut platform =
        w.db.platform("suspend an unpaid tenant", None)
            .await
            .unwrap();
    platform
        .set_tenant_status(tenant, TenantStatus::Suspended)
        .await
        .unwrap();
    platform.commit().await.unwrap();
    assert!(matches!(
        w.auth
            .login("owner@acme.example.com", PASSWORD, &client())
            .await,
        Err(AuthError::AccountDisabled)
    ));
    assert!(matches!(
        w.auth.authenticate(session.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
}

#[tokio::test]
async fn a_hash_made_with_older_parameters_is_replaced_at_sign_in() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let stronger = Authenticator::new(
        w.db.clone(),
        AuthConfig::default()
            .password_params(HashParams {
                memory_kib: 128,
                iterations: 2,
                parallelism: 1,
            })
            .clock(w.clock.clock()),
    )
    .unwrap();
    signed_in(
        stronger
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    let ctx = aems_diesel::Context::new(tenant, user);
    let me =
        w.db.one_shot(&ctx)
            .await
            .unwrap()
            .users()
            .get(user)
            .await
            .unwrap();
    assert!(
        me.password_hash
            .expose()
            .starts_with("$argon2id$v=19$m=128,t=2,p=1$"),
        "not rehashed"
    );
    // The new hash still signs in, and needs no further rehash.
    signed_in(
        stronger
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    assert!(
        actions(&w, tenant)
            .await
            .contains(&"password_rehashed".to_owned())
    );
}

#[tokio::test]
async fn a_session_token_works_until_it_expires_and_touches_last_activity() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let session = signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    w.clock.advance(TimeDelta::minutes(30));
    let who = w
        .auth
        .authenticate(session.session_token.expose())
        .await
        .unwrap();
    assert_eq!((who.tenant_id, who.user_id), (tenant, user));
    assert_eq!(who.context().session_id(), Some(session.session_id));
    let mut db = w.db.one_shot(&who.context()).await.unwrap();
    let stored = db.user_sessions().get(session.session_id).await.unwrap();
    assert_eq!(stored.last_activity, w.clock.now());
    assert_eq!(stored.token_hash, session.session_token.hash());

    w.clock.advance(TimeDelta::minutes(30));
    assert!(matches!(
        w.auth.authenticate(session.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
    for junk in ["", "x", &"A".repeat(43), "' OR 1=1 --"] {
        assert!(matches!(
            w.auth.authenticate(junk).await,
            Err(AuthError::InvalidSession)
        ));
    }
}

#[tokio::test]
async fn refresh_rotates_both_tokens_and_a_reused_refresh_token_revokes_the_session() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let first = signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    w.clock.advance(TimeDelta::hours(2)); // the session token has expired
    let second = w
        .auth
        .refresh(first.refresh_token.expose(), &client())
        .await
        .unwrap();
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(second.expires_at, w.clock.now() + TimeDelta::hours(1));
    assert!(matches!(
        w.auth.authenticate(first.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
    w.auth
        .authenticate(second.session_token.expose())
        .await
        .unwrap();

    // The first refresh token again: refused, and the session is revoked.
    assert!(matches!(
        w.auth
            .refresh(first.refresh_token.expose(), &client())
            .await,
        Err(AuthError::RefreshTokenReused)
    ));
    assert!(matches!(
        w.auth.authenticate(second.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
    assert!(matches!(
        w.auth
            .refresh(second.refresh_token.expose(), &client())
            .await,
        Err(AuthError::InvalidSession)
    ));
    let ctx = aems_diesel::Context::new(tenant, user);
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    assert_eq!(
        db.user_sessions()
            .get(first.session_id)
            .await
            .unwrap()
            .status,
        SessionStatus::Revoked
    );
    let severity: String = admin(&w.t.db)
        .await
        .query_one(
            "SELECT severity FROM risk.audit_logs WHERE action = 'refresh_token_reused'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(severity, "critical");
}

#[tokio::test]
async fn a_session_cannot_be_refreshed_past_its_maximum_lifetime() {
    let w = AuthWorld::with_config(
        AuthConfig::default().sessions(TimeDelta::hours(1), TimeDelta::hours(3)),
    )
    .await;
    signup(&w, "acme", "ada@acme.example.com").await;
    let mut current = signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    w.clock.advance(TimeDelta::minutes(150));
    current = w
        .auth
        .refresh(current.refresh_token.expose(), &client())
        .await
        .unwrap();
    assert_eq!(
        current.expires_at,
        w.clock.now() + TimeDelta::minutes(30),
        "capped at the lifetime"
    );
    w.clock.advance(TimeDelta::minutes(30));
    assert!(matches!(
        w.auth
            .refresh(current.refresh_token.expose(), &client())
            .await,
        Err(AuthError::InvalidSession)
    ));
}

#[tokio::test]
async fn logout_and_revoke_all_end_sessions() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let login = || async {
        signed_in(
            w.auth
                .login("ada@acme.example.com", PASSWORD, &client())
                .await
                .unwrap(),
        )
    };
    let (a, b, c) = (login().await, login().await, login().await);
    w.auth
        .logout(a.session_token.expose(), &client())
        .await
        .unwrap();
    assert!(matches!(
        w.auth.authenticate(a.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
    assert!(matches!(
        w.auth.logout(a.session_token.expose(), &client()).await,
        Err(AuthError::InvalidSession)
    ));

    let ctx = aems_diesel::Context::new(tenant, user).with_session(b.session_id);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    uow.user_sessions().revoke(b.session_id).await.unwrap();
    // Revoking it again is an illegal transition.
    assert!(matches!(
        uow.user_sessions().revoke(b.session_id).await,
        Err(Error::Transition(_))
    ));
    drop(uow);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    uow.user_sessions().revoke(b.session_id).await.unwrap();
    assert_eq!(
        uow.user_sessions().revoke_all_for_user(user).await.unwrap(),
        1
    );
    uow.commit().await.unwrap();
    assert!(matches!(
        w.auth.authenticate(c.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    let active = db
        .user_sessions()
        .list_for_user(
            user,
            &SessionFilter::all().status(SessionStatus::Active),
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(active.items.is_empty());
    let mut audit = w.db.one_shot(&ctx).await.unwrap();
    let revoked = audit
        .audit()
        .list(&AuditFilter::all().action("session_revoked"), None, 10)
        .await
        .unwrap();
    assert_eq!(revoked.items.len(), 2, "logout and revoke are audited");
}

#[tokio::test]
async fn changing_a_password_needs_the_current_one_and_ends_the_other_sessions() {
    let w = AuthWorld::new().await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let here = signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    let elsewhere = signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    let ctx = aems_diesel::Context::new(tenant, user).with_session(here.session_id);
    let new_password = Password::new("another-Long-passphrase-9").unwrap();
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    assert!(matches!(
        uow.users()
            .change_password(
                user,
                Some("not it at all"),
                &new_password,
                w.auth.passwords()
            )
            .await,
        Err(Error::PermissionDenied { .. })
    ));
    drop(uow);
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let revoked = uow
        .users()
        .change_password(user, Some(PASSWORD), &new_password, w.auth.passwords())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(revoked, 1);
    w.auth
        .authenticate(here.session_token.expose())
        .await
        .unwrap();
    assert!(
        w.auth
            .authenticate(elsewhere.session_token.expose())
            .await
            .is_err()
    );
    assert!(matches!(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await,
        Err(AuthError::InvalidCredentials)
    ));
    signed_in(
        w.auth
            .login(
                "ada@acme.example.com",
                "another-Long-passphrase-9",
                &client(),
            )
            .await
            .unwrap(),
    );
    // Someone else's profile changes need an admin: a plain user is refused.
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let plain = uow
        .users()
        .create(new_user("plain@acme.example.com"), w.auth.passwords())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let as_plain = aems_diesel::Context::new(tenant, plain.id);
    let mut uow = w.db.unit_of_work(&as_plain).await.unwrap();
    let patch = UserPatch {
        first_name: Some("Mallory".parse().unwrap()),
        ..UserPatch::default()
    };
    let me = uow.users().get(user).await.unwrap();
    assert!(matches!(
        uow.users().update(user, me.updated_at, &patch).await,
        Err(Error::PermissionDenied { .. })
    ));
}

/// What a web server does: every request in a task of its own. The futures
/// of the authenticator and of the repositories must be `Send`.
#[tokio::test]
async fn authentication_and_repository_work_runs_in_spawned_tasks() {
    let w = AuthWorld::new().await;
    signup(&w, "acme", "ada@acme.example.com").await;
    let auth = w.auth.clone();
    let session = tokio::spawn(async move {
        match auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
        {
            Ok(LoginOutcome::SignedIn(s)) => s,
            other => panic!("{other:?}"),
        }
    })
    .await
    .unwrap();
    let auth = w.auth.clone();
    let token = session.session_token.expose().to_owned();
    let who = tokio::spawn(async move { auth.authenticate(&token).await })
        .await
        .unwrap()
        .unwrap();
    let db = w.db.clone();
    let me = tokio::spawn(async move {
        let mut uow = db.unit_of_work(&who.context()).await?;
        let me = uow.users().get(who.user_id).await?;
        let customers = aems_diesel::sales::SalesRepositories::customers(&mut uow)
            .list(
                &aems_diesel::sales::CustomerFilter::all(),
                PageRequest::first(1),
            )
            .await?;
        uow.commit().await?;
        Ok::<_, Error>((me, customers.items.len()))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(me.0.id, session.user_id);
    assert_eq!(me.1, 0);
}

#[tokio::test]
async fn an_admin_unlocks_a_locked_user() {
    let w = AuthWorld::with_config(AuthConfig::default().lockout(1, TimeDelta::hours(1))).await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let grace = db
        .users()
        .create(new_user("grace@example.com"), w.auth.passwords())
        .await
        .unwrap();
    assert!(matches!(
        w.auth
            .login("grace@example.com", "wrong password!", &client())
            .await,
        Err(AuthError::Locked { .. })
    ));
    let unlocked = db.users().unlock(grace.id).await.unwrap();
    assert_eq!(
        (unlocked.failed_login_attempts, unlocked.locked_until),
        (0, None)
    );
    signed_in(
        w.auth
            .login("grace@example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn the_platform_finds_a_user_by_address_suspends_them_and_expires_old_sessions() {
    let w = AuthWorld::with_config(
        AuthConfig::default().sessions(TimeDelta::hours(1), TimeDelta::days(1)),
    )
    .await;
    let (tenant, user) = signup(&w, "acme", "ada@acme.example.com").await;
    let session = signed_in(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await
            .unwrap(),
    );
    let mut platform = w.db.platform("support ticket 42", None).await.unwrap();
    let found = platform
        .find_user_by_email(&"ADA@acme.example.com".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.tenant_id), (user, tenant));
    let suspended = platform
        .set_user_status(user, UserStatus::Suspended)
        .await
        .unwrap();
    assert_eq!(suspended.status, UserStatus::Suspended);
    platform.commit().await.unwrap();
    // The session is still active, but its user is suspended.
    assert!(matches!(
        w.auth.authenticate(session.session_token.expose()).await,
        Err(AuthError::InvalidSession)
    ));
    assert!(matches!(
        w.auth
            .login("ada@acme.example.com", PASSWORD, &client())
            .await,
        Err(AuthError::AccountDisabled)
    ));
    // Sessions past their lifetime are swept to `expired`.
    let mut platform = w.db.platform("session sweep", None).await.unwrap();
    assert_eq!(
        platform
            .expire_sessions(w.clock.now() - TimeDelta::days(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        platform
            .expire_sessions(w.clock.now() + TimeDelta::seconds(1))
            .await
            .unwrap(),
        3,
        "Ada's and the two seeded tenants' sessions"
    );
    platform.commit().await.unwrap();
    let ctx = aems_diesel::Context::new(tenant, user);
    let mut db = w.db.one_shot(&ctx).await.unwrap();
    assert_eq!(
        db.user_sessions()
            .get(session.session_id)
            .await
            .unwrap()
            .status,
        SessionStatus::Expired
    );
    // The platform's changes are in the tenant's trail, with the reason.
    let reasons: Vec<Option<String>> = admin(&w.t.db)
        .await
        .query(
            "SELECT new_values->>'_cross_tenant_reason' FROM risk.audit_logs
             WHERE tenant_id = $1 AND action = 'update' AND entity_type = 'users'",
            &[&tenant.into_uuid()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        reasons.contains(&Some("support ticket 42".to_owned())),
        "{reasons:?}"
    );
}
