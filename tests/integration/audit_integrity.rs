//! The audit trail cannot be forged or rewritten, and keeps its records.
//!
//! Tried as the application's login role would after an SQL injection (it
//! may assume either of its roles and set any context): no direct INSERT into
//! `risk.audit_logs` (application events go through `risk.record_event`,
//! which stamps the time and takes the tenant and actor from the context), no
//! anonymous trigger rows through a cross-tenant reason in tenant work, no
//! borrowing the trigger functions for a table of one's own; purging a user
//! keeps their id on every row they wrote; and the record of a disclosure (a
//! salary read, cross-tenant work) survives a rollback of the work.

use aems_core::auth::users::UserStatus;
use aems_core::{TenantId, UserId};
use aems_diesel::prelude::*;
use chrono::{Duration, Utc};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use crate::support::{TwoTenants, admin, app};

/// Runs `sql` as the login role in a transaction that assumed `role` and set
/// `settings` (name, value pairs), and commits it.
async fn as_app(
    t: &TwoTenants,
    role: &str,
    settings: &[(&str, String)],
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let client = app(&t.db).await;
    client.batch_execute("BEGIN").await?;
    client
        .execute("SELECT set_config('role', $1, true)", &[&role])
        .await?;
    for (name, value) in settings {
        client
            .execute("SELECT set_config($1, $2, true)", &[name, value])
            .await?;
    }
    let rows = client.query(sql, &[]).await?;
    client.batch_execute("COMMIT").await?;
    Ok(rows)
}

/// The context of tenant A's seeded admin, as raw settings.
fn tenant_a(t: &TwoTenants) -> Vec<(&'static str, String)> {
    vec![
        ("app.current_tenant_id", t.a.tenant.to_string()),
        ("app.current_user_id", t.a.user.to_string()),
    ]
}

fn refused(result: Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>, what: &str) {
    match result {
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {}
        other => panic!("{what}: expected a permission error, got {other:?}"),
    }
}

