-- auth.users.username was UNIQUE across all tenants (the spec's `username ... UNIQUE`),
-- so an admin of one tenant learned from a refused create or rename whether a
-- username existed in any other tenant. Sign-in is by e-mail, never by username, so
-- nothing needs it unique beyond its tenant: it becomes UNIQUE (tenant_id, username).
-- (E-mail stays unique across tenants: login finds the account by it. That oracle is
-- documented in docs/security.md, "Known limits".)
--
-- A plain ADD CONSTRAINT builds the index under an exclusive lock on auth.users: the
-- table holds one row per person, small enough that this takes milliseconds.
-- (Squawk's two findings on it are accepted for that reason; on a large table the way is
-- CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then ADD CONSTRAINT ... UNIQUE
-- USING INDEX. A UNIQUE constraint cannot be NOT VALID.)
ALTER TABLE auth.users DROP CONSTRAINT uq_users_username;
-- squawk-ignore constraint-missing-not-valid, disallowed-unique-constraint
ALTER TABLE auth.users ADD CONSTRAINT uq_users_tenant_id_username UNIQUE (tenant_id, username);
