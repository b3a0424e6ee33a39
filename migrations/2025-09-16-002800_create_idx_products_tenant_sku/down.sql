DROP INDEX CONCURRENTLY IF EXISTS products.idx_products_tenant_sku;
