-- Audit rows can no longer be forged by the application's roles (issue 15, item 5).
--
-- Until now application_user and aems_platform held INSERT on risk.audit_logs: an SQL
-- injection in the embedding application could write any action, for any actor of its
-- tenant (any tenant as aems_platform), with any IP and a backdated "timestamp"; and a
-- tenant transaction that set app.cross_tenant_reason made the triggers' rows anonymous.
--
-- From here on nobody but the schema owner (and superusers) inserts into audit_logs
-- directly. Rows are written only by functions owned by a dedicated NOLOGIN role,
-- aems_audit_writer, which holds nothing but what writing the trail needs:
--
--   risk.record_event(...)        application events (sign-ins, MFA, salary reads,
--                                 cross-tenant access); SECURITY DEFINER, pinned
--                                 search_path; the time is the server's, and under
--                                 application_user the tenant, actor, IP, user agent and
--                                 session come from the transaction's context only.
--   risk.audit_after_insert/update/delete()
--                                 the data-change triggers, now SECURITY DEFINER (their
--                                 bodies are unchanged); nobody may attach them to a
--                                 table of their own (EXECUTE revoked from PUBLIC).
--   risk.audit_context()          refuses app.cross_tenant_reason under application_user.
--
-- aems_audit_writer is not BYPASSRLS: its own policies give it INSERT on audit_logs and
-- the SELECT of (tenant_id, id) of users and tenants that validating an actor needs.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aems_audit_writer') THEN
        BEGIN
            CREATE ROLE aems_audit_writer NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL; -- another database's migration created it at the same moment
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
               WHERE rolname = 'aems_audit_writer' AND (rolsuper OR rolbypassrls OR rolcanlogin)) THEN
        RAISE EXCEPTION 'aems_audit_writer must be NOLOGIN, NOSUPERUSER and NOBYPASSRLS';
    END IF;
    -- Handing functions to the role needs membership of it (unless superuser).
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND NOT pg_catalog.pg_has_role(current_user, 'aems_audit_writer', 'USAGE') THEN
        EXECUTE pg_catalog.format('GRANT aems_audit_writer TO %I', current_user);
    END IF;
END
$$;

GRANT USAGE ON SCHEMA auth, risk TO aems_audit_writer;
GRANT INSERT ON TABLE risk.audit_logs TO aems_audit_writer;
CREATE POLICY audit_writer_insert_policy ON risk.audit_logs
    FOR INSERT TO aems_audit_writer
    WITH CHECK (true);
GRANT SELECT (id, tenant_id) ON TABLE auth.users TO aems_audit_writer;
CREATE POLICY audit_writer_select_policy ON auth.users
    FOR SELECT TO aems_audit_writer
    USING (true);
GRANT SELECT (id) ON TABLE auth.tenants TO aems_audit_writer;
CREATE POLICY audit_writer_select_policy ON auth.tenants
    FOR SELECT TO aems_audit_writer
    USING (true);
GRANT EXECUTE ON FUNCTION risk.audit_context(), public.uuid_generate_v7() TO aems_audit_writer;

-- Direct inserts: gone for both application roles.
REVOKE INSERT ON TABLE risk.audit_logs FROM application_user, aems_platform;
DROP POLICY tenant_isolation_insert_policy ON risk.audit_logs;

