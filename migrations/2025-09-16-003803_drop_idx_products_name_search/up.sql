-- idx_products_name_search is rebuilt on the stored document (003800, 003804). One
-- statement, CONCURRENTLY (run_in_transaction = false).
DROP INDEX CONCURRENTLY IF EXISTS products.idx_products_name_search;
