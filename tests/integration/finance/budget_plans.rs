//! `finance.budget_plans` through its repository: CRUD with derived variance,
//! filters, paging, optimistic concurrency, isolation, frozen amounts, and
//! `recompute_actuals` (which expenses count, what does not fit).

use aems_core::finance::budget_plans::{BudgetPlan, BudgetPlanPatch, BudgetStatus, NewBudgetPlan};
use aems_core::finance::expense_transactions::NewExpenseTransaction;
use aems_core::{BudgetPlanId, ErrorCode, ExpenseTransactionId, TransitionError};
use aems_diesel::finance::BudgetPlanFilter;
use aems_diesel::prelude::*;
use aems_diesel::{Context, Error, Order};
use chrono::NaiveDate;

use super::another_user_of_a;
use crate::support::{TwoTenants, admin};

fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d).unwrap()
}

fn budget(name: &str, year: i32, department: &str, planned: &str) -> NewBudgetPlan {
    NewBudgetPlan {
        name: name.parse().unwrap(),
        fiscal_year: year,
        department: department.parse().unwrap(),
        category: "Travel".parse().unwrap(),
        planned_amount: planned.parse().unwrap(),
        actual_amount: "0".parse().unwrap(),
        period_start: day(year, 1, 1),
        period_end: day(year, 3, 31),
        status: BudgetStatus::Active,
        notes: None,
    }
}

fn ids(page: Page<BudgetPlan>) -> Vec<BudgetPlanId> {
    page.items.into_iter().map(|b| b.id).collect()
}

async fn create(t: &TwoTenants, input: NewBudgetPlan) -> BudgetPlan {
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    db.budget_plans().create(input).await.unwrap()
}

/// The four amount columns as stored, as text.
async fn stored_amounts(t: &TwoTenants, id: BudgetPlanId) -> [String; 4] {
    let row = admin(&t.db)
        .await
        .query_one(
            "SELECT planned_amount::text, actual_amount::text, variance::text,
                    variance_percentage::text
             FROM finance.budget_plans WHERE id = $1",
            &[&id.into_uuid()],
        )
        .await
        .unwrap();
    [row.get(0), row.get(1), row.get(2), row.get(3)]
}

fn shown(b: &BudgetPlan) -> [String; 4] {
    [
        b.amounts.planned_amount().to_string(),
        b.amounts.actual_amount().to_string(),
        b.amounts.variance().to_string(),
        b.amounts.variance_percentage().to_string(),
    ]
}

/// An expense of tenant A, entered by A's admin; approved by `approver` in the
/// same unit of work when one is given.
struct Spend<'a> {
    date: NaiveDate,
    amount: &'a str,
    department: Option<&'a str>,
    category: &'a str,
}

impl Spend<'_> {
    fn input(&self) -> NewExpenseTransaction {
        NewExpenseTransaction {
            transaction_date: self.date,
            amount: self.amount.parse().unwrap(),
            currency: Default::default(),
            category: self.category.parse().unwrap(),
            subcategory: None,
            vendor: "Vendor".parse().unwrap(),
            description: "Spent".parse().unwrap(),
            department: self.department.map(|d| d.parse().unwrap()),
            employee_id: None,
            receipt_url: None,
            tax_amount: "0".parse().unwrap(),
            is_reimbursable: false,
        }
    }
}

