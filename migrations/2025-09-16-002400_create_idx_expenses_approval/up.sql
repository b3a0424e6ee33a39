-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_expenses_approval
    ON finance.expense_transactions (approval_status, tenant_id);
