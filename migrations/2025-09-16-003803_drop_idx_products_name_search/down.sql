CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_name_search
    ON products.products USING gin (to_tsvector('english', name || ' ' || coalesce(description, '')));
