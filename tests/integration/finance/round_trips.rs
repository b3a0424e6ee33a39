//! Round trips of the `finance_metrics`, `budget_plans` and
//! `expense_transactions` statements, counted through the proxy on a
//! one-connection pool after warm-up: every statement is prepared once per
//! connection, so a one-shot statement is one round trip, an update its read
//! plus its write, and a unit of work of N statements N + 1 (see
//! `tests/integration/round_trips.rs`).

use aems_core::finance::budget_plans::{BudgetPlanPatch, BudgetStatus, NewBudgetPlan};
use aems_core::finance::expense_transactions::{
    ApprovalStatus, ExpenseTransactionPatch, NewExpenseTransaction,
};
use aems_core::finance::finance_metrics::{FinanceMetricPatch, NewFinanceMetric};
use aems_core::{CurrencyCode, ExpenseTransactionId, PeriodType, UserId};
use aems_diesel::finance::{BudgetPlanFilter, ExpenseFilter, FinanceMetricFilter};
use aems_diesel::prelude::*;
use aems_diesel::{Context, Database};
use chrono::NaiveDate;

use super::another_user_of_a;
use crate::support::{Tally, TwoTenants, counted};

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, month, d).unwrap()
}

fn metric(date: NaiveDate, revenue: &str) -> NewFinanceMetric {
    let mut m = NewFinanceMetric::new(date, PeriodType::Monthly);
    m.total_revenue = revenue.parse().unwrap();
    m
}

