-- Undo 003620: the application roles insert audit rows directly again.
DROP FUNCTION risk.record_event(text, text, uuid[], jsonb, jsonb, text, uuid, uuid, inet, text, uuid);

GRANT EXECUTE ON FUNCTION risk.audit_after_insert(), risk.audit_after_update(), risk.audit_after_delete()
    TO PUBLIC;
DO $$
BEGIN
    EXECUTE pg_catalog.format('ALTER FUNCTION risk.audit_after_insert() OWNER TO %I', current_user);
    EXECUTE pg_catalog.format('ALTER FUNCTION risk.audit_after_update() OWNER TO %I', current_user);
    EXECUTE pg_catalog.format('ALTER FUNCTION risk.audit_after_delete() OWNER TO %I', current_user);
END
$$;
ALTER FUNCTION risk.audit_after_insert() SECURITY INVOKER;
ALTER FUNCTION risk.audit_after_update() SECURITY INVOKER;
ALTER FUNCTION risk.audit_after_delete() SECURITY INVOKER;

CREATE OR REPLACE FUNCTION risk.audit_context(
    OUT actor uuid, OUT tenant uuid, OUT ip inet, OUT agent text, OUT session uuid, OUT reason text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    actor   := NULLIF(current_setting('app.current_user_id', true), '')::uuid;
    tenant  := NULLIF(current_setting('app.current_tenant_id', true), '')::uuid;
    ip      := NULLIF(current_setting('app.client_ip', true), '')::inet;
    agent   := NULLIF(current_setting('app.user_agent', true), '');
    session := NULLIF(current_setting('app.session_id', true), '')::uuid;
    reason  := NULLIF(current_setting('app.cross_tenant_reason', true), '');
END;
$$;

-- (in the form 003500 gave it)
CREATE POLICY tenant_isolation_insert_policy ON risk.audit_logs
    FOR INSERT TO application_user
    WITH CHECK (tenant_id = ANY (ARRAY[(SELECT NULLIF(current_setting('app.current_tenant_id', true), '')::uuid)]));
GRANT INSERT ON TABLE risk.audit_logs TO application_user, aems_platform;

REVOKE EXECUTE ON FUNCTION risk.audit_context(), public.uuid_generate_v7() FROM aems_audit_writer;
DROP POLICY audit_writer_select_policy ON auth.tenants;
REVOKE SELECT (id) ON TABLE auth.tenants FROM aems_audit_writer;
DROP POLICY audit_writer_select_policy ON auth.users;
REVOKE SELECT (id, tenant_id) ON TABLE auth.users FROM aems_audit_writer;
DROP POLICY audit_writer_insert_policy ON risk.audit_logs;
REVOKE INSERT ON TABLE risk.audit_logs FROM aems_audit_writer;
REVOKE USAGE ON SCHEMA auth, risk FROM aems_audit_writer;

-- The role is cluster-wide: dropped only when no other database still uses it.
DO $$
BEGIN
    BEGIN
        DROP ROLE aems_audit_writer;
    EXCEPTION
        WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role aems_audit_writer kept: still used in another database (%)', SQLERRM;
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'role aems_audit_writer kept: %', SQLERRM;
    END;
END
$$;
