//! The library's own connection (`aems-diesel/src/pg`): a one-shot's context
//! and statement travel as one pipeline with one `Sync`, so these tests attack
//! exactly what that design must guarantee — a statement never runs without
//! its unit's context, whatever fails or is dropped on the way, and a broken
//! connection is never handed out again.

use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::{Database, DatabaseConfig, Error};
use futures_util::FutureExt;

use crate::support::{TwoTenants, admin, new_customer};

/// A login role of this test's own, like the application's (NOINHERIT member
/// of `aems_app`), so its memberships can be changed without touching any
/// other test. Dropped with the guard.
struct OwnLoginRole {
    admin_url: String,
    app_url: String,
    name: String,
}

impl OwnLoginRole {
    async fn create(t: &TwoTenants) -> Self {
        let name = format!("aems_test_own_{}", uuid::Uuid::new_v4().simple());
        let password = uuid::Uuid::new_v4().simple().to_string();
        admin(&t.db)
            .await
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN NOINHERIT PASSWORD '{password}' IN ROLE aems_app"
            ))
            .await
            .unwrap();
        // The test database's app URL with this role's name and password.
        let app_url = t.db.app_url().replacen(t.db.app_role(), &name, 1).replacen(
            &password_of(&t.db.app_url()).expect("the app URL has a password"),
            &password,
            1,
        );
        Self {
            admin_url: t.db.admin_url(),
            app_url,
            name,
        }
    }

    async fn set_member(&self, member: bool) {
        let verb = if member {
            "GRANT aems_app TO"
        } else {
            "REVOKE aems_app FROM"
        };
        crate::support::client(&self.admin_url)
            .await
            .batch_execute(&format!("{verb} {}", self.name))
            .await
            .unwrap();
    }
}

fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_owned())
}

impl Drop for OwnLoginRole {
    fn drop(&mut self) {
        let url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = crate::support::client(&url).await;
                // Its sessions first (the pool may still hold one).
                let _ = client
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                        &[&name],
                    )
                    .await;
                let _ = client.batch_execute(&format!("DROP ROLE {name}")).await;
            })
        })
        .join();
    }
}

fn one_connection(url: &str) -> Database {
    Database::new(DatabaseConfig::new(url).max_connections(1)).unwrap()
}

