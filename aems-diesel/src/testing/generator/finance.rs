//! finance: expenses entered, decided and withdrawn; budget plans with their
//! actuals.

use aems_core::auth::users::UserRole;
use aems_core::finance::budget_plans::{BudgetStatus, NewBudgetPlan};
use aems_core::finance::expense_transactions::NewExpenseTransaction;
use aems_core::{ExpenseTransactionId, UserId};
use chrono::{Datelike, NaiveDate};

use crate::finance::FinanceRepositories;

use super::*;

impl TenantRun<'_> {
    /// Expenses entered by their claimants (some withdrawn), decided by an
    /// admin (a manager for the admin's own); then budget plans, this year's
    /// actuals recomputed from the approved expenses.
    pub(super) async fn expenses_and_budgets(&self) -> Result<()> {
        let mut rng = self.rng(Stream::Expenses);
        let as_of = self.as_of();
        let claimants: Vec<&Person> = self
            .people
            .iter()
            .filter(|p| p.active() && p.role != UserRole::Viewer)
            .collect();
        let department_of = |user: UserId| {
            self.staff
                .iter()
                .find(|s| s.user == Some(user))
                .and_then(|s| self.departments.get(s.department).copied())
        };
        let span = (as_of - first_month(as_of, self.counts.metric_months)).num_days();
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum Fate {
            Pending,
            Approve,
            Reject,
            Cancel,
        }
        // (claimant index, input, fate)
        let mut planned: Vec<(usize, NewExpenseTransaction, Fate)> = Vec::new();
        for n in 0..self.counts.expenses {
            let who = rng.below(claimants.len() as u64) as usize;
            let (category, lo, hi, reimbursable) = *rng.pick(EXPENSE_CATEGORIES);
            let vendor = *rng.pick(vendors_of(category));
            let amount = rng.range(lo, hi);
            let date = minus_days(as_of, rng.range(0, span));
            let recent = (as_of - date).num_days() <= 30;
            let fate = if recent {
                rng.weighted(&[
                    (Fate::Pending, 55),
                    (Fate::Approve, 35),
                    (Fate::Reject, 5),
                    (Fate::Cancel, 5),
                ])
            } else {
                rng.weighted(&[(Fate::Approve, 82), (Fate::Reject, 10), (Fate::Cancel, 8)])
            };
            let department =
                department_of(claimants[who].id).unwrap_or_else(|| *rng.pick(&self.departments));
            planned.push((
                who,
                NewExpenseTransaction {
                    transaction_date: date,
                    amount: money("amount", amount)?,
                    currency: text("currency", self.currency)?,
                    category: text("category", category)?,
                    subcategory: Some(text("subcategory", *rng.pick(subcategories_of(category)))?),
                    vendor: text("vendor", vendor)?,
                    description: text(
                        "description",
                        format!("{category}: {vendor} ({})", date.format("%b %Y")),
                    )?,
                    department: Some(text("department", department)?),
                    employee_id: Some(claimants[who].id),
                    receipt_url: if rng.chance(85) {
                        Some(text(
                            "receipt_url",
                            format!(
                                "https://receipts.example.com/{}/{:06}.pdf",
                                self.slug,
                                n + 1
                            ),
                        )?)
                    } else {
                        None
                    },
                    tax_amount: money("tax_amount", amount * rng.range(0, 20) / 100)?,
                    is_reimbursable: rng.chance(reimbursable),
                },
                fate,
            ));
        }
        // Each claimant enters their own, and withdraws some.
        let mut decisions: Vec<(ExpenseTransactionId, UserId, Fate)> = Vec::new();
        for (who, claimant) in claimants.iter().enumerate() {
            let mine: Vec<&(usize, NewExpenseTransaction, Fate)> =
                planned.iter().filter(|p| p.0 == who).collect();
            if mine.is_empty() {
                continue;
            }
            let mut uow = self.db.unit_of_work(&claimant.ctx(self.tenant)).await?;
            let created = uow
                .expense_transactions()
                .create_many(mine.iter().map(|p| p.1.clone()).collect())
                .await?;
            for (expense, (_, _, fate)) in created.iter().zip(mine) {
                match fate {
                    Fate::Cancel => {
                        uow.expense_transactions().cancel(expense.id).await?;
                    }
                    Fate::Approve | Fate::Reject => {
                        decisions.push((expense.id, claimant.id, *fate))
                    }
                    Fate::Pending => {}
                }
            }
            uow.commit().await?;
        }
        // The admin decides, except on their own: a manager does.
        let admin = self.admin().id;
        let deputy = self
            .people
            .iter()
            .find(|p| p.active() && p.id != admin && p.role == UserRole::Manager)
            .or_else(|| self.people.iter().find(|p| p.active() && p.id != admin));
        for approver in std::iter::once(self.admin()).chain(deputy) {
            let mut uow = self.db.unit_of_work(&approver.ctx(self.tenant)).await?;
            for (id, claimant, fate) in &decisions {
                let mine = if approver.id == admin {
                    *claimant != admin
                } else {
                    *claimant == admin
                };
                if !mine {
                    continue;
                }
                match fate {
                    Fate::Approve => {
                        uow.expense_transactions().approve(*id).await?;
                    }
                    _ => {
                        uow.expense_transactions().reject(*id).await?;
                    }
                }
            }
            uow.commit().await?;
        }
        self.budgets(
            &planned
                .iter()
                .filter(|p| p.2 == Fate::Approve && (p.0 != 0 || deputy.is_some()))
                .map(|p| &p.1)
                .collect::<Vec<_>>(),
        )
        .await
    }

    /// Budget plans: last year's locked or archived with their final
    /// actuals; this year's active, planned from the spending so far, their
    /// actuals recomputed from the approved expenses.
    async fn budgets(&self, approved: &[&NewExpenseTransaction]) -> Result<()> {
        if self.counts.budget_plans == 0 {
            return Ok(());
        }
        let mut rng = self.rng(Stream::Budgets);
        let as_of = self.as_of();
        let year = as_of.year();
        let mut combos = Vec::new();
        for fiscal in [year, year - 1] {
            for dept in &self.departments {
                for (category, ..) in EXPENSE_CATEGORIES {
                    combos.push((fiscal, *dept, *category));
                }
            }
        }
        rng.shuffle(&mut combos);
        combos.truncate(self.counts.budget_plans);
        combos.sort_unstable();
        let elapsed_days = i64::from(as_of.ordinal()).max(1);
        let year_days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            366
        } else {
            365
        };
        let mut news = Vec::new();
        let mut current = Vec::new();
        for (i, (fiscal, dept, category)) in combos.iter().enumerate() {
            let spent: i64 = approved
                .iter()
                .filter(|e| {
                    e.transaction_date.year() == *fiscal
                        && e.department.as_ref().is_some_and(|d| d.as_str() == *dept)
                        && e.category.as_str() == *category
                })
                .map(|e| minor_units(e.amount.as_decimal()))
                .sum();
            let (planned, actual, status) = if *fiscal == year {
                // Planned from the run rate so far, with headroom (or not),
                // and never below what a department line is worth budgeting.
                let run_rate = spent * year_days / elapsed_days;
                let floor = rng.range(500_000, 2_500_000);
                let planned = (run_rate * rng.range(85, 130) / 100).max(floor);
                current.push(i);
                (planned, 0, BudgetStatus::Active)
            } else {
                let planned = rng.range(2_000_000, 40_000_000);
                let actual = planned * rng.range(78, 118) / 100;
                let status = *rng.pick(&[BudgetStatus::Locked, BudgetStatus::Archived]);
                (planned, actual, status)
            };
            news.push(NewBudgetPlan {
                name: text("name", format!("FY{fiscal} {dept} - {category}"))?,
                fiscal_year: *fiscal,
                department: text("department", *dept)?,
                category: text("category", *category)?,
                planned_amount: money("planned_amount", planned.max(100))?,
                actual_amount: money("actual_amount", actual)?,
                period_start: NaiveDate::from_ymd_opt(*fiscal, 1, 1).expect("a date"),
                period_end: NaiveDate::from_ymd_opt(*fiscal, 12, 31).expect("a date"),
                status,
                notes: if rng.chance(30) {
                    Some(text("notes", rng.pick(BUDGET_NOTES))?)
                } else {
                    None
                },
            });
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        let created = uow.budget_plans().create_many(news).await?;
        for i in current {
            uow.budget_plans().recompute_actuals(created[i].id).await?;
        }
        uow.commit().await?;
        Ok(())
    }
}

