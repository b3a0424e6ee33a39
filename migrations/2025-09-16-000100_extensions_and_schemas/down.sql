-- Undo 000100. Schemas are dropped RESTRICT: anything left in them makes this fail loudly.
DROP SCHEMA analytics;
DROP SCHEMA risk;
DROP SCHEMA products;
DROP SCHEMA hr;
DROP SCHEMA finance;
DROP SCHEMA sales;
DROP SCHEMA auth;

-- An extension is dropped only if nothing else in this database still uses it (another
-- application's objects may): dropping is never forced with CASCADE.
DO $$
DECLARE
    ext text;
BEGIN
    FOREACH ext IN ARRAY ARRAY['pg_stat_statements', 'pg_trgm', 'btree_gin', 'pgcrypto', 'uuid-ossp'] LOOP
        BEGIN
            EXECUTE pg_catalog.format('DROP EXTENSION IF EXISTS %I', ext);
        EXCEPTION
            WHEN dependent_objects_still_exist THEN
                RAISE NOTICE 'extension % kept: other objects depend on it', ext;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'extension % kept: %', ext, SQLERRM;
        END;
    END LOOP;
END
$$;
