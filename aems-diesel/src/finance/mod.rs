//! Finance: finance_metrics, budget_plans, expense_transactions.

use crate::unit_of_work::Executor;

/// The finance repositories, reachable from any executor.
pub trait FinanceRepositories: Executor + Sized {}

impl<E: Executor> FinanceRepositories for E {}
