DROP INDEX CONCURRENTLY IF EXISTS products.idx_product_performance_date;
