-- Purging a user no longer rewrites history (issue 15, item 7).
--
-- fk_audit_logs_user_id (tenant_id, user_id) -> auth.users ON DELETE SET NULL (user_id)
-- erased the actor from every row a purged user had written. The actor is now checked
-- when the row is written, not kept in step with auth.users afterwards: the trail
-- keeps the id of a user who no longer exists.
--
-- The check keeps the foreign key's rule and timing: the actor must be a user of the
-- row's tenant, checked at commit (signup writes the tenant's rows, actor the new
-- admin, before the admin's user row exists), rows without tenant or actor are not
-- checked (MATCH SIMPLE), and a failure is a foreign_key_violation naming
-- fk_audit_logs_user_id. It applies to rows written through the audit functions
-- (current_user aems_audit_writer, 003620), which are all rows the application roles
-- can write; the owner's own maintenance (moving rows between partitions, repairs)
-- is not checked, so rows of purged users can still be moved.
--
-- Unlike the foreign key it takes no KEY SHARE lock on the user's row.
ALTER TABLE risk.audit_logs DROP CONSTRAINT fk_audit_logs_user_id;

CREATE FUNCTION risk.audit_check_actor() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.tenant_id = NEW.tenant_id AND u.id = NEW.user_id) THEN
        RAISE EXCEPTION 'audit row %: actor % is not a user of tenant %', NEW.id, NEW.user_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_audit_logs_user_id',
                  SCHEMA = 'risk', TABLE = 'audit_logs';
    END IF;
    RETURN NULL;
END;
$$;
ALTER FUNCTION risk.audit_check_actor() OWNER TO aems_audit_writer;
REVOKE ALL ON FUNCTION risk.audit_check_actor() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER trg_audit_logs_actor_check AFTER INSERT ON risk.audit_logs
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.user_id IS NOT NULL AND NEW.tenant_id IS NOT NULL
          AND current_user = 'aems_audit_writer'::name)
    EXECUTE FUNCTION risk.audit_check_actor();
