-- Undo 003630: the actor is a foreign key again (rows of users deleted since, whose
-- actor no longer exists, lose it now, as they would have under the key).
DROP TRIGGER trg_audit_logs_actor_check ON risk.audit_logs;
DROP FUNCTION risk.audit_check_actor();
UPDATE risk.audit_logs a SET user_id = NULL
WHERE a.user_id IS NOT NULL AND a.tenant_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.tenant_id = a.tenant_id AND u.id = a.user_id);
ALTER TABLE risk.audit_logs ADD CONSTRAINT fk_audit_logs_user_id FOREIGN KEY (tenant_id, user_id)
    REFERENCES auth.users (tenant_id, id) ON DELETE SET NULL (user_id)
    DEFERRABLE INITIALLY DEFERRED;
