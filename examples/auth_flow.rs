//! Authentication end to end: signup, login, lockout, sessions with rotating
//! refresh tokens, TOTP with backup codes, OAuth tokens sealed at rest, key
//! rotation, and the audit trail of it all.
//!
//! ```text
//! cargo run --example auth_flow
//! ```
//!
//! With no database configured it starts a throwaway PostgreSQL (see
//! `examples/support`) and generates a key ring for the run. Each run signs up
//! a tenant of its own (`Acme Robotics (run …)`), so it can run again on the
//! same database.

#[path = "support/mod.rs"]
mod support;

use aems::chrono::{TimeDelta, Utc};
use aems::core::auth::oauth_connections::{NewOauthConnection, OauthProvider, OauthStatus};
use aems::core::auth::tenants::NewTenant;
use aems::core::auth::users::{NewUser, UserRole};
use aems::core::{Password, SecretString};
use aems::db::KeyRing;
use aems::db::audit::AuditFilter;
use aems::db::auth::{
    AuthConfig, AuthError, Authenticator, ClientInfo, LoginOutcome, TotpParams, TotpSecret,
};
use aems::db::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::open().await?;
    // Our own key ring (key 1), so that the rotation at the end can keep it
    // as a retired key.
    let key1 = KeyRing::generate_key();
    let db = example
        .database
        .clone()
        .with_key_ring(KeyRing::new(1, key1));
    let config = AuthConfig::default()
        .lockout(3, TimeDelta::minutes(15))
        .totp_issuer("A-EMS demo");
    let auth = Authenticator::new(db.clone(), config)?;
    let params = auth.passwords().hasher().params();
    println!(
        "\npasswords: argon2id m={} KiB, t={}, p={}",
        params.memory_kib, params.iterations, params.parallelism
    );
    let client = ClientInfo::new("198.51.100.7".parse()?).with_user_agent("auth_flow example");
    // Tenant names, slugs and e-mail addresses are unique: fresh ones per run.
    let names = support::RunNames::new();
    let ada_email = names.email("ada", "acme");
    let grace_email = names.email("grace", "acme");

    // 1. Signup: the tenant and its first admin, atomically.
    let password = "correct-Horse-battery-42";
    let (tenant, admin) = auth
        .signup(
            NewTenant::new(
                names.tenant("Acme Robotics").parse()?,
                names.slug("acme-robotics").parse()?,
            ),
            NewUser::new(
                names.email("Ada", "Acme").parse()?,
                Password::new(password)?,
                "Ada".parse()?,
                "Lovelace".parse()?,
            ),
            &client,
        )
        .await?;
    println!(
        "signed up tenant {} ({}) with admin {} <{}>",
        tenant.name, tenant.id, admin.id, admin.email
    );
    println!("the admin as Debug (no hash in it): {admin:?}");

    // A weak password is a typed policy error, before anything is written.
    match auth
        .signup(
            NewTenant::new(
                names.tenant("Weak Co").parse()?,
                names.slug("weak-co").parse()?,
            ),
            NewUser::new(
                names.email("weak", "weak").parse()?,
                Password::new("weakweakweak")?,
                "W".parse()?,
                "Eak".parse()?,
            ),
            &client,
        )
        .await
    {
        Err(AuthError::Data(aems::db::Error::Validation(e))) => {
            println!("weak password refused: {e}")
        }
        other => println!("unexpected: {other:?}"),
    }

    // 2. Login by e-mail (any case), then authenticate the session token.
    let LoginOutcome::SignedIn(session) = auth.login(&ada_email, password, &client).await? else {
        return Err("no MFA yet, a session was expected".into());
    };
    println!(
        "\nlogged in: session {} until {} (token {} chars, only its SHA-256 is stored)",
        session.session_id,
        session.expires_at,
        session.session_token.expose().len()
    );
    let who = auth.authenticate(session.session_token.expose()).await?;
    let ctx = who.context().with_ip(client.ip);

    // 3. Three wrong passwords lock the account; the right one is then refused too.
    for attempt in 1..=3 {
        let result = auth.login(&ada_email, "not the password", &client).await;
        println!(
            "wrong password #{attempt}: {}",
            result.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }
    match auth.login(&ada_email, password, &client).await {
        Err(AuthError::Locked { until }) => {
            println!("right password while locked: locked until {until}")
        }
        other => println!("unexpected: {other:?}"),
    }
    let unknown = auth
        .login(&names.email("nobody", "acme"), password, &client)
        .await;
    println!(
        "unknown address: {}",
        unknown.err().map(|e| e.to_string()).unwrap_or_default()
    );
    let mut uow = db.unit_of_work(&ctx).await?;
    uow.users().unlock(admin.id).await?;
    // 4. The admin creates a user, who enrols TOTP.
    let grace = uow
        .users()
        .create(
            NewUser {
                role: UserRole::Manager,
                ..NewUser::new(
                    grace_email.parse()?,
                    Password::new("Flow-Matic-1959-cobol")?,
                    "Grace".parse()?,
                    "Hopper".parse()?,
                )
            },
            auth.passwords(),
        )
        .await?;
    uow.commit().await?;
    println!(
        "\nadmin unlocked and created {} ({})",
        grace.email, grace.role
    );

    let grace_ctx = aems::db::Context::new(tenant.id, grace.id);
    let mut uow = db.unit_of_work(&grace_ctx).await?;
    let enrolment = uow
        .user_mfa()
        .begin_totp_enrolment(grace.id, auth.mfa())
        .await?;
    uow.commit().await?;
    println!(
        "TOTP enrolment (shown once): {enrolment:?}, URI {} chars",
        enrolment.provisioning_uri.expose().len()
    );
    // The user's app computes the code from the secret.
    let app = TotpSecret::from_base32(enrolment.secret_base32.expose()).ok_or("bad base32")?;
    let code = app.code_at(Utc::now().timestamp(), TotpParams::default());
    let mut uow = db.unit_of_work(&grace_ctx).await?;
    let backup_codes = uow
        .user_mfa()
        .confirm_totp(grace.id, &code, auth.mfa())
        .await?;
    uow.commit().await?;
    println!(
        "TOTP enabled; {} backup codes shown once: {backup_codes:?}",
        backup_codes.len()
    );

    // 5. Login now asks for the second factor; a backup code answers it once.
    let LoginOutcome::MfaRequired { challenge, factors } = auth
        .login(&grace_email, "Flow-Matic-1959-cobol", &client)
        .await?
    else {
        return Err("a second factor was expected".into());
    };
    println!("\nlogin needs a second factor: {factors:?}");
    let backup = backup_codes
        .expose()
        .next()
        .ok_or("no backup code")?
        .to_owned();
    let grace_session = auth.complete_mfa(&challenge, &backup, &client).await?;
    println!(
        "signed in with a backup code: session {}",
        grace_session.session_id
    );
    let again = auth.complete_mfa(&challenge, &backup, &client).await;
    println!(
        "the same backup code again: {}",
        again.err().map(|e| e.to_string()).unwrap_or_default()
    );

    // 6. Refresh rotates both tokens; reusing the old refresh token revokes the session.
    let rotated = auth
        .refresh(grace_session.refresh_token.expose(), &client)
        .await?;
    println!(
        "\nrefreshed: new session token, expires {}",
        rotated.expires_at
    );
    match auth
        .refresh(grace_session.refresh_token.expose(), &client)
        .await
    {
        Err(e) => println!("old refresh token again: {e}"),
        Ok(_) => println!("unexpected: the old refresh token worked"),
    }
    println!(
        "the rotated session after the reuse: {}",
        match auth.authenticate(rotated.session_token.expose()).await {
            Ok(_) => "still valid (unexpected)".to_owned(),
            Err(e) => e.to_string(),
        }
    );

    // 7. OAuth tokens are sealed at rest; reads never open them.
    let mut uow = db.unit_of_work(&grace_ctx).await?;
    let linked = uow
        .oauth_connections()
        .link(NewOauthConnection {
            user_id: grace.id,
            provider: OauthProvider::Google,
            provider_user_id: names.account("109876543210").parse()?,
            provider_email: Some(grace_email.parse()?),
            access_token: Some(SecretString::new("ya29.demo-access-token".into())),
            refresh_token: Some(SecretString::new("1//demo-refresh-token".into())),
            token_expires_at: Some(Utc::now() + TimeDelta::hours(1)),
            provider_data: None,
            status: OauthStatus::Active,
        })
        .await?;
    uow.commit().await?;
    println!(
        "\nlinked {} account {}: {linked:?}",
        linked.provider, linked.provider_user_id
    );

    // 8. Key rotation: key 2 seals from now on, key 1 only opens; re-seal, then drop key 1.
    let key2 = KeyRing::generate_key();
    let rotated_db = example
        .database
        .clone()
        .with_key_ring(KeyRing::new(2, key2).with_retired_key(1, key1));
    let rotated_auth = Authenticator::new(rotated_db, AuthConfig::default())?;
    let (factors, connections) = rotated_auth.reseal_tenant_secrets(&ctx).await?;
    println!("re-sealed with key 2: {factors} TOTP secret(s), {connections} OAuth connection(s)");
    let key2_only = example
        .database
        .clone()
        .with_key_ring(KeyRing::new(2, key2));
    let mut db2 = key2_only.one_shot(&grace_ctx).await?;
    // Only the owner gets the tokens, through an audited call.
    let tokens = db2.oauth_connections().tokens(linked.id).await?;
    println!(
        "opened with key 2 alone, by their owner: access token of {} chars",
        tokens.access_token.map(|t| t.expose().len()).unwrap_or(0)
    );

    // 9. Sign out, then the tenant's audit trail of authentication.
    auth.logout(session.session_token.expose(), &client).await?;
    let mut db1 = db.one_shot(&ctx).await?;
    let trail = db1.audit().list(&AuditFilter::all(), None, 200).await?;
    println!(
        "\naudit trail of tenant {} (newest first, secrets never in it):",
        tenant.slug
    );
    for entry in trail
        .items
        .iter()
        .filter(|e| e.action.as_str() != "update" && e.action.as_str() != "insert")
    {
        println!(
            "  {} {:<9} {:<24} {}",
            entry.timestamp.format("%H:%M:%S%.3f"),
            entry.severity.as_str(),
            entry.action,
            entry
                .new_values
                .as_ref()
                .map(|v| aems::serde_json::Value::Object(v.clone()).to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}
