//! The generated audit triggers (migration 003700): they record exactly what the
//! generic ones of 003400 recorded, row for row, in bulk as for one row; they are
//! generated for each table's current columns; and no statement loses its rows.

use tokio_postgres::Client;
use uuid::Uuid;

use crate::fixture::TENANT_TABLES;
use crate::support::{TwoTenants, admin};

/// 003700's down.sql: puts the generic trigger functions of 003400 back.
const GENERIC_TRIGGERS: &str =
    include_str!("../../migrations/2025-09-16-003700_audit_triggers_per_table/down.sql");

/// Every kind of audited write, as SQL the application role may run: inserts,
/// updates of one and of 1,000 rows, a no-op update, an update of only
/// `updated_at` and of only an ignored column, soft delete and restore, hard
/// delete, sensitive columns, a table without tenant_id, the tenant itself, and
/// the cross-tenant path with its reason.
fn workload(t: &TwoTenants) -> String {
    let (tenant, user) = (t.a.tenant, t.a.user);
    let employee = t.a.employee;
    format!(
        "SELECT set_config('role', 'application_user', true),
                set_config('app.current_tenant_id', '{tenant}', true),
                set_config('app.current_user_id', '{user}', true),
                set_config('app.client_ip', '198.51.100.7', true),
                set_config('app.user_agent', 'equivalence/1', true),
                set_config('app.session_id', '{session}', true);
         INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment,
                                      acquisition_date, created_by, updated_by, billing_address, lifetime_value)
             SELECT ('00000000-0000-7000-8001-' || lpad(g::text, 12, '0'))::uuid, '{tenant}', 'Eq ' || g,
                    'e' || g || '@x.example.com', 'smb', date '2024-03-01', '{user}', '{user}',
                    jsonb_build_object('city', 'C' || g), 12.50
             FROM generate_series(1, 1000) g;
         UPDATE sales.customers SET company_name = 'Renamed ' || id, total_revenue = 10.00,
                                    contact_phone = '+4911122233'
             WHERE company_name LIKE 'Eq %';
         UPDATE sales.customers SET lifetime_value = 12.5 WHERE company_name LIKE 'Renamed %';
         UPDATE sales.customers SET updated_at = updated_at + interval '1 s' WHERE company_name LIKE 'Renamed %';
         UPDATE sales.customers SET status = status WHERE false;
         UPDATE sales.customers SET deleted_at = timestamptz '2024-04-01 00:00+00'
             WHERE id <= '00000000-0000-7000-8001-000000000500' AND company_name LIKE 'Renamed %';
         UPDATE sales.customers SET deleted_at = NULL WHERE id = '00000000-0000-7000-8001-000000000001';
         UPDATE sales.customers SET billing_address = NULL, custom_fields = '{{\"a\": [1, 2]}}'
             WHERE id = '00000000-0000-7000-8001-000000000002';
         DELETE FROM sales.customers WHERE id = '00000000-0000-7000-8001-000000000003';
         INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name)
             VALUES ('00000000-0000-7000-8002-000000000001', '{tenant}', 'eq@a.example.com', 'HASH-1', 'U', 'One');
         UPDATE auth.users SET password_hash = 'HASH-2', first_name = 'Uno'
             WHERE id = '00000000-0000-7000-8002-000000000001';
         UPDATE auth.users SET last_name = 'Eins' WHERE id = '00000000-0000-7000-8002-000000000001';
         INSERT INTO auth.user_sessions (id, user_id, token_hash, ip_address, user_agent, expires_at, last_activity)
             VALUES ('00000000-0000-7000-8003-000000000001', '00000000-0000-7000-8002-000000000001',
                     'TOKEN', '203.0.113.9', 'ua', timestamptz '2030-01-01 00:00+00',
                     timestamptz '2026-01-01 00:00+00');
         UPDATE auth.user_sessions SET last_activity = last_activity + interval '1 min'
             WHERE id = '00000000-0000-7000-8003-000000000001';
         UPDATE auth.user_sessions SET status = 'revoked', token_hash = 'TOKEN-2'
             WHERE id = '00000000-0000-7000-8003-000000000001';
         DELETE FROM auth.user_sessions WHERE id = '00000000-0000-7000-8003-000000000001';
         UPDATE hr.employees SET salary = 'SALARY'::bytea, job_title = 'Director' WHERE id = '{employee}';
         UPDATE auth.tenants SET settings = '{{\"x\": 1}}' WHERE id = '{tenant}';
         SELECT set_config('role', 'aems_platform', true),
                set_config('app.cross_tenant_reason', 'support ticket 7', true),
                set_config('app.current_tenant_id', '', true);
         UPDATE auth.tenants SET status = 'suspended' WHERE id = '{tenant}';
         RESET ROLE;",
        session = Uuid::nil(),
    )
}

