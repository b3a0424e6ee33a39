-- Undo 000500.
DROP TABLE sales.sales_pipeline;
DROP TABLE sales.customers;
DROP TABLE sales.sales_metrics;