/// Enters `spends` as A's admin, then lets `manager` decide each with `how`.
async fn spend(
    t: &TwoTenants,
    manager: &Context,
    spends: &[(Spend<'_>, &str)],
) -> Vec<ExpenseTransactionId> {
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .expense_transactions()
        .create_many(spends.iter().map(|(s, _)| s.input()).collect())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let mut uow = t.database.unit_of_work(manager).await.unwrap();
    for (expense, (_, how)) in created.iter().zip(spends) {
        let mut expenses = uow.expense_transactions();
        let decided = match *how {
            "approve" => expenses.approve(expense.id).await,
            "reject" => expenses.reject(expense.id).await,
            "cancel" => expenses.cancel(expense.id).await,
            "pending" => continue,
            other => unreachable!("{other}"),
        };
        decided.unwrap();
    }
    uow.commit().await.unwrap();
    created.into_iter().map(|e| e.id).collect()
}

async fn recompute(t: &TwoTenants, id: BudgetPlanId) -> aems_diesel::Result<BudgetPlan> {
    t.database
        .transaction(&t.ctx_a(), async |uow| {
            uow.budget_plans().recompute_actuals(id).await
        })
        .await
}

#[tokio::test]
async fn a_created_budget_reads_back_with_its_variance_derived_and_stored() {
    let t = TwoTenants::new().await;
    let mut input = budget("Q1 travel", 2024, "Sales", "1000.00");
    input.actual_amount = "250.50".parse().unwrap();
    input.notes = Some("Trade fairs included".parse().unwrap());
    let created = create(&t, input.clone()).await;
    assert_eq!(
        shown(&created),
        ["1000.00", "250.50", "-749.50", "-74.95"].map(String::from)
    );
    assert_eq!(stored_amounts(&t, created.id).await, shown(&created));
    assert_eq!(created.name, input.name);
    assert_eq!(created.fiscal_year, 2024);
    assert_eq!(created.period_end, input.period_end);
    assert_eq!(created.status, BudgetStatus::Active);
    assert_eq!(created.notes, input.notes);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.budget_plans().get(created.id).await.unwrap(), created);
}

#[tokio::test]
async fn each_filter_narrows_the_list_and_pages_cover_it() {
    let t = TwoTenants::new().await;
    let mut locked = budget("Locked", 2024, "Sales", "10");
    locked.status = BudgetStatus::Locked;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .budget_plans()
        .create_many(vec![
            budget("A", 2024, "Sales", "10"),
            budget("B", 2024, "Marketing", "10"),
            budget("C", 2025, "Sales", "10"),
            locked,
        ])
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let id = |i: usize| created[i].id;

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list =
        async |filter: BudgetPlanFilter| ids(db.budget_plans().list(&filter, all).await.unwrap());
    assert_eq!(
        list(BudgetPlanFilter::all().fiscal_year(2024)).await,
        vec![id(0), id(1), id(3)]
    );
    // The fixture's seeded budget is Sales, 2026.
    assert_eq!(
        list(BudgetPlanFilter::all().department("Sales"))
            .await
            .len(),
        4
    );
    assert_eq!(
        list(BudgetPlanFilter::all().department("Marketing")).await,
        vec![id(1)]
    );
    assert_eq!(
        list(BudgetPlanFilter::all().status(BudgetStatus::Locked)).await,
        vec![id(3)]
    );
    assert_eq!(
        list(
            BudgetPlanFilter::all()
                .fiscal_year(2024)
                .department("Sales")
                .status(BudgetStatus::Active)
        )
        .await,
        vec![id(0)]
    );
    match db
        .budget_plans()
        .list(&BudgetPlanFilter::all().department("bad\0name"), all)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("department", ErrorCode::InvalidCharacters)),
        other => panic!("{other:?}"),
    }

    let filter = BudgetPlanFilter::all().fiscal_year(2024);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(2).order(order);
        loop {
            let page = db.budget_plans().list(&filter, request).await.unwrap();
            seen.extend(page.items.iter().map(|b| b.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 2),
                None => break,
            }
        }
        let mut want = vec![id(0), id(1), id(3)];
        if order == Order::NewestFirst {
            want.reverse();
        }
        assert_eq!(seen, want, "{order:?}");
    }
}

