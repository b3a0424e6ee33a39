DROP INDEX CONCURRENTLY IF EXISTS hr.idx_recruitment_stage;
