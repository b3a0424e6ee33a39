-- Undo 000200: revoke this database's grant, then drop each role only if nothing else
-- in the cluster still refers to it. DROP ROLE itself refuses a role that holds
-- privileges or owns objects in any database (dependent_objects_still_exist, e.g.
-- another database migrated with these roles); it does NOT refuse a role that other
-- roles are members of, it silently removes those memberships, so a role with members
-- other than aems_app (a test login, another service's login) is kept as well.
DO $$
DECLARE
    role_name text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_app') THEN
        EXECUTE pg_catalog.format('REVOKE CONNECT ON DATABASE %I FROM aems_app', pg_catalog.current_database());
    END IF;

    FOREACH role_name IN ARRAY ARRAY['aems_app', 'aems_platform', 'application_user'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = role_name);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
                   WHERE r.rolname = role_name) THEN
            RAISE NOTICE 'role % kept: other roles are still members of it', role_name;
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE pg_catalog.format('DROP ROLE %I', role_name);
        EXCEPTION
            WHEN dependent_objects_still_exist THEN
                RAISE NOTICE 'role % kept: still used in another database (%)', role_name, SQLERRM;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'role % kept: %', role_name, SQLERRM;
        END;
    END LOOP;
END
$$;
