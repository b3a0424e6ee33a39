//! The analytics views through `exec.analytics()`: figures on known data,
//! computed by hand here, for two tenants whose data must never mix; the
//! 90-day window and the monthly-only rule of the executive summary; active,
//! live customers only in the segments; one round trip each.

use aems_core::sales::customers::CustomerSegment;
use aems_diesel::analytics::{ExecutiveSummary, SegmentFigures};
use aems_diesel::prelude::*;
use aems_diesel::testing::RoundTripProxy;
use aems_diesel::{Database, DatabaseConfig};
use bigdecimal::BigDecimal;

use crate::fixture::Seeded;
use crate::support::{TwoTenants, admin, app};

fn dec(s: &str) -> BigDecimal {
    s.parse().unwrap()
}

/// Runs `sql` as the administrator for `who`'s tenant, in UTC (the time zone
/// of the library's sessions, so `current_date` is the same day for both).
async fn seed(t: &TwoTenants, who: &Seeded, sql: &str) {
    admin(&t.db)
        .await
        .batch_execute(&format!(
            "BEGIN;
             SET LOCAL TIME ZONE 'UTC';
             SELECT set_config('app.current_tenant_id', '{}', true),
                    set_config('app.current_user_id', '{}', true);
             {sql}
             COMMIT;",
            who.tenant, who.user
        ))
        .await
        .unwrap_or_else(|e| panic!("seeding failed: {e:?}"));
}

/// `(metric_date expression, period_type, a, b)` rows for the sales metrics
/// (`total_revenue`, `win_rate`) of `who`, replacing the fixture's.
async fn sales_metrics(t: &TwoTenants, who: &Seeded, rows: &[(&str, &str, &str, &str)]) {
    let values: Vec<String> = rows
        .iter()
        .map(|(day, period, revenue, win_rate)| {
            format!(
                "('{}', {day}, '{period}', {revenue}, {win_rate}, '{u}', '{u}')",
                who.tenant,
                u = who.user
            )
        })
        .collect();
    seed(
        t,
        who,
        &format!(
            "DELETE FROM sales.sales_metrics WHERE tenant_id = '{}';
             INSERT INTO sales.sales_metrics (tenant_id, metric_date, period_type, total_revenue,
                    win_rate, created_by, updated_by)
                VALUES {};",
            who.tenant,
            values.join(",\n")
        ),
    )
    .await;
}

/// `(metric_date expression, period_type, net_profit, cash_flow)` rows for
/// the finance metrics of `who`, replacing the fixture's.
async fn finance_metrics(t: &TwoTenants, who: &Seeded, rows: &[(&str, &str, &str, &str)]) {
    let values: Vec<String> = rows
        .iter()
        .map(|(day, period, profit, cash)| {
            format!(
                "('{}', {day}, '{period}', {profit}, {cash}, '{u}', '{u}')",
                who.tenant,
                u = who.user
            )
        })
        .collect();
    seed(
        t,
        who,
        &format!(
            "DELETE FROM finance.finance_metrics WHERE tenant_id = '{}';
             INSERT INTO finance.finance_metrics (tenant_id, metric_date, period_type, net_profit,
                    cash_flow, created_by, updated_by)
                VALUES {};",
            who.tenant,
            values.join(",\n")
        ),
    )
    .await;
}

/// `(segment, status, lifetime_value, total_revenue, soft-deleted)` customers
/// added for `who`.
async fn customers(t: &TwoTenants, who: &Seeded, rows: &[(&str, &str, &str, &str, bool)]) {
    let values: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (segment, status, ltv, revenue, deleted))| {
            format!(
                "('{tenant}', 'Company {i}', 'c{i}@example.com', '{segment}', '2025-01-01',
                  {ltv}, {revenue}, '{status}', {deleted_at}, '{u}', '{u}')",
                tenant = who.tenant,
                u = who.user,
                deleted_at = if *deleted { "now()" } else { "NULL" }
            )
        })
        .collect();
    seed(
        t,
        who,
        &format!(
            "INSERT INTO sales.customers (tenant_id, company_name, contact_email, customer_segment,
                    acquisition_date, lifetime_value, total_revenue, status, deleted_at,
                    created_by, updated_by)
                VALUES {};",
            values.join(",\n")
        ),
    )
    .await;
}

