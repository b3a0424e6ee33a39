DROP INDEX CONCURRENTLY IF EXISTS auth.idx_user_sessions_user_active;