async fn company_names(
    database: &Database,
    ctx: &aems_diesel::Context,
) -> Vec<(String, uuid::Uuid)> {
    let mut db = database.one_shot(ctx).await.unwrap();
    db.customers()
        .list(&CustomerFilter::all(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| (c.company_name.to_string(), c.tenant_id.into_uuid()))
        .collect()
}

#[tokio::test]
async fn when_the_context_cannot_be_set_a_one_shot_statement_does_not_run() {
    let t = TwoTenants::new().await;
    let role = OwnLoginRole::create(&t).await;
    let database = one_connection(&role.app_url);
    let before = t.count("sales.customers").await;

    // The context statement switches to application_user, which this login
    // role can no longer reach: the context fails, and the insert pipelined
    // behind it must be skipped by the server, not run as the login role.
    role.set_member(false).await;
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let refused = db.customers().create(new_customer("Without context")).await;
    drop(db);
    match refused {
        Err(Error::PermissionDenied { message }) => assert!(
            message.contains("set role") || message.contains("application_user"),
            "the refusal is the context's, not the insert's: {message}"
        ),
        other => panic!("expected the context to be refused, got {other:?}"),
    }
    assert_eq!(
        t.count("sales.customers").await,
        before,
        "nothing was written"
    );

    // The same single connection, membership back: it works, under A's context.
    role.set_member(true).await;
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let created = db
        .customers()
        .create(new_customer("With context"))
        .await
        .unwrap();
    drop(db);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    let seen = company_names(&database, &t.ctx_b()).await;
    assert!(
        seen.iter().all(|(_, tenant)| *tenant == t.b.tenant),
        "{seen:?}"
    );
    assert_eq!(
        database.pool_status().size,
        1,
        "the connection was kept and reused"
    );
}

#[tokio::test]
async fn when_the_context_cannot_be_set_a_unit_of_work_runs_nothing() {
    let t = TwoTenants::new().await;
    let role = OwnLoginRole::create(&t).await;
    let database = one_connection(&role.app_url);
    let before = t.count("sales.customers").await;

    role.set_member(false).await;
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let refused = uow
        .customers()
        .create(new_customer("Without context"))
        .await;
    assert!(
        matches!(refused, Err(Error::PermissionDenied { .. })),
        "{refused:?}"
    );
    // The transaction is aborted; later statements are refused, not run.
    let later = uow.customers().create(new_customer("Later")).await;
    assert!(matches!(later, Err(Error::TransactionAborted)), "{later:?}");
    assert!(uow.commit().await.is_err());
    assert_eq!(t.count("sales.customers").await, before);

    role.set_member(true).await;
    let seen = company_names(&database, &t.ctx_a()).await;
    assert!(
        seen.iter().all(|(_, tenant)| *tenant == t.a.tenant),
        "{seen:?}"
    );
    assert!(!seen.is_empty());
}

#[tokio::test]
async fn a_one_shot_dropped_mid_pipeline_leaves_nothing_for_the_next_tenant() {
    let t = TwoTenants::new().await;
    let database = one_connection(&t.db.app_url());
    let before = t.count("sales.customers").await;

    // A's one-shot insert, polled once (context, insert and Sync are on the
    // wire) and dropped before any answer is read.
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let pending = db
        .customers()
        .create(new_customer("Half-sent"))
        .now_or_never();
    assert!(pending.is_none(), "the insert finished within one poll");
    // The one-shot refuses more work once a pipeline of its was abandoned.
    let again = db.customers().create(new_customer("After the drop")).await;
    assert!(matches!(again, Err(Error::TransactionAborted)), "{again:?}");
    drop(db);

    // B on the pool's only slot: sees only B and writes as B.
    let seen = company_names(&database, &t.ctx_b()).await;
    assert_eq!(seen.len(), 1);
    assert!(
        seen.iter().all(|(_, tenant)| *tenant == t.b.tenant),
        "{seen:?}"
    );
    let mut b = database.one_shot(&t.ctx_b()).await.unwrap();
    let mine = b.customers().create(new_customer("B's")).await.unwrap();
    assert_eq!(mine.tenant_id.into_uuid(), t.b.tenant);
    drop(b);

    // The half-sent insert either committed as A (its whole pipeline reached
    // the server) or not at all; never as anyone else.
    let client = admin(&t.db).await;
    let half_sent: Vec<uuid::Uuid> = client
        .query(
            "SELECT tenant_id FROM sales.customers WHERE company_name = 'Half-sent'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        half_sent.iter().all(|tenant| *tenant == t.a.tenant),
        "{half_sent:?}"
    );
    assert_eq!(
        t.count("sales.customers").await,
        before + 1 + half_sent.len() as i64
    );
}

#[tokio::test]
async fn a_one_shot_dropped_before_it_was_polled_sends_nothing_and_keeps_the_connection() {
    let t = TwoTenants::new().await;
    let database = one_connection(&t.db.app_url());
    let before = t.count("sales.customers").await;
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    drop(db.customers().create(new_customer("Never polled")));
    let page = db
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        page.items
            .iter()
            .all(|c| c.tenant_id.into_uuid() == t.a.tenant)
    );
    drop(db);
    assert_eq!(t.count("sales.customers").await, before);
    assert_eq!(database.pool_status().size, 1);
}

#[tokio::test]
async fn a_terminated_backend_is_replaced_and_the_next_one_shot_has_its_own_context() {
    let t = TwoTenants::new().await;
    let database = one_connection(&t.db.app_url());
    assert!(!company_names(&database, &t.ctx_a()).await.is_empty());

    // The server ends the pool's only session (as a restart or an
    // administrator would).
    let client = admin(&t.db).await;
    let terminated: i64 = client
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE usename = $1 AND datname = current_database()) t",
            &[&t.db.app_role()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(terminated, 1);

    // The next call may find the dead connection before its task has read the
    // server's goodbye: then it fails as a lost connection, and nothing else.
    // The one after that (at the latest) runs on a fresh connection, as B.
    let mut attempts = 0;
    let seen = loop {
        attempts += 1;
        let mut db = database.one_shot(&t.ctx_b()).await.unwrap();
        match db
            .customers()
            .list(&CustomerFilter::all(), PageRequest::first(100))
            .await
        {
            Ok(page) => break page.items,
            Err(e) => assert!(
                attempts == 1 && matches!(e, Error::ConnectionLost(_)) && e.is_retryable(),
                "attempt {attempts}: {e:?}"
            ),
        }
    };
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].tenant_id.into_uuid(), t.b.tenant);
}
