-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_finance_metrics_tenant_period
    ON finance.finance_metrics (tenant_id, period_type, metric_date DESC);
