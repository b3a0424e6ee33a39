DROP INDEX CONCURRENTLY IF EXISTS hr.idx_employees_manager;
