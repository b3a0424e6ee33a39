-- The spec's indexing strategy. CONCURRENTLY, so in a migration of its own
-- (run_in_transaction = false) holding exactly one statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sales_pipeline_stage_date
    ON sales.sales_pipeline (stage, expected_close_date);
