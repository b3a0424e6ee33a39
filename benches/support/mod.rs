//! The benchmark's data, its baseline tables and clients, and the shared
//! pieces of each measured operation.

#![allow(dead_code)]

pub mod bouncer;
pub mod bulk;
pub mod checks;
pub mod depth;
pub mod reads;
pub mod replicas;
pub mod report;
pub mod search;
pub mod stock;
pub mod throughput;
pub mod writes;

use std::time::Instant;

use aems::core::sales::customers::{CustomerSegment, NewCustomer};
use aems::core::{TenantId, UserId};
use aems::db::DatabaseConfig;
use aems::db::prelude::*;
use aems::db::testing::TestDatabase;
use tokio_postgres::{Client, NoTls, Row};
use uuid::Uuid;

/// Everything a benchmark needs, set up once.
pub struct Env {
    /// Small data and short measurements (CI).
    pub quick: bool,
    /// The database (a throwaway server, or `AEMS_TEST_DATABASE_URL`).
    pub test_db: TestDatabase,
    /// The library's pool, as the application's login role.
    pub db: Database,
    /// The tenant the benchmarks work in.
    pub ctx: Context,
    pub tenant: Uuid,
    pub user: Uuid,
    /// Ids of the tenant's customers (in both `sales` and `bench`).
    pub ids: Vec<Uuid>,
    /// The tenant holding the deep table for the keyset benchmark.
    pub deep_ctx: Context,
    /// Ids of the deep tenant's customers, in id order.
    pub deep_ids: Vec<Uuid>,
    /// Rows loaded through `create_many` for the deep tenant, and how fast.
    pub load_rows: usize,
    pub load_rows_per_second: f64,
}

/// Customers per ordinary tenant, and ordinary tenants.
pub fn sizes(quick: bool) -> (usize, usize, usize) {
    if quick {
        // (per tenant, tenants, deep tenant's rows)
        (2_000, 4, 20_000)
    } else {
        (20_000, 10, 1_000_000)
    }
}

/// One of the ratios the report prints.
pub struct Ratio {
    pub label: &'static str,
    pub library: &'static str,
    pub baseline: &'static str,
    pub target: f64,
}

impl Ratio {
    pub fn new(
        label: &'static str,
        library: &'static str,
        baseline: &'static str,
        target: f64,
    ) -> Self {
        Self {
            label,
            library,
            baseline,
            target,
        }
    }
}

/// A check that does not depend on timing.
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// A raw tokio-postgres client.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("connect");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// The columns both sides read, in the table's order.
pub const COLUMNS: &str = "id, tenant_id, company_name, contact_email, contact_phone, industry, company_size, \
    territory, customer_segment, acquisition_date, lifetime_value, total_revenue, last_purchase_date, status, \
    billing_address, custom_fields, created_at, updated_at, created_by, updated_by, deleted_at";

