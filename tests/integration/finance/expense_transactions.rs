//! `finance.expense_transactions` through its repository: CRUD, filters,
//! paging, optimistic concurrency, bulk insert, isolation, and the approval
//! decisions (atomic, nobody decides on their own expense, final once made).

use aems_core::finance::expense_transactions::{
    ApprovalStatus, ExpenseTransaction, ExpenseTransactionPatch, NewExpenseTransaction,
};
use aems_core::{CurrencyCode, ErrorCode, ExpenseTransactionId, TransitionError, UserId};
use aems_diesel::finance::ExpenseFilter;
use aems_diesel::prelude::*;
use aems_diesel::{Context, Error, Order};
use chrono::{Duration, NaiveDate, Utc};

use super::another_user_of_a;
use crate::support::{TwoTenants, admin};

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, month, d).unwrap()
}

fn expense(date: NaiveDate, amount: &str, category: &str) -> NewExpenseTransaction {
    NewExpenseTransaction {
        transaction_date: date,
        amount: amount.parse().unwrap(),
        currency: CurrencyCode::default(),
        category: category.parse().unwrap(),
        subcategory: None,
        vendor: "Rail Co".parse().unwrap(),
        description: "Train to the client".parse().unwrap(),
        department: Some("Sales".parse().unwrap()),
        employee_id: None,
        receipt_url: None,
        tax_amount: "0".parse().unwrap(),
        is_reimbursable: false,
    }
}

fn ids(page: Page<ExpenseTransaction>) -> Vec<ExpenseTransactionId> {
    page.items.into_iter().map(|e| e.id).collect()
}

/// A pending expense of tenant A, entered by A's admin and committed.
async fn pending(t: &TwoTenants, input: NewExpenseTransaction) -> ExpenseTransaction {
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    db.expense_transactions().create(input).await.unwrap()
}

/// Runs one decision in its own unit of work as `ctx`, committing on success.
async fn decide(
    t: &TwoTenants,
    ctx: &Context,
    id: ExpenseTransactionId,
    how: &str,
) -> aems_diesel::Result<ExpenseTransaction> {
    let how = how.to_owned();
    t.database
        .transaction(ctx, async |uow| {
            let mut expenses = uow.expense_transactions();
            match how.as_str() {
                "approve" => expenses.approve(id).await,
                "reject" => expenses.reject(id).await,
                "cancel" => expenses.cancel(id).await,
                other => unreachable!("{other}"),
            }
        })
        .await
}

#[tokio::test]
async fn a_recorded_expense_is_pending_and_reads_back_whole_with_its_authorship() {
    let t = TwoTenants::new().await;
    let mut input = expense(day(5, 2), "120.00", "Travel");
    input.currency = "EUR".parse().unwrap();
    input.subcategory = Some("Rail".parse().unwrap());
    input.employee_id = Some(UserId::from_uuid(t.a.user));
    input.receipt_url = Some("https://receipts.example.com/r/1".parse().unwrap());
    input.tax_amount = "20.00".parse().unwrap();
    input.is_reimbursable = true;
    let created = pending(&t, input.clone()).await;
    assert_eq!(created.approval_status, ApprovalStatus::Pending);
    assert_eq!((created.approved_by, created.approved_at), (None, None));
    assert_eq!(created.amount, input.amount);
    assert_eq!(created.currency.as_str(), "EUR");
    assert_eq!(created.subcategory, input.subcategory);
    assert_eq!(created.receipt_url, input.receipt_url);
    assert_eq!(created.tax_amount, input.tax_amount);
    assert!(created.is_reimbursable);
    assert_eq!(created.employee_id, input.employee_id);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(
        db.expense_transactions().get(created.id).await.unwrap(),
        created
    );
}

