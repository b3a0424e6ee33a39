//! `hr.hr_metrics` through its repository: upsert on (tenant, date, period),
//! filters by period and date range, paging, optimistic concurrency, delete,
//! isolation.

use aems_core::hr::hr_metrics::{HrMetric, HrMetricPatch, NewHrMetric};
use aems_core::{ErrorCode, HrMetricId, PeriodType};
use aems_diesel::Error;
use aems_diesel::hr::HrMetricFilter;
use aems_diesel::prelude::*;

use super::date;
use crate::support::TwoTenants;

fn metric(y: i32, m: u32, period: PeriodType, headcount: i32) -> NewHrMetric {
    let mut new = NewHrMetric::new(date(y, m, 1), period);
    new.total_headcount = headcount;
    new
}

fn ids(page: Page<HrMetric>) -> Vec<HrMetricId> {
    page.items.into_iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn created_metrics_read_back_whole_with_authorship_and_by_their_period() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = metric(2025, 4, PeriodType::Monthly, 120);
    input.turnover_rate = "150.25".parse().unwrap();
    input.employee_satisfaction = "7.5".parse().unwrap();
    input.absenteeism_rate = "3.10".parse().unwrap();
    let created = db.hr_metrics().create(input.clone()).await.unwrap();
    assert_eq!(created.total_headcount, 120);
    assert_eq!(created.turnover_rate, input.turnover_rate);
    assert_eq!(created.employee_satisfaction, input.employee_satisfaction);
    assert_eq!(created.absenteeism_rate, input.absenteeism_rate);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(db.hr_metrics().get(created.id).await.unwrap(), created);
    assert_eq!(
        db.hr_metrics()
            .find_for(date(2025, 4, 1), PeriodType::Monthly)
            .await
            .unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        db.hr_metrics()
            .find_for(date(2025, 4, 1), PeriodType::Weekly)
            .await
            .unwrap(),
        None
    );
    // `create` refuses a second row for the period; `upsert` is for that.
    assert!(matches!(
        db.hr_metrics().create(metric(2025, 4, PeriodType::Monthly, 1)).await,
        Err(Error::UniqueViolation { constraint, .. })
            if constraint == "uq_hr_metrics_tenant_id_metric_date_period_type"
    ));
}

#[tokio::test]
async fn upsert_inserts_then_replaces_the_figures_of_the_same_period() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let first = db
        .hr_metrics()
        .upsert(metric(2025, 5, PeriodType::Monthly, 100))
        .await
        .unwrap();
    let mut again = metric(2025, 5, PeriodType::Monthly, 104);
    again.new_hires = 6;
    again.departures = 2;
    let second = db.hr_metrics().upsert(again).await.unwrap();
    assert_eq!(second.id, first.id, "the same row");
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(second.created_by, first.created_by);
    assert_eq!(
        (second.total_headcount, second.new_hires, second.departures),
        (104, 6, 2)
    );
    assert!(second.updated_at > first.updated_at);
    assert_eq!(db.hr_metrics().get(first.id).await.unwrap(), second);

    // Another period, and the same period of another tenant, are other rows.
    let weekly = db
        .hr_metrics()
        .upsert(metric(2025, 5, PeriodType::Weekly, 100))
        .await
        .unwrap();
    assert_ne!(weekly.id, first.id);
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .hr_metrics()
        .upsert(metric(2025, 5, PeriodType::Monthly, 7))
        .await
        .unwrap();
    assert_ne!(theirs.id, first.id);
    assert_eq!(db.hr_metrics().get(first.id).await.unwrap(), second);

    // Concurrent upserts of one period neither fail nor duplicate.
    let ctx = t.ctx_a();
    let upserts = (0..6).map(|i| {
        let database = &t.database;
        let ctx = &ctx;
        async move {
            database
                .transaction(ctx, async |uow| {
                    uow.hr_metrics()
                        .upsert(metric(2025, 6, PeriodType::Monthly, 200 + i))
                        .await
                })
                .await
        }
    });
    let results = futures_util::future::join_all(upserts).await;
    let ids: std::collections::BTreeSet<_> = results.into_iter().map(|r| r.unwrap().id).collect();
    assert_eq!(ids.len(), 1, "one row for the period");
    // 2 seeded + May monthly + May weekly + B's May + June.
    assert_eq!(t.count("hr.hr_metrics").await, 6);
}