#[tokio::test]
async fn finance_metrics_statements_are_each_one_round_trip_and_an_update_two() {
    let t = TwoTenants::new().await;
    let (proxy, db) = counted(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let filter = FinanceMetricFilter::all()
        .period_type(PeriodType::Monthly)
        .between(day(1, 1), day(12, 31));

    // Warm-up: every statement counted below, once.
    let warm = s
        .finance_metrics()
        .create(metric(day(1, 1), "1"))
        .await
        .unwrap();
    s.finance_metrics().get(warm.id).await.unwrap();
    s.finance_metrics()
        .find_for_period(day(1, 1), PeriodType::Monthly)
        .await
        .unwrap();
    s.finance_metrics()
        .upsert(metric(day(2, 1), "2"))
        .await
        .unwrap();
    let first = s
        .finance_metrics()
        .list(&FinanceMetricFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    s.finance_metrics()
        .list(&filter, PageRequest::after(first.next.unwrap(), 1))
        .await
        .unwrap();
    let patch = FinanceMetricPatch {
        ebitda: Some("3".parse().unwrap()),
        ..Default::default()
    };
    let warm = s
        .finance_metrics()
        .update(warm.id, warm.updated_at, &patch)
        .await
        .unwrap();
    s.finance_metrics().delete(warm.id).await.unwrap();

    let mut tally = Tally::new(&proxy);
    tally.start();
    let created = s
        .finance_metrics()
        .create(metric(day(3, 1), "3"))
        .await
        .unwrap();
    tally.expect("one-shot create", 1); // INSERT … RETURNING

    tally.start();
    s.finance_metrics().get(created.id).await.unwrap();
    tally.expect("one-shot get", 1);

    tally.start();
    s.finance_metrics()
        .find_for_period(day(3, 1), PeriodType::Monthly)
        .await
        .unwrap();
    tally.expect("one-shot find for period", 1);

    tally.start();
    let page = s
        .finance_metrics()
        .list(&FinanceMetricFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    tally.expect("one-shot first page", 1);

    tally.start();
    s.finance_metrics()
        .list(&filter, PageRequest::after(page.next.unwrap(), 1))
        .await
        .unwrap();
    tally.expect("one-shot filtered next page", 1);

    tally.start();
    s.finance_metrics()
        .upsert(metric(day(4, 1), "4"))
        .await
        .unwrap();
    tally.expect("one-shot upsert inserting", 1);

    tally.start();
    let replaced = s
        .finance_metrics()
        .upsert(metric(day(3, 1), "30"))
        .await
        .unwrap();
    tally.expect("one-shot upsert replacing", 1);
    assert_eq!(replaced.id, created.id);

    // Other columns than the warm-up's patch: the statement is the same.
    let patch = FinanceMetricPatch {
        cash_balance: Some("-5".parse().unwrap()),
        runway_months: Some("1.5".parse().unwrap()),
        ..Default::default()
    };
    tally.start();
    let updated = s
        .finance_metrics()
        .update(replaced.id, replaced.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("one-shot update", 2); // read (checked patch) + guarded write
    assert_eq!(updated.runway_months.to_string(), "1.5");

    tally.start();
    s.finance_metrics().delete(updated.id).await.unwrap();
    tally.expect("one-shot delete", 1);
    tally.check();
}

fn budget(name: &str, planned: &str) -> NewBudgetPlan {
    NewBudgetPlan {
        name: name.parse().unwrap(),
        fiscal_year: 2024,
        department: "Sales".parse().unwrap(),
        category: "Travel".parse().unwrap(),
        planned_amount: planned.parse().unwrap(),
        actual_amount: "0".parse().unwrap(),
        period_start: day(1, 1),
        period_end: day(3, 31),
        status: BudgetStatus::Active,
        notes: Some("Trains only".parse().unwrap()),
    }
}

fn expense(amount: &str) -> NewExpenseTransaction {
    NewExpenseTransaction {
        transaction_date: day(2, 1),
        amount: amount.parse().unwrap(),
        currency: CurrencyCode::default(),
        category: "Travel".parse().unwrap(),
        subcategory: Some("Rail".parse().unwrap()),
        vendor: "Rail Co".parse().unwrap(),
        description: "Train to the client".parse().unwrap(),
        department: Some("Sales".parse().unwrap()),
        employee_id: None,
        receipt_url: None,
        tax_amount: "0".parse().unwrap(),
        is_reimbursable: false,
    }
}

/// Approves expense `id` as `approver`, in its own unit of work.
async fn approve(db: &Database, approver: &Context, id: ExpenseTransactionId) {
    let mut uow = db.unit_of_work(approver).await.unwrap();
    uow.expense_transactions().approve(id).await.unwrap();
    uow.commit().await.unwrap();
}

#[tokio::test]
async fn budget_plans_statements_are_each_one_round_trip_an_update_two_and_recompute_its_statements_plus_one()
 {
    let t = TwoTenants::new().await;
    let approver = another_user_of_a(&t, "approver").await;
    let (proxy, db) = counted(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let filter = BudgetPlanFilter::all()
        .fiscal_year(2024)
        .department("Sales")
        .status(BudgetStatus::Active);

    // Warm-up: every statement counted below, once.
    let warm = s
        .budget_plans()
        .create(budget("Warm", "100"))
        .await
        .unwrap();
    s.budget_plans().get(warm.id).await.unwrap();
    let first = s
        .budget_plans()
        .list(&BudgetPlanFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    s.budget_plans()
        .list(&filter, PageRequest::after(first.next.unwrap(), 1))
        .await
        .unwrap();
    let rename = BudgetPlanPatch {
        name: Some("Warm travel".parse().unwrap()),
        ..Default::default()
    };
    let warm = s
        .budget_plans()
        .update(warm.id, warm.updated_at, &rename)
        .await
        .unwrap();
    let spent = s
        .expense_transactions()
        .create(expense("40"))
        .await
        .unwrap();
    drop(s); // the pool's only connection
    approve(&db, &approver, spent.id).await;
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.budget_plans().recompute_actuals(warm.id).await.unwrap();
    uow.commit().await.unwrap();
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    s.budget_plans().delete(warm.id).await.unwrap();

    let mut tally = Tally::new(&proxy);
    // A None rendered as DEFAULT would change the INSERT's text: it must not.
    let mut without_notes = budget("Counted", "200");
    without_notes.notes = None;
    tally.start();
    let plan = s.budget_plans().create(without_notes).await.unwrap();
    tally.expect("one-shot create", 1); // INSERT … RETURNING

    tally.start();
    s.budget_plans().get(plan.id).await.unwrap();
    tally.expect("one-shot get", 1);

    tally.start();
    let page = s
        .budget_plans()
        .list(&BudgetPlanFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    tally.expect("one-shot first page", 1);

    tally.start();
    s.budget_plans()
        .list(&filter, PageRequest::after(page.next.unwrap(), 1))
        .await
        .unwrap();
    tally.expect("one-shot filtered next page", 1);

    // An amount, not the warm-up's rename: the statement is the same.
    let replan = BudgetPlanPatch {
        planned_amount: Some("80".parse().unwrap()),
        ..Default::default()
    };
    tally.start();
    let plan = s
        .budget_plans()
        .update(plan.id, plan.updated_at, &replan)
        .await
        .unwrap();
    tally.expect("one-shot update", 2); // read (checked patch) + guarded write
    assert_eq!(plan.amounts.variance().to_string(), "-80.00");

    let doomed = s
        .budget_plans()
        .create(budget("Doomed", "1"))
        .await
        .unwrap();
    tally.start();
    s.budget_plans().delete(doomed.id).await.unwrap();
    tally.expect("one-shot delete of an active budget", 1); // conditional DELETE
    drop(s);

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    let recomputed = uow.budget_plans().recompute_actuals(plan.id).await.unwrap();
    uow.commit().await.unwrap();
    // SELECT … FOR UPDATE, SELECT sum(…), UPDATE, COMMIT
    tally.expect("recompute writing the actuals", 4);
    assert_eq!(recomputed.amounts.actual_amount().to_string(), "40.00");

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.budget_plans().recompute_actuals(plan.id).await.unwrap();
    uow.commit().await.unwrap();
    // SELECT … FOR UPDATE, SELECT sum(…), COMMIT: nothing to write
    tally.expect("recompute with nothing to write", 3);
    tally.check();
}

#[tokio::test]
async fn expense_transactions_statements_are_each_one_round_trip_an_update_two_and_a_decision_three()
 {
    let t = TwoTenants::new().await;
    let approver = another_user_of_a(&t, "approver").await;
    let (proxy, db) = counted(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let filter = ExpenseFilter::all()
        .approval_status(ApprovalStatus::Pending)
        .between(day(1, 1), day(12, 31))
        .category("Travel")
        .employee(UserId::from_uuid(t.a.user));

    // Warm-up: every statement counted below, once.
    let mut mine = expense("10");
    mine.employee_id = Some(UserId::from_uuid(t.a.user));
    let warm = s.expense_transactions().create(mine.clone()).await.unwrap();
    s.expense_transactions().create(mine.clone()).await.unwrap();
    s.expense_transactions().get(warm.id).await.unwrap();
    let first = s
        .expense_transactions()
        .list(&ExpenseFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    s.expense_transactions()
        .list(&filter, PageRequest::after(first.next.unwrap(), 1))
        .await
        .unwrap();
    let patch = ExpenseTransactionPatch {
        vendor: Some("Bus Co".parse().unwrap()),
        ..Default::default()
    };
    let warm = s
        .expense_transactions()
        .update(warm.id, warm.updated_at, &patch)
        .await
        .unwrap();
    s.expense_transactions().delete(warm.id).await.unwrap();

    let mut tally = Tally::new(&proxy);
    // Nones rendered as DEFAULT would change the INSERT's text: they must not.
    let mut bare = mine.clone();
    bare.subcategory = None;
    bare.department = None;
    bare.receipt_url = Some("https://receipts.example.com/1".parse().unwrap());
    tally.start();
    let spent = s.expense_transactions().create(bare).await.unwrap();
    tally.expect("one-shot create", 1); // INSERT … RETURNING

    tally.start();
    s.expense_transactions().get(spent.id).await.unwrap();
    tally.expect("one-shot get", 1);

    tally.start();
    let page = s
        .expense_transactions()
        .list(&ExpenseFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    tally.expect("one-shot first page", 1);

    tally.start();
    s.expense_transactions()
        .list(&filter, PageRequest::after(page.next.unwrap(), 1))
        .await
        .unwrap();
    tally.expect("one-shot filtered next page", 1);

    // Other columns than the warm-up's patch, one of them cleared.
    let patch = ExpenseTransactionPatch {
        amount: Some("12".parse().unwrap()),
        receipt_url: Some(None),
        ..Default::default()
    };
    tally.start();
    let spent = s
        .expense_transactions()
        .update(spent.id, spent.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("one-shot update", 2); // read (checked patch) + guarded write
    assert_eq!(spent.receipt_url, None);

    let doomed = s.expense_transactions().create(expense("1")).await.unwrap();
    tally.start();
    s.expense_transactions().delete(doomed.id).await.unwrap();
    tally.expect("one-shot delete of a pending expense", 1); // conditional DELETE

    let mut pending = Vec::new();
    for _ in 0..4 {
        pending.push(s.expense_transactions().create(expense("5")).await.unwrap());
    }
    drop(s); // the pool's only connection

    // Decisions: lock (with BEGIN and the context) + UPDATE + COMMIT.
    for (what, expense) in ["approve (warm-up)", "approve", "reject", "cancel"]
        .into_iter()
        .zip(&pending)
    {
        let ctx = if what == "cancel" {
            t.ctx_a()
        } else {
            approver.clone()
        };
        let mut uow = db.unit_of_work(&ctx).await.unwrap();
        tally.start();
        let mut expenses = uow.expense_transactions();
        let decided = match what {
            "reject" => expenses.reject(expense.id).await,
            "cancel" => expenses.cancel(expense.id).await,
            _ => expenses.approve(expense.id).await,
        }
        .unwrap();
        uow.commit().await.unwrap();
        if what != "approve (warm-up)" {
            tally.expect(what, 3); // SELECT … FOR UPDATE, UPDATE, COMMIT
        }
        assert_ne!(decided.approval_status, ApprovalStatus::Pending, "{what}");
    }
    tally.check();
}
