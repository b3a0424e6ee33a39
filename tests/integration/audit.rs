//! The audit trail: what the database records for each kind of write, what the
//! application records, how the trail is read, and how its partitions are kept.

use aems_core::risk::audit_logs::{AuditSeverity, NewAuditLog};
use aems_core::sales::customers::{CustomerPatch, CustomerSegment, CustomerStatus, NewCustomer};
use aems_diesel::audit::{AuditFilter, partitions};
use aems_diesel::prelude::*;
use aems_diesel::{Context, Error};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::support::{TwoTenants, admin, app};

fn new_customer(name: &str) -> NewCustomer {
    NewCustomer::new(
        name.parse().unwrap(),
        "buyer@example.com".parse().unwrap(),
        CustomerSegment::Smb,
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
    )
}

fn full_context(t: &TwoTenants) -> Context {
    t.ctx_a()
        .with_ip("203.0.113.9".parse().unwrap())
        .with_user_agent("audit-test/1.0")
        .with_session(aems_core::UserSessionId::from_uuid(Uuid::now_v7()))
}

#[tokio::test]
async fn every_kind_of_write_is_recorded_with_its_context_and_changed_values() {
    let t = TwoTenants::new().await;
    let ctx = full_context(&t);
    let mut db = t.database.one_shot(&ctx).await.unwrap();
    let c = db
        .customers()
        .create(new_customer("Audited Co"))
        .await
        .unwrap();
    let patch = CustomerPatch {
        status: Some(CustomerStatus::Inactive),
        ..Default::default()
    };
    let c2 = db
        .customers()
        .update(c.id, c.updated_at, &patch)
        .await
        .unwrap();
    db.customers().soft_delete(c2.id).await.unwrap();
    db.customers().restore(c2.id).await.unwrap();
    db.customers().soft_delete(c2.id).await.unwrap();
    let mut uow = t.database.unit_of_work(&ctx).await.unwrap();
    uow.customers()
        .purge_deleted_before(Utc::now() + Duration::seconds(5))
        .await
        .unwrap();
    uow.commit().await.unwrap();

    let page = db
        .audit()
        .history("customers", c.id.into_uuid(), 50)
        .await
        .unwrap();
    let actions: Vec<&str> = page.items.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "insert",
            "update",
            "soft_delete",
            "restore",
            "soft_delete",
            "delete"
        ]
    );
    for entry in &page.items {
        assert_eq!(entry.tenant_id.map(|x| x.into_uuid()), Some(t.a.tenant));
        assert_eq!(entry.user_id.map(|x| x.into_uuid()), Some(t.a.user));
        assert_eq!(entry.ip_address, ctx.ip());
        assert_eq!(
            entry.user_agent.as_ref().map(|u| u.as_str()),
            Some("audit-test/1.0")
        );
        assert_eq!(entry.session_id, ctx.session_id());
        assert_eq!(entry.entity_type.as_str(), "customers");
    }
    let by_action = |a: &str| page.items.iter().find(|e| e.action.as_str() == a).unwrap();
    let insert = by_action("insert");
    assert_eq!(
        insert.new_values.as_ref().unwrap()["company_name"],
        json!("Audited Co")
    );
    assert!(insert.old_values.is_none());
    let update = by_action("update");
    let (old, new) = (
        update.old_values.as_ref().unwrap(),
        update.new_values.as_ref().unwrap(),
    );
    assert_eq!(old["status"], json!("active"));
    assert_eq!(new["status"], json!("inactive"));
    assert!(
        !new.contains_key("company_name"),
        "unchanged columns are not repeated: {new:?}"
    );
    assert!(!new.contains_key("updated_at"));
    assert_eq!(by_action("soft_delete").severity, AuditSeverity::Warning);
    let delete = by_action("delete");
    assert_eq!(delete.severity, AuditSeverity::Warning);
    assert_eq!(
        delete.old_values.as_ref().unwrap()["company_name"],
        json!("Audited Co")
    );
}

