-- Undo 001200. This fails (numeric field overflow) rather than clamp when a stored
-- value does not fit the narrower type: such rows must be dealt with first.
ALTER TABLE products.product_performance
    ALTER COLUMN price_elasticity TYPE DECIMAL(5,4);

ALTER TABLE products.inventory_levels
    ALTER COLUMN turnover_rate TYPE DECIMAL(5,2);

ALTER TABLE finance.finance_metrics
    ALTER COLUMN gross_margin TYPE DECIMAL(5,2),
    ALTER COLUMN net_margin TYPE DECIMAL(5,2);

ALTER TABLE finance.budget_plans
    ALTER COLUMN variance_percentage TYPE DECIMAL(5,2);