async fn count(t: &TwoTenants, sql: &str) -> i64 {
    admin(&t.db).await.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn neither_application_role_may_insert_audit_rows_directly() {
    let t = TwoTenants::new().await;
    // A backdated sign-in of A's admin, as tenant work...
    refused(
        as_app(
            &t,
            "application_user",
            &tenant_a(&t),
            &format!(
                "INSERT INTO risk.audit_logs (tenant_id, user_id, action, entity_type, ip_address, \"timestamp\")
                 VALUES ('{}', '{}', 'login_succeeded', 'users', '198.51.100.1', '2021-03-01')",
                t.a.tenant, t.a.user
            ),
        )
        .await,
        "INSERT as application_user",
    );
    // ... and one for another tenant, as platform work.
    refused(
        as_app(
            &t,
            "aems_platform",
            &[("app.cross_tenant_reason", "forgery test".into())],
            &format!(
                "INSERT INTO risk.audit_logs (tenant_id, user_id, action, entity_type, \"timestamp\")
                 VALUES ('{}', '{}', 'update', 'customers', '2021-03-01')",
                t.b.tenant, t.b.user
            ),
        )
        .await,
        "INSERT as aems_platform",
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM risk.audit_logs WHERE \"timestamp\" < '2022-01-01'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn an_application_event_gets_the_servers_time_and_the_contexts_actor() {
    let t = TwoTenants::new().await;
    let before = Utc::now() - Duration::seconds(5);
    let call = |action: &str, user: &str| {
        format!(
            "SELECT risk.record_event('{action}', 'reports', NULL, NULL, '{{\"rows\": 3}}',
                                      'info', NULL, {user}, NULL, NULL, NULL)"
        )
    };
    as_app(
        &t,
        "application_user",
        &tenant_a(&t),
        &call("report_exported", "NULL"),
    )
    .await
    .unwrap();
    let row = admin(&t.db)
        .await
        .query_one(
            "SELECT tenant_id, user_id, \"timestamp\" FROM risk.audit_logs WHERE action = 'report_exported'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), Some(t.a.tenant));
    assert_eq!(row.get::<_, Option<Uuid>>(1), Some(t.a.user));
    let stamped: chrono::DateTime<Utc> = row.get(2);
    assert!(stamped > before && stamped < Utc::now() + Duration::seconds(5));

    // Another actor than the context's, an actor of another tenant, no
    // actor, and the actions only the triggers write: all refused.
    refused(
        as_app(
            &t,
            "application_user",
            &tenant_a(&t),
            &call("report_exported", &format!("'{}'", t.b.user)),
        )
        .await,
        "an actor passed in",
    );
    let mut foreign_actor = tenant_a(&t);
    foreign_actor[1].1 = t.b.user.to_string();
    refused(
        as_app(
            &t,
            "application_user",
            &foreign_actor,
            &call("report_exported", "NULL"),
        )
        .await,
        "a context actor of another tenant",
    );
    refused(
        as_app(
            &t,
            "application_user",
            &tenant_a(&t)[..1],
            &call("report_exported", "NULL"),
        )
        .await,
        "no actor",
    );
    for reserved in ["insert", "update", "soft_delete", "restore", "delete"] {
        refused(
            as_app(
                &t,
                "application_user",
                &tenant_a(&t),
                &call(reserved, "NULL"),
            )
            .await,
            reserved,
        );
    }
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM risk.audit_logs WHERE entity_type = 'reports'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_cross_tenant_reason_in_tenant_work_is_refused_not_audited_anonymously() {
    let t = TwoTenants::new().await;
    let mut settings = tenant_a(&t);
    settings.push(("app.cross_tenant_reason", "looks like platform work".into()));
    refused(
        as_app(
            &t,
            "application_user",
            &settings,
            &format!(
                "UPDATE sales.customers SET company_name = 'Renamed' WHERE id = '{}'",
                t.a.customer
            ),
        )
        .await,
        "a tenant write with a cross-tenant reason",
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM risk.audit_logs WHERE action = 'update' AND user_id IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_trigger_functions_cannot_be_attached_to_a_table_of_ones_own() {
    // A temporary table with the audit trigger would let its owner write
    // trail rows for any tenant with the trigger's rights.
    let t = TwoTenants::new().await;
    for role in ["application_user", "aems_platform"] {
        let client = app(&t.db).await;
        client.batch_execute("BEGIN").await.unwrap();
        client
            .execute("SELECT set_config('role', $1, true)", &[&role])
            .await
            .unwrap();
        client
            .batch_execute("CREATE TEMPORARY TABLE forged (id uuid, tenant_id uuid)")
            .await
            .unwrap();
        let attached = client
            .batch_execute(
                "CREATE TRIGGER forge AFTER INSERT ON forged REFERENCING NEW TABLE AS new_rows
                 FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_sales_customers_insert()",
            )
            .await;
        match attached {
            Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {}
            other => panic!("{role} attached the audit trigger: {other:?}"),
        }
        client.batch_execute("ROLLBACK").await.unwrap();
    }
}

#[tokio::test]
async fn purging_a_user_keeps_their_id_on_every_row_they_wrote() {
    let t = TwoTenants::new().await;
    let tenant = TenantId::from_uuid(t.a.tenant);
    let admin_ctx = t.ctx_a();
    let passwords = aems_diesel::auth::Passwords::new(
        aems_diesel::auth::HashParams::INSECURE_FAST_FOR_TESTS,
        Default::default(),
    )
    .unwrap();
    let leaver = t
        .database
        .one_shot(&admin_ctx)
        .await
        .unwrap()
        .users()
        .create(crate::auth::new_user("leaver@a.example.com"), &passwords)
        .await
        .unwrap()
        .id;
    // The leaver does something audited that leaves no other trace of them.
    let ctx = aems_diesel::Context::new(tenant, leaver);
    let mut db = t.database.one_shot(&ctx).await.unwrap();
    let mut event = aems_core::risk::audit_logs::NewAuditLog::new(
        "report_exported".parse().unwrap(),
        "reports".parse().unwrap(),
    );
    event.entity_id = Some(Uuid::now_v7());
    db.audit().record(event).await.unwrap();
    drop(db);
    let written = |t: &TwoTenants| {
        let url = t.db.admin_url();
        async move {
            crate::support::client(&url)
                .await
                .query_one(
                    "SELECT count(*) FROM risk.audit_logs WHERE user_id = $1",
                    &[&leaver.into_uuid()],
                )
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(written(&t).await, 1);

    let mut uow = t.database.unit_of_work(&admin_ctx).await.unwrap();
    let patch = aems_core::auth::users::UserPatch {
        status: Some(UserStatus::Inactive),
        ..Default::default()
    };
    let current = uow.users().get(leaver).await.unwrap();
    uow.users()
        .update(leaver, current.updated_at, &patch)
        .await
        .unwrap();
    uow.users().soft_delete(leaver).await.unwrap();
    let purged = uow
        .users()
        .purge_deleted_before(Utc::now() + Duration::seconds(5))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(purged, 1);
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM auth.users WHERE id = '{}'",
                leaver.into_uuid()
            )
        )
        .await,
        0
    );
    assert_eq!(
        written(&t).await,
        1,
        "the purge erased the actor from the trail"
    );
    let _: UserId = leaver;
}

async fn rows_of(t: &TwoTenants, action: &str) -> i64 {
    admin(&t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE action = $1",
            &[&action],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_salary_read_in_a_unit_of_work_stays_recorded_when_the_unit_is_rolled_back() {
    let t = TwoTenants::new().await;
    let db = crate::hr::keyed(&t);
    let mut input = crate::hr::new_employee("DISC-1");
    input.salary = Some("85000.00".parse().unwrap());
    let id = db
        .one_shot(&t.ctx_a())
        .await
        .unwrap()
        .employees()
        .create(input)
        .await
        .unwrap()
        .id;

    // Read and rolled back explicitly...
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    let read = uow.employees().get(id).await.unwrap();
    assert!(read.salary.is_some());
    uow.rollback().await.unwrap();
    assert_eq!(rows_of(&t, "salary_read").await, 1);
    // ... and dropped without a word, after a failed statement.
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.employees()
        .list(
            &aems_diesel::hr::EmployeeFilter::all(),
            PageRequest::first(10),
        )
        .await
        .unwrap();
    drop(uow);
    assert_eq!(rows_of(&t, "salary_read").await, 2);
}

#[tokio::test]
async fn the_record_of_platform_work_stays_when_the_work_is_rolled_back() {
    let t = TwoTenants::new().await;
    let mut platform = t
        .database
        .platform("support ticket 1: which tenant is tenant-b", None)
        .await
        .unwrap();
    assert!(
        platform
            .find_tenant_by_slug("tenant-b")
            .await
            .unwrap()
            .is_some()
    );
    platform.rollback().await.unwrap();
    assert_eq!(rows_of(&t, "cross_tenant_access").await, 1);
}

#[tokio::test]
async fn committing_disclosure_records_apart_costs_one_round_trip_on_the_record_pool() {
    let t = TwoTenants::new().await;
    let (proxy, _) = crate::support::counted(&t).await;
    let db = crate::hr::round_trips::through(&proxy);
    let mut input = crate::hr::new_employee("DISC-2");
    input.salary = Some("85000.00".parse().unwrap());
    let id = db
        .one_shot(&t.ctx_a())
        .await
        .unwrap()
        .employees()
        .create(input)
        .await
        .unwrap()
        .id;
    // Open the record pool's connection first: establishing it is not the
    // cost being counted.
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.employees().get(id).await.unwrap();
    uow.commit().await.unwrap();

    let mut tally = crate::support::Tally::new(&proxy);
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.employees().get(id).await.unwrap();
    // The read (with BEGIN and the context), then the record on the record
    // pool's connection.
    tally.expect("salary get in a unit of work: read + committed record", 2);
    uow.commit().await.unwrap();

    let mut platform = db.platform("round trips", None).await.unwrap();
    tally.start();
    platform.find_tenant_by_slug("tenant-b").await.unwrap();
    // The first statement and the record, each on its own connection, sent
    // at the same time.
    tally.expect("first platform statement + its committed record", 2);
    platform.commit().await.unwrap();
    tally.check();
}
