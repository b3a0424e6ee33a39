-- Undo 003950. Dropping a function needs its owner's rights: a non-superuser migrating
-- role takes membership of aems_exporter_definer for the moment of the drop.
DO $$
DECLARE
    handover boolean := NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
    IF handover THEN
        EXECUTE pg_catalog.format('GRANT aems_exporter_definer TO %I', current_user);
    END IF;
    DROP FUNCTION aems_exporter.tenant_row_counts(integer, integer);
    DROP FUNCTION aems_exporter.audit_default_partition();
    DROP FUNCTION aems_exporter.audit_partitions();
    IF handover THEN
        EXECUTE pg_catalog.format('REVOKE aems_exporter_definer FROM %I', current_user);
    END IF;
END
$$;
DROP SCHEMA aems_exporter;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT p.polrelid::regclass AS rel
        FROM pg_catalog.pg_policy p
        WHERE p.polname = 'exporter_definer_policy'
    LOOP
        EXECUTE pg_catalog.format('DROP POLICY exporter_definer_policy ON %s', t.rel);
    END LOOP;
    FOR t IN
        SELECT c.oid::regclass AS rel
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                                      AND NOT a.attisdropped
        WHERE n.nspname IN ('auth', 'sales', 'finance', 'hr', 'products', 'risk')
          AND c.relkind IN ('r', 'p')
          AND has_column_privilege('aems_exporter_definer', c.oid, a.attnum, 'SELECT')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON TABLE %s FROM aems_exporter_definer', t.rel);
    END LOOP;
    REVOKE USAGE ON SCHEMA auth, sales, finance, hr, products, risk FROM aems_exporter_definer;
    EXECUTE pg_catalog.format('REVOKE CONNECT ON DATABASE %I FROM aems_exporter', pg_catalog.current_database());
END
$$;

-- The roles are cluster-wide: drop them only if nothing in another database still
-- refers to them (DROP ROLE refuses then), as 000200's down.sql does for its roles.
DO $$
BEGIN
    BEGIN
        DROP ROLE aems_exporter_definer;
    EXCEPTION
        WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role aems_exporter_definer kept: still used in another database (%)', SQLERRM;
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'role aems_exporter_definer kept: %', SQLERRM;
    END;
    BEGIN
        DROP ROLE aems_exporter;
    EXCEPTION
        WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role aems_exporter kept: still used in another database (%)', SQLERRM;
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'role aems_exporter kept: %', SQLERRM;
    END;
END
$$;
