//! Attacks tried as the application's login role (`aems_app`) would try them
//! after an SQL injection in the embedding application: it may assume either
//! of its roles and set any context. Each test reproduces one attack and
//! checks that the database refuses it (see docs/security.md, "Attacks tried
//! and closed").

use tokio_postgres::error::SqlState;

use super::AuthWorld;

/// Runs `sql` in a transaction of the login role that assumed `role`
/// (`None`: no role assumed, only what PUBLIC may do), rolled back afterwards.
async fn as_role(
    client: &tokio_postgres::Client,
    role: Option<&str>,
    setup: &str,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    client.batch_execute("BEGIN").await.unwrap();
    if let Some(role) = role {
        client
            .execute("SELECT set_config('role', $1, true)", &[&role])
            .await
            .unwrap();
    }
    if !setup.is_empty() {
        client.batch_execute(setup).await.unwrap();
    }
    let result = client.query(sql, &[]).await;
    client.batch_execute("ROLLBACK").await.unwrap();
    result
}

fn refused(result: Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>, what: &str) {
    match result {
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {}
        other => panic!("{what}: expected a permission error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_sql_encryption_helpers_are_not_executable_by_public() {
    let w = AuthWorld::new().await;
    let client = crate::support::app(&w.t.db).await;
    let key = "SELECT set_config('app.encryption_key', 'k3y', true)";
    for role in [None, Some("aems_platform")] {
        refused(
            as_role(
                &client,
                role,
                key,
                "SELECT public.encrypt_sensitive_data('x')",
            )
            .await,
            &format!("encrypt_sensitive_data as {role:?}"),
        );
        refused(
            as_role(
                &client,
                role,
                key,
                "SELECT public.decrypt_sensitive_data('eA==')",
            )
            .await,
            &format!("decrypt_sensitive_data as {role:?}"),
        );
    }
    // The application role, for which they exist, still may.
    let rows = as_role(
        &client,
        Some("application_user"),
        key,
        "SELECT public.decrypt_sensitive_data(public.encrypt_sensitive_data('clear'))",
    )
    .await
    .unwrap();
    assert_eq!(rows[0].get::<_, String>(0), "clear");
}

#[tokio::test]
async fn every_platform_lookup_refuses_hostile_text_before_the_server_sees_it() {
    use aems_core::auth::oauth_connections::OauthProvider;
    use aems_diesel::Error;

    let w = AuthWorld::new().await;
    let mut platform = w.db.platform("lookup test", None).await.unwrap();
    let huge = "x".repeat(1_000_000);
    for text in ["tenant-a\0", "\0", huge.as_str()] {
        let shown: String = text.chars().take(10).collect();
        assert!(
            matches!(
                platform.find_tenant_by_slug(text).await,
                Err(Error::Validation(_))
            ),
            "find_tenant_by_slug({shown:?})"
        );
        assert!(
            matches!(
                platform.find_oauth_user(OauthProvider::Google, text).await,
                Err(Error::Validation(_))
            ),
            "find_oauth_user({shown:?})"
        );
    }
    // (find_user_by_email takes an `Email`, which cannot hold such text.)
    assert!("nul\0@a.example.com".parse::<aems_core::Email>().is_err());
    // Nothing reached the server, so the platform transaction is still usable.
    assert_eq!(
        platform.find_tenant_by_slug("tenant-a").await.unwrap(),
        Some(aems_core::TenantId::from_uuid(w.t.a.tenant))
    );
    assert_eq!(
        platform
            .find_oauth_user(OauthProvider::Google, "google-a")
            .await
            .unwrap()
            .map(|(user, _)| user.into_uuid()),
        Some(w.t.a.user)
    );
    platform.commit().await.unwrap();
}
