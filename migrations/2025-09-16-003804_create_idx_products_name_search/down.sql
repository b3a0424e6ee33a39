DROP INDEX CONCURRENTLY IF EXISTS products.idx_products_name_search;
