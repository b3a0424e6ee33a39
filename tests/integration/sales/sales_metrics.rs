//! `sales.sales_metrics` through its repository: CRUD, upsert on the natural
//! key, filters, paging, optimistic concurrency, bulk insert, isolation.

use aems_core::sales::sales_metrics::{NewSalesMetric, SalesMetric, SalesMetricPatch};
use aems_core::{ErrorCode, PeriodType, SalesMetricId};
use aems_diesel::prelude::*;
use aems_diesel::sales::SalesMetricFilter;
use aems_diesel::{Error, Order};
use chrono::NaiveDate;

use super::another_user_of_a;
use crate::support::TwoTenants;

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, month, d).unwrap()
}

fn metric(date: NaiveDate, period: PeriodType, revenue: &str) -> NewSalesMetric {
    let mut m = NewSalesMetric::new(date, period);
    m.total_revenue = revenue.parse().unwrap();
    m
}

fn ids(page: Page<SalesMetric>) -> Vec<SalesMetricId> {
    page.items.into_iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn a_created_sales_metric_reads_back_whole_with_its_authorship_from_the_context() {
    let t = TwoTenants::new().await;
    let mut input = metric(day(1, 1), PeriodType::Monthly, "125000.50");
    input.pipeline_value = "99.99".parse().unwrap();
    input.deals_closed = 7;
    input.deals_lost = 3;
    input.win_rate = "70.00".parse().unwrap();
    input.customer_acquisition_cost = "1234.56".parse().unwrap();
    input.customer_lifetime_value = "99999999.99".parse().unwrap();
    input.churn_rate = "100".parse().unwrap();
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let created = db.sales_metrics().create(input.clone()).await.unwrap();
    assert_eq!(created.metric_date, input.metric_date);
    assert_eq!(created.period_type, PeriodType::Monthly);
    assert_eq!(created.total_revenue, input.total_revenue);
    assert_eq!(created.pipeline_value, input.pipeline_value);
    assert_eq!((created.deals_closed, created.deals_lost), (7, 3));
    assert_eq!(created.win_rate, input.win_rate);
    assert_eq!(
        created.customer_lifetime_value,
        input.customer_lifetime_value
    );
    assert_eq!(created.churn_rate, input.churn_rate);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(db.sales_metrics().get(created.id).await.unwrap(), created);
    assert_eq!(
        db.sales_metrics()
            .find_for_period(day(1, 1), PeriodType::Monthly)
            .await
            .unwrap(),
        Some(created)
    );
    assert_eq!(
        db.sales_metrics()
            .find_for_period(day(1, 1), PeriodType::Weekly)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn upsert_inserts_a_period_once_then_replaces_its_figures_keeping_id_and_creator() {
    let t = TwoTenants::new().await;
    let before = t.count("sales.sales_metrics").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let first = db
        .sales_metrics()
        .upsert(metric(day(2, 1), PeriodType::Monthly, "100.00"))
        .await
        .unwrap();
    assert_eq!(t.count("sales.sales_metrics").await, before + 1);
    drop(db);

    // Someone else records the same period again: same row, new figures.
    let other = another_user_of_a(&t, "analyst").await;
    let mut db = t.database.one_shot(&other).await.unwrap();
    let mut again = metric(day(2, 1), PeriodType::Monthly, "250.00");
    again.deals_closed = 4;
    let second = db.sales_metrics().upsert(again).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(second.created_by, first.created_by);
    assert_eq!(second.updated_by, other.actor());
    assert!(second.updated_at > first.updated_at);
    assert_eq!(second.total_revenue.to_string(), "250.00");
    assert_eq!(second.deals_closed, 4);
    // Figures not given fall back to zero: the upsert replaces the whole period.
    assert_eq!(second.pipeline_value.to_string(), "0.00");
    assert_eq!(t.count("sales.sales_metrics").await, before + 1);
    assert_eq!(db.sales_metrics().get(first.id).await.unwrap(), second);

    // Another period type or another day is another row.
    let weekly = db
        .sales_metrics()
        .upsert(metric(day(2, 1), PeriodType::Weekly, "1.00"))
        .await
        .unwrap();
    assert_ne!(weekly.id, first.id);
    assert_eq!(t.count("sales.sales_metrics").await, before + 2);
}

#[tokio::test]
async fn creating_a_recorded_period_again_is_a_unique_violation_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let kept = db
        .sales_metrics()
        .create(metric(day(3, 1), PeriodType::Quarterly, "10.00"))
        .await
        .unwrap();
    match db
        .sales_metrics()
        .create(metric(day(3, 1), PeriodType::Quarterly, "20.00"))
        .await
    {
        Err(Error::UniqueViolation { constraint, .. }) => {
            assert_eq!(
                constraint,
                "uq_sales_metrics_tenant_id_metric_date_period_type"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.sales_metrics().get(kept.id).await.unwrap(), kept);
}

#[tokio::test]
async fn period_type_and_inclusive_date_range_filters_narrow_the_list() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .sales_metrics()
        .create_many(vec![
            metric(day(1, 31), PeriodType::Daily, "1"),
            metric(day(2, 1), PeriodType::Daily, "2"),
            metric(day(2, 1), PeriodType::Monthly, "3"),
            metric(day(2, 29), PeriodType::Daily, "4"),
            metric(day(3, 1), PeriodType::Monthly, "5"),
        ])
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let id = |i: usize| created[i].id;

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list =
        async |filter: SalesMetricFilter| ids(db.sales_metrics().list(&filter, all).await.unwrap());
    assert_eq!(
        list(SalesMetricFilter::all().period_type(PeriodType::Daily)).await,
        vec![id(0), id(1), id(3)]
    );
    // Both ends of the range are included.
    assert_eq!(
        list(SalesMetricFilter::all().between(day(2, 1), day(2, 29))).await,
        vec![id(1), id(2), id(3)]
    );
    assert_eq!(
        list(
            SalesMetricFilter::all()
                .period_type(PeriodType::Monthly)
                .between(day(2, 2), day(12, 31))
        )
        .await,
        vec![id(4)]
    );
    assert_eq!(
        list(SalesMetricFilter::all().until(day(1, 31))).await,
        vec![id(0)]
    );
    assert_eq!(
        list(SalesMetricFilter::all().between(day(4, 1), day(3, 1))).await,
        Vec::<SalesMetricId>::new()
    );
}

#[tokio::test]
async fn pages_cover_every_row_once_in_both_orders() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .sales_metrics()
        .create_many(
            (1..=23)
                .map(|d| metric(day(5, d), PeriodType::Daily, "1"))
                .collect(),
        )
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let expected: Vec<SalesMetricId> = created.iter().map(|m| m.id).collect();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = SalesMetricFilter::all().period_type(PeriodType::Daily);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(5).order(order);
        let mut pages = 0;
        loop {
            let page = db.sales_metrics().list(&filter, request).await.unwrap();
            assert!(page.items.len() <= 5);
            pages += 1;
            seen.extend(page.items.iter().map(|m| m.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 5),
                None => break,
            }
        }
        assert_eq!(pages, 5);
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
        .sales_metrics()
        .create(metric(day(6, 1), PeriodType::Monthly, "777.00"))
        .await
        .unwrap();

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.sales_metrics().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "sales_metrics"
        })
    ));
    let listed = a
        .sales_metrics()
        .list(&SalesMetricFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        listed
            .items
            .iter()
            .all(|m| m.tenant_id.into_uuid() == t.a.tenant)
    );
    let patch = SalesMetricPatch {
        deals_closed: Some(1),
        ..Default::default()
    };
    assert!(matches!(
        a.sales_metrics()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.sales_metrics().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    // A's upsert of the same period makes A's own row and leaves B's alone.
    let ours = a
        .sales_metrics()
        .upsert(metric(day(6, 1), PeriodType::Monthly, "1.00"))
        .await
        .unwrap();
    assert_ne!(ours.id, theirs.id);
    assert_eq!(ours.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(b.sales_metrics().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let m = db
        .sales_metrics()
        .create(metric(day(7, 1), PeriodType::Monthly, "10.00"))
        .await
        .unwrap();
    let patch = SalesMetricPatch {
        win_rate: Some("55.50".parse().unwrap()),
        ..Default::default()
    };
    let updated = db
        .sales_metrics()
        .update(m.id, m.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.win_rate.to_string(), "55.50");
    assert_eq!(updated.total_revenue, m.total_revenue);
    assert!(updated.updated_at > m.updated_at);

    let stale = SalesMetricPatch {
        win_rate: Some("1".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        db.sales_metrics().update(m.id, m.updated_at, &stale).await,
        Err(Error::Conflict {
            entity: "sales_metrics"
        })
    ));
    assert_eq!(db.sales_metrics().get(m.id).await.unwrap(), updated);
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let before = t.count("sales.sales_metrics").await;
    let mut bad = metric(day(8, 1), PeriodType::Monthly, "-1.00");
    bad.deals_lost = -2;
    bad.customer_acquisition_cost = "-0.01".parse().unwrap();
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    for result in [
        db.sales_metrics().create(bad.clone()).await,
        db.sales_metrics().upsert(bad.clone()).await,
    ] {
        match result {
            Err(Error::Validation(e)) => {
                assert_eq!(e.errors().len(), 3, "{e}");
                assert!(e.has("total_revenue", ErrorCode::OutOfRange));
                assert!(e.has("deals_lost", ErrorCode::OutOfRange));
                assert!(e.has("customer_acquisition_cost", ErrorCode::OutOfRange));
            }
            other => panic!("{other:?}"),
        }
    }
    let good = db
        .sales_metrics()
        .create(metric(day(8, 1), PeriodType::Monthly, "1.00"))
        .await
        .unwrap();
    let patch = SalesMetricPatch {
        deals_closed: Some(-1),
        pipeline_value: Some("-5".parse().unwrap()),
        ..Default::default()
    };
    match db
        .sales_metrics()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => {
            assert!(e.has("deals_closed", ErrorCode::OutOfRange));
            assert!(e.has("pipeline_value", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.sales_metrics().get(good.id).await.unwrap(), good);

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut batch: Vec<NewSalesMetric> = (1..=4)
        .map(|d| metric(day(9, d), PeriodType::Daily, "1"))
        .collect();
    batch[2].deals_closed = -1;
    match uow.sales_metrics().create_many(batch).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.errors().len(), 1);
            assert!(e.has("[2].deals_closed", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    uow.rollback().await.unwrap();
    assert_eq!(t.count("sales.sales_metrics").await, before + 1);
}

#[tokio::test]
async fn delete_removes_the_row_for_good() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let gone = db
        .sales_metrics()
        .create(metric(day(10, 1), PeriodType::Yearly, "5.00"))
        .await
        .unwrap();
    let before = t.count("sales.sales_metrics").await;
    assert_eq!(db.sales_metrics().delete(gone.id).await.unwrap(), gone);
    assert_eq!(t.count("sales.sales_metrics").await, before - 1);
    assert!(db.sales_metrics().find(gone.id).await.unwrap().is_none());
    assert!(matches!(
        db.sales_metrics().delete(gone.id).await,
        Err(Error::NotFound { .. })
    ));
    // The period is free again.
    db.sales_metrics()
        .create(metric(day(10, 1), PeriodType::Yearly, "6.00"))
        .await
        .unwrap();
}
