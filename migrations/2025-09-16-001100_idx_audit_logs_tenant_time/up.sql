-- The spec's idx_audit_logs_tenant_time, WITHOUT CONCURRENTLY: PostgreSQL 15 refuses
-- CREATE INDEX CONCURRENTLY on a partitioned table. audit_logs is new and empty here.
-- (To add an index to a large partitioned table later without blocking writes: create
-- the parent index ON ONLY the parent, build each partition's CONCURRENTLY, then
-- ALTER INDEX ... ATTACH PARTITION each.)
CREATE INDEX idx_audit_logs_tenant_time ON risk.audit_logs (tenant_id, "timestamp" DESC);
