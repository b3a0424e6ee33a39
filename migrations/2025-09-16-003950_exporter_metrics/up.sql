-- What the Prometheus PostgreSQL exporter reads about this schema
-- (deploy/postgres-exporter/queries.yaml; docs/deployment.md), as functions in schema
-- aems_exporter, so that the exporter's queries file stays one line per metric and
-- the schema can change under it.
--
--   aems_exporter.audit_default_partition()  rows in risk.audit_logs_default (rows land
--                                            there only when their month has no
--                                            partition: maintenance was late)
--   aems_exporter.audit_partitions()         partitions, whether the current UTC month
--                                            has one, and how many consecutive months
--                                            after it do ("partitions ahead")
--   aems_exporter.tenant_row_counts(t, k)    rows per tenant of the t largest tenant
--                                            tables (by total size): the k tenants with
--                                            most rows by name, the rest summed as
--                                            tenant 'other', so the series are bounded
--                                            (t * (k + 1)) however many tenants exist
--
-- Roles (cluster-wide, created when missing, as 000200 does):
--
--   aems_exporter           LOGIN, INHERIT, no password here (operators set one, or
--                           create their own login role IN ROLE aems_exporter); member
--                           of pg_monitor when the migrating role may grant it (the
--                           exporter's default metrics need it; a NOTICE otherwise).
--                           It may EXECUTE the three functions and read no table.
--   aems_exporter_definer   NOLOGIN, no members; owns the three functions (the
--                           exporter's role has no USAGE on the domain schemas).
--                           Row-level security is FORCEd on every tenant table (the
--                           owner is bound too), so counting needs a policy: its only
--                           one, on each tenant table, is FOR SELECT USING (true), and
--                           it may read only tenant_id. What leaves the functions is
--                           counts per tenant id, never a row.
--
-- Named aems_exporter* so as not to clash with a general monitoring role.
-- Handing a function to aems_exporter_definer needs membership of it (and the role
-- CREATE on the schema) unless the migrating role is a superuser: taken for the moment
-- of the handover only, as 003805 does.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_exporter') THEN
        BEGIN
            CREATE ROLE aems_exporter LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL; -- another database's migration created it at the same moment
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_exporter_definer') THEN
        BEGIN
            CREATE ROLE aems_exporter_definer NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB
                NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL;
        END;
    END IF;
    -- Roles that already existed were made by someone else: refuse the ones that would
    -- make the definer's every-tenant policy usable outside its functions.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
               WHERE rolname IN ('aems_exporter', 'aems_exporter_definer')
                 AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'aems_exporter and aems_exporter_definer must be neither SUPERUSER nor BYPASSRLS'
            USING HINT = 'ALTER ROLE ... NOSUPERUSER NOBYPASSRLS, then run the migration again';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
               WHERE rolname = 'aems_exporter_definer' AND rolcanlogin) THEN
        RAISE EXCEPTION 'aems_exporter_definer must be NOLOGIN'
            USING HINT = 'ALTER ROLE aems_exporter_definer NOLOGIN, then run the migration again';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
               JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
               WHERE r.rolname = 'aems_exporter_definer') THEN
        RAISE EXCEPTION 'aems_exporter_definer must have no members: a member could read every tenant''s ids'
            USING HINT = 'REVOKE aems_exporter_definer FROM ..., then run the migration again';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
                   JOIN pg_catalog.pg_roles u ON u.oid = m.member
                   WHERE r.rolname = 'pg_monitor' AND u.rolname = 'aems_exporter') THEN
        BEGIN
            GRANT pg_monitor TO aems_exporter;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'aems_exporter is not a member of pg_monitor (%): grant it as a superuser for the exporter''s default metrics', SQLERRM;
        END;
    END IF;
    EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO aems_exporter', pg_catalog.current_database());
END
$$;

CREATE SCHEMA aems_exporter;
COMMENT ON SCHEMA aems_exporter IS
    'A-EMS metrics for the Prometheus PostgreSQL exporter (deploy/postgres-exporter/queries.yaml); executable by aems_exporter only.';
REVOKE ALL ON SCHEMA aems_exporter FROM PUBLIC;
GRANT USAGE ON SCHEMA aems_exporter TO aems_exporter;

-- The definer reads tenant_id of every tenant table (and of the audit trail's default
-- partition, which is read directly so that no other partition is scanned).
DO $$
DECLARE
    t record;
BEGIN
    GRANT USAGE ON SCHEMA auth, sales, finance, hr, products, risk TO aems_exporter_definer;
    FOR t IN
        SELECT c.oid::regclass AS rel, c.relrowsecurity AS rls
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                                      AND NOT a.attisdropped
        WHERE n.nspname IN ('auth', 'sales', 'finance', 'hr', 'products', 'risk')
          AND c.relkind IN ('r', 'p')
          AND (NOT c.relispartition OR c.oid = 'risk.audit_logs_default'::regclass)
    LOOP
        EXECUTE pg_catalog.format('GRANT SELECT (tenant_id) ON TABLE %s TO aems_exporter_definer', t.rel);
        IF t.rls THEN
            EXECUTE pg_catalog.format(
                'CREATE POLICY exporter_definer_policy ON %s FOR SELECT TO aems_exporter_definer USING (true)',
                t.rel);
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION aems_exporter.audit_default_partition(OUT rows bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*) FROM risk.audit_logs_default
$$;
COMMENT ON FUNCTION aems_exporter.audit_default_partition() IS
    'Rows in risk.audit_logs_default: non-zero means a month had no partition when its rows were written (run partition maintenance).';

