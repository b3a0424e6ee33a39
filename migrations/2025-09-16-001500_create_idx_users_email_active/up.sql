-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email_active
    ON auth.users (email) WHERE deleted_at IS NULL;