-- A cross-tenant reason belongs to the platform role. Under application_user it would
-- make the triggers write rows without an actor: refused instead. (Same body as in
-- 003400 plus the check.)
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
    -- current_setting('role') is the role the transaction assumed, also inside a
    -- SECURITY DEFINER function (current_user is then the function's owner).
    IF reason IS NOT NULL AND current_setting('role') = 'application_user' THEN
        RAISE EXCEPTION 'app.cross_tenant_reason is set in tenant work: only the platform role (aems_platform) crosses tenants'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'cross-tenant work goes through Database::platform';
    END IF;
END;
$$;

-- The data-change triggers write as aems_audit_writer. The tenant of each row comes
-- from the changed row itself, which the caller's row-level security already checked.
ALTER FUNCTION risk.audit_after_insert() SECURITY DEFINER;
ALTER FUNCTION risk.audit_after_update() SECURITY DEFINER;
ALTER FUNCTION risk.audit_after_delete() SECURITY DEFINER;
ALTER FUNCTION risk.audit_after_insert() OWNER TO aems_audit_writer;
ALTER FUNCTION risk.audit_after_update() OWNER TO aems_audit_writer;
ALTER FUNCTION risk.audit_after_delete() OWNER TO aems_audit_writer;
-- A trigger fires without its function's EXECUTE privilege being checked; attaching
-- one needs it. Revoked, so nobody attaches them to a table of their own (a temporary
-- table whose rows name another tenant).
REVOKE ALL ON FUNCTION risk.audit_after_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.audit_after_update() FROM PUBLIC;
REVOKE ALL ON FUNCTION risk.audit_after_delete() FROM PUBLIC;

-- Application events. One row per element of p_entity_ids (one row without an entity
-- when it is NULL); returns the new rows' ids in that order. The row's "timestamp" is
-- the column default (the transaction's start), never the caller's.
--
--   application_user: the tenant, actor, IP, user agent and session are the context's
--     (p_tenant_id, p_user_id, p_ip, p_user_agent, p_session_id must be NULL); the
--     actor must be a user of the tenant.
--   aems_platform: requires app.cross_tenant_reason; the subject tenant and user are
--     given (either may be NULL: an unknown e-mail has neither), the user must belong
--     to the tenant; IP, user agent and session are given.
--
-- The actions the triggers write (insert, update, soft_delete, restore, delete) are
-- refused; cross_tenant_access only on the platform path.
CREATE FUNCTION risk.record_event(
    p_action text, p_entity_type text, p_entity_ids uuid[],
    p_old_values jsonb, p_new_values jsonb, p_severity text,
    p_tenant_id uuid, p_user_id uuid, p_ip inet, p_user_agent text, p_session_id uuid)
RETURNS uuid[]
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    assumed text := current_setting('role');
    v_tenant uuid;
    v_user uuid;
    v_ip inet;
    v_agent text;
    v_session uuid;
    entities uuid[] := COALESCE(p_entity_ids, ARRAY[NULL::uuid]);
    ids uuid[];
BEGIN
    SELECT * INTO ctx FROM risk.audit_context();
    IF p_action IN ('insert', 'update', 'soft_delete', 'restore', 'delete') THEN
        RAISE EXCEPTION 'record_event: % is written by the audit triggers only', p_action
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF assumed = 'application_user' THEN
        IF p_tenant_id IS NOT NULL OR p_user_id IS NOT NULL OR p_ip IS NOT NULL
           OR p_user_agent IS NOT NULL OR p_session_id IS NOT NULL THEN
            RAISE EXCEPTION 'record_event: in tenant work the tenant, actor, IP, user agent and session are the context''s'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_action = 'cross_tenant_access' THEN
            RAISE EXCEPTION 'record_event: cross_tenant_access is written by the platform path only'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF ctx.tenant IS NULL OR ctx.actor IS NULL THEN
            RAISE EXCEPTION 'record_event: no tenant or no actor in the context'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.tenant_id = ctx.tenant AND u.id = ctx.actor) THEN
            RAISE EXCEPTION 'record_event: the context''s actor is not a user of its tenant'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        v_tenant := ctx.tenant;
        v_user := ctx.actor;
        v_ip := ctx.ip;
        v_agent := ctx.agent;
        v_session := ctx.session;
    ELSIF assumed = 'aems_platform' THEN
        IF ctx.reason IS NULL THEN
            RAISE EXCEPTION 'record_event: platform events need app.cross_tenant_reason'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_user_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM auth.users u WHERE u.tenant_id = p_tenant_id AND u.id = p_user_id) THEN
            RAISE EXCEPTION 'record_event: user % is not a user of tenant %', p_user_id, p_tenant_id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_audit_logs_user_id';
        END IF;
        v_tenant := p_tenant_id;
        v_user := p_user_id;
        v_ip := p_ip;
        v_agent := p_user_agent;
        v_session := p_session_id;
    ELSE
        RAISE EXCEPTION 'record_event: only application_user and aems_platform record events (role %)', assumed
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    ids := ARRAY(SELECT public.uuid_generate_v7() FROM unnest(entities));
    INSERT INTO risk.audit_logs (id, tenant_id, user_id, action, entity_type, entity_id,
                                 old_values, new_values, ip_address, user_agent, session_id, severity)
    SELECT i, v_tenant, v_user, p_action, p_entity_type, e,
           p_old_values, p_new_values, v_ip, v_agent, v_session, p_severity
    FROM unnest(ids, entities) AS x(i, e);
    RETURN ids;
END;
$$;

ALTER FUNCTION risk.record_event(text, text, uuid[], jsonb, jsonb, text, uuid, uuid, inet, text, uuid)
    OWNER TO aems_audit_writer;
REVOKE ALL ON FUNCTION risk.record_event(text, text, uuid[], jsonb, jsonb, text, uuid, uuid, inet, text, uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION risk.record_event(text, text, uuid[], jsonb, jsonb, text, uuid, uuid, inet, text, uuid)
    TO application_user, aems_platform;

COMMENT ON FUNCTION risk.record_event(text, text, uuid[], jsonb, jsonb, text, uuid, uuid, inet, text, uuid) IS
    'The only way the application roles write audit rows: application events, stamped with the server''s time; in tenant work the tenant, actor, IP, user agent and session are the context''s.';