/// Tenant A: three monthly periods inside the window (its first day, the
/// 30th / 60th day back, today) and rows that must not count: the day before
/// the window, and weekly, daily, quarterly and yearly periods inside it.
async fn seed_metrics_of_a(t: &TwoTenants) {
    sales_metrics(
        t,
        &t.a,
        &[
            ("current_date", "monthly", "1000.50", "20.00"),
            ("current_date - 30", "monthly", "2000.25", "30.00"),
            ("current_date - 90", "monthly", "3000.00", "40.00"),
            ("current_date - 91", "monthly", "99999.99", "99.00"),
            ("current_date - 10", "weekly", "5555.55", "55.00"),
            ("current_date - 11", "daily", "4444.44", "44.00"),
            ("current_date - 12", "quarterly", "3333.33", "33.00"),
            ("current_date", "yearly", "2222.22", "22.00"),
        ],
    )
    .await;
    finance_metrics(
        t,
        &t.a,
        &[
            ("current_date", "monthly", "500.00", "100.00"),
            ("current_date - 60", "monthly", "-200.50", "250.00"),
            ("current_date - 90", "monthly", "0.25", "-50.00"),
            ("current_date - 91", "monthly", "7777.77", "7777.77"),
            ("current_date - 1", "weekly", "1111.11", "1111.11"),
            ("current_date - 2", "yearly", "2222.22", "2222.22"),
        ],
    )
    .await;
}

/// Tenant B: large figures, so any of them leaking into A's would show.
async fn seed_metrics_of_b(t: &TwoTenants) {
    sales_metrics(
        t,
        &t.b,
        &[
            ("current_date", "monthly", "1000000.00", "90.00"),
            ("current_date - 45", "monthly", "500000.00", "80.00"),
        ],
    )
    .await;
    finance_metrics(
        t,
        &t.b,
        &[
            ("current_date", "monthly", "900000.00", "800000.00"),
            ("current_date - 45", "monthly", "100000.00", "200000.00"),
        ],
    )
    .await;
}

