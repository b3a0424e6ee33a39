-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
-- Queries must repeat to_tsvector('english', company_name) to use the index.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_customers_company_search
    ON sales.customers USING gin (to_tsvector('english', company_name));
