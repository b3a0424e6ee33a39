//! Finance: `finance_metrics`, `budget_plans`, `expense_transactions`.

pub mod budget_plans;
pub mod expense_transactions;
pub mod finance_metrics;

use crate::unit_of_work::Executor;

pub use budget_plans::{BudgetPlanFilter, BudgetPlans};
pub use expense_transactions::{ExpenseFilter, ExpenseTransactions};
pub use finance_metrics::{FinanceMetricFilter, FinanceMetrics};

/// The finance repositories, reachable from any executor
/// (`uow.expense_transactions()`).
pub trait FinanceRepositories: Executor + Sized {
    /// `finance.finance_metrics`.
    fn finance_metrics(&mut self) -> FinanceMetrics<'_, Self> {
        FinanceMetrics::new(self)
    }

    /// `finance.budget_plans`.
    fn budget_plans(&mut self) -> BudgetPlans<'_, Self> {
        BudgetPlans::new(self)
    }

    /// `finance.expense_transactions`.
    fn expense_transactions(&mut self) -> ExpenseTransactions<'_, Self> {
        ExpenseTransactions::new(self)
    }
}

impl<E: Executor> FinanceRepositories for E {}
