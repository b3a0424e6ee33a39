-- The audit trail at a fraction of a write: one trigger function per audited table and
-- operation, generated from the catalog, instead of three generic ones.
--
-- What each audit row holds does not change (003400 describes it): the tenant, the
-- actor, IP address, user agent and session from the transaction's settings, the
-- action (insert, update, soft_delete, restore, delete), the old and new values (only
-- the changed columns for an update, updated_at and the 'ignore:' columns never
-- counting as a change), sensitive columns as "[redacted]", the cross-tenant reason
-- in new_values->'_cross_tenant_reason', and the severity. Neither does the stored
-- form: the same jsonb as before, so no existing row needs converting.
--
-- What changes is how it is computed. The generic functions turned every row into
-- jsonb with to_jsonb, diffed two jsonb documents key by key (a set-returning function
-- and two aggregates per row), called a PL/pgSQL function with its own SET clause to
-- read the context, and ran three statements over the transition tables. Measured with
-- pgbench (docs/benchmarks.md, "The audit trigger, per table"): about 0.2 ms of server
-- time per audited one-row update. A function generated for one table knows its
-- columns: it compares them typed (o.col IS DISTINCT FROM n.col), builds the values
-- with one jsonb_build_object and removes the unchanged keys, reads the context as
-- PL/pgSQL simple expressions (no SPI, no statement), and writes every audit row of
-- the statement with one INSERT ... SELECT straight from the transition tables, whose
-- plan PL/pgSQL caches for the session.
--
-- One deliberate difference: stored generated columns (003800's search_document) are
-- not recorded; they are derived from columns that are.
--
-- A table that gains or loses a column must have its functions generated again:
-- `SELECT risk.audit_install('schema.table'::regclass)` re-reads the columns (and its
-- sensitive and ignored columns from the existing triggers' arguments). Each
-- generated function's comment records the columns it was built for; a schema test
-- compares it with the table, so a migration that forgets fails the tests.
--
-- As the generic functions were made in 003620, the generated ones are SECURITY
-- DEFINER, owned by aems_audit_writer (the only role that may insert into audit_logs),
-- with EXECUTE revoked from PUBLIC so that nobody attaches them to a table of their
-- own; a cross-tenant reason under application_user is refused (audit_context's rule,
-- 003620); the actor is checked at commit by 003630's trg_audit_logs_actor_check.
-- risk.audit_context() stays: risk.record_event reads the context through it.

-- jsonb_build_object(k1, v1, k2, v2, ...) from 'k, v' pairs, in chunks joined by ||
-- (a function takes at most 100 arguments).
CREATE FUNCTION risk.audit_object_expr(pairs text[]) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$
    SELECT string_agg('jsonb_build_object(' || chunk || ')', ' || ' ORDER BY g)
    FROM (SELECT (i - 1) / 40 AS g, string_agg(pair, ', ' ORDER BY i) AS chunk
          FROM unnest(pairs) WITH ORDINALITY AS x(pair, i)
          GROUP BY (i - 1) / 40) AS chunks
$$;

-- The body of one generated trigger function. `op` is 'insert', 'update' or 'delete'.
CREATE FUNCTION risk.audit_function_body(tbl regclass, op text, redact text[], ignore text[])
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $gen$
DECLARE
    rel_name text;
    cols text[];
    diffable text[];
    has_tenant boolean;
    has_user boolean;
    has_deleted_at boolean;
    is_tenants boolean;
    side text := CASE op WHEN 'delete' THEN 'o' ELSE 'n' END;
    tenant_expr text;
    entity_expr text;
    values_expr text;
    old_expr text;
    new_expr text;
    same_expr text;
    action_expr text;
    severity_expr text;
    from_clause text;
    where_clause text := '';
    transition text;
BEGIN
    SELECT c.relname INTO rel_name FROM pg_class c WHERE c.oid = tbl;
    -- Generated columns are left out: derived from the others, they add nothing to
    -- the record (a search document is the company name again, as a tsvector).
    SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols
    FROM pg_attribute a
    WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    IF NOT ('id' = ANY (cols)) THEN
        RAISE EXCEPTION 'audit_install: % has no id column', tbl;
    END IF;
    has_tenant := 'tenant_id' = ANY (cols);
    has_user := 'user_id' = ANY (cols);
    has_deleted_at := 'deleted_at' = ANY (cols);
    is_tenants := tbl = 'auth.tenants'::regclass;
    diffable := ARRAY(SELECT c FROM unnest(cols) AS c
                      WHERE c <> 'updated_at' AND NOT (c = ANY (ignore)));

    -- The tenant of the audit row: the tenant itself, the row's tenant_id, or, for the
    -- tables isolated through their user, the context's tenant or the user's.
    tenant_expr := CASE
        WHEN is_tenants AND op = 'delete' THEN 'NULL::uuid'
        WHEN is_tenants THEN 'n.id'
        WHEN has_tenant AND op = 'update' THEN 'COALESCE(n.tenant_id, o.tenant_id)'
        WHEN has_tenant THEN side || '.tenant_id'
        WHEN has_user THEN format(
            'COALESCE(ctx_tenant, (SELECT u.tenant_id FROM auth.users u WHERE u.id = %s))',
            CASE WHEN op = 'update' THEN 'COALESCE(n.user_id, o.user_id)' ELSE side || '.user_id' END)
        ELSE 'ctx_tenant' END;
    entity_expr := CASE WHEN op = 'update' THEN 'COALESCE(n.id, o.id)' ELSE side || '.id' END;

    IF op IN ('insert', 'delete') THEN
        -- The whole row, sensitive columns replaced (whether set or not, as before).
        values_expr := risk.audit_object_expr(ARRAY(
            SELECT format('%L, %s', c, CASE WHEN c = ANY (redact) THEN '''[redacted]''::text'
                                            ELSE side || '.' || quote_ident(c) END)
            FROM unnest(cols) WITH ORDINALITY AS x(c, i) ORDER BY i));
    ELSE
        -- Only the changed columns: both sides built in full, then the unchanged keys
        -- removed. A sensitive column appears, redacted, only when it changed.
        old_expr := '(' || risk.audit_object_expr(ARRAY(
            SELECT format('%L, %s', c, CASE WHEN c = ANY (redact) THEN '''[redacted]''::text'
                                            ELSE 'o.' || quote_ident(c) END)
            FROM unnest(diffable) WITH ORDINALITY AS x(c, i) ORDER BY i)) || ') - d.same';
        new_expr := '(' || risk.audit_object_expr(ARRAY(
            SELECT format('%L, %s', c, CASE WHEN c = ANY (redact) THEN '''[redacted]''::text'
                                            ELSE 'n.' || quote_ident(c) END)
            FROM unnest(diffable) WITH ORDINALITY AS x(c, i) ORDER BY i)) || ') - d.same';
        SELECT 'array_remove(ARRAY[' || string_agg(
                   format('CASE WHEN o.%1$I IS NOT DISTINCT FROM n.%1$I THEN %2$L END', c, c), ', ' ORDER BY i)
                   || ']::text[], NULL)'
        INTO same_expr
        FROM unnest(diffable) WITH ORDINALITY AS x(c, i);
    END IF;

    IF op = 'insert' THEN
        action_expr := '''insert''';
        severity_expr := '''info''';
        old_expr := 'NULL::jsonb';
        new_expr := values_expr || ' || reason_values';
        transition := 'new_rows';
        from_clause := 'FROM new_rows n';
    ELSIF op = 'delete' THEN
        action_expr := '''delete''';
        severity_expr := '''warning''';
        old_expr := values_expr;
        new_expr := 'reason_only';
        transition := 'old_rows';
        from_clause := 'FROM old_rows o';
        -- Rows deleted because their tenant is being deleted (cascade) have nowhere to go.
        IF NOT is_tenants THEN
            where_clause := format(E'\n    WHERE EXISTS (SELECT 1 FROM auth.tenants x WHERE x.id = %s)', tenant_expr);
        END IF;
    ELSE
        IF has_deleted_at THEN
            action_expr := 'CASE WHEN o.deleted_at IS NULL AND n.deleted_at IS NOT NULL THEN ''soft_delete'''
                        || ' WHEN o.deleted_at IS NOT NULL AND n.deleted_at IS NULL THEN ''restore'''
                        || ' ELSE ''update'' END';
            severity_expr := 'CASE WHEN o.deleted_at IS NULL AND n.deleted_at IS NOT NULL THEN ''warning'' ELSE ''info'' END';
        ELSE
            action_expr := '''update''';
            severity_expr := '''info''';
        END IF;
        new_expr := new_expr || ' || reason_values';
        transition := 'new_rows';
        -- Old and new rows paired by id. FULL JOIN: a statement that changes an id
        -- still leaves an audit row for each side (the values that vanished under the
        -- old id, those that appeared under the new one) instead of losing it.
        from_clause := 'FROM old_rows o FULL JOIN new_rows n ON n.id = o.id'
                    || E'\n    CROSS JOIN LATERAL (SELECT ' || same_expr || ' AS same) d';
        where_clause := format(E'\n    WHERE cardinality(d.same) < %s', cardinality(diffable));
    END IF;

    RETURN format($body$
DECLARE
    actor uuid := NULLIF(current_setting('app.current_user_id', true), '')::uuid;
    reason text := NULLIF(current_setting('app.cross_tenant_reason', true), '');
    ctx_tenant uuid;
    ip inet;
    agent text;
    session uuid;
    reason_values jsonb := '{}'::jsonb;
    reason_only jsonb;
BEGIN
    -- current_setting('role') is the role the transaction assumed (current_user is
    -- this function's owner).
    IF reason IS NOT NULL AND current_setting('role') = 'application_user' THEN
        RAISE EXCEPTION 'app.cross_tenant_reason is set in tenant work: only the platform role (aems_platform) crosses tenants'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'cross-tenant work goes through Database::platform';
    END IF;
    IF actor IS NULL AND reason IS NULL THEN
        -- Statement triggers fire for statements that changed nothing too.
        IF NOT EXISTS (SELECT 1 FROM %1$s) THEN
            RETURN NULL;
        END IF;
        PERFORM risk.audit_refuse_anonymous();
    END IF;
    IF reason IS NOT NULL THEN
        actor := NULL;
        reason_only := jsonb_build_object('_cross_tenant_reason', reason);
        reason_values := reason_only;
    END IF;
    ctx_tenant := NULLIF(current_setting('app.current_tenant_id', true), '')::uuid;
    ip := NULLIF(current_setting('app.client_ip', true), '')::inet;
    agent := NULLIF(current_setting('app.user_agent', true), '');
    session := NULLIF(current_setting('app.session_id', true), '')::uuid;
    INSERT INTO risk.audit_logs (id, tenant_id, user_id, action, entity_type, entity_id,
                                 old_values, new_values, ip_address, user_agent, session_id, severity)
    SELECT public.uuid_generate_v7(), %2$s, %3$s, %4$s, %5$L, %6$s,
           %7$s,
           %8$s,
           ip, agent, session, %9$s
    %10$s%11$s;
    RETURN NULL;
END;
$body$,
        transition,
        tenant_expr,
        CASE WHEN is_tenants AND op = 'delete' THEN 'NULL::uuid' ELSE 'actor' END,
        action_expr, rel_name, entity_expr, old_expr, new_expr, severity_expr,
        from_clause, where_clause);
END;
$gen$;

COMMENT ON FUNCTION risk.audit_function_body(regclass, text, text[], text[]) IS
    'The body of the generated audit trigger function of one table and operation (insert, update, delete).';

-- (Re)generates tbl's three audit trigger functions, risk.audit_<schema>_<table>_<op>,
-- from its current columns, and points its three audit triggers at them. redact and
-- ignore default to the arguments of the existing triggers ('redact:<column>',
-- 'ignore:<column>'), which keep recording them.
CREATE FUNCTION risk.audit_install(tbl regclass, redact text[] DEFAULT NULL, ignore text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp text;
    rel text;
    args text[];
    trigger_args text;
    op text;
    fn text;
    signature text;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl;
    IF redact IS NULL OR ignore IS NULL THEN
        -- The existing update trigger's arguments, decoded from pg_trigger.tgargs.
        SELECT ARRAY(SELECT a FROM unnest(string_to_array(
                   encode(t.tgargs, 'escape'), E'\\000')) AS a WHERE a <> '')
        INTO args
        FROM pg_trigger t
        WHERE t.tgrelid = tbl AND t.tgname = format('trg_%s_audit_update', rel);
        redact := COALESCE(redact, ARRAY(SELECT substr(a, 8) FROM unnest(args) AS a WHERE a LIKE 'redact:%'));
        ignore := COALESCE(ignore, ARRAY(SELECT substr(a, 8) FROM unnest(args) AS a WHERE a LIKE 'ignore:%'));
    END IF;
    trigger_args := array_to_string(
        ARRAY(SELECT quote_literal('redact:' || r) FROM unnest(redact) AS r)
        || ARRAY(SELECT quote_literal('ignore:' || i) FROM unnest(ignore) AS i), ', ');
    SELECT string_agg(a.attname::text, ',' ORDER BY a.attnum) INTO signature
    FROM pg_attribute a
    WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';

    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        fn := format('audit_%s_%s_%s', nsp, rel, op);
        EXECUTE format(
            'CREATE OR REPLACE FUNCTION risk.%I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER'
            ' SET search_path = pg_catalog, pg_temp AS %L',
            fn, risk.audit_function_body(tbl, op, redact, ignore));
        EXECUTE format('ALTER FUNCTION risk.%I() OWNER TO aems_audit_writer', fn);
        EXECUTE format('COMMENT ON FUNCTION risk.%I() IS %L', fn,
                       format('Audit trigger of %s.%s (%s), generated by risk.audit_install for columns: %s',
                              nsp, rel, op, signature));
        EXECUTE format('REVOKE ALL ON FUNCTION risk.%I() FROM PUBLIC', fn);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', format('trg_%s_audit_%s', rel, op), tbl);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION risk.%I(%s)',
            format('trg_%s_audit_%s', rel, op), upper(op), tbl,
            CASE op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                    WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                    ELSE 'OLD TABLE AS old_rows' END,
            fn, trigger_args);
    END LOOP;
END;
$$;

COMMENT ON FUNCTION risk.audit_install(regclass, text[], text[]) IS
    'Generates (again) the audit trigger functions of a table from its current columns and attaches them. Run it after a migration adds or drops a column of an audited table.';

REVOKE ALL ON FUNCTION risk.audit_object_expr(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.audit_function_body(regclass, text, text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.audit_install(regclass, text[], text[]) FROM PUBLIC;

-- Every audited table, with the sensitive and ignored columns its triggers already name.
SELECT risk.audit_install(t.tgrelid)
FROM pg_trigger t
WHERE t.tgname LIKE 'trg\_%\_audit\_update' AND NOT t.tgisinternal
ORDER BY t.tgrelid::regclass::text;

-- The generic functions no longer serve any trigger.
DROP FUNCTION risk.audit_after_insert();
DROP FUNCTION risk.audit_after_update();
DROP FUNCTION risk.audit_after_delete();
DROP FUNCTION risk.audit_mask(text[]);
