-- Fails (unique_violation) if two tenants now use the same username: decide which one
-- to rename before going back to usernames unique across tenants.
ALTER TABLE auth.users DROP CONSTRAINT uq_users_tenant_id_username;
ALTER TABLE auth.users ADD CONSTRAINT uq_users_username UNIQUE (username);
