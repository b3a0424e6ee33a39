DROP INDEX CONCURRENTLY IF EXISTS sales.idx_customers_tenant_segment;