#[tokio::test]
async fn lists_filter_by_period_type_and_date_range_across_pages() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut inputs: Vec<NewHrMetric> = (1..=12)
        .map(|m| metric(2024, m, PeriodType::Monthly, m as i32))
        .collect();
    inputs.extend((1..=4).map(|q| metric(2024, q * 3 - 2, PeriodType::Quarterly, 0)));
    let created = uow.hr_metrics().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    let monthly: Vec<HrMetricId> = created[..12].iter().map(|m| m.id).collect();
    let quarterly: Vec<HrMetricId> = created[12..].iter().map(|m| m.id).collect();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut read_all = async |filter: HrMetricFilter| {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(5);
        loop {
            let page = db.hr_metrics().list(&filter, request).await.unwrap();
            seen.extend(page.items.iter().map(|m| m.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 5),
                None => break seen,
            }
        }
    };
    assert_eq!(
        read_all(HrMetricFilter::all().period_type(PeriodType::Monthly))
            .await
            .into_iter()
            .filter(|id| monthly.contains(id))
            .count(),
        12
    );
    assert_eq!(
        read_all(
            HrMetricFilter::all()
                .period_type(PeriodType::Monthly)
                .between(date(2024, 3, 1), date(2024, 9, 1))
        )
        .await,
        monthly[2..9]
    );
    assert_eq!(
        read_all(
            HrMetricFilter::all()
                .from(date(2024, 10, 1))
                .until(date(2024, 12, 31))
        )
        .await,
        [&monthly[9..], &quarterly[3..]].concat()
    );
    assert_eq!(
        read_all(
            HrMetricFilter::all()
                .period_type(PeriodType::Quarterly)
                .until(date(2024, 4, 1))
        )
        .await,
        quarterly[..2]
    );
    assert!(
        read_all(HrMetricFilter::all().period_type(PeriodType::Yearly))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn another_tenants_metrics_are_not_found_listed_changed_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .hr_metrics()
        .create(metric(2025, 1, PeriodType::Yearly, 50))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.hr_metrics().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "hr_metrics"
        })
    ));
    assert!(
        !ids(a
            .hr_metrics()
            .list(&HrMetricFilter::all(), PageRequest::first(100))
            .await
            .unwrap())
        .contains(&theirs.id)
    );
    let patch = HrMetricPatch {
        total_headcount: Some(1),
        ..Default::default()
    };
    assert!(matches!(
        a.hr_metrics()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.hr_metrics().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(b.hr_metrics().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let row = db
        .hr_metrics()
        .create(metric(2025, 2, PeriodType::Monthly, 10))
        .await
        .unwrap();
    let patch = HrMetricPatch {
        open_positions: Some(4),
        engagement_score: Some("8.2".parse().unwrap()),
        ..Default::default()
    };
    let updated = db
        .hr_metrics()
        .update(row.id, row.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.open_positions, 4);
    assert_eq!(updated.engagement_score, "8.2".parse().unwrap());
    assert_eq!(updated.total_headcount, 10, "untouched");
    assert!(matches!(
        db.hr_metrics().update(row.id, row.updated_at, &patch).await,
        Err(Error::Conflict {
            entity: "hr_metrics"
        })
    ));
    assert_eq!(db.hr_metrics().get(row.id).await.unwrap(), updated);
}

#[tokio::test]
async fn invalid_figures_are_refused_with_every_field_and_change_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = metric(2025, 3, PeriodType::Monthly, -1);
    bad.overtime_hours = -5;
    bad.turnover_rate = "-0.01".parse().unwrap();
    for result in [
        db.hr_metrics().create(bad.clone()).await,
        db.hr_metrics().upsert(bad.clone()).await,
    ] {
        match result {
            Err(Error::Validation(e)) => {
                assert!(e.has("total_headcount", ErrorCode::OutOfRange), "{e}");
                assert!(e.has("overtime_hours", ErrorCode::OutOfRange), "{e}");
                assert!(e.has("turnover_rate", ErrorCode::OutOfRange), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    let good = db
        .hr_metrics()
        .create(metric(2025, 3, PeriodType::Monthly, 1))
        .await
        .unwrap();
    let patch = HrMetricPatch {
        departures: Some(-1),
        new_hires: Some(-1),
        ..Default::default()
    };
    match db
        .hr_metrics()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => {
            assert!(e.has_field("departures") && e.has_field("new_hires"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow
        .hr_metrics()
        .create_many(vec![metric(2025, 7, PeriodType::Monthly, 1), bad])
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has_field("[1].overtime_hours"), "{e}"),
        other => panic!("{other:?}"),
    }
    uow.rollback().await.unwrap();
    assert_eq!(db.hr_metrics().get(good.id).await.unwrap(), good);
    assert_eq!(t.count("hr.hr_metrics").await, 3);
}

#[tokio::test]
async fn delete_removes_the_row_for_good() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let row = db
        .hr_metrics()
        .create(metric(2025, 8, PeriodType::Daily, 3))
        .await
        .unwrap();
    db.hr_metrics().delete(row.id).await.unwrap();
    assert_eq!(db.hr_metrics().find(row.id).await.unwrap(), None);
    assert!(matches!(
        db.hr_metrics().delete(row.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(t.count("hr.hr_metrics").await, 2);
}
