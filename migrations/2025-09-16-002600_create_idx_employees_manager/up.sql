-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_employees_manager
    ON hr.employees (manager_id) WHERE manager_id IS NOT NULL;
