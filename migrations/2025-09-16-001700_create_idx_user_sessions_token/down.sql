DROP INDEX CONCURRENTLY IF EXISTS auth.idx_user_sessions_token;