/// What a careful hand-written baseline does with a row: read every column
/// into owned values, as it would into its own struct.
pub struct RawCustomer {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub company_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub territory: Option<String>,
    pub customer_segment: String,
    pub acquisition_date: chrono::NaiveDate,
    pub lifetime_value: String,
    pub total_revenue: String,
    pub last_purchase_date: Option<chrono::NaiveDate>,
    pub status: String,
    pub billing_address: Option<serde_json::Value>,
    pub custom_fields: Option<serde_json::Value>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub created_by: Uuid,
    pub updated_by: Uuid,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl RawCustomer {
    pub fn from_row(row: &Row) -> Self {
        Self {
            id: row.get(0),
            tenant_id: row.get(1),
            company_name: row.get(2),
            contact_email: row.get(3),
            contact_phone: row.get(4),
            industry: row.get(5),
            company_size: row.get(6),
            territory: row.get(7),
            customer_segment: row.get(8),
            acquisition_date: row.get(9),
            // NUMERIC as text: tokio-postgres has no decimal type built in.
            lifetime_value: row.get(10),
            total_revenue: row.get(11),
            last_purchase_date: row.get(12),
            status: row.get(13),
            billing_address: row.get(14),
            custom_fields: row.get(15),
            created_at: row.get(16),
            updated_at: row.get(17),
            created_by: row.get(18),
            updated_by: row.get(19),
            deleted_at: row.get(20),
        }
    }
}

/// The baseline's select list: NUMERIC read as text.
pub fn raw_select_list() -> String {
    COLUMNS
        .replace("lifetime_value", "lifetime_value::text")
        .replace("total_revenue", "total_revenue::text")
}

/// A customer input like the seeded ones.
pub fn new_customer(n: usize) -> NewCustomer {
    NewCustomer::new(
        format!("Bench Company {n}").parse().unwrap(),
        format!("c{n}@bench.example.com").parse().unwrap(),
        [
            CustomerSegment::Enterprise,
            CustomerSegment::MidMarket,
            CustomerSegment::Smb,
            CustomerSegment::Startup,
        ][n % 4],
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
            + chrono::Duration::days((n % 700) as i64),
    )
}

impl Env {
    /// A migrated database with seeded tenants, the baseline copy, the deep
    /// tenant loaded through the library, and the pool.
    /// Without `deep`, the deep tenant is not loaded (the search group alone).
    pub async fn setup(quick: bool, deep: bool) -> Self {
        let test_db = TestDatabase::new()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (per_tenant, tenants, deep_rows) = sizes(quick);
        let deep_rows = if deep { deep_rows } else { 0 };
        let admin = connect(&test_db.admin_url()).await;
        eprintln!(
            "aems bench: {} backend; seeding {tenants} tenants × {per_tenant} customers",
            test_db.backend()
        );
        admin
            .batch_execute(&format!(
                "CREATE SCHEMA bench;
                 BEGIN;
                 SELECT set_config('app.cross_tenant_reason', 'benchmark seed', true);
                 CREATE TABLE bench.seeded AS
                     SELECT public.uuid_generate_v7() AS tenant, public.uuid_generate_v7() AS admin, g
                     FROM generate_series(1, {tenants} + 1) g;
                 INSERT INTO auth.tenants (id, name, slug)
                     SELECT tenant, 'Bench ' || g, 'bench-' || g FROM bench.seeded;
                 INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name, role)
                     SELECT admin, tenant, 'admin' || g || '@bench.example.com', 'x', 'Bench', 'Admin', 'admin'
                     FROM bench.seeded;
                 INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment,
                                              acquisition_date, territory, created_by, updated_by)
                     SELECT public.uuid_generate_v7(), t.tenant, 'Company ' || t.g || '-' || c,
                            'c' || c || '@t' || t.g || '.example.com',
                            (ARRAY['enterprise','mid_market','smb','startup'])[1 + c % 4],
                            date '2024-01-01' + (c % 700), 'T' || (c % 20), t.admin, t.admin
                     FROM bench.seeded t, generate_series(1, {per_tenant}) c
                     WHERE t.g <= {tenants};
                 COMMIT;
                 -- The baseline: the same table, indexes, constraints, foreign keys,
                 -- updated_at trigger and data; no RLS, no audit triggers.
                 CREATE TABLE bench.customers (LIKE sales.customers INCLUDING ALL);
                 INSERT INTO bench.customers ({cols}) SELECT {cols} FROM sales.customers;
                 ALTER TABLE bench.customers
                     ADD FOREIGN KEY (tenant_id) REFERENCES auth.tenants (id) ON DELETE CASCADE,
                     ADD FOREIGN KEY (tenant_id, created_by) REFERENCES auth.users (tenant_id, id),
                     ADD FOREIGN KEY (tenant_id, updated_by) REFERENCES auth.users (tenant_id, id);
                 CREATE TRIGGER trg_bench_customers_updated_at BEFORE UPDATE ON bench.customers
                     FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
                 GRANT USAGE ON SCHEMA bench TO {role};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON bench.customers TO {role};
                 -- The baseline with the audit trail: the first tenant's rows again,
                 -- with the library's audit triggers and nothing else of it (no RLS).
                 -- Written by hand in autocommit, it shows how much of an audited
                 -- write is the audit trail and how much the library.
                 CREATE TABLE bench.customers_audited (LIKE sales.customers INCLUDING ALL);
                 INSERT INTO bench.customers_audited ({cols})
                     SELECT {cols} FROM sales.customers
                     WHERE tenant_id = (SELECT tenant FROM bench.seeded WHERE g = 1);
                 ALTER TABLE bench.customers_audited
                     ADD FOREIGN KEY (tenant_id) REFERENCES auth.tenants (id) ON DELETE CASCADE,
                     ADD FOREIGN KEY (tenant_id, created_by) REFERENCES auth.users (tenant_id, id),
                     ADD FOREIGN KEY (tenant_id, updated_by) REFERENCES auth.users (tenant_id, id);
                 CREATE TRIGGER trg_bench_customers_audited_updated_at BEFORE UPDATE ON bench.customers_audited
                     FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
                 -- The audit triggers are generated per table (migration 003700).
                 SELECT risk.audit_install('bench.customers_audited'::regclass, '{{}}', '{{}}');
                 GRANT USAGE ON SCHEMA bench TO application_user;
                 GRANT SELECT, INSERT, UPDATE ON bench.customers_audited TO application_user;
                 ANALYZE bench.customers_audited;
                 ANALYZE sales.customers;
                 ANALYZE bench.customers;",
                role = test_db.app_role(),
                // Named, not `*`: the generated search document is computed anew.
                cols = COLUMNS,
            ))
            .await
            .expect("seeding");
        let seeded = admin
            .query("SELECT tenant, admin FROM bench.seeded ORDER BY g", &[])
            .await
            .unwrap();
        let (tenant, user): (Uuid, Uuid) = (seeded[0].get(0), seeded[0].get(1));
        let (deep_tenant, deep_admin): (Uuid, Uuid) =
            (seeded[tenants].get(0), seeded[tenants].get(1));
        let ids = admin
            .query(
                "SELECT id FROM sales.customers WHERE tenant_id = $1 ORDER BY id",
                &[&tenant],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();

        let db = pool(&test_db);
        let deep_ctx = context(deep_tenant, deep_admin);
        eprintln!("aems bench: loading {deep_rows} customers through create_many");
        let ((), seconds) = timed(async {
            let batch = 10_000;
            for start in (0..deep_rows).step_by(batch) {
                let inputs: Vec<NewCustomer> = (start..(start + batch).min(deep_rows))
                    .map(new_customer)
                    .collect();
                let mut uow = db.unit_of_work(&deep_ctx).await.expect("unit of work");
                uow.customers()
                    .create_many(inputs)
                    .await
                    .expect("create_many");
                uow.commit().await.expect("commit");
            }
        })
        .await;
        admin
            .batch_execute("ANALYZE sales.customers")
            .await
            .unwrap();
        let deep_ids = admin
            .query(
                "SELECT id FROM sales.customers WHERE tenant_id = $1 ORDER BY id",
                &[&deep_tenant],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        Self {
            quick,
            test_db,
            db,
            ctx: context(tenant, user),
            tenant,
            user,
            ids,
            deep_ctx,
            deep_ids,
            load_rows: deep_rows,
            load_rows_per_second: deep_rows as f64 / seconds,
        }
    }

    /// A raw client as the application's login role (for the baseline).
    pub async fn raw_client(&self) -> Client {
        connect(&self.test_db.app_url()).await
    }

    /// A raw client for `bench.customers_audited`: the application role and
    /// the tenant's context set for the whole session, so that every
    /// autocommit statement is audited as the library's writes are.
    pub async fn raw_audited_client(&self) -> Client {
        let client = self.raw_client().await;
        client
            .execute(
                "SELECT set_config('role', 'application_user', false), \
                 set_config('app.current_tenant_id', $1, false), \
                 set_config('app.current_user_id', $2, false)",
                &[&self.tenant.to_string(), &self.user.to_string()],
            )
            .await
            .expect("session context");
        client
    }

    /// A raw client as the administrator.
    pub async fn admin_client(&self) -> Client {
        connect(&self.test_db.admin_url()).await
    }

    /// The `i`-th of the tenant's customer ids, cycling.
    pub fn id(&self, i: usize) -> Uuid {
        self.ids[i % self.ids.len()]
    }
}

/// How long `f` takes, in seconds.
pub async fn timed<F: std::future::Future<Output = T>, T>(f: F) -> (T, f64) {
    let started = Instant::now();
    let out = f.await;
    (out, started.elapsed().as_secs_f64())
}

/// The context of a seeded tenant.
pub fn context(tenant: Uuid, admin: Uuid) -> Context {
    Context::new(TenantId::from_uuid(tenant), UserId::from_uuid(admin))
}

/// A pool as the application's login role.
pub fn pool(test_db: &TestDatabase) -> Database {
    Database::new(DatabaseConfig::new(test_db.app_url()).max_connections(8)).expect("pool")
}
