DROP INDEX CONCURRENTLY IF EXISTS auth.idx_users_tenant_status;
