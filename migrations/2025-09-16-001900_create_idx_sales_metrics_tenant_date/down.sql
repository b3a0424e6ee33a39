DROP INDEX CONCURRENTLY IF EXISTS sales.idx_sales_metrics_tenant_date;
