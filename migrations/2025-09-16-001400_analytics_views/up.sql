-- The spec's "Query Optimization Examples" as views, per tenant. Both are
-- security_invoker: the caller's privileges and row-level security apply to the
-- tables underneath. A plain view runs with its owner's rights, and the owner (the
-- migration role, often a superuser) is not bound by RLS: it would show every
-- tenant's figures to anyone allowed to read the view.

-- Executive dashboard: monthly sales and finance metrics of the last 90 days.
-- One row per visible tenant, also when it has no metrics (sums NULL, count 0),
-- exactly as the spec's single-tenant query answers.
CREATE VIEW analytics.executive_summary
WITH (security_invoker = true) AS
SELECT
    t.id AS tenant_id,
    s.total_revenue,
    s.avg_win_rate,
    s.periods_count,
    f.total_profit,
    f.avg_cash_flow
FROM auth.tenants t
CROSS JOIN LATERAL (
    SELECT
        sum(m.total_revenue) AS total_revenue,
        avg(m.win_rate) AS avg_win_rate,
        count(*) AS periods_count
    FROM sales.sales_metrics m
    WHERE m.tenant_id = t.id
      AND m.metric_date >= CURRENT_DATE - INTERVAL '90 days'
      AND m.period_type = 'monthly'
) s
CROSS JOIN LATERAL (
    SELECT
        sum(fm.net_profit) AS total_profit,
        avg(fm.cash_flow) AS avg_cash_flow
    FROM finance.finance_metrics fm
    WHERE fm.tenant_id = t.id
      AND fm.metric_date >= CURRENT_DATE - INTERVAL '90 days'
      AND fm.period_type = 'monthly'
) f;

COMMENT ON VIEW analytics.executive_summary IS
    'Per tenant: sales total_revenue, avg_win_rate, periods_count and finance total_profit (net), avg_cash_flow over monthly metrics of the last 90 days. security_invoker: RLS applies.';

-- Customer analytics: active, not soft-deleted customers per tenant and segment.
-- (The spec orders by segment_revenue DESC; a view has no order: callers add it.)
CREATE VIEW analytics.customer_segments
WITH (security_invoker = true) AS
SELECT
    c.tenant_id,
    c.customer_segment,
    count(*) AS customer_count,
    avg(c.lifetime_value) AS avg_ltv,
    sum(c.total_revenue) AS segment_revenue
FROM sales.customers c
WHERE c.deleted_at IS NULL
  AND c.status = 'active'
GROUP BY c.tenant_id, c.customer_segment;

COMMENT ON VIEW analytics.customer_segments IS
    'Per tenant and customer_segment: customer_count, avg_ltv (lifetime_value), segment_revenue of active, non-deleted customers. security_invoker: RLS applies.';

GRANT SELECT ON analytics.executive_summary, analytics.customer_segments TO application_user;
