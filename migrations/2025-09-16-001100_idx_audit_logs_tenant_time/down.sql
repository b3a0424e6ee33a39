DROP INDEX risk.idx_audit_logs_tenant_time;
