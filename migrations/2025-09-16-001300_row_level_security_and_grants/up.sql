-- Row-level security and grants for every table holding tenant data (all 20), in one
-- place. Every table is ENABLEd and FORCEd (FORCE: the owner is bound too, so only a
-- superuser or a BYPASSRLS role sees across tenants).
--
-- The tenant is read from the transaction-local setting app.current_tenant_id, which
-- the library sets with set_config(..., true) together with set_config('role', ...):
--
--   tenant tables   tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)
--   auth.tenants    id = (same)
--   user_sessions, user_mfa, oauth_connections (no tenant_id): through their user,
--                   user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (same))
--
-- The sub-select makes PostgreSQL evaluate the setting once per query (an InitPlan),
-- not once per row, and lets the planner use the tenant-leading indexes; with the
-- setting missing or empty it yields NULL, so nothing is visible and nothing can be
-- written, instead of an error (the spec's bare current_setting(...)::uuid raises).
--
-- application_user: every business table SELECT, INSERT, UPDATE, DELETE through
--   tenant_isolation_policy; auth.tenants without DELETE; risk.audit_logs SELECT and
--   INSERT only (separate policies, never UPDATE or DELETE).
-- aems_platform: platform_access_policy (all rows) on exactly five tables, with only
--   the privileges its cross-tenant work needs; nothing else.

GRANT USAGE ON SCHEMA auth, sales, finance, hr, products, risk, analytics
    TO application_user, aems_platform;

GRANT EXECUTE ON FUNCTION
    public.update_updated_at_column(),
    public.calculate_risk_score(integer, integer),
    public.calculate_risk_level(integer),
    public.encrypt_sensitive_data(text),
    public.decrypt_sensitive_data(text)
    TO application_user;

-- Partition maintenance (SECURITY DEFINER, next month only) for platform administration.
GRANT EXECUTE ON FUNCTION risk.create_monthly_partition() TO aems_platform;

-- auth.tenants: a tenant sees and updates only its own row; it may insert its own row
-- when the context is set to the new id (that is how signup works). No DELETE.
ALTER TABLE auth.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON auth.tenants
    FOR ALL TO application_user
    USING (id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY platform_access_policy ON auth.tenants
    FOR ALL TO aems_platform
    USING (true)
    WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON TABLE auth.tenants TO application_user;
GRANT SELECT, INSERT, UPDATE ON TABLE auth.tenants TO aems_platform;

-- auth.users: login by email and failed-attempt bookkeeping go through the platform role.
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON auth.users
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE auth.users TO application_user;
CREATE POLICY platform_access_policy ON auth.users
    FOR ALL TO aems_platform
    USING (true)
    WITH CHECK (true);
GRANT SELECT, UPDATE ON TABLE auth.users TO aems_platform;

-- auth tables without tenant_id: isolated through their user (RLS on auth.users applies
-- inside the sub-select as well).
ALTER TABLE auth.user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.user_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON auth.user_sessions
    FOR ALL TO application_user
    USING (user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)))
    WITH CHECK (user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE auth.user_sessions TO application_user;
CREATE POLICY platform_access_policy ON auth.user_sessions
    FOR ALL TO aems_platform
    USING (true)
    WITH CHECK (true);
GRANT SELECT, UPDATE ON TABLE auth.user_sessions TO aems_platform;

ALTER TABLE auth.user_mfa ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.user_mfa FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON auth.user_mfa
    FOR ALL TO application_user
    USING (user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)))
    WITH CHECK (user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE auth.user_mfa TO application_user;

ALTER TABLE auth.oauth_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.oauth_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON auth.oauth_connections
    FOR ALL TO application_user
    USING (user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)))
    WITH CHECK (user_id IN (SELECT u.id FROM auth.users u WHERE u.tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE auth.oauth_connections TO application_user;
CREATE POLICY platform_access_policy ON auth.oauth_connections
    FOR ALL TO aems_platform
    USING (true)
    WITH CHECK (true);
GRANT SELECT ON TABLE auth.oauth_connections TO aems_platform;

-- sales
ALTER TABLE sales.sales_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales.sales_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON sales.sales_metrics
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE sales.sales_metrics TO application_user;

ALTER TABLE sales.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON sales.customers
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE sales.customers TO application_user;

ALTER TABLE sales.sales_pipeline ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales.sales_pipeline FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON sales.sales_pipeline
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE sales.sales_pipeline TO application_user;

-- finance
ALTER TABLE finance.finance_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE finance.finance_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON finance.finance_metrics
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE finance.finance_metrics TO application_user;

ALTER TABLE finance.budget_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE finance.budget_plans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON finance.budget_plans
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE finance.budget_plans TO application_user;

ALTER TABLE finance.expense_transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE finance.expense_transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON finance.expense_transactions
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE finance.expense_transactions TO application_user;

-- hr
ALTER TABLE hr.hr_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE hr.hr_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON hr.hr_metrics
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE hr.hr_metrics TO application_user;

ALTER TABLE hr.employees ENABLE ROW LEVEL SECURITY;
ALTER TABLE hr.employees FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON hr.employees
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE hr.employees TO application_user;

ALTER TABLE hr.recruitment_pipeline ENABLE ROW LEVEL SECURITY;
ALTER TABLE hr.recruitment_pipeline FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON hr.recruitment_pipeline
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE hr.recruitment_pipeline TO application_user;

-- products
ALTER TABLE products.products ENABLE ROW LEVEL SECURITY;
ALTER TABLE products.products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON products.products
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE products.products TO application_user;

ALTER TABLE products.inventory_levels ENABLE ROW LEVEL SECURITY;
ALTER TABLE products.inventory_levels FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON products.inventory_levels
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE products.inventory_levels TO application_user;

ALTER TABLE products.product_performance ENABLE ROW LEVEL SECURITY;
ALTER TABLE products.product_performance FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON products.product_performance
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE products.product_performance TO application_user;

-- risk
ALTER TABLE risk.risk_assessments ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk.risk_assessments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON risk.risk_assessments
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE risk.risk_assessments TO application_user;

ALTER TABLE risk.compliance_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk.compliance_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_policy ON risk.compliance_records
    FOR ALL TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE risk.compliance_records TO application_user;

-- risk.audit_logs: application_user reads and appends its own tenant's rows only; no
-- UPDATE or DELETE privilege exists for it (nor a policy for them). Rows without a
-- tenant (platform events) are visible to the platform role only.
ALTER TABLE risk.audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk.audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_select_policy ON risk.audit_logs
    FOR SELECT TO application_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY tenant_isolation_insert_policy ON risk.audit_logs
    FOR INSERT TO application_user
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid));
GRANT SELECT, INSERT ON TABLE risk.audit_logs TO application_user;
CREATE POLICY platform_access_policy ON risk.audit_logs
    FOR ALL TO aems_platform
    USING (true)
    WITH CHECK (true);
GRANT SELECT, INSERT ON TABLE risk.audit_logs TO aems_platform;
