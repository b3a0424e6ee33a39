-- Columns of the spec too narrow for values they must hold in normal use, widened
-- (never clamped, never rounded). Same scale, larger precision: PostgreSQL changes the
-- type without rewriting the table. Reasons (docs/schema.md, "Deviations"):
--
-- finance.budget_plans.variance_percentage DECIMAL(5,2) -> (9,2): (actual - planned) /
--   planned * 100 exceeds 999.99 as soon as actual is over 11x planned (a small
--   placeholder budget that was overspent); -100 is its floor, the ceiling is open.
-- finance.finance_metrics.gross_margin, net_margin DECIMAL(5,2) -> (9,2): margins are
--   profit / revenue * 100 and go far below -999.99 whenever losses exceed ten times
--   revenue (early-stage tenants, a month of near-zero revenue).
-- products.inventory_levels.turnover_rate DECIMAL(5,2) -> (9,2): a ratio (cost of goods
--   sold / average stock), not a percentage; fast movers kept at low stock per
--   warehouse turn over 1,000+ times a year.
-- products.product_performance.price_elasticity DECIMAL(5,4) -> (8,4): (5,4) stops at
--   +/-9.9999, but elasticities measured from period-to-period sales are routinely
--   beyond +/-10 (small price changes with large volume swings).

ALTER TABLE finance.budget_plans
    ALTER COLUMN variance_percentage TYPE DECIMAL(9,2);

ALTER TABLE finance.finance_metrics
    ALTER COLUMN gross_margin TYPE DECIMAL(9,2),
    ALTER COLUMN net_margin TYPE DECIMAL(9,2);

ALTER TABLE products.inventory_levels
    ALTER COLUMN turnover_rate TYPE DECIMAL(9,2);

ALTER TABLE products.product_performance
    ALTER COLUMN price_elasticity TYPE DECIMAL(8,4);
