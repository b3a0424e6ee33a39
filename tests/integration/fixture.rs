//! One row in every one of the 20 tables for a tenant, written as the
//! administrator (a superuser, so row-level security does not stand in the way).
//! Used by the schema and isolation tests to have something to hide.

use tokio_postgres::Client;
use uuid::Uuid;

/// The ids of the rows [`seed_tenant`] wrote.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub tenant: Uuid,
    pub user: Uuid,
    pub customer: Uuid,
    pub employee: Uuid,
    pub product: Uuid,
}

/// Every table that holds rows of one tenant, schema-qualified; the last three
/// of auth's have no tenant_id and are isolated through their user.
pub const TENANT_TABLES: [&str; 20] = aems_diesel::testing::generator::TABLES;

/// The tables without a tenant_id column.
pub const USER_SCOPED_TABLES: [&str; 3] = [
    "auth.user_sessions",
    "auth.user_mfa",
    "auth.oauth_connections",
];

/// Writes one row per table for a new tenant named `label`.
pub async fn seed_tenant(admin: &Client, label: &str) -> Seeded {
    let s = Seeded {
        tenant: Uuid::now_v7(),
        user: Uuid::now_v7(),
        customer: Uuid::now_v7(),
        employee: Uuid::now_v7(),
        product: Uuid::now_v7(),
    };
    let (t, u, c, e, p) = (s.tenant, s.user, s.customer, s.employee, s.product);
    let sql = format!(
        "BEGIN;
        SELECT set_config('app.current_tenant_id', '{t}', true),
               set_config('app.current_user_id', '{u}', true);
        INSERT INTO auth.tenants (id, name, slug) VALUES ('{t}', 'Tenant {label}', 'tenant-{label}');
        INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name, role)
            VALUES ('{u}', '{t}', 'admin@{label}.example.com',
                '$argon2id$v=19$m=19456,t=2,p=1$c2VlZHNhbHQ$bm90IGEgcmVhbCBoYXNo', 'Ada', '{label}', 'admin');
        INSERT INTO auth.user_sessions (user_id, token_hash, ip_address, expires_at)
            VALUES ('{u}', encode(sha256(convert_to('{label}-session', 'UTF8')), 'hex'), '127.0.0.1',
                now() + interval '1 hour');
        INSERT INTO auth.user_mfa (user_id, mfa_type) VALUES ('{u}', 'totp');
        INSERT INTO auth.oauth_connections (user_id, provider, provider_user_id)
            VALUES ('{u}', 'google', 'google-{label}');
        INSERT INTO sales.sales_metrics (tenant_id, metric_date, period_type, created_by, updated_by)
            VALUES ('{t}', current_date, 'monthly', '{u}', '{u}');
        INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment,
                acquisition_date, created_by, updated_by)
            VALUES ('{c}', '{t}', 'Customer of {label}', 'buyer@{label}.example.com', 'smb',
                current_date, '{u}', '{u}');
        INSERT INTO sales.sales_pipeline (tenant_id, customer_id, opportunity_name, stage, value,
                probability, expected_close_date, sales_rep, created_by, updated_by)
            VALUES ('{t}', '{c}', 'Deal {label}', 'lead', 1000, 10, current_date + 30, '{u}', '{u}', '{u}');
        INSERT INTO finance.finance_metrics (tenant_id, metric_date, period_type, created_by, updated_by)
            VALUES ('{t}', current_date, 'monthly', '{u}', '{u}');
        INSERT INTO finance.budget_plans (tenant_id, name, fiscal_year, department, category,
                planned_amount, period_start, period_end, created_by, updated_by)
            VALUES ('{t}', 'Budget {label}', 2026, 'Sales', 'Travel', 5000, '2026-01-01', '2026-12-31', '{u}', '{u}');
        INSERT INTO finance.expense_transactions (tenant_id, transaction_date, amount, category, vendor,
                description, created_by, updated_by)
            VALUES ('{t}', current_date, 42.50, 'Travel', 'Rail Co', 'Train ticket', '{u}', '{u}');
        INSERT INTO hr.hr_metrics (tenant_id, metric_date, period_type, created_by, updated_by)
            VALUES ('{t}', current_date, 'monthly', '{u}', '{u}');
        INSERT INTO hr.employees (id, tenant_id, employee_id, first_name, last_name, email, department,
                job_title, hire_date, employment_type, created_by, updated_by)
            VALUES ('{e}', '{t}', 'E-1', 'Grace', '{label}', 'grace@{label}.example.com', 'Sales',
                'Manager', '2024-01-15', 'full_time', '{u}', '{u}');
        INSERT INTO hr.recruitment_pipeline (tenant_id, job_title, department, candidate_name,
                candidate_email, stage, recruiter_id, hiring_manager_id, application_date, created_by, updated_by)
            VALUES ('{t}', 'Engineer', 'R&D', 'Alan {label}', 'alan@{label}.example.com', 'applied',
                '{u}', '{e}', current_date, '{u}', '{u}');
        INSERT INTO products.products (id, tenant_id, sku, name, category, unit_cost, selling_price,
                profit_margin, lifecycle_stage, created_by, updated_by)
            VALUES ('{p}', '{t}', 'SKU-1', 'Widget {label}', 'Tools', 6, 10, 40, 'growth', '{u}', '{u}');
        INSERT INTO products.inventory_levels (tenant_id, product_id, warehouse_location, current_stock,
                reserved_stock, available_stock, reorder_level, max_stock_level, created_by, updated_by)
            VALUES ('{t}', '{p}', 'WH-1', 10, 2, 8, 5, 100, '{u}', '{u}');
        INSERT INTO products.product_performance (tenant_id, product_id, metric_date, period_type,
                created_by, updated_by)
            VALUES ('{t}', '{p}', current_date, 'monthly', '{u}', '{u}');
        INSERT INTO risk.risk_assessments (tenant_id, risk_name, risk_category, description, likelihood,
                impact, risk_score, risk_level, owner_id, next_review_date, created_by, updated_by)
            VALUES ('{t}', 'Supplier risk', 'operational', 'One supplier', 3, 4, 12, 'high', '{e}',
                current_date + 90, '{u}', '{u}');
        INSERT INTO risk.compliance_records (tenant_id, regulation_name, compliance_area,
                requirement_description, compliance_status, responsible_party, created_by, updated_by)
            VALUES ('{t}', 'GDPR', 'Privacy', 'Records of processing', 'in_progress', '{e}', '{u}', '{u}');
        INSERT INTO risk.audit_logs (tenant_id, user_id, action, entity_type, entity_id)
            VALUES ('{t}', '{u}', 'seed', 'tenants', '{t}');
        COMMIT;"
    );
    admin
        .batch_execute(&sql)
        .await
        .unwrap_or_else(|err| panic!("seeding tenant {label} failed: {err}"));
    s
}