/// The audit rows the workload wrote, without what differs between two runs
/// of it (ids, time, and the `updated_at` and `created_at` stamps) and without
/// the stored generated `search_document`, which the generic triggers recorded
/// and the generated ones leave out on purpose (derived from `company_name`).
async fn trail_of_workload(client: &Client, t: &TwoTenants) -> Vec<String> {
    client
        .query(
            "SELECT concat_ws(' | ', action, entity_type, entity_id, tenant_id, user_id,
                              (old_values - 'updated_at' - 'created_at' - 'search_document')::text,
                              (new_values - 'updated_at' - 'created_at' - 'search_document')::text,
                              ip_address, user_agent, session_id, severity)
             FROM risk.audit_logs
             WHERE \"timestamp\" = now() AND (tenant_id = $1 OR tenant_id IS NULL)
             ORDER BY 1",
            &[&t.a.tenant],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn the_generated_triggers_record_exactly_what_the_generic_ones_did() {
    let t = TwoTenants::new().await;
    let client = admin(&t.db).await;

    // The generic functions, put back inside a transaction that is rolled back.
    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute(GENERIC_TRIGGERS).await.unwrap();
    client.batch_execute(&workload(&t)).await.unwrap();
    let generic = trail_of_workload(&client, &t).await;
    client.batch_execute("ROLLBACK").await.unwrap();

    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute(&workload(&t)).await.unwrap();
    let generated = trail_of_workload(&client, &t).await;
    client.batch_execute("ROLLBACK").await.unwrap();

    // 1,000 inserts, 1,000 updates, 500 soft deletes, then 1 restore, 1 update, 1 delete,
    // and the rest: the workload really exercised the bulk paths.
    assert!(generic.len() > 2_500, "{}", generic.len());
    for line in &generated {
        for secret in ["HASH-", "TOKEN", "53414c415259"] {
            assert!(!line.contains(secret), "{secret} reached the trail: {line}");
        }
    }
    let differing: Vec<_> = generic
        .iter()
        .zip(&generated)
        .filter(|(a, b)| a != b)
        .take(3)
        .collect();
    assert!(differing.is_empty(), "first differences: {differing:#?}");
    assert_eq!(generic.len(), generated.len());
}

#[tokio::test]
async fn one_statement_of_1000_rows_leaves_1000_correct_entries_of_each_action() {
    let t = TwoTenants::new().await;
    let client = crate::support::app(&t.db).await;
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
    client
        .execute(
            "INSERT INTO sales.customers (tenant_id, company_name, contact_email, customer_segment,
                                          acquisition_date, created_by, updated_by, total_revenue)
             SELECT $1, 'Bulk ' || g, 'bulk@x.example.com', 'smb', current_date, $2, $2, g
             FROM generate_series(1, 1000) g",
            &[&t.a.tenant, &t.a.user],
        )
        .await
        .unwrap();
    let statements = [
        "UPDATE sales.customers SET total_revenue = total_revenue * 2 WHERE company_name LIKE 'Bulk %'",
        "UPDATE sales.customers SET deleted_at = now() WHERE company_name LIKE 'Bulk %'",
        "UPDATE sales.customers SET deleted_at = NULL WHERE company_name LIKE 'Bulk %'",
    ];
    for sql in statements {
        assert_eq!(client.execute(sql, &[]).await.unwrap(), 1000, "{sql}");
    }
    client.batch_execute("COMMIT").await.unwrap();

    let admin = admin(&t.db).await;
    let rows = admin
        .query(
            "SELECT a.action, count(*), count(DISTINCT a.entity_id),
                    count(*) FILTER (WHERE a.user_id = $2 AND a.tenant_id = $1),
                    count(*) FILTER (WHERE CASE a.action
                        WHEN 'insert' THEN (a.new_values->>'total_revenue')::numeric = c.total_revenue / 2
                                           AND a.new_values->>'company_name' = c.company_name
                        WHEN 'update' THEN (a.old_values->>'total_revenue')::numeric * 2 = c.total_revenue
                                           AND (a.new_values->>'total_revenue')::numeric = c.total_revenue
                                           AND a.old_values - 'total_revenue' = '{}'
                                           AND a.new_values - 'total_revenue' = '{}'
                        WHEN 'soft_delete' THEN a.old_values = '{\"deleted_at\": null}'
                                           AND a.new_values ? 'deleted_at' AND a.severity = 'warning'
                        WHEN 'restore' THEN a.new_values = '{\"deleted_at\": null}'
                                           AND a.old_values ? 'deleted_at' AND a.severity = 'info'
                    END)
             FROM risk.audit_logs a JOIN sales.customers c ON c.id = a.entity_id
             WHERE a.entity_type = 'customers' AND c.company_name LIKE 'Bulk %'
             GROUP BY a.action ORDER BY a.action",
            &[&t.a.tenant, &t.a.user],
        )
        .await
        .unwrap();
    let summary: Vec<(String, i64, i64, i64, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let expected: Vec<(String, i64, i64, i64, i64)> =
        ["insert", "restore", "soft_delete", "update"]
            .iter()
            .map(|a| (a.to_string(), 1000, 1000, 1000, 1000))
            .collect();
    assert_eq!(summary, expected);
}

#[tokio::test]
async fn a_statement_that_changes_an_id_still_leaves_an_audit_row_for_both_ids() {
    let t = TwoTenants::new().await;
    let new_id = Uuid::now_v7();
    let client = crate::support::app(&t.db).await;
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
    // The seeded expense is referenced by nothing that would block a new id.
    let old_id: Uuid = client
        .query_one("SELECT id FROM finance.expense_transactions", &[])
        .await
        .unwrap()
        .get(0);
    client
        .execute(
            "UPDATE finance.expense_transactions SET id = $1 WHERE id = $2",
            &[&new_id, &old_id],
        )
        .await
        .unwrap();
    client.batch_execute("COMMIT").await.unwrap();
    let rows = admin(&t.db)
        .await
        .query(
            "SELECT entity_id, old_values->>'id', new_values->>'id' FROM risk.audit_logs
             WHERE entity_type = 'expense_transactions' AND action = 'update'",
            &[],
        )
        .await
        .unwrap();
    let mut seen: Vec<(Uuid, Option<String>, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    seen.sort();
    let mut expected = vec![
        (old_id, Some(old_id.to_string()), None),
        (new_id, None, Some(new_id.to_string())),
    ];
    expected.sort();
    assert_eq!(seen, expected);
}

/// The columns each audited table's three trigger functions were generated
/// for, against the table's columns now: (table, operation, generated, now).
async fn generated_for(client: &Client) -> Vec<(String, String, String, String)> {
    client
        .query(
            "SELECT t.tgrelid::regclass::text, t.tgname,
                    coalesce(substring(obj_description(t.tgfoid, 'pg_proc') FROM 'for columns: (.*)$'), ''),
                    (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = t.tgrelid AND a.attnum > 0 AND NOT a.attisdropped
                       AND a.attgenerated = '')
             FROM pg_trigger t
             WHERE t.tgname LIKE 'trg\\_%\\_audit\\_%' AND NOT t.tgisinternal
             ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[tokio::test]
async fn every_audited_table_has_its_triggers_generated_for_its_current_columns() {
    let t = TwoTenants::new().await;
    let client = admin(&t.db).await;
    let triggers = generated_for(&client).await;
    let tables: std::collections::BTreeSet<&str> =
        triggers.iter().map(|(table, ..)| table.as_str()).collect();
    let expected: std::collections::BTreeSet<&str> = TENANT_TABLES
        .iter()
        .copied()
        .filter(|t| *t != "risk.audit_logs")
        .collect();
    assert_eq!(tables, expected);
    assert_eq!(triggers.len(), 3 * expected.len());
    for (table, trigger, generated, now) in &triggers {
        assert_eq!(generated, now, "{table} {trigger} is out of date");
    }

    // A migration that adds a column and forgets to regenerate is caught ...
    client
        .batch_execute("ALTER TABLE sales.customers ADD COLUMN loyalty_tier text")
        .await
        .unwrap();
    let stale: Vec<_> = generated_for(&client)
        .await
        .into_iter()
        .filter(|(_, _, generated, now)| generated != now)
        .map(|(table, ..)| table)
        .collect();
    assert_eq!(stale, vec!["sales.customers"; 3]);
    // ... and one call records the new column from then on.
    client
        .batch_execute("SELECT risk.audit_install('sales.customers'::regclass)")
        .await
        .unwrap();
    assert!(
        generated_for(&client)
            .await
            .iter()
            .all(|(_, _, generated, now)| generated == now)
    );
    crate::support::admin_write(
        &t.db,
        "UPDATE sales.customers SET loyalty_tier = 'gold' WHERE id = $1",
        &[&t.a.customer],
    )
    .await
    .unwrap();
    let recorded: Option<serde_json::Value> = client
        .query_one(
            "SELECT new_values FROM risk.audit_logs WHERE entity_id = $1 AND action = 'update'",
            &[&t.a.customer],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        recorded,
        Some(serde_json::json!({"loyalty_tier": "gold",
                                "_cross_tenant_reason": "test: writing around the library"}))
    );
}

#[tokio::test]
async fn the_generated_trigger_functions_are_not_executable_by_the_application_roles() {
    let t = TwoTenants::new().await;
    let rows = admin(&t.db)
        .await
        .query(
            "SELECT p.proname, r.rolname FROM pg_proc p CROSS JOIN pg_roles r
             WHERE p.pronamespace = 'risk'::regnamespace
               AND (p.proname LIKE 'audit\\_%' OR p.proname = 'audit_install')
               -- Called by the triggers as the caller / by risk.record_event (003620).
               AND p.proname NOT IN ('audit_refuse_anonymous', 'audit_context')
               AND r.rolname IN ('application_user', 'aems_platform', 'aems_app')
               AND has_function_privilege(r.oid, p.oid, 'EXECUTE')",
            &[],
        )
        .await
        .unwrap();
    let granted: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert!(granted.is_empty(), "{granted:?}");
}
