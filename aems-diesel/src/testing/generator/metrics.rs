//! The three metrics tables, from one history of the tenant in integer
//! arithmetic (no float: the same figures on every machine).

use aems_core::PeriodType;
use aems_core::auth::tenants::SubscriptionPlan;
use aems_core::finance::finance_metrics::NewFinanceMetric;
use aems_core::hr::hr_metrics::NewHrMetric;
use aems_core::sales::sales_metrics::NewSalesMetric;
use chrono::{Datelike, Months, NaiveDate, TimeDelta};

use crate::finance::FinanceRepositories;
use crate::hr::HrRepositories;
use crate::sales::SalesRepositories;

use super::*;

impl TenantRun<'_> {
    /// Monthly sales figures, the quarters they add up to, and the latest
    /// month restated through `upsert`.
    pub(super) async fn sales_metrics(&self, history: &History) -> Result<()> {
        let mut months = Vec::new();
        for m in &history.months {
            let mut input = NewSalesMetric::new(m.start, PeriodType::Monthly);
            input.total_revenue = money("total_revenue", m.revenue)?;
            input.pipeline_value = money("pipeline_value", m.pipeline)?;
            input.deals_closed = m.won;
            input.deals_lost = m.lost;
            input.win_rate = percent("win_rate", win_rate_bp(m.won, m.lost))?;
            input.customer_acquisition_cost = numeric("customer_acquisition_cost", m.cac)?;
            input.customer_lifetime_value = numeric("customer_lifetime_value", m.clv)?;
            input.churn_rate = percent("churn_rate", m.churn_bp)?;
            months.push(input);
        }
        let quarters: Vec<NewSalesMetric> = history
            .quarters()
            .into_iter()
            .map(|(start, ms)| {
                let mut q = NewSalesMetric::new(start, PeriodType::Quarterly);
                let won: i32 = ms.iter().map(|m| m.won).sum();
                let lost: i32 = ms.iter().map(|m| m.lost).sum();
                q.total_revenue = money("total_revenue", ms.iter().map(|m| m.revenue).sum())?;
                q.pipeline_value = money("pipeline_value", ms[2].pipeline)?;
                q.deals_closed = won;
                q.deals_lost = lost;
                q.win_rate = percent("win_rate", win_rate_bp(won, lost))?;
                q.customer_acquisition_cost = numeric(
                    "customer_acquisition_cost",
                    ms.iter().map(|m| m.cac).sum::<i64>() / 3,
                )?;
                q.customer_lifetime_value = numeric(
                    "customer_lifetime_value",
                    ms.iter().map(|m| m.clv).sum::<i64>() / 3,
                )?;
                q.churn_rate = percent("churn_rate", ms.iter().map(|m| m.churn_bp).sum())?;
                Ok(q)
            })
            .collect::<Result<_>>()?;
        let latest = months.pop().expect("at least one month");
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        uow.sales_metrics().create_many(months).await?;
        uow.sales_metrics().create_many(quarters).await?;
        // The month closes with a first figure, restated once late invoices are in.
        let mut first = latest.clone();
        first.total_revenue = money(
            "total_revenue",
            history.months.last().map_or(0, |m| m.revenue * 97 / 100),
        )?;
        uow.sales_metrics().upsert(first).await?;
        uow.sales_metrics().upsert(latest).await?;
        uow.commit().await?;
        Ok(())
    }

    /// Monthly and quarterly P&L, balance and cash figures.
    pub(super) async fn finance_metrics(&self, history: &History) -> Result<()> {
        let monthly = history
            .months
            .iter()
            .map(|m| finance_row(m.start, PeriodType::Monthly, &m.finance))
            .collect::<Result<Vec<_>>>()?;
        let quarterly = history
            .quarters()
            .into_iter()
            .map(|(start, ms)| {
                let mut f = Finance::default();
                for m in &ms {
                    f.add(&m.finance);
                }
                f.cash_balance = ms[2].finance.cash_balance;
                f.accounts_receivable = ms[2].finance.accounts_receivable;
                f.accounts_payable = ms[2].finance.accounts_payable;
                f.burn_rate /= 3;
                finance_row(start, PeriodType::Quarterly, &f)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        uow.finance_metrics().create_many(monthly).await?;
        uow.finance_metrics().create_many(quarterly).await?;
        uow.commit().await?;
        Ok(())
    }

    /// Monthly and quarterly workforce figures, from the hires and departures.
    pub(super) async fn hr_metrics(&self, history: &History) -> Result<()> {
        let mut monthly = Vec::new();
        for m in &history.months {
            let mut h = NewHrMetric::new(m.start, PeriodType::Monthly);
            h.total_headcount = m.headcount;
            h.new_hires = m.hires;
            h.departures = m.departures;
            h.turnover_rate = numeric("turnover_rate", turnover_bp(m.departures, m.headcount))?;
            h.open_positions = m.open_positions;
            h.time_to_hire_avg = m.time_to_hire;
            h.employee_satisfaction = score("employee_satisfaction", m.satisfaction)?;
            h.engagement_score = score("engagement_score", m.engagement)?;
            h.training_hours = m.training_hours;
            h.overtime_hours = m.overtime_hours;
            h.absenteeism_rate = percent("absenteeism_rate", m.absenteeism_bp)?;
            monthly.push(h);
        }
        let quarterly = history
            .quarters()
            .into_iter()
            .map(|(start, ms)| {
                let mut h = NewHrMetric::new(start, PeriodType::Quarterly);
                let departures: i32 = ms.iter().map(|m| m.departures).sum();
                h.total_headcount = ms[2].headcount;
                h.new_hires = ms.iter().map(|m| m.hires).sum();
                h.departures = departures;
                h.turnover_rate =
                    numeric("turnover_rate", turnover_bp(departures, ms[2].headcount))?;
                h.open_positions = ms[2].open_positions;
                h.time_to_hire_avg = ms.iter().map(|m| m.time_to_hire).sum::<i32>() / 3;
                h.employee_satisfaction = score(
                    "employee_satisfaction",
                    ms.iter().map(|m| m.satisfaction).sum::<i64>() / 3,
                )?;
                h.engagement_score = score(
                    "engagement_score",
                    ms.iter().map(|m| m.engagement).sum::<i64>() / 3,
                )?;
                h.training_hours = ms.iter().map(|m| m.training_hours).sum();
                h.overtime_hours = ms.iter().map(|m| m.overtime_hours).sum();
                h.absenteeism_rate = percent(
                    "absenteeism_rate",
                    ms.iter().map(|m| m.absenteeism_bp).sum::<i64>() / 3,
                )?;
                Ok(h)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        uow.hr_metrics().create_many(monthly).await?;
        uow.hr_metrics().create_many(quarterly).await?;
        uow.commit().await?;
        Ok(())
    }
}

/// P&L, balance and cash of a period, in cents.
#[derive(Debug, Clone, Default)]
struct Finance {
    revenue: i64,
    expenses: i64,
    gross_profit: i64,
    net_profit: i64,
    ebitda: i64,
    cash_flow: i64,
    accounts_receivable: i64,
    accounts_payable: i64,
    cash_balance: i64,
    burn_rate: i64,
}

impl Finance {
    fn add(&mut self, other: &Finance) {
        self.revenue += other.revenue;
        self.expenses += other.expenses;
        self.gross_profit += other.gross_profit;
        self.net_profit += other.net_profit;
        self.ebitda += other.ebitda;
        self.cash_flow += other.cash_flow;
        self.burn_rate += other.burn_rate;
    }
}

/// One month of the tenant's history.
struct Month {
    start: NaiveDate,
    revenue: i64,
    pipeline: i64,
    won: i32,
    lost: i32,
    cac: i64,
    clv: i64,
    churn_bp: i64,
    finance: Finance,
    headcount: i32,
    hires: i32,
    departures: i32,
    open_positions: i32,
    time_to_hire: i32,
    satisfaction: i64,
    engagement: i64,
    training_hours: i32,
    overtime_hours: i32,
    absenteeism_bp: i64,
}

/// The months of metrics, oldest first, in integer arithmetic (no float, so
/// the figures are the same on every machine).
pub(super) struct History {
    months: Vec<Month>,
}

impl History {
    pub(super) fn new(run: &TenantRun<'_>) -> Self {
        let mut rng = run.rng(Stream::History);
        let as_of = run.as_of();
        let n = run.counts.metric_months;
        let start = first_month(as_of, n);
        let base = match run.plan {
            SubscriptionPlan::Basic => rng.range(4_000_000, 15_000_000),
            SubscriptionPlan::Professional => rng.range(15_000_000, 90_000_000),
            SubscriptionPlan::Enterprise => rng.range(90_000_000, 600_000_000),
        };
        let growth_permille = rng.range(5, 40);
        let cogs_pct = rng.range(30, 55);
        let avg_deal = base / rng.range(8, 30);
        let mut opex = base * rng.range(45, 80) / 100;
        let mut cash = base * rng.range(6, 18);
        let cac = rng.range(50_000, 1_500_000);
        let final_headcount = run.staff.len() as i32;
        let open_positions = (run.counts.candidates as i32 / 3).max(1);
        let mut revenue = base;
        let mut previous_ar = 0;
        let mut previous_ap = 0;
        let mut months = Vec::with_capacity(n);
        for m in 0..n {
            let month = start + Months::new(m as u32);
            let end = month + Months::new(1) - TimeDelta::days(1);
            revenue = revenue * (1000 + growth_permille) / 1000;
            let season = match month.month() {
                11 | 12 => 118,
                1 | 2 => 90,
                7 | 8 => 94,
                _ => 100,
            };
            let month_revenue = revenue * season / 100 * rng.range(92, 108) / 100;
            opex = opex * (1000 + growth_permille / 2) / 1000;
            let cogs = month_revenue * (cogs_pct + rng.range(-3, 3)) / 100;
            let expenses = cogs + opex * rng.range(95, 105) / 100;
            let net = month_revenue - expenses;
            let ar = month_revenue * rng.range(35, 60) / 30;
            let ap = expenses * rng.range(20, 45) / 30;
            let cash_flow = net - (ar - previous_ar) + (ap - previous_ap);
            (previous_ar, previous_ap) = (ar, ap);
            cash += cash_flow;
            // Running low: a funding round (or a credit line) tops it up.
            if cash < opex * 3 {
                cash += opex * rng.range(12, 24);
            }
            let won = i32::try_from((month_revenue / avg_deal.max(1)).max(1)).unwrap_or(i32::MAX);
            let lost = won * rng.range(60, 140) as i32 / 100;
            let hires = run
                .hires
                .iter()
                .filter(|d| **d >= month && **d <= end)
                .count() as i32;
            let departures = run
                .departures
                .iter()
                .filter(|d| **d >= month && **d <= end)
                .count() as i32;
            let headcount = final_headcount - run.hires.iter().filter(|d| **d > end).count() as i32
                + run.departures.iter().filter(|d| **d > end).count() as i32;
            let headcount = headcount.max(1);
            months.push(Month {
                start: month,
                revenue: month_revenue,
                pipeline: month_revenue * rng.range(250, 400) / 100,
                won,
                lost,
                cac: cac * rng.range(90, 110) / 100,
                clv: cac * rng.range(300, 800) / 100,
                churn_bp: rng.range(50, 400),
                finance: Finance {
                    revenue: month_revenue,
                    expenses,
                    gross_profit: month_revenue - cogs,
                    net_profit: net,
                    ebitda: net + month_revenue * rng.range(1, 3) / 100,
                    cash_flow,
                    accounts_receivable: ar,
                    accounts_payable: ap,
                    cash_balance: cash,
                    burn_rate: (-cash_flow).max(0),
                },
                headcount,
                hires,
                departures,
                open_positions: open_positions + rng.range(-1, 2) as i32,
                time_to_hire: rng.range(25, 60) as i32,
                satisfaction: rng.range(62, 88),
                engagement: rng.range(58, 86),
                training_hours: headcount * rng.range(1, 4) as i32,
                overtime_hours: headcount * rng.range(0, 6) as i32,
                absenteeism_bp: rng.range(100, 450),
            });
        }
        for m in &mut months {
            m.open_positions = m.open_positions.max(0);
        }
        Self { months }
    }

    /// The complete calendar quarters among the months, with their months.
    fn quarters(&self) -> Vec<(NaiveDate, [&Month; 3])> {
        self.months
            .windows(3)
            .filter(|w| w[0].start.month() % 3 == 1)
            .map(|w| (w[0].start, [&w[0], &w[1], &w[2]]))
            .collect()
    }
}

fn finance_row(start: NaiveDate, period: PeriodType, f: &Finance) -> Result<NewFinanceMetric> {
    let mut row = NewFinanceMetric::new(start, period);
    row.total_revenue = money("total_revenue", f.revenue)?;
    row.total_expenses = money("total_expenses", f.expenses)?;
    row.gross_profit = money("gross_profit", f.gross_profit)?;
    row.net_profit = money("net_profit", f.net_profit)?;
    row.ebitda = money("ebitda", f.ebitda)?;
    // Margins in hundredths of a percent; no revenue, no margin (0).
    let margin = |profit: i64| {
        if f.revenue > 0 {
            i64::try_from(i128::from(profit) * 10_000 / i128::from(f.revenue)).unwrap_or(0)
        } else {
            0
        }
    };
    row.gross_margin = numeric("gross_margin", margin(f.gross_profit))?;
    row.net_margin = numeric("net_margin", margin(f.net_profit))?;
    row.cash_flow = money("cash_flow", f.cash_flow)?;
    row.accounts_receivable = money("accounts_receivable", f.accounts_receivable)?;
    row.accounts_payable = money("accounts_payable", f.accounts_payable)?;
    row.cash_balance = money("cash_balance", f.cash_balance)?;
    row.burn_rate = money("burn_rate", f.burn_rate)?;
    // Months of cash at this burn, in tenths, capped at the column's 9999.9;
    // 0 when the period burned no cash (runway does not apply).
    let runway = if f.burn_rate > 0 {
        (f.cash_balance.max(0) * 10 / f.burn_rate).min(99_999)
    } else {
        0
    };
    row.runway_months = numeric("runway_months", runway)?;
    Ok(row)
}

fn win_rate_bp(won: i32, lost: i32) -> i64 {
    let all = i64::from(won) + i64::from(lost);
    if all == 0 {
        0
    } else {
        i64::from(won) * 10_000 / all
    }
}

fn turnover_bp(departures: i32, headcount: i32) -> i64 {
    (i64::from(departures) * 10_000 / i64::from(headcount.max(1))).min(99_999)
}

#[cfg(test)]
mod tests {
    use aems_core::Input;

    use super::*;

    #[test]
    fn finance_rows_hold_margins_and_runway_derived_from_the_figures() {
        let f = Finance {
            revenue: 100_000,
            expenses: 150_000,
            gross_profit: 60_000,
            net_profit: -50_000,
            cash_flow: -40_000,
            cash_balance: 200_000,
            burn_rate: 40_000,
            ..Finance::default()
        };
        let row = finance_row(
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            PeriodType::Monthly,
            &f,
        )
        .unwrap();
        assert_eq!(row.gross_margin.to_string(), "60.00");
        assert_eq!(row.net_margin.to_string(), "-50.00");
        assert_eq!(row.runway_months.to_string(), "5.0");
        assert!(row.check().is_ok());
    }
}
