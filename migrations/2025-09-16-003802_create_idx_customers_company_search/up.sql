-- The spec's full-text index under its own name, over the stored document (003800), which
-- is to_tsvector('english', company_name): the index holds what the spec's did.
-- A documented deviation (docs/schema.md).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_customers_company_search
    ON sales.customers USING gin (search_document);
