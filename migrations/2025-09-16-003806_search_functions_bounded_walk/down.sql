-- Undo 003806: the functions as 003805 created them (the planner's choice, STABLE).

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
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    tenant uuid;
    query tsquery;
    ids uuid[];
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
    IF newest_first THEN
        SELECT array_agg(found.id ORDER BY found.id DESC) INTO ids
        FROM (SELECT c.id FROM sales.customers c
              WHERE c.tenant_id = ANY (ARRAY[tenant])
                AND c.deleted_at IS NULL
                AND c.search_document @@ query
                AND (after_id IS NULL OR c.id < after_id)
                AND (only_segment IS NULL OR c.customer_segment = only_segment)
                AND (only_status IS NULL OR c.status = only_status)
                AND (only_territory IS NULL OR c.territory = only_territory)
              ORDER BY c.tenant_id DESC, c.id DESC
              LIMIT max_ids) AS found;
    ELSE
        SELECT array_agg(found.id ORDER BY found.id) INTO ids
        FROM (SELECT c.id FROM sales.customers c
              WHERE c.tenant_id = ANY (ARRAY[tenant])
                AND c.deleted_at IS NULL
                AND c.search_document @@ query
                AND (after_id IS NULL OR c.id > after_id)
                AND (only_segment IS NULL OR c.customer_segment = only_segment)
                AND (only_status IS NULL OR c.status = only_status)
                AND (only_territory IS NULL OR c.territory = only_territory)
              ORDER BY c.tenant_id, c.id
              LIMIT max_ids) AS found;
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
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    tenant uuid;
    query tsquery;
    ids uuid[];
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
    IF newest_first THEN
        SELECT array_agg(found.id ORDER BY found.id DESC) INTO ids
        FROM (SELECT p.id FROM products.products p
              WHERE p.tenant_id = ANY (ARRAY[tenant])
                AND p.deleted_at IS NULL
                AND p.search_document @@ query
                AND (after_id IS NULL OR p.id < after_id)
                AND (only_category IS NULL OR p.category = only_category)
                AND (only_lifecycle_stage IS NULL OR p.lifecycle_stage = only_lifecycle_stage)
                AND (only_status IS NULL OR p.status = only_status)
              ORDER BY p.tenant_id DESC, p.id DESC
              LIMIT max_ids) AS found;
    ELSE
        SELECT array_agg(found.id ORDER BY found.id) INTO ids
        FROM (SELECT p.id FROM products.products p
              WHERE p.tenant_id = ANY (ARRAY[tenant])
                AND p.deleted_at IS NULL
                AND p.search_document @@ query
                AND (after_id IS NULL OR p.id > after_id)
                AND (only_category IS NULL OR p.category = only_category)
                AND (only_lifecycle_stage IS NULL OR p.lifecycle_stage = only_lifecycle_stage)
                AND (only_status IS NULL OR p.status = only_status)
              ORDER BY p.tenant_id, p.id
              LIMIT max_ids) AS found;
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
