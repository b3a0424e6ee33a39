DROP INDEX CONCURRENTLY IF EXISTS auth.idx_users_email_active;