#[tokio::test]
async fn bulk_writes_are_audited_row_by_row() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .customers()
        .create_many(
            (0..1_500)
                .map(|i| new_customer(&format!("Bulk {i}")))
                .collect(),
        )
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let client = admin(&t.db).await;
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT entity_id) FROM risk.audit_logs
             WHERE entity_type = 'customers' AND action = 'insert' AND tenant_id = $1 AND user_id = $2",
            &[&t.a.tenant, &t.a.user],
        )
        .await
        .unwrap();
    // 1,500 created here plus the one the fixture seeded.
    assert_eq!(row.get::<_, i64>(0), 1_501);
    assert_eq!(row.get::<_, i64>(1), 1_501);
    let last = created.last().unwrap().id.into_uuid();
    let found = client
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE entity_id = $1",
            &[&last],
        )
        .await
        .unwrap();
    assert_eq!(found.get::<_, i64>(0), 1);
}

#[tokio::test]
async fn a_failed_unit_of_work_leaves_no_row_and_no_audit_entry() {
    let t = TwoTenants::new().await;
    let before = t.count("risk.audit_logs").await;
    let result: aems_diesel::Result<()> = t
        .database
        .transaction(&t.ctx_a(), async |uow| {
            uow.customers().create(new_customer("Doomed")).await?;
            uow.audit()
                .record(NewAuditLog::new(
                    "exported".parse().unwrap(),
                    "customers".parse().unwrap(),
                ))
                .await?;
            Err(Error::Conflict {
                entity: "customers",
            })
        })
        .await;
    assert!(result.is_err());
    assert_eq!(t.count("risk.audit_logs").await, before);
    assert_eq!(t.count("sales.customers").await, 2);
}

#[tokio::test]
async fn a_write_without_an_actor_is_refused_rather_than_audited_anonymously() {
    let t = TwoTenants::new().await;
    let client = app(&t.db).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT set_config('role', 'application_user', true),
                    set_config('app.current_tenant_id', $1, true)",
            &[&t.a.tenant.to_string()],
        )
        .await
        .unwrap();
    let err = client
        .execute(
            "UPDATE sales.customers SET industry = 'Anonymous' WHERE tenant_id = $1",
            &[&t.a.tenant],
        )
        .await
        .expect_err("an anonymous write was accepted");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{err:?}"
    );
    assert!(format!("{err:?}").contains("without an actor"), "{err:?}");
    client.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn sensitive_columns_never_reach_the_trail() {
    let t = TwoTenants::new().await;
    let client = app(&t.db).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT set_config('role', 'application_user', true),
                    set_config('app.current_tenant_id', $1, true),
                    set_config('app.current_user_id', $2, true)",
            &[&t.a.tenant.to_string(), &t.a.user.to_string()],
        )
        .await
        .unwrap();
    let user = Uuid::now_v7();
    client
        .batch_execute(&format!(
            "INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name)
                VALUES ('{user}', '{}', 'new@a.example.com', 'HASH-MARKER-1', 'N', 'U');
             UPDATE auth.users SET password_hash = 'HASH-MARKER-2' WHERE id = '{user}';
             INSERT INTO auth.user_sessions (user_id, token_hash, refresh_token_hash, ip_address, expires_at)
                VALUES ('{user}', 'TOKEN-MARKER', 'REFRESH-MARKER', '10.0.0.1', now() + interval '1 hour');
             INSERT INTO auth.user_mfa (user_id, mfa_type, secret_key, backup_codes)
                VALUES ('{user}', 'totp', 'SECRET-MARKER', ARRAY['BACKUP-MARKER']);
             INSERT INTO auth.oauth_connections (user_id, provider, provider_user_id, access_token, refresh_token)
                VALUES ('{user}', 'microsoft', 'ms-1', 'ACCESS-MARKER', 'OAUTH-REFRESH-MARKER');
             UPDATE hr.employees SET salary = 'SALARY-MARKER'::bytea WHERE tenant_id = '{}';
             DELETE FROM auth.user_mfa WHERE user_id = '{user}';
             COMMIT;",
            t.a.tenant, t.a.tenant
        ))
        .await
        .unwrap();
    let admin = admin(&t.db).await;
    let trail: String = admin
        .query_one(
            "SELECT string_agg(coalesce(old_values::text, '') || coalesce(new_values::text, ''), ' ')
             FROM risk.audit_logs",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    for marker in [
        "HASH-MARKER",
        "TOKEN-MARKER",
        "REFRESH-MARKER",
        "SECRET-MARKER",
        "BACKUP-MARKER",
        "ACCESS-MARKER",
        "OAUTH-REFRESH-MARKER",
        "SALARY-MARKER",
        // bytea renders as hex in JSON: 'SALARY-MARKER' starts 0x53414c
        "53414c415259",
    ] {
        assert!(!trail.contains(marker), "{marker} reached the audit trail");
    }
    // The columns are there, redacted, so the change itself is visible.
    let redacted: i64 = admin
        .query_one(
            "SELECT count(*) FROM risk.audit_logs
             WHERE new_values->>'password_hash' = '[redacted]' OR old_values->>'password_hash' = '[redacted]'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(redacted >= 2, "{redacted}");
}

