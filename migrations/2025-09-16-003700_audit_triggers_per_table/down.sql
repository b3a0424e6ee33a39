-- Back to 003400's three generic trigger functions.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT tg.tgname, tg.tgrelid::regclass AS tbl, p.proname
        FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
        WHERE tg.tgname LIKE 'trg\_%\_audit\_%' AND NOT tg.tgisinternal
          AND p.pronamespace = 'risk'::regnamespace
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tbl);
        EXECUTE format('DROP FUNCTION risk.%I()', t.proname);
    END LOOP;
END;
$$;
DROP FUNCTION risk.audit_install(regclass, text[], text[]);
DROP FUNCTION risk.audit_function_body(regclass, text, text[], text[]);
DROP FUNCTION risk.audit_object_expr(text[]);

CREATE FUNCTION risk.audit_mask(args text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT jsonb_object_agg(substr(a, 8), to_jsonb('[redacted]'::text))
    FROM unnest(args) AS a WHERE a LIKE 'redact:%'
$$;

CREATE FUNCTION risk.audit_after_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Its INSERT reads only variables: one generic plan per session, never re-planned
-- (custom plans re-planned it on every write, inlining uuid_generate_v7 each time).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    ctx record;
    mask jsonb := CASE WHEN TG_NARGS > 0 THEN risk.audit_mask(TG_ARGV) END;
    extra jsonb;
    rows_in jsonb[];
BEGIN
    SELECT * INTO ctx FROM risk.audit_context();
    IF ctx.actor IS NULL AND ctx.reason IS NULL THEN
        -- Statement triggers fire for statements that changed nothing too.
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
        PERFORM risk.audit_refuse_anonymous();
    END IF;
    extra := COALESCE(mask, '{}'::jsonb)
        || CASE WHEN ctx.reason IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('_cross_tenant_reason', ctx.reason) END;
    -- A statement reading a transition table is planned on every execution;
    -- this one is trivial. The INSERT below reads only variables, so its plan
    -- is cached for the session.
    SELECT array_agg(to_jsonb(n)) INTO rows_in FROM new_rows n;
    INSERT INTO risk.audit_logs (id, tenant_id, user_id, action, entity_type, entity_id,
                                 new_values, ip_address, user_agent, session_id, severity)
    SELECT public.uuid_generate_v7(),
           CASE WHEN TG_TABLE_NAME = 'tenants' THEN (r.j->>'id')::uuid
                WHEN r.j ? 'tenant_id' THEN (r.j->>'tenant_id')::uuid
                ELSE COALESCE(ctx.tenant,
                              (SELECT u.tenant_id FROM auth.users u WHERE u.id = (r.j->>'user_id')::uuid))
           END,
           CASE WHEN ctx.reason IS NULL THEN ctx.actor END,
           'insert', TG_TABLE_NAME, (r.j->>'id')::uuid,
           r.j || extra,
           ctx.ip, ctx.agent, ctx.session, 'info'
    FROM unnest(rows_in) AS r(j);
    RETURN NULL;
END;
$$;

CREATE FUNCTION risk.audit_after_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Its INSERT reads only variables: one generic plan per session, never re-planned
-- (custom plans re-planned it on every write, inlining uuid_generate_v7 each time).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    ctx record;
    mask jsonb := CASE WHEN TG_NARGS > 0 THEN risk.audit_mask(TG_ARGV) END;
    -- updated_at changes with every update: on its own it is not a change; nor is a
    -- change to only the columns named 'ignore:<column>' (a session's last_activity).
    ignored text[] := ARRAY['updated_at']
        || ARRAY(SELECT substr(a, 8) FROM unnest(TG_ARGV) AS a WHERE a LIKE 'ignore:%');
    olds jsonb[];
    news jsonb[];
BEGIN
    SELECT * INTO ctx FROM risk.audit_context();
    IF ctx.actor IS NULL AND ctx.reason IS NULL THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
        PERFORM risk.audit_refuse_anonymous();
    END IF;
    -- Old and new rows paired by id, read from the transition tables in one
    -- trivial statement (planned on every execution, as any statement reading
    -- them); the diff below reads only variables, so its plan is cached.
    -- (Paired by position, both ordered by id: the library never changes an id.)
    SELECT (SELECT array_agg(to_jsonb(o) ORDER BY o.id) FROM old_rows o),
           (SELECT array_agg(to_jsonb(n) ORDER BY n.id) FROM new_rows n)
    INTO olds, news;
    INSERT INTO risk.audit_logs (id, tenant_id, user_id, action, entity_type, entity_id,
                                 old_values, new_values, ip_address, user_agent, session_id, severity)
    SELECT public.uuid_generate_v7(),
           CASE WHEN TG_TABLE_NAME = 'tenants' THEN (n.j->>'id')::uuid
                WHEN n.j ? 'tenant_id' THEN (n.j->>'tenant_id')::uuid
                ELSE COALESCE(ctx.tenant,
                              (SELECT u.tenant_id FROM auth.users u WHERE u.id = (n.j->>'user_id')::uuid))
           END,
           CASE WHEN ctx.reason IS NULL THEN ctx.actor END,
           CASE
               WHEN (o.j->>'deleted_at') IS NULL AND (n.j->>'deleted_at') IS NOT NULL THEN 'soft_delete'
               WHEN (o.j->>'deleted_at') IS NOT NULL AND (n.j->>'deleted_at') IS NULL THEN 'restore'
               ELSE 'update'
           END,
           TG_TABLE_NAME, (n.j->>'id')::uuid,
           CASE WHEN mask IS NULL THEN d.old_values
                ELSE d.old_values || COALESCE((SELECT jsonb_object_agg(m.key, m.value)
                                               FROM jsonb_each(mask) AS m WHERE d.old_values ? m.key), '{}'::jsonb)
           END,
           CASE WHEN mask IS NULL THEN d.new_values
                ELSE d.new_values || COALESCE((SELECT jsonb_object_agg(m.key, m.value)
                                               FROM jsonb_each(mask) AS m WHERE d.new_values ? m.key), '{}'::jsonb)
           END
               || CASE WHEN ctx.reason IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('_cross_tenant_reason', ctx.reason) END,
           ctx.ip, ctx.agent, ctx.session,
           CASE WHEN (o.j->>'deleted_at') IS NULL AND (n.j->>'deleted_at') IS NOT NULL
                THEN 'warning' ELSE 'info' END
    FROM unnest(olds, news) AS pair(old_j, new_j)
    CROSS JOIN LATERAL (SELECT pair.old_j AS j) AS o
    CROSS JOIN LATERAL (SELECT pair.new_j AS j) AS n
    CROSS JOIN LATERAL (
        SELECT jsonb_object_agg(k, o.j->k) AS old_values, jsonb_object_agg(k, n.j->k) AS new_values
        FROM jsonb_object_keys(n.j) AS k
        WHERE (n.j->k) IS DISTINCT FROM (o.j->k) AND NOT (k = ANY (ignored))
    ) AS d
    WHERE d.new_values IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE FUNCTION risk.audit_after_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Its INSERT reads only variables: one generic plan per session, never re-planned
-- (custom plans re-planned it on every write, inlining uuid_generate_v7 each time).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    ctx record;
    mask jsonb := CASE WHEN TG_NARGS > 0 THEN risk.audit_mask(TG_ARGV) END;
    rows_out jsonb[];
BEGIN
    SELECT * INTO ctx FROM risk.audit_context();
    IF ctx.actor IS NULL AND ctx.reason IS NULL THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
        PERFORM risk.audit_refuse_anonymous();
    END IF;
    SELECT array_agg(to_jsonb(x)) INTO rows_out FROM old_rows x;
    INSERT INTO risk.audit_logs (id, tenant_id, user_id, action, entity_type, entity_id,
                                 old_values, new_values, ip_address, user_agent, session_id, severity)
    SELECT public.uuid_generate_v7(),
           -- A deleted tenant takes its audit rows with it (ON DELETE CASCADE); the
           -- record that it was deleted is kept as a platform row without a tenant.
           CASE WHEN TG_TABLE_NAME = 'tenants' THEN NULL ELSE t.tenant END,
           CASE WHEN ctx.reason IS NULL AND TG_TABLE_NAME <> 'tenants' THEN ctx.actor END,
           'delete', TG_TABLE_NAME, (r.j->>'id')::uuid,
           r.j || COALESCE(mask, '{}'::jsonb),
           CASE WHEN ctx.reason IS NULL THEN NULL
                ELSE jsonb_build_object('_cross_tenant_reason', ctx.reason) END,
           ctx.ip, ctx.agent, ctx.session, 'warning'
    FROM unnest(rows_out) AS r(j)
    CROSS JOIN LATERAL (
        SELECT CASE WHEN r.j ? 'tenant_id' THEN (r.j->>'tenant_id')::uuid
                    ELSE COALESCE(ctx.tenant,
                                  (SELECT u.tenant_id FROM auth.users u WHERE u.id = (r.j->>'user_id')::uuid))
               END AS tenant
    ) AS t
    -- Rows deleted because their tenant is being deleted (cascade) have nowhere to go.
    WHERE TG_TABLE_NAME = 'tenants'
       OR EXISTS (SELECT 1 FROM auth.tenants x WHERE x.id = t.tenant);
    RETURN NULL;
END;
$$;

-- As 003620 left them: writing as aems_audit_writer, not attachable by anyone else.
ALTER FUNCTION risk.audit_after_insert() SECURITY DEFINER;
ALTER FUNCTION risk.audit_after_update() SECURITY DEFINER;
ALTER FUNCTION risk.audit_after_delete() SECURITY DEFINER;
ALTER FUNCTION risk.audit_after_insert() OWNER TO aems_audit_writer;
ALTER FUNCTION risk.audit_after_update() OWNER TO aems_audit_writer;
ALTER FUNCTION risk.audit_after_delete() OWNER TO aems_audit_writer;
REVOKE ALL ON FUNCTION risk.audit_after_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.audit_after_update() FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.audit_after_delete() FROM PUBLIC;

-- One trio of triggers per audited table; sensitive columns named per table.
CREATE TRIGGER trg_tenants_audit_insert AFTER INSERT ON auth.tenants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_tenants_audit_update AFTER UPDATE ON auth.tenants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_tenants_audit_delete AFTER DELETE ON auth.tenants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_users_audit_insert AFTER INSERT ON auth.users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert('redact:password_hash');
CREATE TRIGGER trg_users_audit_update AFTER UPDATE ON auth.users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update('redact:password_hash');
CREATE TRIGGER trg_users_audit_delete AFTER DELETE ON auth.users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete('redact:password_hash');

CREATE TRIGGER trg_user_sessions_audit_insert AFTER INSERT ON auth.user_sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert('redact:token_hash', 'redact:refresh_token_hash', 'ignore:last_activity');
CREATE TRIGGER trg_user_sessions_audit_update AFTER UPDATE ON auth.user_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update('redact:token_hash', 'redact:refresh_token_hash', 'ignore:last_activity');
CREATE TRIGGER trg_user_sessions_audit_delete AFTER DELETE ON auth.user_sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete('redact:token_hash', 'redact:refresh_token_hash', 'ignore:last_activity');

CREATE TRIGGER trg_user_mfa_audit_insert AFTER INSERT ON auth.user_mfa
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert('redact:secret_key', 'redact:backup_codes');
CREATE TRIGGER trg_user_mfa_audit_update AFTER UPDATE ON auth.user_mfa
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update('redact:secret_key', 'redact:backup_codes');
CREATE TRIGGER trg_user_mfa_audit_delete AFTER DELETE ON auth.user_mfa
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete('redact:secret_key', 'redact:backup_codes');

CREATE TRIGGER trg_oauth_connections_audit_insert AFTER INSERT ON auth.oauth_connections
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert('redact:access_token', 'redact:refresh_token');
CREATE TRIGGER trg_oauth_connections_audit_update AFTER UPDATE ON auth.oauth_connections
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update('redact:access_token', 'redact:refresh_token');
CREATE TRIGGER trg_oauth_connections_audit_delete AFTER DELETE ON auth.oauth_connections
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete('redact:access_token', 'redact:refresh_token');

CREATE TRIGGER trg_sales_metrics_audit_insert AFTER INSERT ON sales.sales_metrics
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_sales_metrics_audit_update AFTER UPDATE ON sales.sales_metrics
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_sales_metrics_audit_delete AFTER DELETE ON sales.sales_metrics
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_customers_audit_insert AFTER INSERT ON sales.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_customers_audit_update AFTER UPDATE ON sales.customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_customers_audit_delete AFTER DELETE ON sales.customers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_sales_pipeline_audit_insert AFTER INSERT ON sales.sales_pipeline
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_sales_pipeline_audit_update AFTER UPDATE ON sales.sales_pipeline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_sales_pipeline_audit_delete AFTER DELETE ON sales.sales_pipeline
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_finance_metrics_audit_insert AFTER INSERT ON finance.finance_metrics
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_finance_metrics_audit_update AFTER UPDATE ON finance.finance_metrics
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_finance_metrics_audit_delete AFTER DELETE ON finance.finance_metrics
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_budget_plans_audit_insert AFTER INSERT ON finance.budget_plans
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_budget_plans_audit_update AFTER UPDATE ON finance.budget_plans
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_budget_plans_audit_delete AFTER DELETE ON finance.budget_plans
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_expense_transactions_audit_insert AFTER INSERT ON finance.expense_transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_expense_transactions_audit_update AFTER UPDATE ON finance.expense_transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_expense_transactions_audit_delete AFTER DELETE ON finance.expense_transactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_hr_metrics_audit_insert AFTER INSERT ON hr.hr_metrics
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_hr_metrics_audit_update AFTER UPDATE ON hr.hr_metrics
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_hr_metrics_audit_delete AFTER DELETE ON hr.hr_metrics
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_employees_audit_insert AFTER INSERT ON hr.employees
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert('redact:salary');
CREATE TRIGGER trg_employees_audit_update AFTER UPDATE ON hr.employees
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update('redact:salary');
CREATE TRIGGER trg_employees_audit_delete AFTER DELETE ON hr.employees
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete('redact:salary');

CREATE TRIGGER trg_recruitment_pipeline_audit_insert AFTER INSERT ON hr.recruitment_pipeline
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_recruitment_pipeline_audit_update AFTER UPDATE ON hr.recruitment_pipeline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_recruitment_pipeline_audit_delete AFTER DELETE ON hr.recruitment_pipeline
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_products_audit_insert AFTER INSERT ON products.products
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_products_audit_update AFTER UPDATE ON products.products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_products_audit_delete AFTER DELETE ON products.products
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_inventory_levels_audit_insert AFTER INSERT ON products.inventory_levels
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_inventory_levels_audit_update AFTER UPDATE ON products.inventory_levels
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_inventory_levels_audit_delete AFTER DELETE ON products.inventory_levels
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_product_performance_audit_insert AFTER INSERT ON products.product_performance
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_product_performance_audit_update AFTER UPDATE ON products.product_performance
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_product_performance_audit_delete AFTER DELETE ON products.product_performance
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_risk_assessments_audit_insert AFTER INSERT ON risk.risk_assessments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_risk_assessments_audit_update AFTER UPDATE ON risk.risk_assessments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_risk_assessments_audit_delete AFTER DELETE ON risk.risk_assessments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();

CREATE TRIGGER trg_compliance_records_audit_insert AFTER INSERT ON risk.compliance_records
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_insert();
CREATE TRIGGER trg_compliance_records_audit_update AFTER UPDATE ON risk.compliance_records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_update();
CREATE TRIGGER trg_compliance_records_audit_delete AFTER DELETE ON risk.compliance_records
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk.audit_after_delete();
