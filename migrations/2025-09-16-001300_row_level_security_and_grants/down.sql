-- Undo 001300: policies, RLS flags and grants, in reverse.

DROP POLICY platform_access_policy ON risk.audit_logs;
DROP POLICY tenant_isolation_insert_policy ON risk.audit_logs;
DROP POLICY tenant_isolation_select_policy ON risk.audit_logs;
ALTER TABLE risk.audit_logs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE risk.audit_logs DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE risk.audit_logs FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON risk.compliance_records;
ALTER TABLE risk.compliance_records NO FORCE ROW LEVEL SECURITY;
ALTER TABLE risk.compliance_records DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE risk.compliance_records FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON risk.risk_assessments;
ALTER TABLE risk.risk_assessments NO FORCE ROW LEVEL SECURITY;
ALTER TABLE risk.risk_assessments DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE risk.risk_assessments FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON products.product_performance;
ALTER TABLE products.product_performance NO FORCE ROW LEVEL SECURITY;
ALTER TABLE products.product_performance DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE products.product_performance FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON products.inventory_levels;
ALTER TABLE products.inventory_levels NO FORCE ROW LEVEL SECURITY;
ALTER TABLE products.inventory_levels DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE products.inventory_levels FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON products.products;
ALTER TABLE products.products NO FORCE ROW LEVEL SECURITY;
ALTER TABLE products.products DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE products.products FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON hr.recruitment_pipeline;
ALTER TABLE hr.recruitment_pipeline NO FORCE ROW LEVEL SECURITY;
ALTER TABLE hr.recruitment_pipeline DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE hr.recruitment_pipeline FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON hr.employees;
ALTER TABLE hr.employees NO FORCE ROW LEVEL SECURITY;
ALTER TABLE hr.employees DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE hr.employees FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON hr.hr_metrics;
ALTER TABLE hr.hr_metrics NO FORCE ROW LEVEL SECURITY;
ALTER TABLE hr.hr_metrics DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE hr.hr_metrics FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON finance.expense_transactions;
ALTER TABLE finance.expense_transactions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE finance.expense_transactions DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE finance.expense_transactions FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON finance.budget_plans;
ALTER TABLE finance.budget_plans NO FORCE ROW LEVEL SECURITY;
ALTER TABLE finance.budget_plans DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE finance.budget_plans FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON finance.finance_metrics;
ALTER TABLE finance.finance_metrics NO FORCE ROW LEVEL SECURITY;
ALTER TABLE finance.finance_metrics DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE finance.finance_metrics FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON sales.sales_pipeline;
ALTER TABLE sales.sales_pipeline NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sales.sales_pipeline DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE sales.sales_pipeline FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON sales.customers;
ALTER TABLE sales.customers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sales.customers DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE sales.customers FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON sales.sales_metrics;
ALTER TABLE sales.sales_metrics NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sales.sales_metrics DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE sales.sales_metrics FROM application_user, aems_platform;

DROP POLICY platform_access_policy ON auth.oauth_connections;
DROP POLICY tenant_isolation_policy ON auth.oauth_connections;
ALTER TABLE auth.oauth_connections NO FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.oauth_connections DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE auth.oauth_connections FROM application_user, aems_platform;

DROP POLICY tenant_isolation_policy ON auth.user_mfa;
ALTER TABLE auth.user_mfa NO FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.user_mfa DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE auth.user_mfa FROM application_user, aems_platform;

DROP POLICY platform_access_policy ON auth.user_sessions;
DROP POLICY tenant_isolation_policy ON auth.user_sessions;
ALTER TABLE auth.user_sessions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.user_sessions DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE auth.user_sessions FROM application_user, aems_platform;

DROP POLICY platform_access_policy ON auth.users;
DROP POLICY tenant_isolation_policy ON auth.users;
ALTER TABLE auth.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.users DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE auth.users FROM application_user, aems_platform;

DROP POLICY platform_access_policy ON auth.tenants;
DROP POLICY tenant_isolation_policy ON auth.tenants;
ALTER TABLE auth.tenants NO FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.tenants DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE auth.tenants FROM application_user, aems_platform;

REVOKE EXECUTE ON FUNCTION risk.create_monthly_partition() FROM aems_platform;

REVOKE EXECUTE ON FUNCTION
    public.update_updated_at_column(),
    public.calculate_risk_score(integer, integer),
    public.calculate_risk_level(integer),
    public.encrypt_sensitive_data(text),
    public.decrypt_sensitive_data(text)
    FROM application_user;

REVOKE USAGE ON SCHEMA auth, sales, finance, hr, products, risk, analytics
    FROM application_user, aems_platform;