/// (category, amount range in cents, % reimbursable)
const EXPENSE_CATEGORIES: &[(&str, i64, i64, u64)] = &[
    ("Software", 2_000, 500_000, 10),
    ("Travel", 5_000, 350_000, 85),
    ("Meals", 1_500, 40_000, 80),
    ("Office", 1_000, 120_000, 20),
    ("Marketing", 20_000, 1_500_000, 5),
    ("Training", 10_000, 300_000, 40),
    ("Equipment", 5_000, 400_000, 15),
    ("Professional Services", 50_000, 2_000_000, 0),
];

const BUDGET_NOTES: &[&str] = &[
    "Includes the annual licence renewal.",
    "Reduced after the mid-year review.",
    "Headcount growth assumed from Q3.",
    "Shared with the regional offices.",
];

fn vendors_of(category: &str) -> &'static [&'static str] {
    match category {
        "Software" => &[
            "Nimbus Cloud",
            "Stacklane",
            "Quillbase",
            "Orbitly",
            "Pagewright",
        ],
        "Travel" => &[
            "SkyBridge Airlines",
            "Harbor Hotels",
            "MetroCab",
            "Railway Express",
            "Northline Air",
        ],
        "Meals" => &[
            "The Copper Pot",
            "Green Fork Catering",
            "Bistro Lumen",
            "Daily Grind Cafe",
        ],
        "Office" => &[
            "PaperTrail Supplies",
            "DeskWorks",
            "Officeful",
            "InkWell Stationers",
        ],
        "Marketing" => &[
            "Brightside Media",
            "Adwise Agency",
            "EventHall Co",
            "PrintPress",
        ],
        "Training" => &["SkillForge Academy", "LearnLoop", "Certify Institute"],
        "Equipment" => &[
            "Circuit Depot",
            "TechHaus",
            "Workstation Pro",
            "Monitor Mart",
        ],
        _ => &["Clark & Reed LLP", "Summit Advisory", "Ledger Partners"],
    }
}

fn subcategories_of(category: &str) -> &'static [&'static str] {
    match category {
        "Software" => &["Subscriptions", "Licences", "Cloud hosting"],
        "Travel" => &["Flights", "Hotels", "Ground transport"],
        "Meals" => &["Client meals", "Team events"],
        "Office" => &["Supplies", "Furniture", "Facilities"],
        "Marketing" => &["Advertising", "Events", "Print"],
        "Training" => &["Courses", "Conferences", "Certifications"],
        "Equipment" => &["Laptops", "Monitors", "Peripherals"],
        _ => &["Legal", "Accounting", "Consulting"],
    }
}
