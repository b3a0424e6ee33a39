DROP INDEX CONCURRENTLY IF EXISTS hr.idx_employees_tenant_active;
