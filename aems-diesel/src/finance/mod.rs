//! Finance: `finance_metrics`, `budget_plans`, `expense_transactions`.

pub mod budget_plans;
pub mod expense_transactions;
pub mod finance_metrics;

use crate::repository::domain_repositories;

pub use budget_plans::{BudgetPlanFilter, BudgetPlans};
pub use expense_transactions::{ExpenseFilter, ExpenseTransactions};
pub use finance_metrics::{FinanceMetricFilter, FinanceMetrics};

domain_repositories! {
    /// The finance repositories, reachable from any executor
    /// (`uow.expense_transactions()`).
    pub trait FinanceRepositories {
        /// `finance.finance_metrics`.
        finance_metrics => FinanceMetrics,
        /// `finance.budget_plans`.
        budget_plans => BudgetPlans,
        /// `finance.expense_transactions`.
        expense_transactions => ExpenseTransactions,
    }
}
