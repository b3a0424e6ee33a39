-- The search functions of 003805, replaced: the planner's own choice between the GIN index
-- and the ordered walk is no longer trusted alone.
--
-- 003805 let the planner choose per call. For a lexeme it has no statistics for (a rare
-- name, a number) PostgreSQL estimates 0.5% of the rows, and with ORDER BY ... LIMIT it then
-- walked the whole tenant for the one match (100,000 rows in tests/integration/plans.rs).
--
-- Inside, with no policy in the way, the function chooses between the two ways of finding
-- one page, and bounds the way it chose, so that a wrong estimate costs a bounded walk and
-- never the whole tenant.
--
--   0. Two EXPLAINs (FORMAT JSON, planning only; the reason for VOLATILE) give the rows after
--      the keyset position with the filters, and the matches among them. Fewer than 1 match
--      in 64 rows expected (the walk's window would not fill a page): go to 2. (Weighing
--      the walk's rows against the matches instead, matches^2 vs max_ids * rows, sent a
--      common word's 90%-deep page to step 2, which read the remaining 100,000 rows: 56 ms,
--      measured in the bench.)
--   1. the walk: at most 64 rows per id asked for (3,264 for a page of 51) of the tenant's
--      rows in page order from the keyset position, through the tenant-leading UNIQUE
--      (tenant_id, id) index, stopping at max_ids matches. A common word ends here, after
--      about one page of matches, at any depth: a broad search never collects every match
--      to return one page. Fewer than max_ids matches in the window: the estimate was
--      wrong, go to 2;
--   2. every match after the keyset position from the GIN index (a MATERIALIZED CTE, so no
--      ORDER BY ... LIMIT tempts the planner into a walk), sorted, the first max_ids.
--
-- Same signatures, owner (aems_search), grants and search_path. VOLATILE (was STABLE):
-- EXPLAIN is refused in a non-volatile function. Replacing a function needs its owner's
-- rights: a non-superuser migrating role takes membership of aems_search for the moment of
-- the replacement, as 003805 did for the handover.

DO $$
DECLARE
    handover boolean := NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
    IF handover THEN
        EXECUTE pg_catalog.format('GRANT aems_search TO %I', current_user);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION sales.search_customer_ids(
    search_text text,
    after_id uuid,
    newest_first boolean,
    max_ids integer,
    only_segment text,
    only_status text,
    only_territory text)
