CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_customers_company_search
    ON sales.customers USING gin (to_tsvector('english', company_name));
