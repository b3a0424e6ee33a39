//! Errors against a real server: a pool timeout is its own variant, a lost
//! connection and a deadlock are retryable, and every cause is kept once.

use std::error::Error as _;
use std::time::Duration;

use aems_core::CustomerId;
use aems_core::sales::customers::CustomerPatch;
use aems_diesel::prelude::*;
use aems_diesel::{ConnectError, DatabaseConfig, Error, PoolTimeout};

use crate::support::{TwoTenants, admin};

/// Every cause in the chain is printed by its own error only.
fn assert_each_cause_once(error: &(dyn std::error::Error + 'static)) {
    let mut current = error;
    while let Some(source) = current.source() {
        let (outer, inner) = (current.to_string(), source.to_string());
        assert!(!outer.contains(&inner), "{outer:?} repeats {inner:?}");
        current = source;
    }
}

/// A loopback URL on which nothing listens (the port was free a moment ago).
fn nothing_listens() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    format!("postgres://aems_app:x@127.0.0.1:{port}/aems")
}

#[tokio::test]
async fn waiting_longer_than_the_acquire_timeout_is_a_pool_timeout() {
    let t = TwoTenants::new().await;
    let database = Database::new(
        DatabaseConfig::new(t.db.app_url())
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let held = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let error = database.one_shot(&t.ctx_a()).await.unwrap_err();
    assert!(
        matches!(error, Error::PoolTimeout(PoolTimeout::Wait)),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    drop(held);
    database.one_shot(&t.ctx_a()).await.expect("free again");
}

#[tokio::test]
async fn a_server_that_refuses_the_connection_is_a_pool_error_with_its_cause() {
    let error = Database::connect(DatabaseConfig::new(nothing_listens()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Pool(_)), "{error:?}");
    let cause = error.source().expect("the connection error is kept");
    // Typed all the way down: the connect error, then the socket's.
    let connect = cause
        .downcast_ref::<ConnectError>()
        .unwrap_or_else(|| panic!("{cause:?}"));
    let io = connect
        .source()
        .and_then(|e| e.downcast_ref::<std::io::Error>())
        .unwrap_or_else(|| panic!("{connect:?}"));
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(!error.is_retryable());
    assert_each_cause_once(&error);

    let error = aems_diesel::migrations::run(&nothing_listens())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Migration { step, source: Some(_) } if step.contains("connect")),
        "{error:?}"
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_the_servers_sqlstate() {
    let t = TwoTenants::new().await;
    let url = t.db.app_url();
    // The harness's URL is postgres://ROLE:PASSWORD@HOST:PORT/DB.
    let (head, tail) = url.split_once('@').unwrap();
    let (user, _password) = head.rsplit_once(':').unwrap();
    let error = Database::connect(DatabaseConfig::new(format!("{user}:wrong@{tail}")))
        .await
        .unwrap_err();
    let connect = error
        .source()
        .and_then(|e| e.downcast_ref::<ConnectError>())
        .unwrap_or_else(|| panic!("{error:?}"));
    assert!(
        matches!(connect, ConnectError::Refused { .. }),
        "{connect:?}"
    );
    assert_eq!(connect.sqlstate(), Some("28P01"), "{connect}");
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn a_connection_the_server_ended_is_lost_and_retryable() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let customer = CustomerId::from_uuid(t.a.customer);
    uow.customers().get(customer).await.unwrap();
    // The backend is idle in the unit of work's transaction; end it and wait
    // (pg_terminate_backend's timeout) until it is gone.
    let ended: bool = admin(&t.db)
        .await
        .query_one(
            "SELECT bool_and(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity
             WHERE usename = $1 AND datname = current_database()",
            &[&t.db.app_role()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(ended, "the backend did not end");
    let error = uow.customers().get(customer).await.unwrap_err();
    assert!(matches!(error, Error::ConnectionLost(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_each_cause_once(&error);
    drop(uow);
    // The pool opens a new connection for the retry.
    let mut retry = t.database.one_shot(&t.ctx_a()).await.unwrap();
    retry
        .customers()
        .get(customer)
        .await
        .expect("the retry works");
}

#[tokio::test]
async fn a_deadlock_is_its_own_retryable_variant() {
    let t = TwoTenants::new().await;
    let ctx = t.ctx_a();
    let (first, second) = {
        let mut uow = t.database.unit_of_work(&ctx).await.unwrap();
        let first = uow
            .customers()
            .get(CustomerId::from_uuid(t.a.customer))
            .await
            .unwrap();
        let second = uow
            .customers()
            .create(aems_core::sales::customers::NewCustomer::new(
                "Second".parse().unwrap(),
                "second@example.com".parse().unwrap(),
                first.customer_segment,
                first.acquisition_date,
            ))
            .await
            .unwrap();
        uow.commit().await.unwrap();
        (first, second)
    };
    let rename = |name: &str| CustomerPatch {
        company_name: Some(name.parse().unwrap()),
        ..CustomerPatch::default()
    };
    // Each unit of work locks one row, then wants the other's.
    let mut one = t.database.unit_of_work(&ctx).await.unwrap();
    let mut two = t.database.unit_of_work(&ctx).await.unwrap();
    one.customers()
        .update(first.id, first.updated_at, &rename("One A"))
        .await
        .unwrap();
    two.customers()
        .update(second.id, second.updated_at, &rename("Two B"))
        .await
        .unwrap();
    let (one_b, two_a) = (rename("One B"), rename("Two A"));
    let (a, b) = tokio::join!(
        async {
            one.customers()
                .update(second.id, second.updated_at, &one_b)
                .await
        },
        async {
            two.customers()
                .update(first.id, first.updated_at, &two_a)
                .await
        },
    );
    let errors: Vec<Error> = [a, b].into_iter().filter_map(Result::err).collect();
    assert_eq!(
        errors.len(),
        1,
        "exactly one of them is the victim: {errors:?}"
    );
    assert!(
        matches!(errors[0], Error::Deadlock { .. }),
        "{:?}",
        errors[0]
    );
    assert!(errors[0].is_retryable());
}
