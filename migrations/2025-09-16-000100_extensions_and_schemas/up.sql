-- Extensions (in schema public, as the spec's init scripts) and the seven domain schemas.
--
-- pgcrypto, uuid-ossp, btree_gin and pg_trgm are trusted extensions: a database owner
-- without superuser can create them. pg_stat_statements only works when the server
-- preloads it (shared_preload_libraries) and only a superuser may create it, so it is
-- created when both hold and skipped with a NOTICE otherwise: this migration never
-- fails because of it.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

DO $$
DECLARE
    preloaded boolean;
BEGIN
    -- The setting is a list such as 'pg_stat_statements, auto_explain' and may quote
    -- names or give paths ('$libdir/pg_stat_statements'): match the library name only.
    preloaded := EXISTS (
        SELECT 1
        FROM pg_catalog.unnest(pg_catalog.string_to_array(
                 pg_catalog.current_setting('shared_preload_libraries'), ',')) AS lib(name)
        WHERE pg_catalog.regexp_replace(pg_catalog.btrim(lib.name, ' "'),
                                        '^.*/|\.so$', '', 'g') = 'pg_stat_statements'
    );
    IF preloaded THEN
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public;
    ELSE
        RAISE NOTICE 'pg_stat_statements is not in shared_preload_libraries: extension not created';
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        -- Reading shared_preload_libraries and creating this untrusted extension both
        -- need a superuser (or pg_read_all_settings): an operator can add it later.
        RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
END
$$;

CREATE SCHEMA auth;
CREATE SCHEMA sales;
CREATE SCHEMA finance;
CREATE SCHEMA hr;
CREATE SCHEMA products;
CREATE SCHEMA risk;
CREATE SCHEMA analytics;

COMMENT ON SCHEMA auth IS 'A-EMS tenants, users and their credentials (sessions, MFA, OAuth).';
COMMENT ON SCHEMA sales IS 'A-EMS sales domain: metrics, customers, pipeline.';
COMMENT ON SCHEMA finance IS 'A-EMS finance domain: metrics, budgets, expenses.';
COMMENT ON SCHEMA hr IS 'A-EMS HR domain: metrics, employees, recruitment.';
COMMENT ON SCHEMA products IS 'A-EMS products domain: catalog, inventory, performance.';
COMMENT ON SCHEMA risk IS 'A-EMS risk domain: assessments, compliance, audit trail.';
COMMENT ON SCHEMA analytics IS 'A-EMS read-only reporting views (security_invoker, so RLS applies).';
