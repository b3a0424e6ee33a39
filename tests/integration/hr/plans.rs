//! The plan of an employees page: a tenant's page is read from its
//! tenant-leading index, not by walking the primary key past other tenants'
//! rows (see migration `tenant_policies_indexable_order`).

use crate::support::{TwoTenants, admin, app};

/// The plan of `sql` (`EXPLAIN ANALYZE`) as the application role working for
/// `tenant`.
async fn plan(t: &TwoTenants, tenant: uuid::Uuid, sql: &str) -> String {
    let client = app(&t.db).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', $1, true)",
            &[&tenant.to_string()],
        )
        .await
        .unwrap();
    let rows = client
        .query(&format!("EXPLAIN ANALYZE {sql}"), &[])
        .await
        .unwrap();
    client.batch_execute("ROLLBACK").await.unwrap();
    rows.iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_page_of_employees_of_a_tenant_whose_rows_are_newest_reads_only_its_rows() {
    let t = TwoTenants::new().await;
    // B's 20,000 employees first, then A's 2,000: A's ids are all newer.
    admin(&t.db)
        .await
        .batch_execute(&format!(
            "BEGIN; SELECT set_config('app.cross_tenant_reason', 'plan test', true);
             INSERT INTO hr.employees (id, tenant_id, employee_id, first_name, last_name, email,
                                       department, job_title, hire_date, employment_type,
                                       created_by, updated_by)
                 SELECT public.uuid_generate_v7(), '{b}', 'B-' || g, 'B', 'Employee', 'b@x.example.com',
                        'Dept ' || (g % 5), 'Engineer', current_date, 'full_time', '{ub}', '{ub}'
                 FROM generate_series(1, 20000) g;
             INSERT INTO hr.employees (id, tenant_id, employee_id, first_name, last_name, email,
                                       department, job_title, hire_date, employment_type,
                                       created_by, updated_by)
                 SELECT public.uuid_generate_v7(), '{a}', 'A-' || g, 'A', 'Employee', 'a@x.example.com',
                        'Dept ' || (g % 5), 'Engineer', current_date, 'full_time', '{ua}', '{ua}'
                 FROM generate_series(1, 2000) g;
             COMMIT; ANALYZE hr.employees;",
            a = t.a.tenant,
            ua = t.a.user,
            b = t.b.tenant,
            ub = t.b.user
        ))
        .await
        .unwrap();
    // The shape of Employees::list: RLS leaves one tenant, ordered by
    // (tenant_id, id), oldest or newest first: read from the tenant-leading
    // index, never by walking the primary key past B's 20,000 rows.
    let pages = [
        "SELECT id FROM hr.employees WHERE deleted_at IS NULL ORDER BY tenant_id, id LIMIT 51",
        "SELECT id FROM hr.employees WHERE deleted_at IS NULL ORDER BY tenant_id DESC, id DESC LIMIT 51",
    ];
    for sql in pages {
        let plan = plan(&t, t.a.tenant, sql).await;
        assert!(plan.contains("uq_employees_tenant_id_id"), "{sql}\n{plan}");
        assert!(!plan.contains("employees_pkey"), "{sql}\n{plan}");
        assert!(
            removed_by_filter(&plan) < 2000,
            "{sql} walked past other rows:\n{plan}"
        );
    }
    // With a filter the planner may take the filter's own tenant index; either
    // way it reads only A's rows.
    let sql = "SELECT id FROM hr.employees WHERE department = 'Dept 3' AND deleted_at IS NULL \
               ORDER BY tenant_id, id LIMIT 51";
    let plan = plan(&t, t.a.tenant, sql).await;
    assert!(!plan.contains("employees_pkey"), "{sql}\n{plan}");
    assert!(
        removed_by_filter(&plan) < 2000,
        "{sql} walked past other rows:\n{plan}"
    );
}

/// The most rows any node of `plan` read and discarded.
fn removed_by_filter(plan: &str) -> u64 {
    plan.lines()
        .filter_map(|line| line.split("Rows Removed by Filter: ").nth(1))
        .map(|n| n.trim().parse::<u64>().unwrap())
        .max()
        .unwrap_or(0)
}
