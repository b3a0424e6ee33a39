-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
-- Deviation: coalesce(description, ''), because the spec's name || ' ' || description is NULL
-- whenever description is, so such products would never be found. The 2-argument
-- to_tsvector with a regconfig literal is IMMUTABLE, as an index expression must be:
-- queries must repeat this exact expression to use the index.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_name_search
    ON products.products USING gin (to_tsvector('english', name || ' ' || coalesce(description, '')));
