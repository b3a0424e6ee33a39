//! The security suite: tenant isolation through the repositories, the narrow
//! platform role, hostile input at every auth entry point, and no secret
//! anywhere it should not be.
//!
//! Covered elsewhere, and not repeated here (see docs/security.md):
//! * raw-SQL isolation of all 20 tables as the application role (select,
//!   update, delete, insert with another tenant's id, nothing without a
//!   context): `schema::tenant_a_can_neither_see_change_delete_nor_insert_rows_of_tenant_b`
//!   and `schema::without_a_tenant_the_application_role_sees_no_row_of_any_table`;
//! * audit rows cannot be updated or deleted by the application role:
//!   `schema::the_application_role_cannot_change_or_remove_audit_rows`;
//! * a one-connection pool used by tenant A then tenant B leaks nothing:
//!   `unit_of_work::a_one_connection_pool_used_by_a_then_b_leaks_nothing`;
//! * per-table repository isolation: each `auth::<table>` test module.

use aems_core::auth::oauth_connections::{NewOauthConnection, OauthProvider, OauthStatus};
use aems_core::auth::tenants::NewTenant;
use aems_core::auth::user_mfa::MfaType;
use aems_core::auth::user_sessions::SessionStatus;
use aems_core::auth::users::{UserPatch, UserStatus};
use aems_core::{OauthConnectionId, Password, SecretString, TenantId, UserId, UserSessionId};
use aems_diesel::auth::{
    AuthError, ClientInfo, LoginOutcome, MfaChallenge, SessionFilter, TotpParams, UserFilter,
};
use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::{Context, Error};

use super::{AuthWorld, PASSWORD, new_user};
use crate::support::admin;

/// Hostile strings for every free-text input.
fn hostile() -> Vec<String> {
    vec![
        "'; DROP TABLE auth.users; --".into(),
        "\" OR \"1\"=\"1".into(),
        "admin@a.example.com' OR '1'='1".into(),
        "%_\\%".into(),
        "\u{0}".into(),
        "nul\u{0}inside@a.example.com".into(),
        "ünïcødé 🙂 @example.com".into(),
        String::from_utf8_lossy(&[0xff, 0xfe, b'a', 0xc3, 0x28]).into_owned(),
        "x".repeat(1_000_000),
        "$argon2id$v=19$m=19456,t=2,p=1$c2VlZHNhbHQ$bm90IGEgcmVhbCBoYXNo".into(),
    ]
}

