//! The harness gives each test its own migrated database, reached as a login
//! role that is not a superuser.

use super::support::{admin, app, test_db};

#[tokio::test]
async fn each_test_gets_its_own_migrated_database() {
    let one = test_db().await;
    let two = test_db().await;
    assert_ne!(one.name(), two.name());

    let a = admin(&one).await;
    a.batch_execute("CREATE TABLE public.only_in_one (x int)")
        .await
        .unwrap();
    let b = admin(&two).await;
    let found = b
        .query_one("SELECT to_regclass('public.only_in_one') IS NOT NULL", &[])
        .await
        .unwrap();
    assert!(
        !found.get::<_, bool>(0),
        "a table created in one test database appeared in another"
    );

    let migrated = b
        .query_one("SELECT count(*) FROM __diesel_schema_migrations", &[])
        .await
        .unwrap();
    let expected = aems_diesel::migrations::known_versions().len() as i64;
    assert_eq!(migrated.get::<_, i64>(0), expected);
}

#[tokio::test]
async fn the_application_role_is_not_a_superuser_and_holds_no_privileges_of_its_own() {
    let db = test_db().await;
    let client = app(&db).await;
    let row = client
        .query_one(
            "SELECT rolsuper, rolbypassrls, rolinherit, current_user::text
             FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0), "the test login role is a superuser");
    assert!(!row.get::<_, bool>(1), "the test login role bypasses RLS");
    assert!(
        !row.get::<_, bool>(2),
        "the test login role inherits privileges"
    );
    assert_eq!(row.get::<_, String>(3), db.app_role());

    // NOINHERIT: without assuming application_user, no table can be read.
    let err = client
        .query("SELECT * FROM sales.customers", &[])
        .await
        .expect_err("the login role read a table without assuming a role");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
}
