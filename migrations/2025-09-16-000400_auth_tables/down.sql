-- Undo 000400 (indexes, triggers and comments go with their tables).
DROP TABLE auth.oauth_connections;
DROP TABLE auth.user_mfa;
DROP TABLE auth.user_sessions;
DROP TABLE auth.users;
DROP TABLE auth.tenants;
