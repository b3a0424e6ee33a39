-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_customers_tenant_segment
    ON sales.customers (tenant_id, customer_segment) WHERE deleted_at IS NULL;
