DROP INDEX CONCURRENTLY IF EXISTS finance.idx_expenses_tenant_date;
