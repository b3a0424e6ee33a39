-- Undo 000600.
DROP TABLE finance.expense_transactions;
DROP TABLE finance.budget_plans;
DROP TABLE finance.finance_metrics;
