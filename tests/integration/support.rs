//! Small helpers shared by the integration tests.

use aems_diesel::testing::TestDatabase;
use tokio_postgres::{Client, NoTls};

/// A fresh, migrated database; a harness failure fails the test loudly.
pub async fn test_db() -> TestDatabase {
    match TestDatabase::new().await {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    }
}

/// A raw client for `url`, its connection driven in the background.
pub async fn client(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// As the server's administrator (a superuser: bypasses row-level security).
pub async fn admin(db: &TestDatabase) -> Client {
    client(&db.admin_url()).await
}

/// As the application's login role (NOINHERIT member of aems_app).
pub async fn app(db: &TestDatabase) -> Client {
    client(&db.app_url()).await
}
