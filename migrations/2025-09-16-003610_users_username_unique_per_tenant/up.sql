-- auth.users.username was UNIQUE across all tenants (the spec's `username ... UNIQUE`),
-- so an admin of one tenant learned from a refused create or rename whether a
-- username existed in any other tenant. Sign-in is by e-mail, never by username, so
-- nothing needs it unique beyond its tenant: it becomes UNIQUE (tenant_id, username).
-- (E-mail stays unique across tenants: login finds the account by it. That oracle is
-- documented in docs/security.md, "Known limits".)
--
-- A plain ADD CONSTRAINT builds the index under an exclusive lock on auth.users: the
-- table holds one row per person, small enough that this takes milliseconds.
ALTER TABLE auth.users DROP CONSTRAINT uq_users_username;
ALTER TABLE auth.users ADD CONSTRAINT uq_users_tenant_id_username UNIQUE (tenant_id, username);
