-- Undo 003805. Dropping a function needs its owner's rights: a non-superuser migrating
-- role takes membership of aems_search for the moment of the drop, as up.sql did.
DO $$
DECLARE
    handover boolean := NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
    IF handover THEN
        EXECUTE pg_catalog.format('GRANT aems_search TO %I', current_user);
    END IF;
    DROP FUNCTION products.search_product_ids(text, uuid, boolean, integer, text, text, text);
    DROP FUNCTION sales.search_customer_ids(text, uuid, boolean, integer, text, text, text);
    IF handover THEN
        EXECUTE pg_catalog.format('REVOKE aems_search FROM %I', current_user);
    END IF;
END
$$;

DROP POLICY search_definer_policy ON products.products;
DROP POLICY search_definer_policy ON sales.customers;
-- Revoking at table level revokes the column privileges too.
REVOKE ALL ON TABLE products.products FROM aems_search;
REVOKE ALL ON TABLE sales.customers FROM aems_search;
REVOKE USAGE ON SCHEMA sales, products FROM aems_search;

-- The role is cluster-wide: drop it only if nothing in another database still refers to
-- it (DROP ROLE refuses then), as 000200's down.sql does for its roles.
DO $$
BEGIN
    BEGIN
        DROP ROLE aems_search;
    EXCEPTION
        WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role aems_search kept: still used in another database (%)', SQLERRM;
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'role aems_search kept: %', SQLERRM;
    END;
END
$$;
