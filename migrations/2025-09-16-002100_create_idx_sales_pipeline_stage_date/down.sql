DROP INDEX CONCURRENTLY IF EXISTS sales.idx_sales_pipeline_stage_date;
