-- The platform role writes only the columns its work writes (issue 15, item 6).
--
-- Any transaction of the login role may assume aems_platform (set_config('role', ...)),
-- and its UPDATE grants were table-wide: it could rewrite users.password_hash, role,
-- email or tenant_id, and point a session of tenant A at a user of tenant B. Its
-- writes are now column grants listing exactly what the library's platform path
-- writes (auth/platform.rs, auth/tenants.rs):
--
--   auth.users          failed_login_attempts, locked_until (lockout bookkeeping), status
--   auth.user_sessions  status, last_activity, token_hash, refresh_token_hash, expires_at
--                       (revocation, activity, refresh rotation)
--   auth.tenants        status (administration); no INSERT (signup runs as the new
--                       tenant under application_user)
--
-- updated_at is set by the tables' BEFORE UPDATE triggers, which needs no privilege.
-- SELECT stays as it was (login must read the password hash to verify it).
REVOKE UPDATE ON TABLE auth.users FROM aems_platform;
GRANT UPDATE (failed_login_attempts, locked_until, status) ON TABLE auth.users TO aems_platform;

REVOKE UPDATE ON TABLE auth.user_sessions FROM aems_platform;
GRANT UPDATE (status, last_activity, token_hash, refresh_token_hash, expires_at)
    ON TABLE auth.user_sessions TO aems_platform;

REVOKE INSERT, UPDATE ON TABLE auth.tenants FROM aems_platform;
GRANT UPDATE (status) ON TABLE auth.tenants TO aems_platform;
