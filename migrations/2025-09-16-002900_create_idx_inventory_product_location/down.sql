DROP INDEX CONCURRENTLY IF EXISTS products.idx_inventory_product_location;