-- Partitions are found by their bounds, not their names: a partition whose range is
-- exactly one UTC month [m, m + 1 month) counts for month m.
CREATE FUNCTION aems_exporter.audit_partitions(
        OUT partitions integer, OUT current_month boolean, OUT months_ahead integer)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH months AS (
        SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                             '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$')) AS b
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'risk.audit_logs'::regclass
    ), bounds AS (
        SELECT b[1]::timestamptz AT TIME ZONE 'UTC' AS lo, b[2]::timestamptz AT TIME ZONE 'UTC' AS hi
        FROM months WHERE b IS NOT NULL
    ), monthly AS (
        SELECT lo::date AS month FROM bounds
        WHERE lo = date_trunc('month', lo) AND hi = lo + interval '1 month'
    ), now_month AS (
        SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS m
    )
    SELECT
        (SELECT count(*)::integer FROM pg_inherits WHERE inhparent = 'risk.audit_logs'::regclass),
        EXISTS (SELECT 1 FROM monthly, now_month WHERE month = m),
        -- the first month after the current one without a partition, minus one
        (SELECT min(k)::integer - 1
         FROM now_month, generate_series(1, (SELECT count(*)::integer + 1 FROM monthly)) AS k
         WHERE NOT EXISTS (SELECT 1 FROM monthly WHERE month = (m + k * interval '1 month')::date))
$$;
COMMENT ON FUNCTION aems_exporter.audit_partitions() IS
    'risk.audit_logs partitions: how many (the default one included), whether the current UTC month has one, and how many consecutive months after it have one.';

CREATE FUNCTION aems_exporter.tenant_row_counts(largest_tables integer DEFAULT 5, top_tenants integer DEFAULT 10)
    RETURNS TABLE (table_name text, tenant text, rows bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    IF largest_tables NOT BETWEEN 1 AND 20 OR top_tenants NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'tenant_row_counts: largest_tables must be 1-20 and top_tenants 1-100'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR t IN
        -- Tenant tables this role may count (the policy above), largest first; a
        -- partitioned table's size is its partitions'.
        SELECT c.oid::regclass AS rel, n.nspname || '.' || c.relname AS name
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname IN ('auth', 'sales', 'finance', 'hr', 'products', 'risk')
          AND has_column_privilege(c.oid, a.attnum, 'SELECT')
        ORDER BY CASE WHEN c.relkind = 'p'
                      THEN (SELECT sum(pg_total_relation_size(p.relid))
                            FROM pg_partition_tree(c.oid) AS p)
                      ELSE pg_total_relation_size(c.oid)
                 END DESC NULLS LAST, 2
        LIMIT largest_tables
    LOOP
        RETURN QUERY EXECUTE pg_catalog.format(
            'WITH per_tenant AS (
                 SELECT tenant_id, count(*) AS n FROM %s WHERE tenant_id IS NOT NULL GROUP BY tenant_id
             ), ranked AS (
                 SELECT tenant_id, n, row_number() OVER (ORDER BY n DESC, tenant_id) AS r FROM per_tenant
             )
             SELECT $1, tenant_id::text, n FROM ranked WHERE r <= $2
             UNION ALL
             SELECT $1, ''other'', coalesce(sum(n), 0)::bigint FROM ranked WHERE r > $2',
            t.rel)
            USING t.name, top_tenants;
    END LOOP;
END
$$;
COMMENT ON FUNCTION aems_exporter.tenant_row_counts(integer, integer) IS
    'Rows per tenant of the largest_tables largest tenant tables: the top_tenants tenants with most rows, and the rest as tenant ''other'' (0 when there is none), so the series stay bounded.';

REVOKE ALL ON FUNCTION aems_exporter.audit_default_partition() FROM PUBLIC;
REVOKE ALL ON FUNCTION aems_exporter.audit_partitions() FROM PUBLIC;
REVOKE ALL ON FUNCTION aems_exporter.tenant_row_counts(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aems_exporter.audit_default_partition() TO aems_exporter;
GRANT EXECUTE ON FUNCTION aems_exporter.audit_partitions() TO aems_exporter;
GRANT EXECUTE ON FUNCTION aems_exporter.tenant_row_counts(integer, integer) TO aems_exporter;

-- The handover to aems_exporter_definer (see above).
DO $$
DECLARE
    handover boolean := NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
    IF handover THEN
        EXECUTE pg_catalog.format('GRANT aems_exporter_definer TO %I', current_user);
        GRANT CREATE ON SCHEMA aems_exporter TO aems_exporter_definer;
    END IF;
    ALTER FUNCTION aems_exporter.audit_default_partition() OWNER TO aems_exporter_definer;
    ALTER FUNCTION aems_exporter.audit_partitions() OWNER TO aems_exporter_definer;
    ALTER FUNCTION aems_exporter.tenant_row_counts(integer, integer) OWNER TO aems_exporter_definer;
    IF handover THEN
        REVOKE CREATE ON SCHEMA aems_exporter FROM aems_exporter_definer;
        EXECUTE pg_catalog.format('REVOKE aems_exporter_definer FROM %I', current_user);
    END IF;
END
$$;
