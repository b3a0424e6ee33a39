//! The `finance` schema: finance metrics, budget plans and expense transactions.

pub mod budget_plans;
pub mod expense_transactions;
pub mod finance_metrics;
