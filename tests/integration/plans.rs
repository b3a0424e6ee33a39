//! Query plans that matter: a tenant's page is read from its tenant-leading
//! index, not by walking the primary key past other tenants' rows.

use aems_diesel::prelude::*;

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

/// What one statement read, from the transaction's own statistics
/// (`pg_stat_get_xact_*`: exact, and visible before commit).
#[derive(Debug)]
struct Reads {
    /// Scans of the table's GIN full-text index.
    gin_scans: i64,
    /// Sequential scans of the table.
    seq_scans: i64,
    /// Heap rows fetched through any of its indexes (plain or bitmap).
    rows_fetched: i64,
    /// Entries read from the tenant-leading `(tenant_id, id)` index.
    tenant_index_entries: i64,
}

/// Runs `sql` (which returns one `uuid[]`) as the application role for
/// `tenant`, and says what it read of `table`.
async fn reads(
    t: &TwoTenants,
    tenant: uuid::Uuid,
    table: &str,
    gin: &str,
    tenant_index: &str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> (Vec<uuid::Uuid>, Reads) {
    let client = app(&t.db).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT set_config('role', 'application_user', true), set_config('app.current_tenant_id', $1, true)",
            &[&tenant.to_string()],
        )
        .await
        .unwrap();
    let ids: Vec<uuid::Uuid> = client.query_one(sql, params).await.unwrap().get(0);
    let row = client
        .query_one(
            "SELECT pg_stat_get_xact_numscans($1::text::regclass),
                    pg_stat_get_xact_numscans($2::text::regclass),
                    pg_stat_get_xact_tuples_fetched($2::text::regclass)
                      + (SELECT sum(pg_stat_get_xact_tuples_fetched(indexrelid))::bigint
                         FROM pg_index WHERE indrelid = $2::text::regclass),
                    pg_stat_get_xact_tuples_returned($3::text::regclass)",
            &[&gin, &table, &tenant_index],
        )
        .await
        .unwrap();
    client.batch_execute("ROLLBACK").await.unwrap();
    let reads = Reads {
        gin_scans: row.get(0),
        seq_scans: row.get(1),
        rows_fetched: row.get(2),
        tenant_index_entries: row.get(3),
    };
    (ids, reads)
}

#[tokio::test]
async fn a_search_reads_the_gin_index_for_a_rare_word_and_one_page_of_rows_for_a_common_one() {
    let t = TwoTenants::new().await;
    // 40,000 of each in A (a first word in 1 row of 8: 5,000 matches), some
    // in B with the same words.
    crate::search::seed_search_rows(&t, 40_000, 4_000).await;
    for (table, gin, tenant_index, function, rare, common) in [
        (
            "sales.customers",
            "sales.idx_customers_company_search",
            "sales.uq_customers_tenant_id_id",
            "sales.search_customer_ids",
            "33333",
            "northwind",
        ),
        (
            "products.products",
            "products.idx_products_name_search",
            "products.uq_products_tenant_id_id",
            "products.search_product_ids",
            "33333",
            "harbor",
        ),
    ] {
        let all: Vec<uuid::Uuid> = admin(&t.db)
            .await
            .query(
                &format!(
                    "SELECT id FROM {table} WHERE tenant_id = $1 AND deleted_at IS NULL
                       AND search_document @@ plainto_tsquery('english', $2) ORDER BY id"
                ),
                &[&t.a.tenant, &common],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(all.len() > 4_000, "{table}: {} matches", all.len());
        let sql = format!("SELECT {function}($1, $2, $3, 51, NULL, NULL, NULL)");
        let page = async |search: &str, after: Option<uuid::Uuid>, newest_first: bool| {
            reads(
                &t,
                t.a.tenant,
                table,
                gin,
                tenant_index,
                &sql,
                &[&search, &after, &newest_first],
            )
            .await
        };

        // A rare word: the bounded walk (64 rows a page's id: 3,264) finds
        // less than a page, then the GIN index the rest; never the tenant's
        // 40,000 rows, however the planner estimates the word (a lexeme it
        // has no statistics for it guesses at 0.5% of the rows, and would
        // walk the whole tenant to find one page of them).
        let (ids, r) = page(rare, None, false).await;
        assert_eq!(ids.len(), 1, "{table} {rare}: {ids:?}");
        assert!(
            r.gin_scans >= 1 && r.seq_scans == 0,
            "{table} {rare}: {r:?}"
        );
        assert!(
            r.tenant_index_entries <= 51 * 64 + 1 && r.rows_fetched < 51 * 64 + 50,
            "{table} {rare}: {r:?}"
        );

        // A common word: its first page, and its page 90% deep in both
        // orders, each read as about one page of matches (1 row in 8 of the
        // tenant's walk matches: ~410 rows), never all 5,000 matches.
        let deep = all[all.len() * 9 / 10];
        let deep_desc = all[all.len() / 10];
        for (what, after, newest_first, want) in [
            ("first page", None, false, &all[..51]),
            (
                "first page, newest first",
                None,
                true,
                &all[all.len() - 51..],
            ),
            (
                "90% deep",
                Some(deep),
                false,
                &all[all.len() * 9 / 10 + 1..all.len() * 9 / 10 + 52],
            ),
            (
                "90% deep, newest first",
                Some(deep_desc),
                true,
                &all[all.len() / 10 - 51..all.len() / 10],
            ),
        ] {
            let (mut ids, r) = page(common, after, newest_first).await;
            if newest_first {
                ids.reverse();
            }
            assert_eq!(ids, want, "{table} {common} {what}");
            assert!(
                r.gin_scans == 0 && r.seq_scans == 0,
                "{table} {common} {what} collected the matches: {r:?}"
            );
            assert!(
                r.rows_fetched < 1_500 && r.tenant_index_entries < 1_500,
                "{table} {common} {what} read more than a page's worth: {r:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_search_page_reads_its_rows_by_id_through_the_policy() {
    use aems_diesel::products::ProductFilter;
    use aems_diesel::sales::CustomerFilter;
    let t = TwoTenants::new().await;
    crate::search::seed_search_rows(&t, 20_000, 2_000).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let customers = db
        .customers()
        .explain_list(
            &CustomerFilter::all().search("northwind"),
            aems_diesel::PageRequest::first(50),
        )
        .await
        .unwrap()
        .join("\n");
    let products = db
        .products()
        .explain_list(
            &ProductFilter::all().search("harbor"),
            aems_diesel::PageRequest::first(50),
        )
        .await
        .unwrap()
        .join("\n");
    for plan in [customers, products] {
        // The function's ids once (an InitPlan), the rows by those ids from
        // an index, never a scan of the tenant's rows.
        assert!(plan.contains("InitPlan"), "{plan}");
        assert!(
            plan.contains("Index Cond") && plan.contains("= ANY"),
            "{plan}"
        );
        assert!(!plan.contains("Seq Scan"), "{plan}");
    }
}
