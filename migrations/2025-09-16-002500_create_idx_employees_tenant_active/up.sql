-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_employees_tenant_active
    ON hr.employees (tenant_id, status) WHERE deleted_at IS NULL;
