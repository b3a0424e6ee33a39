DROP INDEX CONCURRENTLY IF EXISTS finance.idx_finance_metrics_tenant_period;
