-- The spec's full-text index under its own name, over the stored document (003800), which
-- is to_tsvector('english', name || ' ' || coalesce(description, '')) (deviation 8: the
-- spec's name || ' ' || description is NULL without a description). A documented
-- deviation (docs/schema.md).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_name_search
    ON products.products USING gin (search_document);
