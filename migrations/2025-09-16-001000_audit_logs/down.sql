-- Undo 001000 (dropping the parent drops every partition, created here or later).
DROP FUNCTION risk.drop_audit_log_partitions_before(date);
DROP FUNCTION risk.create_monthly_partition();
DROP FUNCTION risk.create_audit_log_partitions(date, integer);
DROP TABLE risk.audit_logs;
