-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_sessions_user_active
    ON auth.user_sessions (user_id, status) WHERE status = 'active';
