-- The monitoring role (issue 20): aems_monitor reads the server's health for
-- aems_diesel::ops and `aems health`, and nothing of the tenants' data.
--
--   aems_monitor  LOGIN INHERIT, member of pg_monitor (PostgreSQL's predefined role:
--                 every session's state and query text in pg_stat_activity, every
--                 user's statements in pg_stat_statements, the size functions). It owns
--                 nothing, is not BYPASSRLS, and holds no privilege on any table of the
--                 schema: SELECT on the migrations table (pending or unknown migrations)
--                 and EXECUTE on one SECURITY DEFINER function that counts, without
--                 showing them, the rows in the audit trail's DEFAULT partition.
--
-- Like 000200, cluster-wide and idempotent: created only when missing, refused when
-- someone else made it a superuser or BYPASSRLS. No password is set here: operators set
-- it (ALTER ROLE aems_monitor PASSWORD ...) or log in as a role of their own that is a
-- member of aems_monitor (INHERIT, so pg_monitor's privileges come along).
-- Granting pg_monitor needs CREATEROLE (PostgreSQL 15), which this migration role has
-- already for 000200.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_monitor') THEN
        BEGIN
            CREATE ROLE aems_monitor LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL; -- another database's migration created it at the same moment
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
               WHERE rolname = 'aems_monitor' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'aems_monitor must be neither SUPERUSER nor BYPASSRLS'
            USING HINT = 'ALTER ROLE aems_monitor NOSUPERUSER NOBYPASSRLS, then run the migration again';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
                   JOIN pg_catalog.pg_roles u ON u.oid = m.member
                   WHERE r.rolname = 'pg_monitor' AND u.rolname = 'aems_monitor') THEN
        GRANT pg_monitor TO aems_monitor;
    END IF;
    EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO aems_monitor', pg_catalog.current_database());
END
$$;

GRANT SELECT ON TABLE public.__diesel_schema_migrations TO aems_monitor;

-- The count only: the partition's rows (old and new values of audited rows) stay
-- unreadable to the monitor. The partition has no row-level security of its own (the
-- policies are on risk.audit_logs, and reading a partition directly does not apply
-- them), so the owner's count is exact.
CREATE FUNCTION risk.audit_default_partition_rows()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT count(*) FROM risk.audit_logs_default $$;

COMMENT ON FUNCTION risk.audit_default_partition_rows() IS
    'Rows in risk.audit_logs_default (written for a month that had no partition yet): for monitoring, executable by aems_monitor.';

REVOKE ALL ON FUNCTION risk.audit_default_partition_rows() FROM PUBLIC;
GRANT USAGE ON SCHEMA risk TO aems_monitor;
GRANT EXECUTE ON FUNCTION risk.audit_default_partition_rows() TO aems_monitor;
