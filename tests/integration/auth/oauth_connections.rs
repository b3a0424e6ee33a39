//! `auth.oauth_connections`: link, refresh stored tokens, unlink; tokens
//! sealed; one provider account per user; isolation through the user.

use aems_core::auth::oauth_connections::{NewOauthConnection, OauthProvider, OauthStatus};
use aems_core::{SecretString, TenantId, UserId};
use aems_diesel::prelude::*;
use aems_diesel::{Error, KeyRing};

use super::AuthWorld;
use crate::support::admin;

fn link(user: UserId, provider_user_id: &str) -> NewOauthConnection {
    NewOauthConnection {
        user_id: user,
        provider: OauthProvider::Microsoft,
        provider_user_id: provider_user_id.parse().unwrap(),
        provider_email: Some("ada@a.example.com".parse().unwrap()),
        access_token: Some(SecretString::new("ya29.access-SECRET-1".into())),
        refresh_token: Some(SecretString::new("1//refresh-SECRET-1".into())),
        token_expires_at: Some(chrono::Utc::now()),
        provider_data: None,
        status: OauthStatus::Active,
    }
}

#[tokio::test]
async fn link_refresh_and_unlink_with_tokens_sealed_at_rest() {
    let w = AuthWorld::new().await;
    let me = UserId::from_uuid(w.t.a.user);
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let linked = db
        .oauth_connections()
        .link(link(me, "ms-123"))
        .await
        .unwrap();
    assert!(linked.has_access_token && linked.has_refresh_token);
    assert_eq!(
        db.oauth_connections()
            .tokens(linked.id)
            .await
            .unwrap()
            .access_token
            .unwrap()
            .expose(),
        "ya29.access-SECRET-1"
    );
    assert!(!format!("{linked:?}").contains("SECRET"));
    let stored: (Option<String>, Option<String>) = {
        let row = admin(&w.t.db)
            .await
            .query_one(
                "SELECT access_token, refresh_token FROM auth.oauth_connections WHERE id = $1",
                &[&linked.id.into_uuid()],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(!stored.0.as_deref().unwrap().contains("SECRET"));
    assert!(!stored.1.as_deref().unwrap().contains("SECRET"));

    let refreshed = db
        .oauth_connections()
        .store_refreshed_tokens(
            linked.id,
            SecretString::new("ya29.access-SECRET-2".into()),
            None,
            None,
        )
        .await
        .unwrap();
    let tokens = db.oauth_connections().tokens(linked.id).await.unwrap();
    assert_eq!(
        tokens.access_token.as_ref().unwrap().expose(),
        "ya29.access-SECRET-2"
    );
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose(),
        "1//refresh-SECRET-1",
        "kept"
    );
    assert_eq!(refreshed.token_expires_at, None);
    assert_eq!(tokens.expires_at, None);
    // The refresh token kept its envelope byte for byte (nothing was opened
    // and sealed again to keep it).
    let after: Option<String> = admin(&w.t.db)
        .await
        .query_one(
            "SELECT refresh_token FROM auth.oauth_connections WHERE id = $1",
            &[&linked.id.into_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, stored.1);
    // A stale update is a conflict.
    assert!(matches!(
        db.oauth_connections()
            .update(linked.id, linked.updated_at, &Default::default())
            .await,
        Err(Error::Conflict { .. })
    ));
    let listed = db.oauth_connections().list_for_user(me).await.unwrap();
    assert_eq!(listed.len(), 2, "the seeded google one and this one");

    db.oauth_connections().unlink(linked.id).await.unwrap();
    assert!(matches!(
        db.oauth_connections().get(linked.id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_provider_account_links_to_one_user_only_across_tenants() {
    let w = AuthWorld::new().await;
    let mut a = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    a.oauth_connections()
        .link(link(UserId::from_uuid(w.t.a.user), "ms-shared"))
        .await
        .unwrap();
    let mut b = w.db.one_shot(&w.t.ctx_b()).await.unwrap();
    match b
        .oauth_connections()
        .link(link(UserId::from_uuid(w.t.b.user), "ms-shared"))
        .await
    {
        Err(Error::UniqueViolation { constraint, .. }) => {
            assert_eq!(constraint, "uq_oauth_connections_provider_provider_user_id")
        }
        other => panic!("{other:?}"),
    }
    // The platform finds whom "sign in with Microsoft" means.
    let mut platform = w.db.platform("oauth sign-in", None).await.unwrap();
    assert_eq!(
        platform
            .find_oauth_user(OauthProvider::Microsoft, "ms-shared")
            .await
            .unwrap(),
        Some((
            UserId::from_uuid(w.t.a.user),
            TenantId::from_uuid(w.t.a.tenant)
        ))
    );
    assert_eq!(
        platform
            .find_oauth_user(OauthProvider::Microsoft, "'; DROP TABLE x; --")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        platform
            .find_oauth_user(OauthProvider::Microsoft, "nul\0")
            .await,
        Err(Error::Validation(_))
    ));
}

#[tokio::test]
async fn another_tenants_connections_cannot_be_read_linked_or_unlinked() {
    let w = AuthWorld::new().await;
    let theirs = UserId::from_uuid(w.t.b.user);
    let mut a = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    assert!(
        a.oauth_connections()
            .list_for_user(theirs)
            .await
            .unwrap()
            .is_empty()
    );
    // Linking an account to B's user from A: the row-level policy refuses it.
    assert!(matches!(
        a.oauth_connections().link(link(theirs, "ms-evil")).await,
        Err(Error::PermissionDenied { .. })
    ));
    let id: uuid::Uuid = admin(&w.t.db)
        .await
        .query_one(
            "SELECT id FROM auth.oauth_connections WHERE user_id = $1",
            &[&w.t.b.user],
        )
        .await
        .unwrap()
        .get(0);
    let id = aems_core::OauthConnectionId::from_uuid(id);
    assert!(matches!(
        a.oauth_connections().get(id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.oauth_connections().unlink(id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(w.t.count("auth.oauth_connections").await, 2);
}

#[tokio::test]
async fn retired_keys_are_replaced_by_resealing_through_the_api() {
    let w = AuthWorld::new().await;
    let me = UserId::from_uuid(w.t.a.user);
    let (key1, key2) = (KeyRing::generate_key(), KeyRing::generate_key());
    let db1 = w.t.database.clone().with_key_ring(KeyRing::new(1, key1));
    let auth1 = aems_diesel::auth::Authenticator::new(
        db1.clone(),
        aems_diesel::auth::AuthConfig::default()
            .password_params(aems_diesel::auth::HashParams::INSECURE_FAST_FOR_TESTS),
    )
    .unwrap();
    let mut uow = db1.unit_of_work(&w.t.ctx_a()).await.unwrap();
    let linked = uow
        .oauth_connections()
        .link(link(me, "ms-rotate"))
        .await
        .unwrap();
    let enrolment = uow
        .user_mfa()
        .begin_totp_enrolment(me, auth1.mfa())
        .await
        .unwrap();
    uow.commit().await.unwrap();

    // Rotate: key 2 seals from now on, key 1 is kept to open the old envelopes.
    let db2 =
        w.t.database
            .clone()
            .with_key_ring(KeyRing::new(2, key2).with_retired_key(1, key1));
    let auth2 = aems_diesel::auth::Authenticator::new(
        db2,
        aems_diesel::auth::AuthConfig::default()
            .password_params(aems_diesel::auth::HashParams::INSECURE_FAST_FOR_TESTS),
    )
    .unwrap();
    assert_eq!(
        auth2.reseal_tenant_secrets(&w.t.ctx_a()).await.unwrap(),
        (1, 1)
    );
    let row = admin(&w.t.db)
        .await
        .query_one(
            "SELECT c.access_token, c.refresh_token, m.secret_key
             FROM auth.oauth_connections c, auth.user_mfa m
             WHERE c.id = $1 AND m.user_id = c.user_id AND m.secret_key IS NOT NULL",
            &[&linked.id.into_uuid()],
        )
        .await
        .unwrap();
    // Each envelope now opens with key 2 alone (an envelope of key 1 would
    // be `UnknownKey(1)`).
    let key2_only = KeyRing::new(2, key2);
    let mfa_id: uuid::Uuid = admin(&w.t.db)
        .await
        .query_one(
            "SELECT id FROM auth.user_mfa WHERE user_id = $1 AND secret_key IS NOT NULL",
            &[&me.into_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    let id = linked.id.into_uuid();
    for (i, place) in [
        format!("auth.oauth_connections.access_token:{id}"),
        format!("auth.oauth_connections.refresh_token:{id}"),
        format!("auth.user_mfa.secret_key:{mfa_id}"),
    ]
    .iter()
    .enumerate()
    {
        let sealed: String = row.get(i);
        key2_only.open_text(&sealed, place.as_bytes()).unwrap();
    }
    assert_eq!(
        auth2.reseal_tenant_secrets(&w.t.ctx_a()).await.unwrap(),
        (0, 0)
    );
    // Key 1 can now be dropped: a ring with key 2 alone opens everything.
    let only_new = w.t.database.clone().with_key_ring(KeyRing::new(2, key2));
    let mut db = only_new.one_shot(&w.t.ctx_a()).await.unwrap();
    let tokens = db.oauth_connections().tokens(linked.id).await.unwrap();
    assert_eq!(
        tokens.access_token.unwrap().expose(),
        "ya29.access-SECRET-1"
    );
    // The TOTP secret, re-sealed, still checks codes: sign-in's second step
    // opens it (with key 2 alone).
    let secret = super::decode_base32(enrolment.secret_base32.expose());
    let mut uow = only_new.unit_of_work(&w.t.ctx_a()).await.unwrap();
    let confirmed = uow
        .user_mfa()
        .confirm_totp(
            me,
            &secret.code_at(chrono::Utc::now().timestamp(), Default::default()),
            auth2.mfa(),
        )
        .await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
}

#[tokio::test]
async fn an_admin_cannot_link_a_provider_account_to_another_user() {
    // Linking is how "sign in with …" finds whom to sign in: an admin who could
    // link their own provider account to a colleague could sign in as them.
    let w = AuthWorld::new().await;
    let mut db = w.db.one_shot(&w.t.ctx_a()).await.unwrap();
    let colleague = db
        .users()
        .create(
            super::new_user("colleague@a.example.com"),
            w.auth.passwords(),
        )
        .await
        .unwrap();
    let before = w.t.count("auth.oauth_connections").await;
    match db
        .oauth_connections()
        .link(link(colleague.id, "ms-admins-own-account"))
        .await
    {
        Err(Error::PermissionDenied { .. }) => {}
        other => panic!("an admin linked an account to another user: {other:?}"),
    }
    assert_eq!(w.t.count("auth.oauth_connections").await, before);
    let mut platform = w.db.platform("oauth sign-in", None).await.unwrap();
    assert_eq!(
        platform
            .find_oauth_user(OauthProvider::Microsoft, "ms-admins-own-account")
            .await
            .unwrap(),
        None,
        "nobody can be signed in through it"
    );
    platform.commit().await.unwrap();
    // The colleague links their own.
    let ctx = aems_diesel::Context::new(TenantId::from_uuid(w.t.a.tenant), colleague.id);
    let mut theirs = w.db.one_shot(&ctx).await.unwrap();
    theirs
        .oauth_connections()
        .link(link(colleague.id, "ms-colleagues-own-account"))
        .await
        .unwrap();
}

#[tokio::test]
async fn oauth_tokens_go_only_to_their_owner_through_an_audited_call() {
    // Every read of a connection used to open its tokens for the owner and
    // for any admin, unaudited. Now reads never open them (a database
    // without a key ring serves them), and the owner alone gets them, from
    // `tokens`, which records the disclosure.
    let w = AuthWorld::new().await;
    let admin_ctx = w.t.ctx_a();
    let colleague =
        w.db.one_shot(&admin_ctx)
            .await
            .unwrap()
            .users()
            .create(
                super::new_user("colleague@a.example.com"),
                w.auth.passwords(),
            )
            .await
            .unwrap()
            .id;
    let ctx = aems_diesel::Context::new(TenantId::from_uuid(w.t.a.tenant), colleague);
    let linked =
        w.db.one_shot(&ctx)
            .await
            .unwrap()
            .oauth_connections()
            .link(link(colleague, "ms-colleague"))
            .await
            .unwrap();
    assert!(linked.has_access_token && linked.has_refresh_token);

    for reader in [&ctx, &admin_ctx] {
        let mut keyless = w.t.database.one_shot(reader).await.unwrap();
        let read = keyless.oauth_connections().get(linked.id).await.unwrap();
        assert_eq!(read, linked);
        let listed = keyless
            .oauth_connections()
            .list_for_user(colleague)
            .await
            .unwrap();
        assert_eq!(listed, vec![linked.clone()]);
    }
    let reads = |w: &AuthWorld| {
        let id = linked.id.into_uuid();
        let db = w.t.db.admin_url();
        async move {
            crate::support::client(&db)
                .await
                .query(
                    "SELECT user_id, new_values FROM risk.audit_logs
                     WHERE action = 'oauth_tokens_read' AND entity_id = $1",
                    &[&id],
                )
                .await
                .unwrap()
        }
    };
    assert!(reads(&w).await.is_empty());

    // An admin may not have them.
    let mut as_admin = w.db.one_shot(&admin_ctx).await.unwrap();
    assert!(matches!(
        as_admin.oauth_connections().tokens(linked.id).await,
        Err(Error::PermissionDenied { .. })
    ));
    assert!(reads(&w).await.is_empty(), "a refused read records nothing");

    // The owner has them, and the disclosure is recorded (without them).
    let mut mine = w.db.one_shot(&ctx).await.unwrap();
    let tokens = mine.oauth_connections().tokens(linked.id).await.unwrap();
    assert_eq!(
        tokens.access_token.as_ref().unwrap().expose(),
        "ya29.access-SECRET-1"
    );
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose(),
        "1//refresh-SECRET-1"
    );
    let recorded = reads(&w).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].get::<_, Option<uuid::Uuid>>(0),
        Some(colleague.into_uuid())
    );
    let values: Option<serde_json::Value> = recorded[0].get(1);
    assert!(
        !values
            .map(|v| v.to_string())
            .unwrap_or_default()
            .contains("SECRET")
    );
}
