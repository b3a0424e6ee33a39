//! Small helpers shared by the integration tests.

use aems_diesel::testing::{RoundTripProxy, TestDatabase};
use tokio_postgres::{Client, NoTls};

/// A fresh, migrated database; a harness failure fails the test loudly.
pub async fn test_db() -> TestDatabase {
    match TestDatabase::new().await {
        Ok(db) => db,
        Err(e) => panic!("{}", chain(&e)),
    }
}

/// An error and each of its causes, as an error-chain reporter prints them.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
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

/// The context of the seeded tenant's admin.
pub fn context_of(seeded: &super::fixture::Seeded) -> aems_diesel::Context {
    aems_diesel::Context::new(
        aems_core::TenantId::from_uuid(seeded.tenant),
        aems_core::UserId::from_uuid(seeded.user),
    )
}

/// A valid customer input named `name` (a startup, acquired 2025-01-01).
pub fn new_customer(name: &str) -> aems_core::sales::customers::NewCustomer {
    aems_core::sales::customers::NewCustomer::new(
        name.parse().unwrap(),
        "buyer@example.com".parse().unwrap(),
        aems_core::sales::customers::CustomerSegment::Startup,
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
    )
}

/// A database with two seeded tenants, and a pool as the application role.
pub struct TwoTenants {
    pub db: TestDatabase,
    pub database: aems_diesel::Database,
    pub a: super::fixture::Seeded,
    pub b: super::fixture::Seeded,
}

impl TwoTenants {
    pub async fn new() -> Self {
        let db = test_db().await;
        let admin = admin(&db).await;
        let a = super::fixture::seed_tenant(&admin, "a").await;
        let b = super::fixture::seed_tenant(&admin, "b").await;
        let database = db.database().expect("a pool");
        Self { db, database, a, b }
    }

    pub fn ctx_a(&self) -> aems_diesel::Context {
        context_of(&self.a)
    }

    pub fn ctx_b(&self) -> aems_diesel::Context {
        context_of(&self.b)
    }

    /// Rows of `table` as the administrator sees them (all tenants).
    pub async fn count(&self, table: &str) -> i64 {
        admin(&self.db)
            .await
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0)
    }
}

/// Runs `sql` as the administrator in a transaction that names a reason, as
/// every write must now (the audit triggers refuse anonymous writes): for
/// tests that write around the library on purpose.
pub async fn admin_write(
    db: &TestDatabase,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let client = admin(db).await;
    client.batch_execute("BEGIN").await?;
    client
        .execute(
            "SELECT set_config('app.cross_tenant_reason', 'test: writing around the library', true)",
            &[],
        )
        .await?;
    let n = client.execute(sql, params).await?;
    client.batch_execute("COMMIT").await?;
    Ok(n)
}

/// Round trips of a test's operations, counted through a [`RoundTripProxy`]
/// and checked together so that one run shows every count.
pub struct Tally<'p> {
    proxy: &'p RoundTripProxy,
    counted: Vec<(&'static str, u64)>,
    expected: Vec<(&'static str, u64)>,
}

impl<'p> Tally<'p> {
    pub fn new(proxy: &'p RoundTripProxy) -> Self {
        Self {
            proxy,
            counted: Vec::new(),
            expected: Vec::new(),
        }
    }

    /// Starts counting an operation.
    pub fn start(&self) {
        self.proxy.reset();
    }

    /// Records the round trips since [`start`](Self::start) for `what`,
    /// which should have cost `expected`.
    pub fn expect(&mut self, what: &'static str, expected: u64) {
        self.counted.push((what, self.proxy.round_trips()));
        self.expected.push((what, expected));
    }

    /// Every operation cost what it should (all listed when one did not).
    pub fn check(self) {
        assert_eq!(
            self.counted, self.expected,
            "round trips (counted, expected)"
        );
    }
}

/// A one-connection pool through a new proxy in front of `t`'s server.
pub async fn counted(t: &TwoTenants) -> (RoundTripProxy, aems_diesel::Database) {
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = aems_diesel::Database::new(
        aems_diesel::DatabaseConfig::new(proxy.app_url()).max_connections(1),
    )
    .unwrap();
    (proxy, db)
}
