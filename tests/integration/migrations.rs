//! The migrations themselves: reversible to the byte, safe to run from several
//! processes at once, and refusing a database a newer build migrated.

use aems_diesel::testing::TestDatabase;
use aems_diesel::{Database, DatabaseConfig, Error, migrations};

use super::support::{admin, test_db};

async fn empty_db() -> TestDatabase {
    TestDatabase::empty()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `pg_dump --schema-only`, without the random `\restrict` key lines newer
/// pg_dump versions print.
fn schema_dump(url: &str) -> String {
    let out = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--no-privileges", "-d", url])
        .output()
        .expect("pg_dump is installed");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Grants and policies matter as much as tables: dump them separately.
async fn privileges(db: &TestDatabase) -> Vec<String> {
    let client = admin(db).await;
    let rows = client
        .query(
            "SELECT format('%s %s %s', c.oid::regclass, coalesce(c.relacl::text, '-'),
                           (SELECT string_agg(p.polname || ':' || pg_get_expr(p.polqual, p.polrelid), ';' ORDER BY p.polname)
                            FROM pg_policy p WHERE p.polrelid = c.oid))
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('auth','sales','finance','hr','products','risk','analytics')
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn up_down_up_leaves_an_identical_schema() {
    let db = test_db().await;
    let url = db.admin_url();
    let before = schema_dump(&url);
    let grants_before = privileges(&db).await;
    assert!(
        before.contains("CREATE TABLE sales.customers"),
        "the dump holds no schema"
    );

    let reverted = migrations::revert_all(&url).await.unwrap();
    assert_eq!(reverted.len(), migrations::known_versions().len());
    let emptied = schema_dump(&url);
    assert!(
        !emptied.contains("CREATE TABLE sales."),
        "down left tables behind"
    );
    assert!(
        !emptied.contains("CREATE SCHEMA"),
        "down left schemas behind"
    );

    let applied = migrations::run(&url).await.unwrap();
    assert_eq!(applied.applied, migrations::known_versions());
    assert_eq!(
        schema_dump(&url),
        before,
        "up → down → up changed the schema"
    );
    assert_eq!(
        privileges(&db).await,
        grants_before,
        "up → down → up changed grants or policies"
    );
}

#[tokio::test]
async fn two_concurrent_migrations_both_succeed_and_apply_everything_once() {
    let db = empty_db().await;
    let url = db.admin_url();
    let (one, two) = tokio::join!(migrations::run(&url), migrations::run(&url));
    let (one, two) = (one.unwrap(), two.unwrap());
    let mut all = one.applied.clone();
    all.extend(two.applied.clone());
    all.sort();
    assert_eq!(
        all,
        migrations::known_versions(),
        "each migration applied exactly once"
    );
    assert!(
        one.applied.is_empty() || two.applied.is_empty(),
        "both runs applied migrations: {one:?} / {two:?}"
    );
    // And a third run finds nothing to do.
    assert!(migrations::run(&url).await.unwrap().applied.is_empty());
}

#[tokio::test]
async fn database_migrate_runs_the_embedded_migrations() {
    let db = empty_db().await;
    let database = Database::new(DatabaseConfig::new(db.admin_url())).unwrap();
    let report = database.migrate().await.unwrap();
    assert_eq!(report.applied, migrations::known_versions());
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_build_is_refused_and_left_alone() {
    let db = test_db().await;
    let client = admin(&db).await;
    client
        .execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231235959')",
            &[],
        )
        .await
        .unwrap();
    match migrations::run(&db.admin_url()).await {
        Err(Error::UnknownMigrations { versions }) => assert_eq!(versions, vec!["29991231235959"]),
        other => panic!("expected UnknownMigrations, got {other:?}"),
    }
}

#[tokio::test]
async fn the_migration_lock_is_released_after_a_failed_run() {
    let db = test_db().await;
    let client = admin(&db).await;
    client
        .execute(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231235959')",
            &[],
        )
        .await
        .unwrap();
    assert!(migrations::run(&db.admin_url()).await.is_err());
    client
        .execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = '29991231235959'",
            &[],
        )
        .await
        .unwrap();
    let report =
        migrations::run_with_lock_timeout(&db.admin_url(), std::time::Duration::from_secs(5))
            .await
            .expect("the lock was left held by the failed run");
    assert!(report.applied.is_empty());
}
