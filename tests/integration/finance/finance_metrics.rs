//! `finance.finance_metrics` through its repository: CRUD, upsert on the
//! natural key, filters, paging, optimistic concurrency, bulk insert,
//! isolation, and the widened margin columns.

use aems_core::finance::finance_metrics::{FinanceMetric, FinanceMetricPatch, NewFinanceMetric};
use aems_core::{ErrorCode, FinanceMetricId, PeriodType};
use aems_diesel::finance::FinanceMetricFilter;
use aems_diesel::prelude::*;
use aems_diesel::{Error, Order};
use chrono::NaiveDate;

use super::another_user_of_a;
use crate::support::TwoTenants;

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, month, d).unwrap()
}

fn metric(date: NaiveDate, period: PeriodType, revenue: &str) -> NewFinanceMetric {
    let mut m = NewFinanceMetric::new(date, period);
    m.total_revenue = revenue.parse().unwrap();
    m
}

fn ids(page: Page<FinanceMetric>) -> Vec<FinanceMetricId> {
    page.items.into_iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn a_created_finance_metric_reads_back_whole_with_losses_beyond_the_specs_margin_range() {
    let t = TwoTenants::new().await;
    let mut input = metric(day(1, 1), PeriodType::Quarterly, "1000.00");
    input.total_expenses = "151000.00".parse().unwrap();
    input.gross_profit = "-50000.00".parse().unwrap();
    input.net_profit = "-150000.00".parse().unwrap();
    input.ebitda = "-149000.00".parse().unwrap();
    // −15,000 %: far below the spec's DECIMAL(5,2), inside the widened (9,2).
    input.gross_margin = "-5000.00".parse().unwrap();
    input.net_margin = "-15000.00".parse().unwrap();
    input.cash_flow = "-1.50".parse().unwrap();
    input.accounts_receivable = "12.34".parse().unwrap();
    input.accounts_payable = "56.78".parse().unwrap();
    input.cash_balance = "-20.00".parse().unwrap();
    input.burn_rate = "50000.00".parse().unwrap();
    input.runway_months = "2.5".parse().unwrap();
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let created = db.finance_metrics().create(input.clone()).await.unwrap();
    assert_eq!(created.net_margin.to_string(), "-15000.00");
    assert_eq!(created.gross_margin, input.gross_margin);
    assert_eq!(created.net_profit, input.net_profit);
    assert_eq!(created.cash_balance, input.cash_balance);
    assert_eq!(created.runway_months.to_string(), "2.5");
    assert_eq!(created.total_expenses, input.total_expenses);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(db.finance_metrics().get(created.id).await.unwrap(), created);
    assert_eq!(
        db.finance_metrics()
            .find_for_period(day(1, 1), PeriodType::Quarterly)
            .await
            .unwrap(),
        Some(created)
    );
}

#[tokio::test]
async fn upsert_inserts_a_period_once_then_replaces_its_figures_keeping_id_and_creator() {
    let t = TwoTenants::new().await;
    let before = t.count("finance.finance_metrics").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut first_input = metric(day(2, 1), PeriodType::Monthly, "100.00");
    first_input.burn_rate = "10.00".parse().unwrap();
    let first = db.finance_metrics().upsert(first_input).await.unwrap();
    drop(db);

    let other = another_user_of_a(&t, "controller").await;
    let mut db = t.database.one_shot(&other).await.unwrap();
    let mut again = metric(day(2, 1), PeriodType::Monthly, "300.00");
    again.net_margin = "-1234.56".parse().unwrap();
    let second = db.finance_metrics().upsert(again).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(second.created_by, first.created_by);
    assert_eq!(second.updated_by, other.actor());
    assert!(second.updated_at > first.updated_at);
    assert_eq!(second.total_revenue.to_string(), "300.00");
    assert_eq!(second.net_margin.to_string(), "-1234.56");
    assert_eq!(
        second.burn_rate.to_string(),
        "0.00",
        "the upsert replaces the whole period"
    );
    assert_eq!(t.count("finance.finance_metrics").await, before + 1);
    assert_eq!(db.finance_metrics().get(first.id).await.unwrap(), second);

    let daily = db
        .finance_metrics()
        .upsert(metric(day(2, 1), PeriodType::Daily, "1.00"))
        .await
        .unwrap();
    assert_ne!(daily.id, first.id);
    assert_eq!(t.count("finance.finance_metrics").await, before + 2);
    match db
        .finance_metrics()
        .create(metric(day(2, 1), PeriodType::Daily, "2.00"))
        .await
    {
        Err(Error::UniqueViolation { constraint, .. }) => assert_eq!(
            constraint,
            "uq_finance_metrics_tenant_id_metric_date_period_type"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn period_type_and_inclusive_date_range_filters_narrow_the_list_and_pages_cover_it() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut inputs: Vec<NewFinanceMetric> = (1..=17)
        .map(|d| metric(day(3, d), PeriodType::Daily, "1"))
        .collect();
    inputs.push(metric(day(3, 1), PeriodType::Monthly, "30"));
    inputs.push(metric(day(4, 1), PeriodType::Monthly, "31"));
    let created = uow.finance_metrics().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    let id = |i: usize| created[i].id;

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list = async |filter: FinanceMetricFilter| {
        ids(db.finance_metrics().list(&filter, all).await.unwrap())
    };
    assert_eq!(
        list(
            FinanceMetricFilter::all()
                .period_type(PeriodType::Monthly)
                .between(day(1, 1), day(12, 31))
        )
        .await,
        vec![id(17), id(18)]
    );
    assert_eq!(
        list(FinanceMetricFilter::all().between(day(3, 16), day(4, 1))).await,
        vec![id(15), id(16), id(18)]
    );
    assert_eq!(
        list(
            FinanceMetricFilter::all()
                .since(day(3, 17))
                .until(day(3, 31))
        )
        .await,
        vec![id(16)]
    );

    let daily = FinanceMetricFilter::all().period_type(PeriodType::Daily);
    let expected: Vec<FinanceMetricId> = created[..17].iter().map(|m| m.id).collect();
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(4).order(order);
        loop {
            let page = db.finance_metrics().list(&daily, request).await.unwrap();
            seen.extend(page.items.iter().map(|m| m.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 4),
                None => break,
            }
        }
        let mut want = expected.clone();
        if order == Order::NewestFirst {
            want.reverse();
        }
        assert_eq!(seen, want, "{order:?}");
    }
}

#[tokio::test]
async fn another_tenants_metrics_are_not_found_listed_changed_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .finance_metrics()
        .create(metric(day(6, 1), PeriodType::Monthly, "777.00"))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.finance_metrics().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "finance_metrics"
        })
    ));
    let listed = a
        .finance_metrics()
        .list(&FinanceMetricFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(!listed.items.is_empty());
    assert!(
        listed
            .items
            .iter()
            .all(|m| m.tenant_id.into_uuid() == t.a.tenant)
    );
    let patch = FinanceMetricPatch {
        ebitda: Some("1".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        a.finance_metrics()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.finance_metrics().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let ours = a
        .finance_metrics()
        .upsert(metric(day(6, 1), PeriodType::Monthly, "1.00"))
        .await
        .unwrap();
    assert_ne!(ours.id, theirs.id);
    assert_eq!(b.finance_metrics().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_invalid_input_lists_every_field() {
    let t = TwoTenants::new().await;
    let before = t.count("finance.finance_metrics").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let m = db
        .finance_metrics()
        .create(metric(day(7, 1), PeriodType::Monthly, "10.00"))
        .await
        .unwrap();
    let patch = FinanceMetricPatch {
        cash_balance: Some("-99.00".parse().unwrap()),
        ..Default::default()
    };
    let updated = db
        .finance_metrics()
        .update(m.id, m.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.cash_balance.to_string(), "-99.00");
    assert_eq!(updated.total_revenue, m.total_revenue);
    assert!(matches!(
        db.finance_metrics()
            .update(m.id, m.updated_at, &patch)
            .await,
        Err(Error::Conflict {
            entity: "finance_metrics"
        })
    ));

    let bad_patch = FinanceMetricPatch {
        burn_rate: Some("-1".parse().unwrap()),
        accounts_payable: Some("-1".parse().unwrap()),
        ..Default::default()
    };
    match db
        .finance_metrics()
        .update(m.id, updated.updated_at, &bad_patch)
        .await
    {
        Err(Error::Validation(e)) => {
            assert_eq!(e.errors().len(), 2, "{e}");
            assert!(e.has("burn_rate", ErrorCode::OutOfRange));
            assert!(e.has("accounts_payable", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.finance_metrics().get(m.id).await.unwrap(), updated);

    let mut bad = metric(day(8, 1), PeriodType::Monthly, "-1");
    bad.runway_months = "-0.5".parse().unwrap();
    for result in [
        db.finance_metrics().create(bad.clone()).await,
        db.finance_metrics().upsert(bad.clone()).await,
    ] {
        match result {
            Err(Error::Validation(e)) => {
                assert_eq!(e.errors().len(), 2, "{e}");
                assert!(e.has("total_revenue", ErrorCode::OutOfRange));
                assert!(e.has("runway_months", ErrorCode::OutOfRange));
            }
            other => panic!("{other:?}"),
        }
    }
    drop(db);
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow
        .finance_metrics()
        .create_many(vec![metric(day(9, 1), PeriodType::Daily, "1"), bad])
        .await
    {
        Err(Error::Validation(e)) => {
            assert!(e.has("[1].total_revenue", ErrorCode::OutOfRange));
            assert!(e.has("[1].runway_months", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(t.count("finance.finance_metrics").await, before + 1);
}

#[tokio::test]
async fn delete_removes_the_row_for_good() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let gone = db
        .finance_metrics()
        .create(metric(day(10, 1), PeriodType::Yearly, "5.00"))
        .await
        .unwrap();
    let before = t.count("finance.finance_metrics").await;
    assert_eq!(db.finance_metrics().delete(gone.id).await.unwrap(), gone);
    assert_eq!(t.count("finance.finance_metrics").await, before - 1);
    assert!(db.finance_metrics().find(gone.id).await.unwrap().is_none());
    assert!(matches!(
        db.finance_metrics().delete(gone.id).await,
        Err(Error::NotFound { .. })
    ));
}