#[tokio::test]
async fn an_employee_of_another_tenant_is_refused_like_a_missing_one() {
    let t = TwoTenants::new().await;
    let before = t.count("finance.expense_transactions").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    for employee in [UserId::from_uuid(t.b.user), UserId::new()] {
        let mut input = expense(day(5, 2), "10.00", "Travel");
        input.employee_id = Some(employee);
        match db.expense_transactions().create(input).await {
            Err(Error::ForeignKeyViolation { constraint, .. }) => {
                assert_eq!(constraint, "fk_expense_transactions_employee_id")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(t.count("finance.expense_transactions").await, before);
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let t = TwoTenants::new().await;
    let employee = another_user_of_a(&t, "traveller").await;
    let manager = another_user_of_a(&t, "manager").await;
    let mut by_employee = expense(day(3, 31), "30.00", "Meals");
    by_employee.employee_id = Some(employee.actor());
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .expense_transactions()
        .create_many(vec![
            expense(day(3, 1), "10.00", "Travel"),
            by_employee,
            expense(day(4, 1), "40.00", "Travel"),
            expense(day(4, 2), "50.00", "Software"),
        ])
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let id = |i: usize| created[i].id;
    decide(&t, &manager, id(0), "approve").await.unwrap();
    decide(&t, &manager, id(2), "reject").await.unwrap();
    decide(&t, &t.ctx_a(), id(3), "cancel").await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list = async |filter: ExpenseFilter| {
        ids(db.expense_transactions().list(&filter, all).await.unwrap())
    };
    let in_2024 = ExpenseFilter::all().between(day(1, 1), day(12, 31));
    assert_eq!(
        list(in_2024.clone().approval_status(ApprovalStatus::Approved)).await,
        vec![id(0)]
    );
    assert_eq!(
        list(in_2024.clone().approval_status(ApprovalStatus::Rejected)).await,
        vec![id(2)]
    );
    assert_eq!(
        list(in_2024.clone().approval_status(ApprovalStatus::Cancelled)).await,
        vec![id(3)]
    );
    assert_eq!(
        list(in_2024.clone().approval_status(ApprovalStatus::Pending)).await,
        vec![id(1)]
    );
    // Both ends of the range are included.
    assert_eq!(
        list(ExpenseFilter::all().between(day(3, 1), day(4, 1))).await,
        vec![id(0), id(1), id(2)]
    );
    assert_eq!(
        list(ExpenseFilter::all().since(day(4, 2)).until(day(4, 2))).await,
        vec![id(3)]
    );
    assert_eq!(
        list(in_2024.clone().category("Travel")).await,
        vec![id(0), id(2)]
    );
    assert_eq!(
        list(in_2024.clone().category("travel")).await,
        Vec::<ExpenseTransactionId>::new(),
        "categories match exactly"
    );
    assert_eq!(
        list(ExpenseFilter::all().employee(employee.actor())).await,
        vec![id(1)]
    );
    match db
        .expense_transactions()
        .list(&ExpenseFilter::all().category("x".repeat(101)), all)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("category", ErrorCode::TooLong)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_tenants_expense_is_not_found_listed_changed_decided_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .expense_transactions()
        .create(expense(day(5, 5), "99.00", "Travel"))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.expense_transactions().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "expense_transactions"
        })
    ));
    let listed = a
        .expense_transactions()
        .list(&ExpenseFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(!listed.items.is_empty());
    assert!(
        listed
            .items
            .iter()
            .all(|e| e.tenant_id.into_uuid() == t.a.tenant)
    );
    let patch = ExpenseTransactionPatch {
        amount: Some("1.00".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        a.expense_transactions()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.expense_transactions().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    drop(a);
    for how in ["approve", "reject", "cancel"] {
        assert!(matches!(
            decide(&t, &t.ctx_a(), theirs.id, how).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert_eq!(
        b.expense_transactions().get(theirs.id).await.unwrap(),
        theirs
    );
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let e = pending(&t, expense(day(5, 2), "120.00", "Travel")).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let patch = ExpenseTransactionPatch {
        amount: Some("130.00".parse().unwrap()),
        department: Some(None),
        ..Default::default()
    };
    let updated = db
        .expense_transactions()
        .update(e.id, e.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.amount.to_string(), "130.00");
    assert_eq!(updated.department, None);
    assert!(updated.updated_at > e.updated_at);
    let again = ExpenseTransactionPatch {
        vendor: Some("Air Co".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        db.expense_transactions()
            .update(e.id, e.updated_at, &again)
            .await,
        Err(Error::Conflict {
            entity: "expense_transactions"
        })
    ));
    assert_eq!(db.expense_transactions().get(e.id).await.unwrap(), updated);
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let before = t.count("finance.expense_transactions").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = expense(day(5, 2), "-1.00", "Travel");
    bad.tax_amount = "-2.00".parse().unwrap();
    match db.expense_transactions().create(bad.clone()).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.errors().len(), 2, "{e}");
            assert!(e.has("amount", ErrorCode::OutOfRange));
            assert!(e.has("tax_amount", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    let good = db
        .expense_transactions()
        .create(expense(day(5, 2), "100.00", "Travel"))
        .await
        .unwrap();
    // Tax is part of the amount: checked against the stored amount too.
    let patch = ExpenseTransactionPatch {
        tax_amount: Some("100.01".parse().unwrap()),
        ..Default::default()
    };
    match db
        .expense_transactions()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("tax_amount", ErrorCode::Inconsistent)),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.expense_transactions().get(good.id).await.unwrap(), good);
    drop(db);

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut batch: Vec<NewExpenseTransaction> = (1..=5)
        .map(|d| expense(day(6, d), "10.00", "Travel"))
        .collect();
    batch[1].amount = "0".parse().unwrap();
    batch[4].tax_amount = "10.01".parse().unwrap();
    match uow.expense_transactions().create_many(batch).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.errors().len(), 2, "{e}");
            assert!(e.has("[1].amount", ErrorCode::OutOfRange));
            assert!(e.has("[4].tax_amount", ErrorCode::Inconsistent));
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(t.count("finance.expense_transactions").await, before + 1);
}

#[tokio::test]
async fn approving_records_the_approver_and_the_time_together() {
    let t = TwoTenants::new().await;
    let e = pending(&t, expense(day(5, 2), "120.00", "Travel")).await;
    let manager = another_user_of_a(&t, "manager").await;
    let before = Utc::now() - Duration::milliseconds(1);
    let approved = decide(&t, &manager, e.id, "approve").await.unwrap();
    let after = Utc::now();
    assert_eq!(approved.approval_status, ApprovalStatus::Approved);
    assert_eq!(approved.approved_by, Some(manager.actor()));
    let at = approved.approved_at.expect("approved_at recorded");
    assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
    assert_eq!(approved.updated_by, manager.actor());
    assert_eq!(approved.created_by, e.created_by);
    assert_eq!(approved.amount, e.amount);

    // Stored, as read back by the administrator.
    let row = admin(&t.db)
        .await
        .query_one(
            "SELECT approval_status, approved_by, approved_at FROM finance.expense_transactions
             WHERE id = $1",
            &[&e.id.into_uuid()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "approved");
    assert_eq!(
        row.get::<_, Option<uuid::Uuid>>(1),
        Some(manager.actor().into_uuid())
    );
    assert_eq!(row.get::<_, Option<chrono::DateTime<Utc>>>(2), Some(at));

    let other = pending(&t, expense(day(5, 3), "12.00", "Travel")).await;
    let rejected = decide(&t, &manager, other.id, "reject").await.unwrap();
    assert_eq!(rejected.approval_status, ApprovalStatus::Rejected);
    assert_eq!(rejected.approved_by, Some(manager.actor()));
    assert!(rejected.approved_at.is_some());
}

#[tokio::test]
async fn nobody_approves_or_rejects_an_expense_they_incurred_or_entered() {
    let t = TwoTenants::new().await;
    let employee = another_user_of_a(&t, "traveller").await;
    let mut input = expense(day(5, 2), "120.00", "Travel");
    input.employee_id = Some(employee.actor());
    let e = pending(&t, input).await;
    // A's admin entered it; the traveller incurred it.
    for ctx in [t.ctx_a(), employee.clone()] {
        for how in ["approve", "reject"] {
            match decide(&t, &ctx, e.id, how).await {
                Err(Error::Transition(TransitionError::SelfApproval)) => {}
                other => panic!("{how}: {other:?}"),
            }
        }
    }
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.expense_transactions().get(e.id).await.unwrap(), e);
    drop(db);
    // Whoever submitted it may still withdraw it.
    let cancelled = decide(&t, &employee, e.id, "cancel").await.unwrap();
    assert_eq!(cancelled.approval_status, ApprovalStatus::Cancelled);
}

#[tokio::test]
async fn a_decided_expense_is_final_frozen_and_kept() {
    let t = TwoTenants::new().await;
    let manager = another_user_of_a(&t, "manager").await;
    let approved = pending(&t, expense(day(5, 2), "120.00", "Travel")).await;
    let rejected = pending(&t, expense(day(5, 3), "130.00", "Travel")).await;
    let cancelled = pending(&t, expense(day(5, 4), "140.00", "Travel")).await;
    let approved = decide(&t, &manager, approved.id, "approve").await.unwrap();
    let rejected = decide(&t, &manager, rejected.id, "reject").await.unwrap();
    let cancelled = decide(&t, &t.ctx_a(), cancelled.id, "cancel")
        .await
        .unwrap();
    assert_eq!((cancelled.approved_by, cancelled.approved_at), (None, None));
    assert_eq!(cancelled.updated_by.into_uuid(), t.a.user);

    let patch = ExpenseTransactionPatch {
        amount: Some("1.00".parse().unwrap()),
        ..Default::default()
    };
    for decided in [&approved, &rejected, &cancelled] {
        for how in ["approve", "reject", "cancel"] {
            match decide(&t, &manager, decided.id, how).await {
                Err(Error::Transition(TransitionError::IllegalMove {
                    entity: "expense",
                    from,
                    ..
                })) => assert_eq!(from, decided.approval_status.as_str()),
                other => panic!("{how} {}: {other:?}", decided.approval_status),
            }
        }
        let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
        match db
            .expense_transactions()
            .update(decided.id, decided.updated_at, &patch)
            .await
        {
            Err(Error::Validation(e)) => assert!(e.has("approval_status", ErrorCode::NotAllowed)),
            other => panic!("{other:?}"),
        }
        match db.expense_transactions().delete(decided.id).await {
            Err(Error::Transition(TransitionError::Final {
                entity: "expense",
                state,
            })) => assert_eq!(state, decided.approval_status.as_str()),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            &db.expense_transactions().get(decided.id).await.unwrap(),
            decided
        );
    }
}

#[tokio::test]
async fn a_pending_expense_can_be_deleted() {
    let t = TwoTenants::new().await;
    let e = pending(&t, expense(day(5, 2), "120.00", "Travel")).await;
    let before = t.count("finance.expense_transactions").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.expense_transactions().delete(e.id).await.unwrap(), e);
    assert_eq!(t.count("finance.expense_transactions").await, before - 1);
    assert!(matches!(
        db.expense_transactions().delete(e.id).await,
        Err(Error::NotFound { .. })
    ));
    drop(db);
    assert!(matches!(
        decide(&t, &t.ctx_a(), e.id, "cancel").await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_cancellation_queued_behind_an_approval_sees_the_decision_and_is_refused() {
    let t = TwoTenants::new().await;
    let manager = another_user_of_a(&t, "manager").await;
    let e = pending(&t, expense(day(5, 2), "120.00", "Travel")).await;
    // The manager approves (locked and updated, not committed yet).
    let mut first = t.database.unit_of_work(&manager).await.unwrap();
    let approved = first.expense_transactions().approve(e.id).await.unwrap();
    // The submitter withdraws it meanwhile and has to wait.
    let ctx = t.ctx_a();
    let second = t.database.transaction(&ctx, async |uow| {
        uow.expense_transactions().cancel(e.id).await
    });
    let commit_first_once_second_waits = async {
        super::until_a_session_waits_for_a_lock(&t).await;
        first.commit().await.unwrap();
    };
    let (second, ()) = tokio::join!(second, commit_first_once_second_waits);
    match second {
        Err(Error::Transition(TransitionError::IllegalMove { from, to, .. })) => {
            assert_eq!((from, to), ("approved", "cancelled"))
        }
        other => panic!("the cancellation was not refused: {other:?}"),
    }
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.expense_transactions().get(e.id).await.unwrap(), approved);
}

#[tokio::test]
async fn create_many_crosses_the_chunk_boundary_is_all_or_nothing_and_pages_cover_it() {
    let t = TwoTenants::new().await;
    let before = t.count("finance.expense_transactions").await;
    let inputs: Vec<NewExpenseTransaction> = (0..1_050)
        .map(|i| expense(day(1, 1) + Duration::days(i % 300), "9.99", "Bulk"))
        .collect();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .expense_transactions()
        .create_many(inputs)
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 1_050);
    assert!(
        created.windows(2).all(|w| w[0].id < w[1].id),
        "ids follow input order"
    );
    assert!(
        created
            .iter()
            .all(|e| e.approval_status == ApprovalStatus::Pending)
    );
    assert_eq!(
        t.count("finance.expense_transactions").await,
        before + 1_050
    );

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = ExpenseFilter::all().category("Bulk");
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(400).order(order);
        let mut pages = 0;
        loop {
            let page = db
                .expense_transactions()
                .list(&filter, request)
                .await
                .unwrap();
            pages += 1;
            seen.extend(page.items.iter().map(|e| e.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 400),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let mut want: Vec<_> = created.iter().map(|e| e.id).collect();
        if order == Order::NewestFirst {
            want.reverse();
        }
        assert_eq!(seen, want, "{order:?}");
    }
    drop(db);

    // A database refusal in the second chunk rolls the first back too.
    let mut inputs: Vec<NewExpenseTransaction> = (0..1_010)
        .map(|_| expense(day(2, 1), "1.00", "Second"))
        .collect();
    inputs[1_005].employee_id = Some(UserId::from_uuid(t.b.user));
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.expense_transactions().create_many(inputs).await,
        Err(Error::ForeignKeyViolation { .. })
    ));
    assert!(matches!(uow.commit().await, Err(Error::TransactionAborted)));
    assert_eq!(
        t.count("finance.expense_transactions").await,
        before + 1_050
    );
}