fn assert_summary(
    actual: &ExecutiveSummary,
    revenue: Option<&str>,
    win_rate: Option<&str>,
    periods: i64,
    profit: Option<&str>,
    cash: Option<&str>,
) {
    let expected = (
        revenue.map(dec),
        win_rate.map(dec),
        periods,
        profit.map(dec),
        cash.map(dec),
    );
    let got = (
        actual.sales_total_revenue.clone(),
        actual.sales_avg_win_rate.clone(),
        actual.sales_periods,
        actual.finance_total_net_profit.clone(),
        actual.finance_avg_cash_flow.clone(),
    );
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_executive_summary_counts_monthly_metrics_of_the_last_90_days_of_its_own_tenant() {
    let t = TwoTenants::new().await;
    seed_metrics_of_a(&t).await;
    seed_metrics_of_b(&t).await;

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let figures = a.analytics().executive_summary().await.unwrap();
    // Sales: 1000.50 + 2000.25 + 3000.00; (20 + 30 + 40) / 3; three periods.
    // Finance: 500.00 − 200.50 + 0.25; (100 + 250 − 50) / 3.
    assert_summary(
        &figures,
        Some("6000.75"),
        Some("30"),
        3,
        Some("299.75"),
        Some("100"),
    );

    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let figures = b.analytics().executive_summary().await.unwrap();
    assert_summary(
        &figures,
        Some("1500000.00"),
        Some("85"),
        2,
        Some("1000000.00"),
        Some("500000"),
    );
}

#[tokio::test]
async fn without_monthly_metrics_in_the_window_the_summary_has_no_sums_and_zero_periods() {
    let t = TwoTenants::new().await;
    sales_metrics(
        &t,
        &t.a,
        &[
            ("current_date - 91", "monthly", "10.00", "10.00"),
            ("current_date", "weekly", "10.00", "10.00"),
        ],
    )
    .await;
    finance_metrics(
        &t,
        &t.a,
        &[("current_date - 365", "monthly", "10.00", "10.00")],
    )
    .await;
    seed_metrics_of_b(&t).await;

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let figures = a.analytics().executive_summary().await.unwrap();
    assert_summary(&figures, None, None, 0, None, None);
}

#[tokio::test]
async fn segments_count_active_live_customers_of_the_tenant_by_revenue_highest_first() {
    let t = TwoTenants::new().await;
    // The fixture's customer of each tenant: smb, active, 0 / 0. A's gets figures.
    seed(
        &t,
        &t.a,
        &format!(
            "UPDATE sales.customers SET lifetime_value = 100.00, total_revenue = 1000.00
              WHERE id = '{}';",
            t.a.customer
        ),
    )
    .await;
    customers(
        &t,
        &t.a,
        &[
            ("smb", "active", "300.00", "500.00", false),
            ("enterprise", "active", "10000.00", "9000.00", false),
            ("enterprise", "active", "20000.00", "1000.50", false),
            ("mid_market", "active", "50.00", "1500.00", false),
            // Not counted: not active, or soft-deleted.
            ("enterprise", "inactive", "1000000.00", "1000000.00", false),
            ("smb", "churned", "1000000.00", "1000000.00", false),
            ("smb", "prospect", "1000000.00", "1000000.00", false),
            ("enterprise", "active", "1000000.00", "1000000.00", true),
            // A segment with no counted customer has no row.
            ("startup", "active", "1000000.00", "1000000.00", true),
            ("startup", "inactive", "1000000.00", "1000000.00", false),
        ],
    )
    .await;
    customers(
        &t,
        &t.b,
        &[
            ("enterprise", "active", "1000000.00", "5000000.00", false),
            ("startup", "active", "77.00", "999999.00", false),
        ],
    )
    .await;

    let figures =
        |segment, count, ltv: &str, revenue: &str| (segment, count, dec(ltv), dec(revenue));
    let as_tuples = |segments: Vec<SegmentFigures>| {
        segments
            .into_iter()
            .map(|s| (s.segment, s.customer_count, s.avg_lifetime_value, s.revenue))
            .collect::<Vec<_>>()
    };

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    // enterprise: 2 customers, (10000 + 20000) / 2, 9000.00 + 1000.50;
    // mid_market and smb tie at 1500.00 and follow in name order:
    // mid_market 1, 50, 1500.00; smb: 2, (100 + 300) / 2, 1000.00 + 500.00.
    assert_eq!(
        as_tuples(a.analytics().customer_segments().await.unwrap()),
        vec![
            figures(CustomerSegment::Enterprise, 2, "15000", "10000.50"),
            figures(CustomerSegment::MidMarket, 1, "50", "1500.00"),
            figures(CustomerSegment::Smb, 2, "200", "1500.00"),
        ]
    );

    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    assert_eq!(
        as_tuples(b.analytics().customer_segments().await.unwrap()),
        vec![
            figures(CustomerSegment::Enterprise, 1, "1000000", "5000000.00"),
            figures(CustomerSegment::Startup, 1, "77", "999999.00"),
            figures(CustomerSegment::Smb, 1, "0", "0"),
        ]
    );
}

#[tokio::test]
async fn the_views_themselves_show_a_tenant_only_its_own_rows() {
    // The repository names the tenant; the views must not need it to: they
    // are security_invoker, so row-level security applies underneath.
    let t = TwoTenants::new().await;
    seed_metrics_of_a(&t).await;
    seed_metrics_of_b(&t).await;
    customers(&t, &t.b, &[("startup", "active", "1.00", "2.00", false)]).await;
    let client = app(&t.db).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "SELECT set_config('role', 'application_user', true),
                    set_config('app.current_tenant_id', $1, true)",
            &[&t.a.tenant.to_string()],
        )
        .await
        .unwrap();
    let summaries = client
        .query(
            "SELECT tenant_id, total_revenue::text FROM analytics.executive_summary",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].get::<_, uuid::Uuid>(0), t.a.tenant);
    assert_eq!(summaries[0].get::<_, String>(1), "6000.75");
    let segments = client
        .query(
            "SELECT DISTINCT tenant_id FROM analytics.customer_segments",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].get::<_, uuid::Uuid>(0), t.a.tenant);
    client.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn each_figure_is_one_round_trip_from_a_one_shot_executor() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = Database::new(DatabaseConfig::new(proxy.app_url()).max_connections(1)).unwrap();
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    // Warm up: connected, both statements prepared.
    s.analytics().executive_summary().await.unwrap();
    s.analytics().customer_segments().await.unwrap();

    for _ in 0..3 {
        proxy.reset();
        s.analytics().executive_summary().await.unwrap();
        assert_eq!(proxy.round_trips(), 1, "executive summary");
        proxy.reset();
        s.analytics().customer_segments().await.unwrap();
        assert_eq!(proxy.round_trips(), 1, "customer segments");
    }
}
