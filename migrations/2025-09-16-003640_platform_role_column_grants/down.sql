-- Undo 003640: table-wide grants for the platform role again.
REVOKE UPDATE (failed_login_attempts, locked_until, status) ON TABLE auth.users FROM aems_platform;
GRANT UPDATE ON TABLE auth.users TO aems_platform;

REVOKE UPDATE (status, last_activity, token_hash, refresh_token_hash, expires_at)
    ON TABLE auth.user_sessions FROM aems_platform;
GRANT UPDATE ON TABLE auth.user_sessions TO aems_platform;

REVOKE UPDATE (status) ON TABLE auth.tenants FROM aems_platform;
GRANT INSERT, UPDATE ON TABLE auth.tenants TO aems_platform;