#[tokio::test]
async fn application_events_are_recorded_in_the_same_transaction_and_read_back_typed() {
    let t = TwoTenants::new().await;
    let ctx = full_context(&t);
    let mut db = t.database.one_shot(&ctx).await.unwrap();
    let mut event = NewAuditLog::new("salary_read".parse().unwrap(), "employees".parse().unwrap());
    event.entity_id = Some(t.a.employee);
    event.severity = AuditSeverity::Warning;
    event.new_values = Some(serde_json::from_value(json!({"reason": "payroll review"})).unwrap());
    let recorded = db.audit().record(event).await.unwrap();
    assert_eq!(recorded.action.as_str(), "salary_read");
    assert_eq!(recorded.user_id.map(|u| u.into_uuid()), Some(t.a.user));
    assert_eq!(recorded.ip_address, ctx.ip());

    let found = db
        .audit()
        .list(&AuditFilter::all().action("salary_read"), None, 10)
        .await
        .unwrap();
    assert_eq!(found.items, vec![recorded]);
    // A hostile filter is refused before anything is sent.
    let filter = AuditFilter::all().action("a\0b");
    assert!(matches!(
        db.audit().list(&filter, None, 10).await,
        Err(Error::Validation(_))
    ));
}

#[tokio::test]
async fn the_trail_is_filtered_by_entity_actor_action_and_time_and_paged_without_gaps() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let started = Utc::now();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            db.customers()
                .create(new_customer(&format!("Paged {i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let mut filter = AuditFilter::all()
        .action("insert")
        .between(started, Utc::now() + Duration::seconds(5));
    filter.entity_type = Some("customers".into());
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = db.audit().list(&filter, after, 5).await.unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|e| e.entity_id.unwrap()));
        match page.next {
            Some(cursor) => after = Some(cursor.to_string().parse().unwrap()),
            None => break,
        }
    }
    let expected: Vec<Uuid> = ids.iter().rev().map(|id| id.into_uuid()).collect();
    assert_eq!(seen, expected, "newest first, each once");

    let by_actor = db
        .audit()
        .list(
            &AuditFilter::all().actor(aems_core::UserId::from_uuid(t.b.user)),
            None,
            100,
        )
        .await
        .unwrap();
    assert!(
        by_actor.items.is_empty(),
        "tenant A sees entries by B's user"
    );
    let past = db
        .audit()
        .list(
            &AuditFilter::all().between(started - Duration::days(2), started - Duration::days(1)),
            None,
            100,
        )
        .await
        .unwrap();
    assert!(past.items.is_empty());
}

