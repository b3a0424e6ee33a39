//! Query plans that matter: a tenant's page is read from its tenant-leading
//! index, not by walking the primary key past other tenants' rows.

use crate::support::{TwoTenants, admin, app};

/// The plan of `sql` as the application role working for `tenant`.
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
async fn a_page_of_a_tenant_whose_rows_are_newest_reads_only_its_rows() {
    let t = TwoTenants::new().await;
    // B's 20,000 customers first, then A's 2,000: A's ids are all newer.
    admin(&t.db)
        .await
        .batch_execute(&format!(
            "BEGIN; SELECT set_config('app.cross_tenant_reason', 'plan test', true);
             INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment,
                                          acquisition_date, created_by, updated_by)
                 SELECT public.uuid_generate_v7(), '{b}', 'B' || g, 'b@x.example.com', 'smb', current_date, '{ub}', '{ub}'
                 FROM generate_series(1, 20000) g;
             INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment,
                                          acquisition_date, created_by, updated_by)
                 SELECT public.uuid_generate_v7(), '{a}', 'A' || g, 'a@x.example.com', 'smb', current_date, '{ua}', '{ua}'
                 FROM generate_series(1, 2000) g;
             COMMIT; ANALYZE sales.customers;",
            a = t.a.tenant,
            ua = t.a.user,
            b = t.b.tenant,
            ub = t.b.user
        ))
        .await
        .unwrap();
    // The shape of CustomerRepository::list: RLS leaves one tenant, ordered by (tenant_id, id).
    for sql in [
        "SELECT id FROM sales.customers WHERE deleted_at IS NULL ORDER BY tenant_id, id LIMIT 51",
        "SELECT id FROM sales.customers WHERE customer_segment = 'smb' AND deleted_at IS NULL ORDER BY tenant_id, id LIMIT 51",
        "SELECT id FROM sales.customers WHERE deleted_at IS NULL ORDER BY tenant_id DESC, id DESC LIMIT 51",
    ] {
        let plan = plan(&t, t.a.tenant, sql).await;
        assert!(plan.contains("uq_customers_tenant_id_id"), "{sql}\n{plan}");
        assert!(
            !plan.contains("Rows Removed by Filter: 2"),
            "{sql} walked past other rows:\n{plan}"
        );
    }
}
