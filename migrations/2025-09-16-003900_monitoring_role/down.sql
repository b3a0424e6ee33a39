-- Undo 003900: this database's grants, then the role if nothing else uses it (see
-- 000200's down.sql for why DROP ROLE may be refused, and why members keep it).
DROP FUNCTION risk.audit_default_partition_rows();

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_monitor') THEN
        RETURN;
    END IF;
    REVOKE USAGE ON SCHEMA risk FROM aems_monitor;
    REVOKE SELECT ON TABLE public.__diesel_schema_migrations FROM aems_monitor;
    EXECUTE pg_catalog.format('REVOKE CONNECT ON DATABASE %I FROM aems_monitor', pg_catalog.current_database());
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
               JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
               WHERE r.rolname = 'aems_monitor') THEN
        RAISE NOTICE 'role aems_monitor kept: other roles are still members of it';
        RETURN;
    END IF;
    BEGIN
        DROP ROLE aems_monitor;
    EXCEPTION
        WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role aems_monitor kept: still used in another database (%)', SQLERRM;
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'role aems_monitor kept: %', SQLERRM;
    END;
END
$$;