#[tokio::test]
async fn through_the_auth_repositories_tenant_a_reaches_nothing_of_tenant_b() {
    let w = AuthWorld::new().await;
    let (b_user, b_tenant) = (
        UserId::from_uuid(w.t.b.user),
        TenantId::from_uuid(w.t.b.tenant),
    );
    let b_session: uuid::Uuid = admin(&w.t.db)
        .await
        .query_one(
            "SELECT id FROM auth.user_sessions WHERE user_id = $1",
            &[&w.t.b.user],
        )
        .await
        .unwrap()
        .get(0);
    let b_connection: uuid::Uuid = admin(&w.t.db)
        .await
        .query_one(
            "SELECT id FROM auth.oauth_connections WHERE user_id = $1",
            &[&w.t.b.user],
        )
        .await
        .unwrap()
        .get(0);
    let mut a = w.db.unit_of_work(&w.t.ctx_a()).await.unwrap();
    // tenants
    assert_eq!(a.tenants().find(b_tenant).await.unwrap(), None);
    // users: not found, not listed, not updatable, not deletable, not restorable
    assert!(matches!(
        a.users().get(b_user).await,
        Err(Error::NotFound { .. })
    ));
    let everyone = a
        .users()
        .list(&UserFilter::all(), PageRequest::first(1000))
        .await
        .unwrap();
    assert!(
        everyone
            .items
            .iter()
            .all(|u| u.tenant_id.into_uuid() == w.t.a.tenant)
    );
    let patch = UserPatch {
        status: Some(UserStatus::Suspended),
        ..UserPatch::default()
    };
    assert!(matches!(
        a.users().update(b_user, chrono::Utc::now(), &patch).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.users().soft_delete(b_user).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.users().restore(b_user).await,
        Err(Error::NotFound { .. })
    ));
    // user_sessions, through the user
    let sid = UserSessionId::from_uuid(b_session);
    assert!(matches!(
        a.user_sessions().get(sid).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.user_sessions().revoke(sid).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        a.user_sessions().revoke_all_for_user(b_user).await.unwrap(),
        0
    );
    // user_mfa, through the user
    assert!(a.user_mfa().list_for_user(b_user).await.unwrap().is_empty());
    assert!(!a.user_mfa().disable(b_user, MfaType::Totp).await.unwrap());
    // oauth_connections, through the user
    let cid = OauthConnectionId::from_uuid(b_connection);
    assert!(matches!(
        a.oauth_connections().get(cid).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.oauth_connections().unlink(cid).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        a.oauth_connections()
            .list_for_user(b_user)
            .await
            .unwrap()
            .is_empty()
    );
    a.commit().await.unwrap();

    // B's rows are all still there, unchanged.
    let mut b = w.db.one_shot(&w.t.ctx_b()).await.unwrap();
    assert_eq!(
        b.users().get(b_user).await.unwrap().status,
        UserStatus::Active
    );
    assert_eq!(
        b.user_sessions().get(sid).await.unwrap().status,
        SessionStatus::Active
    );
    assert_eq!(b.user_mfa().list_for_user(b_user).await.unwrap().len(), 1);
    assert_eq!(
        b.oauth_connections()
            .list_for_user(b_user)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn rows_tied_to_another_tenants_user_cannot_be_written() {
    let w = AuthWorld::new().await;
    let b_user = UserId::from_uuid(w.t.b.user);
    let mut a = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let link = NewOauthConnection {
        user_id: b_user,
        provider: OauthProvider::Google,
        provider_user_id: "planted".parse().unwrap(),
        provider_email: None,
        access_token: None,
        refresh_token: None,
        token_expires_at: None,
        provider_data: None,
        status: OauthStatus::Active,
    };
    assert!(matches!(
        a.oauth_connections().link(link).await,
        Err(Error::PermissionDenied { .. })
    ));
    // An MFA factor for B's user, planted by A posing as that user: refused.
    let posing = Context::new(TenantId::from_uuid(w.t.a.tenant), b_user);
    let mut uow = w.db.unit_of_work(&posing).await.unwrap();
    assert!(
        uow.user_mfa()
            .enable_external(b_user, MfaType::Sms)
            .await
            .is_err()
    );
    drop(uow);
    assert_eq!(w.t.count("auth.oauth_connections").await, 2);
    assert_eq!(w.t.count("auth.user_mfa").await, 2);
}

#[tokio::test]
async fn a_context_naming_no_real_tenant_sees_nothing_through_any_repository() {
    let w = AuthWorld::new().await;
    let nowhere = Context::new(TenantId::new(), UserId::from_uuid(w.t.a.user));
    let mut db = w.db.one_shot(&nowhere).await.unwrap();
    assert!(matches!(
        db.tenants().current().await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        db.users()
            .list(&UserFilter::all(), PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        db.users().get(UserId::from_uuid(w.t.a.user)).await,
        Err(Error::NotFound { .. })
    ));
    // The actor is unknown there, so it is no admin: reads of users'
    // sessions, factors and connections are refused before reaching them.
    assert!(matches!(
        db.user_sessions()
            .list_for_user(
                UserId::from_uuid(w.t.b.user),
                &SessionFilter::all(),
                PageRequest::first(10)
            )
            .await,
        Err(Error::PermissionDenied { .. })
    ));
    let as_self = Context::new(TenantId::new(), UserId::from_uuid(w.t.a.user));
    let mut db = w.db.one_shot(&as_self).await.unwrap();
    assert!(
        db.user_mfa()
            .list_for_user(UserId::from_uuid(w.t.a.user))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        db.oauth_connections()
            .list_for_user(UserId::from_uuid(w.t.a.user))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        db.user_sessions()
            .list_for_user(
                UserId::from_uuid(w.t.a.user),
                &SessionFilter::all(),
                PageRequest::first(10)
            )
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        db.customers()
            .list(&CustomerFilter::all(), PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn the_platform_role_reaches_only_its_five_tables_with_only_its_privileges() {
    let w = AuthWorld::new().await;
    let client = crate::support::app(&w.t.db).await;
    let attempt = |sql: &'static str| {
        let client = &client;
        async move {
            client.batch_execute("BEGIN").await.unwrap();
            client
                .batch_execute(
                    "SELECT set_config('role', 'aems_platform', true),
                            set_config('app.cross_tenant_reason', 'security test', true)",
                )
                .await
                .unwrap();
            let result = client.batch_execute(sql).await;
            client.batch_execute("ROLLBACK").await.unwrap();
            result
        }
    };
    for allowed in [
        "SELECT count(*) FROM auth.tenants",
        "SELECT count(*) FROM auth.users",
        "SELECT count(*) FROM auth.user_sessions",
        "SELECT count(*) FROM auth.oauth_connections",
        "SELECT count(*) FROM risk.audit_logs",
    ] {
        attempt(allowed)
            .await
            .unwrap_or_else(|e| panic!("{allowed}: {e:?}"));
    }
    for refused in [
        "SELECT count(*) FROM auth.user_mfa",
        "SELECT count(*) FROM sales.customers",
        "SELECT count(*) FROM hr.employees",
        "SELECT count(*) FROM finance.expense_transactions",
        "DELETE FROM auth.users",
        "DELETE FROM auth.tenants",
        "INSERT INTO auth.user_sessions (user_id, token_hash, ip_address, expires_at)
             SELECT id, 'x', '127.0.0.1', now() + interval '1 hour' FROM auth.users LIMIT 1",
        "UPDATE auth.oauth_connections SET status = 'revoked'",
        "UPDATE risk.audit_logs SET action = 'forged'",
        "DELETE FROM risk.audit_logs",
    ] {
        let err = attempt(refused).await.expect_err(refused);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{refused}: {err}"
        );
    }
}

#[tokio::test]
async fn a_transaction_switched_to_the_platform_role_cannot_rewrite_credentials_roles_or_owners() {
    // Any transaction of the login role can assume aems_platform. Its UPDATE
    // grants are the columns login and administration write, nothing more.
    let w = AuthWorld::new().await;
    let (a, b) = (&w.t.a, &w.t.b);
    let admin = crate::support::admin(&w.t.db).await;
    crate::support::admin_write(
        &w.t.db,
        "INSERT INTO auth.user_sessions (user_id, token_hash, ip_address, expires_at)
         VALUES ($1, 'h', '127.0.0.1', now() + interval '1 hour')",
        &[&a.user],
    )
    .await
    .unwrap();
    let snapshot = || async {
        let row = admin
            .query_one(
                "SELECT u.password_hash || u.role || u.email || u.tenant_id::text
                        || (SELECT string_agg(s.user_id::text, ',') FROM auth.user_sessions s)
                        || (SELECT string_agg(t.slug || t.subscription_plan, ',' ORDER BY t.slug) FROM auth.tenants t)
                 FROM auth.users u WHERE u.id = $1",
                &[&a.user],
            )
            .await
            .unwrap();
        row.get::<_, String>(0)
    };
    let unchanged = snapshot().await;
    let client = crate::support::app(&w.t.db).await;
    let attempt = |sql: String| {
        let client = &client;
        async move {
            client.batch_execute("BEGIN").await.unwrap();
            client
                .batch_execute(
                    "SELECT set_config('role', 'aems_platform', true),
                            set_config('app.cross_tenant_reason', 'attack', true)",
                )
                .await
                .unwrap();
            let result = client.batch_execute(&sql).await;
            client.batch_execute("COMMIT").await.unwrap();
            result
        }
    };
    for refused in [
        format!(
            "UPDATE auth.users SET password_hash = '$argon2id$forged' WHERE id = '{}'",
            a.user
        ),
        format!(
            "UPDATE auth.users SET role = 'admin' WHERE id = '{}'",
            a.user
        ),
        format!(
            "UPDATE auth.users SET email = 'attacker@example.com' WHERE id = '{}'",
            a.user
        ),
        format!(
            "UPDATE auth.users SET tenant_id = '{}' WHERE id = '{}'",
            b.tenant, a.user
        ),
        format!("UPDATE auth.user_sessions SET user_id = '{}'", b.user),
        "UPDATE auth.tenants SET slug = 'taken-over'".to_owned(),
        "UPDATE auth.tenants SET subscription_plan = 'enterprise'".to_owned(),
        "INSERT INTO auth.tenants (name, slug) VALUES ('Forged', 'forged')".to_owned(),
    ] {
        let err = attempt(refused.clone()).await.expect_err(&refused);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{refused}: {err}"
        );
    }
    assert_eq!(snapshot().await, unchanged);
    // What login and administration write still works.
    for allowed in [
        format!(
            "UPDATE auth.users SET failed_login_attempts = 1, locked_until = NULL, status = 'active'
             WHERE id = '{}'",
            a.user
        ),
        "UPDATE auth.user_sessions SET status = status, last_activity = now(), token_hash = 'h2',
                refresh_token_hash = NULL, expires_at = expires_at WHERE token_hash = 'h'"
            .to_owned(),
        format!(
            "UPDATE auth.tenants SET status = status WHERE id = '{}'",
            a.tenant
        ),
    ] {
        attempt(allowed.clone())
            .await
            .unwrap_or_else(|e| panic!("{allowed}: {e:?}"));
    }
}

#[tokio::test]
async fn hostile_input_at_login_and_token_checks_is_refused_cleanly_and_leaks_nothing() {
    // No lock, so every attempt is answered the same way.
    let w = AuthWorld::with_config(
        aems_diesel::auth::AuthConfig::default().lockout(1000, chrono::TimeDelta::minutes(1)),
    )
    .await;
    w.auth
        .signup(
            NewTenant::new("Acme".parse().unwrap(), "acme".parse().unwrap()),
            new_user("ada@acme.example.com"),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    let client = ClientInfo::default().with_user_agent("evil\0agent ".repeat(100));
    for text in hostile() {
        let short: String = text.chars().take(30).collect();
        for (email, password) in [
            (text.as_str(), PASSWORD),
            ("ada@acme.example.com", text.as_str()),
            (text.as_str(), text.as_str()),
        ] {
            match w.auth.login(email, password, &client).await {
                Err(AuthError::InvalidCredentials) => {}
                other => panic!("{short:?}: {other:?}"),
            }
        }
        assert!(matches!(
            w.auth.authenticate(&text).await,
            Err(AuthError::InvalidSession)
        ));
        assert!(matches!(
            w.auth.refresh(&text, &client).await,
            Err(AuthError::InvalidSession)
        ));
        assert!(matches!(
            w.auth.logout(&text, &client).await,
            Err(AuthError::InvalidSession)
        ));
        assert!(matches!(
            w.auth
                .complete_mfa(&MfaChallenge::from_client(text.clone()), "123456", &client)
                .await,
            Err(AuthError::InvalidChallenge)
        ));
    }
    // None of it was stored or echoed into the trail, and nothing broke.
    let trail: Vec<String> = admin(&w.t.db)
        .await
        .query("SELECT to_jsonb(a)::text FROM risk.audit_logs a", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for row in &trail {
        assert!(!row.contains("DROP TABLE"), "{row}");
        assert!(
            !row.contains("xxxxxxxxxx"),
            "{}",
            &row[..row.len().min(200)]
        );
        assert!(!row.contains(PASSWORD), "{row}");
    }
    // Ten hostile inputs, three login shapes each: all audited as failures.
    // (A wrong password for Ada counts and, after five, locks her.)
    let failures: i64 = admin(&w.t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE action IN ('login_failed', 'login_refused')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(failures, 30);
    assert_eq!(w.t.count("auth.users").await, 3, "the table survived");
}

#[tokio::test]
async fn hostile_input_in_repository_filters_is_a_clear_error_or_a_correct_result() {
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    for text in hostile() {
        let short: String = text.chars().take(30).collect();
        match db
            .users()
            .list(
                &UserFilter::all().search(text.clone()),
                PageRequest::first(10),
            )
            .await
        {
            Ok(page) => assert!(page.items.is_empty(), "{short:?} matched {:?}", page.items),
            Err(Error::Validation(e)) => assert!(e.has_field("search"), "{short:?}: {e}"),
            Err(other) => panic!("{short:?}: {other:?}"),
        }
    }
    // The cursor is text from the client too.
    for forged in ["", "a'; --", "d00000000-0000-0000-0000-000000000000"] {
        assert!(matches!(
            forged.parse::<aems_diesel::Cursor>(),
            Err(Error::Validation(_))
        ));
    }
    let mut platform = w.db.platform("hostile lookups", None).await.unwrap();
    for text in hostile() {
        let short: String = text.chars().take(30).collect();
        match platform.find_oauth_user(OauthProvider::Google, &text).await {
            Ok(found) => assert_eq!(found, None, "{short:?}"),
            Err(Error::Validation(_)) => {}
            Err(other) => panic!("{short:?}: {other:?}"),
        }
        match text.parse::<aems_core::Email>() {
            Ok(email) => assert!(platform.find_user_by_email(&email).await.unwrap().is_none()),
            Err(e) => assert!(
                !e.to_string().contains(&short),
                "the error echoes the input"
            ),
        }
    }
    platform.commit().await.unwrap();
    assert_eq!(w.t.count("auth.users").await, 2);
}

/// Runs every flow that handles a secret and returns every secret seen.
async fn every_secret_flow(w: &AuthWorld) -> Vec<String> {
    let client = ClientInfo::default();
    let mut secrets = vec![PASSWORD.to_owned(), "a-Wholly-new-secret-77".to_owned()];
    let (tenant, user) = w
        .auth
        .signup(
            NewTenant::new("Acme".parse().unwrap(), "acme".parse().unwrap()),
            new_user("ada@acme.example.com"),
            &client,
        )
        .await
        .unwrap();
    let ctx = Context::new(tenant.id, user.id);
    secrets.push(user.password_hash.expose().to_owned());
    let _ = w
        .auth
        .login("ada@acme.example.com", "wrong but secret pw", &client)
        .await;
    secrets.push("wrong but secret pw".into());

    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let enrolment = uow
        .user_mfa()
        .begin_totp_enrolment(user.id, w.auth.mfa())
        .await
        .unwrap();
    secrets.push(enrolment.secret_base32.expose().clone());
    secrets.push(enrolment.provisioning_uri.expose().clone());
    uow.commit().await.unwrap();
    let factor = {
        let mut db = w.db.one_shot(&ctx).await.unwrap();
        db.user_mfa()
            .find(user.id, MfaType::Totp)
            .await
            .unwrap()
            .unwrap()
    };
    assert!(!format!("{factor:?}").contains(enrolment.secret_base32.expose()));
    let totp = super::decode_base32(enrolment.secret_base32.expose());
    let code = totp.code_at(w.clock.now().timestamp(), TotpParams::default());
    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let codes = uow
        .user_mfa()
        .confirm_totp(user.id, &code, w.auth.mfa())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let codes: Vec<String> = codes.expose().map(str::to_owned).collect();
    secrets.extend(codes.iter().cloned());
    secrets.extend(codes.iter().map(|c| c.replace('-', "")));

    let challenge = match w
        .auth
        .login("ada@acme.example.com", PASSWORD, &client)
        .await
        .unwrap()
    {
        LoginOutcome::MfaRequired { challenge, .. } => challenge,
        other => panic!("{other:?}"),
    };
    secrets.push(challenge.expose().to_owned());
    let session = w
        .auth
        .complete_mfa(&challenge, &codes[0], &client)
        .await
        .unwrap();
    for token in [
        session.session_token.expose(),
        session.refresh_token.expose(),
    ] {
        secrets.push(token.to_owned());
    }
    secrets.push(session.session_token.hash().expose().to_owned());
    secrets.push(session.refresh_token.hash().expose().to_owned());
    let refreshed = w
        .auth
        .refresh(session.refresh_token.expose(), &client)
        .await
        .unwrap();
    secrets.push(refreshed.session_token.expose().to_owned());
    secrets.push(refreshed.refresh_token.expose().to_owned());
    secrets.push(refreshed.refresh_token.hash().expose().to_owned());
    // Reuse: refused and audited, without the token.
    let _ = w
        .auth
        .refresh(session.refresh_token.expose(), &client)
        .await;

    let mut uow = w.db.unit_of_work(&ctx).await.unwrap();
    let linked = uow
        .oauth_connections()
        .link(NewOauthConnection {
            user_id: user.id,
            provider: OauthProvider::Linkedin,
            provider_user_id: "li-1".parse().unwrap(),
            provider_email: None,
            access_token: Some(SecretString::new("AQV-oauth-access-secret".into())),
            refresh_token: Some(SecretString::new("AQW-oauth-refresh-secret".into())),
            token_expires_at: None,
            provider_data: None,
            status: OauthStatus::Active,
        })
        .await
        .unwrap();
    uow.oauth_connections()
        .store_refreshed_tokens(
            linked.id,
            SecretString::new("AQX-rotated-access-secret".into()),
            None,
            None,
        )
        .await
        .unwrap();
    secrets.extend(
        [
            "AQV-oauth-access-secret",
            "AQW-oauth-refresh-secret",
            "AQX-rotated-access-secret",
        ]
        .map(str::to_owned),
    );
    let new_password = Password::new("a-Wholly-new-secret-77").unwrap();
    uow.users()
        .change_password(user.id, Some(PASSWORD), &new_password, w.auth.passwords())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    secrets
}

#[tokio::test]
async fn no_secret_appears_in_the_audit_trail_in_clear_columns_errors_or_debug_output() {
    let w = AuthWorld::new().await;
    let secrets = every_secret_flow(&w).await;
    let admin = admin(&w.t.db).await;
    // The trail: every column of every row.
    let trail: Vec<String> = admin
        .query("SELECT to_jsonb(a)::text FROM risk.audit_logs a", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(trail.len() > 10, "the flows were audited");
    // Every table of every domain schema, every column: nothing stored in clear.
    let tables: Vec<String> = admin
        .query(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
             WHERE table_schema IN ('auth', 'sales', 'finance', 'hr', 'products', 'risk')
               AND table_type = 'BASE TABLE'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut stored = Vec::new();
    for table in &tables {
        for row in admin
            .query(&format!("SELECT to_jsonb(t)::text FROM {table} t"), &[])
            .await
            .unwrap()
        {
            stored.push((table.clone(), row.get::<_, String>(0)));
        }
    }
    // The one hash that must be stored is the current password hash, in
    // auth.users.password_hash: every other appearance is a leak.
    let current_hash: String = admin
        .query_one(
            "SELECT password_hash FROM auth.users WHERE email = 'ada@acme.example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let token_hashes: Vec<String> = admin
        .query("SELECT token_hash FROM auth.user_sessions", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for secret in &secrets {
        let shown: String = secret.chars().take(12).collect();
        for row in &trail {
            assert!(
                !row.contains(secret.as_str()),
                "{shown}… in the audit trail: {row}"
            );
        }
        for (table, row) in &stored {
            let expected_home = (table == "auth.users" && *secret == current_hash)
                || (table == "auth.user_sessions" && token_hashes.contains(secret));
            let refresh_hash_home =
                table == "auth.user_sessions" && row.contains("refresh_token_hash");
            if expected_home
                || (refresh_hash_home
                    && secret.len() == 64
                    && secret.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                continue;
            }
            assert!(
                !row.contains(secret.as_str()),
                "{shown}… stored in clear in {table}"
            );
        }
    }
    // Errors and Debug output of the flows' values.
    let failures = [
        format!(
            "{:?}",
            w.auth
                .login("ada@acme.example.com", PASSWORD, &ClientInfo::default())
                .await
        ),
        format!("{}", AuthError::InvalidCredentials),
        format!("{:?}", w.auth.authenticate(&secrets[0]).await),
        format!("{:?}", Password::new(PASSWORD).unwrap()),
        format!("{:?}", w.auth),
    ];
    for text in &failures {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{text}");
        }
    }
}

#[tokio::test]
async fn no_secret_column_of_the_schema_holds_clear_text() {
    // Every column that holds a secret, with what it must hold instead.
    let w = AuthWorld::new().await;
    every_secret_flow(&w).await;
    let admin = admin(&w.t.db).await;
    for (sql, what) in [
        ("SELECT password_hash FROM auth.users", "argon2id"),
        ("SELECT token_hash FROM auth.user_sessions", "sha256"),
        (
            "SELECT refresh_token_hash FROM auth.user_sessions WHERE refresh_token_hash IS NOT NULL",
            "sha256",
        ),
        (
            "SELECT secret_key FROM auth.user_mfa WHERE secret_key IS NOT NULL",
            "envelope",
        ),
        ("SELECT unnest(backup_codes) FROM auth.user_mfa", "argon2id"),
        (
            "SELECT access_token FROM auth.oauth_connections WHERE access_token IS NOT NULL",
            "envelope",
        ),
        (
            "SELECT refresh_token FROM auth.oauth_connections WHERE refresh_token IS NOT NULL",
            "envelope",
        ),
    ] {
        let values: Vec<String> = admin
            .query(sql, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(!values.is_empty(), "{sql}: nothing to check");
        for value in values {
            let ok = match what {
                "argon2id" => value.starts_with("$argon2id$v=19$"),
                "sha256" => value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()),
                _ => aems_diesel::KeyRing::key_id_of(&base64_decode(&value).unwrap_or_default())
                    .is_some(),
            };
            assert!(ok, "{sql}: a value that is not a {what}");
        }
    }
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for b in text.bytes().filter(|b| *b != b'=') {
        buffer = (buffer << 6) | ALPHABET.iter().position(|a| *a == b)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The ids the administrator sees in `tenant`'s live rows of `table` matching
/// `search` (computed from the text, not the stored document).
async fn matching_ids(
    t: &crate::support::TwoTenants,
    table: &str,
    document: &str,
    tenant: uuid::Uuid,
    search: &str,
) -> std::collections::BTreeSet<uuid::Uuid> {
    admin(&t.db)
        .await
        .query(
            &format!(
                "SELECT id FROM {table} WHERE tenant_id = $1 AND deleted_at IS NULL
                   AND to_tsvector('english', {document}) @@ plainto_tsquery('english', $2)"
            ),
            &[&tenant, &search],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Calls both search functions as the login role in one transaction after
/// `setup` (set_config calls, or nothing), with A's first live row as the
/// keyset position when `after` is given: what a caller writing SQL by hand
/// can get from them.
async fn call_search_functions(
    t: &crate::support::TwoTenants,
    setup: &str,
    search: &str,
    after: Option<uuid::Uuid>,
) -> Result<Vec<uuid::Uuid>, tokio_postgres::Error> {
    let client = crate::support::app(&t.db).await;
    client.batch_execute("BEGIN").await.unwrap();
    if !setup.is_empty() {
        client.batch_execute(setup).await.unwrap();
    }
    let mut ids = Vec::new();
    for sql in [
        "SELECT sales.search_customer_ids($1, $2, false, 1001, NULL, NULL, NULL)",
        "SELECT sales.search_customer_ids($1, $2, true, 1001, NULL, NULL, NULL)",
        "SELECT products.search_product_ids($1, $2, false, 1001, NULL, NULL, NULL)",
        "SELECT products.search_product_ids($1, $2, true, 1001, NULL, NULL, NULL)",
    ] {
        let row = client.query_one(sql, &[&search, &after]).await?;
        ids.extend(row.get::<_, Vec<uuid::Uuid>>(0));
    }
    client.batch_execute("ROLLBACK").await.unwrap();
    Ok(ids)
}

#[tokio::test]
async fn the_search_path_gives_another_tenants_context_and_no_context_nothing_of_a_tenant() {
    let t = crate::support::TwoTenants::new().await;
    crate::search::seed_search_rows(&t, 400, 400).await;
    let (customers, products) = ("sales.customers", "products.products");
    let (company, product) = ("company_name", "name || ' ' || coalesce(description, '')");
    let word = "northwind";
    let a: std::collections::BTreeSet<_> = matching_ids(&t, customers, company, t.a.tenant, word)
        .await
        .into_iter()
        .chain(matching_ids(&t, products, product, t.a.tenant, word).await)
        .collect();
    let b: std::collections::BTreeSet<_> = matching_ids(&t, customers, company, t.b.tenant, word)
        .await
        .into_iter()
        .chain(matching_ids(&t, products, product, t.b.tenant, word).await)
        .collect();
    assert!(a.len() > 50 && b.len() > 50, "{} {}", a.len(), b.len());

    // Through the repositories: B's context finds exactly B's rows, a context
    // naming no real tenant finds nothing.
    let ids_through = async |ctx: &Context| {
        let mut db = t.database.one_shot(ctx).await.unwrap();
        let c = db
            .customers()
            .list(&CustomerFilter::all().search(word), PageRequest::first(500))
            .await
            .unwrap();
        let p = db
            .products()
            .list(
                &aems_diesel::products::ProductFilter::all().search(word),
                PageRequest::first(500),
            )
            .await
            .unwrap();
        assert!(c.next.is_none() && p.next.is_none());
        c.items
            .iter()
            .map(|c| c.id.into_uuid())
            .chain(p.items.iter().map(|p| p.id.into_uuid()))
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(ids_through(&t.ctx_b()).await, b);
    assert_eq!(ids_through(&t.ctx_a()).await, a);
    let nobody = Context::new(TenantId::new(), UserId::from_uuid(t.a.user));
    assert!(ids_through(&nobody).await.is_empty());

    // The functions called by hand, as the application role.
    let role = "SELECT set_config('role', 'application_user', true)";
    let as_b = format!(
        "{role}; SELECT set_config('app.current_tenant_id', '{}', true)",
        t.b.tenant
    );
    let first_of_a = *a.first().unwrap();
    for after in [None, Some(first_of_a), Some(uuid::Uuid::nil())] {
        let got: std::collections::BTreeSet<_> = call_search_functions(&t, &as_b, word, after)
            .await
            .unwrap()
            .into_iter()
            .collect();
        assert!(got.is_subset(&b), "B's context got a row not B's");
        assert!(got.is_disjoint(&a), "B's context got one of A's rows");
    }
    // No tenant, an empty one, or one that does not exist: nothing.
    for setup in [
        role.to_owned(),
        format!("{role}; SELECT set_config('app.current_tenant_id', '', true)"),
        format!(
            "{role}; SELECT set_config('app.current_tenant_id', '{}', true)",
            uuid::Uuid::now_v7()
        ),
    ] {
        assert_eq!(
            call_search_functions(&t, &setup, word, None).await.unwrap(),
            Vec::<uuid::Uuid>::new(),
            "{setup}"
        );
    }
    // Any role but application_user is refused, even with a tenant set: the
    // login role itself, and the platform role.
    let tenant_a = format!(
        "SELECT set_config('app.current_tenant_id', '{}', true)",
        t.a.tenant
    );
    for setup in [
        tenant_a.clone(),
        format!(
            "SELECT set_config('role', 'aems_platform', true), \
                    set_config('app.cross_tenant_reason', 'security test', true); {tenant_a}"
        ),
    ] {
        let err = call_search_functions(&t, &setup, word, None)
            .await
            .expect_err(&setup);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{setup}: {err}"
        );
    }

    // A's answer does not depend on B's rows: the same ids, in the same
    // order, once every one of B's matching rows is gone.
    let as_a = format!("{role}; {tenant_a}");
    let before = call_search_functions(&t, &as_a, word, None).await.unwrap();
    assert_eq!(
        before
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        a
    );
    for table in ["sales.customers", "products.products"] {
        let gone = crate::support::admin_write(
            &t.db,
            &format!(
                "DELETE FROM {table} WHERE tenant_id = $1
                   AND search_document @@ plainto_tsquery('english', $2)"
            ),
            &[&t.b.tenant, &word],
        )
        .await
        .unwrap();
        assert!(gone > 20, "{table}: {gone}");
    }
    assert_eq!(
        call_search_functions(&t, &as_a, word, None).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn the_search_role_can_be_neither_assumed_nor_used_for_anything_but_the_two_functions() {
    let t = crate::support::TwoTenants::new().await;
    let admin = admin(&t.db).await;
    // NOLOGIN, no members, no bypass; owns the two functions and nothing else
    // in this database; reads only the searched columns.
    let row = admin
        .query_one(
            "SELECT r.rolcanlogin, r.rolsuper, r.rolbypassrls, r.rolinherit,
                    (SELECT count(*) FROM pg_auth_members m WHERE m.roleid = r.oid),
                    (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p WHERE p.proowner = r.oid),
                    (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid),
                    (SELECT count(*) FROM pg_namespace n WHERE n.nspowner = r.oid),
                    has_table_privilege(r.oid, 'sales.customers', 'SELECT'),
                    has_column_privilege(r.oid, 'sales.customers', 'contact_email', 'SELECT'),
                    has_column_privilege(r.oid, 'sales.customers', 'company_name', 'SELECT'),
                    has_table_privilege(r.oid, 'sales.customers', 'INSERT, UPDATE, DELETE'),
                    has_column_privilege(r.oid, 'products.products', 'unit_cost', 'SELECT'),
                    has_table_privilege(r.oid, 'sales.sales_pipeline', 'SELECT'),
                    has_schema_privilege(r.oid, 'sales', 'CREATE'),
                    has_schema_privilege(r.oid, 'products', 'CREATE')
             FROM pg_roles r WHERE r.rolname = 'aems_search'",
            &[],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0) && !row.get::<_, bool>(1) && !row.get::<_, bool>(2));
    assert_eq!(row.get::<_, i64>(4), 0, "aems_search has members");
    assert_eq!(
        row.get::<_, Vec<String>>(5),
        vec![
            "products.search_product_ids(text,uuid,boolean,integer,text,text,text)".to_owned(),
            "sales.search_customer_ids(text,uuid,boolean,integer,text,text,text)".to_owned(),
        ]
    );
    assert_eq!((row.get::<_, i64>(6), row.get::<_, i64>(7)), (0, 0));
    for (i, what) in [
        (8, "the whole customers table"),
        (9, "contact e-mails"),
        (10, "company names"),
        (11, "writing customers"),
        (12, "product costs"),
        (13, "deals"),
        (14, "creating in sales"),
        (15, "creating in products"),
    ] {
        assert!(!row.get::<_, bool>(i), "aems_search may read {what}");
    }
    // Only the application role may execute them (not PUBLIC), and they are
    // SECURITY DEFINER with a fixed search_path.
    let functions = admin
        .query(
            "SELECT p.oid::regprocedure::text, p.prosecdef, p.proconfig::text[],
                    has_function_privilege('public', p.oid, 'EXECUTE'),
                    has_function_privilege('application_user', p.oid, 'EXECUTE'),
                    has_function_privilege('aems_platform', p.oid, 'EXECUTE')
             FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = 'aems_search'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(functions.len(), 2);
    for f in &functions {
        let name: String = f.get(0);
        assert!(f.get::<_, bool>(1), "{name} is not SECURITY DEFINER");
        let config: Vec<String> = f.get(2);
        assert!(
            config.contains(&"search_path=pg_catalog, pg_temp".to_owned()),
            "{name}: {config:?}"
        );
        assert!(!f.get::<_, bool>(3), "PUBLIC may execute {name}");
        assert!(
            f.get::<_, bool>(4),
            "application_user may not execute {name}"
        );
        assert!(!f.get::<_, bool>(5), "aems_platform may execute {name}");
    }
    // The application's roles cannot become aems_search.
    let client = crate::support::app(&t.db).await;
    for sql in [
        "SET ROLE aems_search",
        "BEGIN; SELECT set_config('role', 'application_user', true); SET LOCAL ROLE aems_search",
    ] {
        let err = client.batch_execute(sql).await.expect_err(sql);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
        let _ = client.batch_execute("ROLLBACK").await;
    }
}
