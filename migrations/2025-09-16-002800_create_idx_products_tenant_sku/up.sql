-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_tenant_sku
    ON products.products (tenant_id, sku) WHERE deleted_at IS NULL;