#[tokio::test]
async fn each_tenant_reads_only_its_own_trail_and_cross_tenant_work_is_recorded() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    b.customers().create(new_customer("B only")).await.unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = a
        .audit()
        .list(&AuditFilter::all(), None, 1000)
        .await
        .unwrap();
    assert!(!all.items.is_empty());
    assert!(
        all.items
            .iter()
            .all(|e| e.tenant_id.map(|x| x.into_uuid()) == Some(t.a.tenant))
    );

    let mut platform = t
        .database
        .platform("support ticket 4711: find tenant by slug", None)
        .await
        .unwrap();
    let found = platform.find_tenant_by_slug("tenant-b").await.unwrap();
    assert_eq!(found.map(|x| x.into_uuid()), Some(t.b.tenant));
    platform.commit().await.unwrap();
    let row = admin(&t.db)
        .await
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE action = 'cross_tenant_access'
               AND new_values->>'_cross_tenant_reason' = 'support ticket 4711: find tenant by slug'
               AND tenant_id IS NULL AND entity_type = 'tenants'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    // A blank reason is refused before any connection is used.
    assert!(matches!(
        t.database.platform("  ", None).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn partitions_are_created_ahead_rows_in_the_default_move_and_old_months_are_dropped() {
    let t = TwoTenants::new().await;
    let owner = t.db.admin_url();
    let admin = admin(&t.db).await;
    let partition_exists = |name: String| {
        let admin = &admin;
        async move {
            admin
                .query_one(
                    "SELECT to_regclass($1) IS NOT NULL",
                    &[&format!("risk.{name}")],
                )
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };

    // Months ahead: idempotent.
    partitions::create_months_ahead(&owner, 3).await.unwrap();
    assert_eq!(partitions::create_months_ahead(&owner, 3).await.unwrap(), 0);
    let in_three = (Utc::now().date_naive().with_day0(0).unwrap() + chrono::Months::new(3))
        .format("audit_logs_%Y_%m");
    assert!(partition_exists(in_three.to_string()).await);

    // Rows for a month without a partition land in the default partition...
    let (t_a, u_a) = (t.a.tenant, t.a.user);
    admin
        .batch_execute(&format!(
            "INSERT INTO risk.audit_logs (tenant_id, user_id, action, entity_type, \"timestamp\") VALUES
               ('{t_a}', '{u_a}', 'future', 'x', '2031-05-31 23:59:59+00'),
               ('{t_a}', '{u_a}', 'future', 'x', '2031-05-01 00:00:00+00'),
               ('{t_a}', '{u_a}', 'old', 'x', '2019-12-15 12:00:00+00')"
        ))
        .await
        .unwrap();
    let in_default = partitions::rows_in_default_partition(&owner).await.unwrap();
    let may = NaiveDate::from_ymd_opt(2031, 5, 1).unwrap();
    let december = NaiveDate::from_ymd_opt(2019, 12, 1).unwrap();
    assert_eq!(in_default, vec![(december, 1), (may, 2)]);
    // ...and move into their months, intact, when those are created.
    let moved = partitions::move_default_rows(&owner).await.unwrap();
    assert_eq!(moved, in_default);
    assert!(
        partitions::rows_in_default_partition(&owner)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(partition_exists("audit_logs_2031_05".into()).await);
    let in_may: i64 = admin
        .query_one(
            "SELECT count(*) FROM risk.audit_logs_2031_05 WHERE action = 'future'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_may, 2);

    // Retention: months before the cutoff go, everything else stays.
    let dropped =
        partitions::drop_months_before(&owner, NaiveDate::from_ymd_opt(2020, 1, 1).unwrap())
            .await
            .unwrap();
    assert_eq!(dropped, 1);
    assert!(!partition_exists("audit_logs_2019_12".into()).await);
    let remaining: i64 = admin
        .query_one(
            "SELECT count(*) FROM risk.audit_logs WHERE action IN ('future', 'seed')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        remaining,
        2 + 2,
        "the May rows and both tenants' seed rows survive"
    );
}