#[tokio::test]
async fn another_tenants_budget_is_not_found_listed_changed_recomputed_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .budget_plans()
        .create(budget("Theirs", 2024, "Sales", "100"))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.budget_plans().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "budget_plans"
        })
    ));
    let listed = a
        .budget_plans()
        .list(&BudgetPlanFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(!listed.items.is_empty());
    assert!(
        listed
            .items
            .iter()
            .all(|p| p.tenant_id.into_uuid() == t.a.tenant)
    );
    let patch = BudgetPlanPatch {
        planned_amount: Some("1".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        a.budget_plans()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.budget_plans().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    drop(a);
    assert!(matches!(
        recompute(&t, theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(b.budget_plans().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_a_changed_amount_rewrites_the_variance() {
    let t = TwoTenants::new().await;
    let plan = create(&t, budget("Q1", 2024, "Sales", "200.00")).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let patch = BudgetPlanPatch {
        actual_amount: Some("201.00".parse().unwrap()),
        ..Default::default()
    };
    let updated = db
        .budget_plans()
        .update(plan.id, plan.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(
        shown(&updated),
        ["200.00", "201.00", "1.00", "0.50"].map(String::from)
    );
    assert_eq!(stored_amounts(&t, plan.id).await, shown(&updated));

    let rename = BudgetPlanPatch {
        name: Some("Q1 travel".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        db.budget_plans()
            .update(plan.id, plan.updated_at, &rename)
            .await,
        Err(Error::Conflict {
            entity: "budget_plans"
        })
    ));
    assert_eq!(db.budget_plans().get(plan.id).await.unwrap(), updated);

    // A rename leaves the amounts alone; planned changes move the variance.
    let renamed = db
        .budget_plans()
        .update(plan.id, updated.updated_at, &rename)
        .await
        .unwrap();
    assert_eq!(shown(&renamed), shown(&updated));
    let replan = BudgetPlanPatch {
        planned_amount: Some("100.00".parse().unwrap()),
        ..Default::default()
    };
    let replanned = db
        .budget_plans()
        .update(plan.id, renamed.updated_at, &replan)
        .await
        .unwrap();
    assert_eq!(
        shown(&replanned),
        ["100.00", "201.00", "101.00", "101.00"].map(String::from)
    );
    assert_eq!(stored_amounts(&t, plan.id).await, shown(&replanned));
}

#[tokio::test]
async fn a_locked_budget_freezes_its_amounts_but_not_its_name() {
    let t = TwoTenants::new().await;
    let plan = create(&t, budget("Q1", 2024, "Sales", "200.00")).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let lock = BudgetPlanPatch {
        status: Some(BudgetStatus::Locked),
        ..Default::default()
    };
    let locked = db
        .budget_plans()
        .update(plan.id, plan.updated_at, &lock)
        .await
        .unwrap();
    let patch = BudgetPlanPatch {
        actual_amount: Some("1.00".parse().unwrap()),
        ..Default::default()
    };
    match db
        .budget_plans()
        .update(locked.id, locked.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("actual_amount", ErrorCode::NotAllowed)),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.budget_plans().get(plan.id).await.unwrap(), locked);
    let rename = BudgetPlanPatch {
        name: Some("Q1 (closed)".parse().unwrap()),
        ..Default::default()
    };
    let renamed = db
        .budget_plans()
        .update(locked.id, locked.updated_at, &rename)
        .await
        .unwrap();
    assert_eq!(renamed.name.as_str(), "Q1 (closed)");
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let before = t.count("finance.budget_plans").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = budget("Bad", 1800, "Sales", "0");
    bad.period_end = bad.period_start;
    bad.actual_amount = "-1".parse().unwrap();
    match db.budget_plans().create(bad.clone()).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("fiscal_year", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("planned_amount", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("actual_amount", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("period_end", ErrorCode::DateOrder), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // A variance that cannot be stored is refused at creation too.
    let mut overflowing = budget("Tiny plan", 2024, "Sales", "0.01");
    overflowing.actual_amount = "100000.00".parse().unwrap();
    match db.budget_plans().create(overflowing).await {
        Err(Error::Validation(e)) => {
            assert!(
                e.has("variance_percentage", ErrorCode::TooManyDigits),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    let good = db
        .budget_plans()
        .create(budget("Good", 2024, "Sales", "10"))
        .await
        .unwrap();
    let patch = BudgetPlanPatch {
        period_end: Some(day(2023, 12, 31)),
        planned_amount: Some("0".parse().unwrap()),
        ..Default::default()
    };
    match db
        .budget_plans()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => {
            assert!(e.has("period_end", ErrorCode::DateOrder), "{e}");
            assert!(e.has("planned_amount", ErrorCode::OutOfRange), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.budget_plans().get(good.id).await.unwrap(), good);
    drop(db);
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow
        .budget_plans()
        .create_many(vec![budget("Fine", 2024, "Sales", "10"), bad])
        .await
    {
        Err(Error::Validation(e)) => {
            assert!(e.has_field("[1].planned_amount"), "{e}");
            assert!(!e.has_field("[0].planned_amount"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(t.count("finance.budget_plans").await, before + 1);
}

#[tokio::test]
async fn recompute_actuals_sums_only_the_approved_expenses_the_budget_covers() {
    let t = TwoTenants::new().await;
    let plan = create(&t, budget("Q1 travel", 2024, "Sales", "1000.00")).await;
    let manager = another_user_of_a(&t, "manager").await;
    let s = |date: NaiveDate, amount, department, category| Spend {
        date,
        amount,
        department,
        category,
    };
    let sales = Some("Sales");
    spend(
        &t,
        &manager,
        &[
            // Counted: approved, same department and category, in the period
            // (both ends included).
            (s(day(2024, 1, 1), "100.00", sales, "Travel"), "approve"),
            (s(day(2024, 3, 31), "200.50", sales, "Travel"), "approve"),
            // Not counted.
            (s(day(2023, 12, 31), "1000.00", sales, "Travel"), "approve"),
            (s(day(2024, 4, 1), "1000.00", sales, "Travel"), "approve"),
            (s(day(2024, 2, 1), "1000.00", sales, "Travel"), "pending"),
            (s(day(2024, 2, 1), "1000.00", sales, "Travel"), "reject"),
            (s(day(2024, 2, 1), "1000.00", sales, "Travel"), "cancel"),
            (
                s(day(2024, 2, 1), "1000.00", Some("Marketing"), "Travel"),
                "approve",
            ),
            (s(day(2024, 2, 1), "1000.00", sales, "Meals"), "approve"),
            (s(day(2024, 2, 1), "1000.00", None, "Travel"), "approve"),
        ],
    )
    .await;
    // Tenant B's approved, matching expense (written as the administrator).
    let admin = admin(&t.db).await;
    admin.batch_execute("BEGIN").await.unwrap();
    admin
        .execute(
            "SELECT set_config('app.current_user_id', $1, true)",
            &[&t.b.user.to_string()],
        )
        .await
        .unwrap();
    admin
        .execute(
            "INSERT INTO finance.expense_transactions (tenant_id, transaction_date, amount,
                 category, vendor, description, department, approval_status, created_by, updated_by)
             VALUES ($1, '2024-02-01', 5000, 'Travel', 'V', 'B spends', 'Sales', 'approved', $2, $2)",
            &[&t.b.tenant, &t.b.user],
        )
        .await
        .unwrap();
    admin.batch_execute("COMMIT").await.unwrap();

    let recomputed = recompute(&t, plan.id).await.unwrap();
    assert_eq!(
        shown(&recomputed),
        ["1000.00", "300.50", "-699.50", "-69.95"].map(String::from)
    );
    assert_eq!(stored_amounts(&t, plan.id).await, shown(&recomputed));
    assert_eq!(recomputed.updated_by.into_uuid(), t.a.user);
    assert!(recomputed.updated_at > plan.updated_at);

    // Nothing changed since: nothing is written, the version stays.
    let again = recompute(&t, plan.id).await.unwrap();
    assert_eq!(again, recomputed);

    // Overspending beyond the spec's DECIMAL(5,2) percentage still fits.
    spend(
        &t,
        &manager,
        &[(s(day(2024, 2, 2), "20000.00", sales, "Travel"), "approve")],
    )
    .await;
    let over = recompute(&t, plan.id).await.unwrap();
    assert_eq!(
        shown(&over),
        ["1000.00", "20300.50", "19300.50", "1930.05"].map(String::from)
    );
    assert_eq!(stored_amounts(&t, plan.id).await, shown(&over));
}

#[tokio::test]
async fn recompute_actuals_refuses_to_add_up_expenses_in_different_currencies() {
    let t = TwoTenants::new().await;
    let manager = another_user_of_a(&t, "manager").await;
    let plan = create(&t, budget("Q1 travel", 2024, "Sales", "1000.00")).await;
    let travel = |amount, category| Spend {
        date: day(2024, 2, 1),
        amount,
        department: Some("Sales"),
        category,
    };
    spend(&t, &manager, &[(travel("100.00", "Travel"), "approve")]).await;
    // Approved expenses in euros: the first outside the budget's category.
    let euros = |category| {
        let mut input = travel("50.00", category).input();
        input.currency = "EUR".parse().unwrap();
        input
    };
    let approve_in_euros = async |category| {
        let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
        let expense = uow
            .expense_transactions()
            .create(euros(category))
            .await
            .unwrap();
        uow.commit().await.unwrap();
        let mut uow = t.database.unit_of_work(&manager).await.unwrap();
        uow.expense_transactions()
            .approve(expense.id)
            .await
            .unwrap();
        uow.commit().await.unwrap();
    };
    approve_in_euros("Meals").await;
    let recomputed = recompute(&t, plan.id).await.unwrap();
    assert_eq!(
        shown(&recomputed),
        ["1000.00", "100.00", "-900.00", "-90.00"].map(String::from)
    );

    // Now one the budget covers: 100 USD + 50 EUR is not 150 of anything.
    approve_in_euros("Travel").await;
    match recompute(&t, plan.id).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("actual_amount", ErrorCode::Inconsistent), "{e}");
            assert!(e.to_string().contains("2 currencies"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stored_amounts(&t, plan.id).await, shown(&recomputed));
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.budget_plans().get(plan.id).await.unwrap(), recomputed);
}

#[tokio::test]
async fn recompute_actuals_refuses_a_value_that_does_not_fit_and_writes_nothing() {
    let t = TwoTenants::new().await;
    let manager = another_user_of_a(&t, "manager").await;
    let tiny = create(&t, budget("Tiny plan", 2024, "Sales", "0.01")).await;
    let mut huge = budget("Huge", 2024, "Ops", "100.00");
    huge.category = "Capex".parse().unwrap();
    let huge = create(&t, huge).await;
    let s = |amount, department, category| Spend {
        date: day(2024, 2, 1),
        amount,
        department: Some(department),
        category,
    };
    spend(
        &t,
        &manager,
        &[
            // 100000 on a plan of 0.01: +999,999,900 %, beyond DECIMAL(9,2).
            (s("100000.00", "Sales", "Travel"), "approve"),
            // Two maximal amounts: a sum beyond DECIMAL(15,2).
            (s("9999999999999.99", "Ops", "Capex"), "approve"),
            (s("9999999999999.99", "Ops", "Capex"), "approve"),
        ],
    )
    .await;

    for (plan, field) in [(&tiny, "variance_percentage"), (&huge, "actual_amount")] {
        let before = stored_amounts(&t, plan.id).await;
        match recompute(&t, plan.id).await {
            Err(Error::Validation(e)) => {
                assert!(e.has(field, ErrorCode::TooManyDigits), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(stored_amounts(&t, plan.id).await, before);
        let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
        assert_eq!(&db.budget_plans().get(plan.id).await.unwrap(), plan);
    }
}

#[tokio::test]
async fn recompute_actuals_on_a_locked_budget_is_refused_and_writes_nothing() {
    let t = TwoTenants::new().await;
    let manager = another_user_of_a(&t, "manager").await;
    let mut input = budget("Closed quarter", 2024, "Sales", "500.00");
    input.status = BudgetStatus::Locked;
    let locked = create(&t, input).await;
    spend(
        &t,
        &manager,
        &[(
            Spend {
                date: day(2024, 2, 1),
                amount: "10.00",
                department: Some("Sales"),
                category: "Travel",
            },
            "approve",
        )],
    )
    .await;
    match recompute(&t, locked.id).await {
        Err(Error::Validation(e)) => assert!(e.has("actual_amount", ErrorCode::NotAllowed)),
        other => panic!("{other:?}"),
    }
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.budget_plans().get(locked.id).await.unwrap(), locked);
    assert_eq!(stored_amounts(&t, locked.id).await, shown(&locked));
}

#[tokio::test]
async fn a_row_with_the_sql_default_variance_reads_derived_and_recompute_repairs_it() {
    let t = TwoTenants::new().await;
    // The fixture inserted its budget with SQL, leaving variance at the
    // column defaults (0) whatever the amounts.
    let seeded: uuid::Uuid = admin(&t.db)
        .await
        .query_one(
            "SELECT id FROM finance.budget_plans WHERE tenant_id = $1",
            &[&t.a.tenant],
        )
        .await
        .unwrap()
        .get(0);
    let id = BudgetPlanId::from_uuid(seeded);
    assert_eq!(
        stored_amounts(&t, id).await,
        ["5000.00", "0.00", "0.00", "0.00"].map(String::from)
    );
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let read = db.budget_plans().get(id).await.unwrap();
    assert_eq!(
        shown(&read),
        ["5000.00", "0.00", "-5000.00", "-100.00"].map(String::from)
    );
    drop(db);
    // The actual amount is unchanged, but the stale columns are rewritten.
    let repaired = recompute(&t, id).await.unwrap();
    assert_eq!(shown(&repaired), shown(&read));
    assert_eq!(stored_amounts(&t, id).await, shown(&read));
    assert!(repaired.updated_at > read.updated_at);
}

#[tokio::test]
async fn only_active_budgets_can_be_deleted() {
    let t = TwoTenants::new().await;
    let active = create(&t, budget("Active", 2024, "Sales", "10")).await;
    let mut kept = Vec::new();
    for status in [BudgetStatus::Locked, BudgetStatus::Archived] {
        let mut input = budget("Kept", 2024, "Sales", "10");
        input.status = status;
        kept.push(create(&t, input).await);
    }
    let before = t.count("finance.budget_plans").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.budget_plans().delete(active.id).await.unwrap(), active);
    assert!(matches!(
        db.budget_plans().delete(active.id).await,
        Err(Error::NotFound { .. })
    ));
    for plan in &kept {
        match db.budget_plans().delete(plan.id).await {
            Err(Error::Transition(TransitionError::Final {
                entity: "budget",
                state,
            })) => assert_eq!(state, plan.status.as_str()),
            other => panic!("{other:?}"),
        }
        assert_eq!(&db.budget_plans().get(plan.id).await.unwrap(), plan);
    }
    assert_eq!(t.count("finance.budget_plans").await, before - 1);
}

#[tokio::test]
async fn a_recompute_queued_behind_an_edit_uses_the_edited_plan() {
    let t = TwoTenants::new().await;
    let plan = create(&t, budget("Q1 travel", 2024, "Sales", "1000.00")).await;
    let manager = another_user_of_a(&t, "manager").await;
    spend(
        &t,
        &manager,
        &[(
            Spend {
                date: day(2024, 2, 1),
                amount: "250.00",
                department: Some("Sales"),
                category: "Travel",
            },
            "approve",
        )],
    )
    .await;
    // An editor halves the plan (written, not committed yet).
    let mut editor = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let replan = BudgetPlanPatch {
        planned_amount: Some("500.00".parse().unwrap()),
        ..Default::default()
    };
    editor
        .budget_plans()
        .update(plan.id, plan.updated_at, &replan)
        .await
        .unwrap();
    // A recompute starts meanwhile and waits for the editor.
    let recomputing = recompute(&t, plan.id);
    let commit_once_recompute_waits = async {
        super::until_a_session_waits_for_a_lock(&t).await;
        editor.commit().await.unwrap();
    };
    let (recomputed, ()) = tokio::join!(recomputing, commit_once_recompute_waits);
    // It derived the variance from the committed plan and kept that plan.
    let recomputed = recomputed.unwrap();
    assert_eq!(
        shown(&recomputed),
        ["500.00", "250.00", "-250.00", "-50.00"].map(String::from)
    );
    assert_eq!(stored_amounts(&t, plan.id).await, shown(&recomputed));
}