RETURNS uuid[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    tenant uuid;
    query tsquery;
    ids uuid[];
    walk_rows integer;
    plan json;
    estimates float8[] := '{}';
    condition text;
BEGIN
    IF current_setting('role') IS DISTINCT FROM 'application_user' THEN
        RAISE EXCEPTION 'sales.search_customer_ids is for tenant work only (role application_user)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    tenant := NULLIF(current_setting('app.current_tenant_id', true), '')::uuid;
    query := plainto_tsquery('english', search_text);
    IF tenant IS NULL OR query IS NULL OR numnode(query) = 0 OR max_ids IS NULL OR max_ids < 1 THEN
        RETURN '{}';
    END IF;
    max_ids := least(max_ids, 1001);
    walk_rows := max_ids * 64;
    -- 0. What the planner expects after the keyset position: the matches, then the rows
    --    with the filters. At least 1 match in 64 rows: the walk fills a page within its
    --    window; fewer: the GIN index.
    FOREACH condition IN ARRAY ARRAY['c.search_document @@ $2', 'true'] LOOP
        EXECUTE pg_catalog.format(
            'EXPLAIN (FORMAT JSON) SELECT 1 FROM sales.customers c
             WHERE c.tenant_id = ANY (ARRAY[$1]) AND c.deleted_at IS NULL AND %s
               AND ($3::uuid IS NULL OR c.id %s $3)
               AND ($4::text IS NULL OR c.customer_segment = $4)
               AND ($5::text IS NULL OR c.status = $5)
               AND ($6::text IS NULL OR c.territory = $6)',
            condition, CASE WHEN newest_first THEN '<' ELSE '>' END)
            INTO plan USING tenant, query, after_id, only_segment, only_status, only_territory;
        estimates := estimates || (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
    END LOOP;
    IF estimates[1] * 64 >= estimates[2] THEN
        -- 1. The walk: at most walk_rows of the tenant's rows in page order from the
        --    keyset position, stopping at max_ids matches. A common word ends here.
        IF newest_first THEN
            SELECT array_agg(found.id ORDER BY found.id DESC) INTO ids
            FROM (SELECT w.id
                  FROM (SELECT c.id, c.deleted_at, c.search_document, c.customer_segment, c.status, c.territory
                        FROM sales.customers c
                        WHERE c.tenant_id = ANY (ARRAY[tenant])
                          AND (after_id IS NULL OR c.id < after_id)
                        ORDER BY c.tenant_id DESC, c.id DESC
                        LIMIT walk_rows) AS w
                  WHERE w.deleted_at IS NULL
                    AND w.search_document @@ query
                    AND (only_segment IS NULL OR w.customer_segment = only_segment)
                    AND (only_status IS NULL OR w.status = only_status)
                    AND (only_territory IS NULL OR w.territory = only_territory)
                  LIMIT max_ids) AS found;
        ELSE
            SELECT array_agg(found.id ORDER BY found.id) INTO ids
            FROM (SELECT w.id
                  FROM (SELECT c.id, c.deleted_at, c.search_document, c.customer_segment, c.status, c.territory
                        FROM sales.customers c
                        WHERE c.tenant_id = ANY (ARRAY[tenant])
                          AND (after_id IS NULL OR c.id > after_id)
                        ORDER BY c.tenant_id, c.id
                        LIMIT walk_rows) AS w
                  WHERE w.deleted_at IS NULL
                    AND w.search_document @@ query
                    AND (only_segment IS NULL OR w.customer_segment = only_segment)
                    AND (only_status IS NULL OR w.status = only_status)
                    AND (only_territory IS NULL OR w.territory = only_territory)
                  LIMIT max_ids) AS found;
        END IF;
        IF coalesce(cardinality(ids), 0) = max_ids THEN
            RETURN ids;
        END IF;
    END IF;
    -- 2. Few matches expected, or fewer than a page in the walk: every match after the
    --    keyset position from the GIN index (materialized: never a walk), sorted.
    IF newest_first THEN
        WITH matching AS MATERIALIZED (
            SELECT c.id FROM sales.customers c
                WHERE c.tenant_id = ANY (ARRAY[tenant])
                  AND c.deleted_at IS NULL
                  AND c.search_document @@ query
                  AND (after_id IS NULL OR c.id < after_id)
                  AND (only_segment IS NULL OR c.customer_segment = only_segment)
                  AND (only_status IS NULL OR c.status = only_status)
                  AND (only_territory IS NULL OR c.territory = only_territory))
        SELECT array_agg(found.id ORDER BY found.id DESC) INTO ids
        FROM (SELECT matching.id FROM matching ORDER BY matching.id DESC LIMIT max_ids) AS found;
    ELSE
        WITH matching AS MATERIALIZED (
            SELECT c.id FROM sales.customers c
                WHERE c.tenant_id = ANY (ARRAY[tenant])
                  AND c.deleted_at IS NULL
                  AND c.search_document @@ query
                  AND (after_id IS NULL OR c.id > after_id)
                  AND (only_segment IS NULL OR c.customer_segment = only_segment)
                  AND (only_status IS NULL OR c.status = only_status)
                  AND (only_territory IS NULL OR c.territory = only_territory))
        SELECT array_agg(found.id ORDER BY found.id) INTO ids
        FROM (SELECT matching.id FROM matching ORDER BY matching.id LIMIT max_ids) AS found;
    END IF;
    RETURN coalesce(ids, '{}');
END;
$$;

CREATE OR REPLACE FUNCTION products.search_product_ids(
    search_text text,
    after_id uuid,
    newest_first boolean,
    max_ids integer,
    only_category text,
    only_lifecycle_stage text,
    only_status text)
RETURNS uuid[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    tenant uuid;
    query tsquery;
    ids uuid[];
    walk_rows integer;
    plan json;
    estimates float8[] := '{}';
    condition text;
BEGIN
    IF current_setting('role') IS DISTINCT FROM 'application_user' THEN
        RAISE EXCEPTION 'products.search_product_ids is for tenant work only (role application_user)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    tenant := NULLIF(current_setting('app.current_tenant_id', true), '')::uuid;
    query := plainto_tsquery('english', search_text);
    IF tenant IS NULL OR query IS NULL OR numnode(query) = 0 OR max_ids IS NULL OR max_ids < 1 THEN
        RETURN '{}';
    END IF;
    max_ids := least(max_ids, 1001);
    walk_rows := max_ids * 64;
    -- 0. What the planner expects after the keyset position: the matches, then the rows
    --    with the filters. At least 1 match in 64 rows: the walk fills a page within its
    --    window; fewer: the GIN index.
    FOREACH condition IN ARRAY ARRAY['p.search_document @@ $2', 'true'] LOOP
        EXECUTE pg_catalog.format(
            'EXPLAIN (FORMAT JSON) SELECT 1 FROM products.products p
             WHERE p.tenant_id = ANY (ARRAY[$1]) AND p.deleted_at IS NULL AND %s
               AND ($3::uuid IS NULL OR p.id %s $3)
               AND ($4::text IS NULL OR p.category = $4)
               AND ($5::text IS NULL OR p.lifecycle_stage = $5)
               AND ($6::text IS NULL OR p.status = $6)',
            condition, CASE WHEN newest_first THEN '<' ELSE '>' END)
            INTO plan USING tenant, query, after_id, only_category, only_lifecycle_stage, only_status;
        estimates := estimates || (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
    END LOOP;
    IF estimates[1] * 64 >= estimates[2] THEN
        -- 1. The walk: at most walk_rows of the tenant's rows in page order from the
        --    keyset position, stopping at max_ids matches. A common word ends here.
        IF newest_first THEN
            SELECT array_agg(found.id ORDER BY found.id DESC) INTO ids
            FROM (SELECT w.id
                  FROM (SELECT p.id, p.deleted_at, p.search_document, p.category, p.lifecycle_stage, p.status
                        FROM products.products p
                        WHERE p.tenant_id = ANY (ARRAY[tenant])
                          AND (after_id IS NULL OR p.id < after_id)
                        ORDER BY p.tenant_id DESC, p.id DESC
                        LIMIT walk_rows) AS w
                  WHERE w.deleted_at IS NULL
                    AND w.search_document @@ query
                    AND (only_category IS NULL OR w.category = only_category)
                    AND (only_lifecycle_stage IS NULL OR w.lifecycle_stage = only_lifecycle_stage)
                    AND (only_status IS NULL OR w.status = only_status)
                  LIMIT max_ids) AS found;
        ELSE
            SELECT array_agg(found.id ORDER BY found.id) INTO ids
            FROM (SELECT w.id
                  FROM (SELECT p.id, p.deleted_at, p.search_document, p.category, p.lifecycle_stage, p.status
                        FROM products.products p
                        WHERE p.tenant_id = ANY (ARRAY[tenant])
                          AND (after_id IS NULL OR p.id > after_id)
                        ORDER BY p.tenant_id, p.id
                        LIMIT walk_rows) AS w
                  WHERE w.deleted_at IS NULL
                    AND w.search_document @@ query
                    AND (only_category IS NULL OR w.category = only_category)
                    AND (only_lifecycle_stage IS NULL OR w.lifecycle_stage = only_lifecycle_stage)
                    AND (only_status IS NULL OR w.status = only_status)
                  LIMIT max_ids) AS found;
        END IF;
        IF coalesce(cardinality(ids), 0) = max_ids THEN
            RETURN ids;
        END IF;
    END IF;
    -- 2. Few matches expected, or fewer than a page in the walk: every match after the
    --    keyset position from the GIN index (materialized: never a walk), sorted.
    IF newest_first THEN
        WITH matching AS MATERIALIZED (
            SELECT p.id FROM products.products p
                WHERE p.tenant_id = ANY (ARRAY[tenant])
                  AND p.deleted_at IS NULL
                  AND p.search_document @@ query
                  AND (after_id IS NULL OR p.id < after_id)
                  AND (only_category IS NULL OR p.category = only_category)
                  AND (only_lifecycle_stage IS NULL OR p.lifecycle_stage = only_lifecycle_stage)
                  AND (only_status IS NULL OR p.status = only_status))
        SELECT array_agg(found.id ORDER BY found.id DESC) INTO ids
        FROM (SELECT matching.id FROM matching ORDER BY matching.id DESC LIMIT max_ids) AS found;
    ELSE
        WITH matching AS MATERIALIZED (
            SELECT p.id FROM products.products p
                WHERE p.tenant_id = ANY (ARRAY[tenant])
                  AND p.deleted_at IS NULL
                  AND p.search_document @@ query
                  AND (after_id IS NULL OR p.id > after_id)
                  AND (only_category IS NULL OR p.category = only_category)
                  AND (only_lifecycle_stage IS NULL OR p.lifecycle_stage = only_lifecycle_stage)
                  AND (only_status IS NULL OR p.status = only_status))
        SELECT array_agg(found.id ORDER BY found.id) INTO ids
        FROM (SELECT matching.id FROM matching ORDER BY matching.id LIMIT max_ids) AS found;
    END IF;
    RETURN coalesce(ids, '{}');
END;
$$;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE pg_catalog.format('REVOKE aems_search FROM %I', current_user);
    END IF;
END
$$;
