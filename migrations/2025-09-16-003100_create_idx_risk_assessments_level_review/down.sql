DROP INDEX CONCURRENTLY IF EXISTS risk.idx_risk_assessments_level_review;
