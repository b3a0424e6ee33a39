-- Roles. They are cluster-wide while everything else here is per database, so several
-- databases of one cluster can each run this migration: a role is created only when
-- missing, a membership granted only when missing, and the grants below are this
-- database's own.
--
--   application_user  NOLOGIN   target of every tenant_isolation policy
--   aems_platform     NOLOGIN   the explicit cross-tenant path (signup lookup, login by
--                               email or token, platform administration)
--   aems_app          LOGIN NOINHERIT, member of both. NOINHERIT: the login role has no
--                     privilege of its own; the library assumes exactly one of the two
--                     roles per transaction with set_config('role', ..., true), so
--                     the platform policies never apply to normal tenant work.
--
-- No password is set here: operators set aems_app's (ALTER ROLE aems_app PASSWORD ...).
-- None of these roles owns anything; the tables belong to the migration role.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'application_user') THEN
        BEGIN
            CREATE ROLE application_user NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL; -- another database's migration created it at the same moment
        END;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_platform') THEN
        BEGIN
            CREATE ROLE aems_platform NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL;
        END;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_app') THEN
        BEGIN
            CREATE ROLE aems_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL;
        END;
    END IF;

    -- Roles that already existed were made by someone else: refuse the ones that would
    -- silently defeat row-level security rather than run on top of them.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
               WHERE rolname IN ('application_user', 'aems_platform', 'aems_app')
                 AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'application_user, aems_platform and aems_app must be neither SUPERUSER nor BYPASSRLS'
            USING HINT = 'ALTER ROLE ... NOSUPERUSER NOBYPASSRLS, then run the migration again';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_app' AND rolinherit) THEN
        RAISE EXCEPTION 'aems_app must be NOINHERIT (it would otherwise hold the cross-tenant platform access at all times)'
            USING HINT = 'ALTER ROLE aems_app NOINHERIT, then run the migration again';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
                   JOIN pg_catalog.pg_roles u ON u.oid = m.member
                   WHERE r.rolname = 'application_user' AND u.rolname = 'aems_app') THEN
        GRANT application_user TO aems_app;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
                   JOIN pg_catalog.pg_roles u ON u.oid = m.member
                   WHERE r.rolname = 'aems_platform' AND u.rolname = 'aems_app') THEN
        GRANT aems_platform TO aems_app;
    END IF;

    -- Per database: the login role may connect here even where CONNECT was revoked from
    -- PUBLIC. This grant is also what keeps the roles alive while this database uses
    -- them (DROP ROLE refuses a role with privileges in any database; see down.sql).
    EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO aems_app', pg_catalog.current_database());
END
$$;
