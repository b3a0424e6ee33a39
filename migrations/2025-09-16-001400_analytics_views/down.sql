-- Undo 001400.
DROP VIEW analytics.customer_segments;
DROP VIEW analytics.executive_summary;
