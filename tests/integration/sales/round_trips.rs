//! Round trips of the `sales_metrics` and `sales_pipeline` statements, counted
//! through the proxy on a one-connection pool after warm-up: every statement
//! is prepared once per connection, so a one-shot statement is one round trip,
//! an update its read plus its write, and a unit of work of N statements
//! N + 1 (see `tests/integration/round_trips.rs`).

use aems_core::sales::sales_metrics::{NewSalesMetric, SalesMetricPatch};
use aems_core::sales::sales_pipeline::{DealPatch, DealStage, DealStatus, NewDeal};
use aems_core::{CustomerId, PeriodType, UserId};
use aems_diesel::prelude::*;
use aems_diesel::sales::{DealFilter, SalesMetricFilter};
use chrono::NaiveDate;

use crate::support::{Tally, TwoTenants, counted};

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, month, d).unwrap()
}

fn metric(date: NaiveDate, revenue: &str) -> NewSalesMetric {
    let mut m = NewSalesMetric::new(date, PeriodType::Monthly);
    m.total_revenue = revenue.parse().unwrap();
    m
}

#[tokio::test]
async fn sales_metrics_statements_are_each_one_round_trip_and_an_update_two() {
    let t = TwoTenants::new().await;
    let (proxy, db) = counted(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let filter = SalesMetricFilter::all()
        .period_type(PeriodType::Monthly)
        .between(day(1, 1), day(12, 31));

    // Warm-up: every statement counted below, once.
    let warm = s
        .sales_metrics()
        .create(metric(day(1, 1), "1"))
        .await
        .unwrap();
    s.sales_metrics().get(warm.id).await.unwrap();
    s.sales_metrics()
        .find_for_period(day(1, 1), PeriodType::Monthly)
        .await
        .unwrap();
    s.sales_metrics()
        .upsert(metric(day(2, 1), "2"))
        .await
        .unwrap();
    let first = s
        .sales_metrics()
        .list(&SalesMetricFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    s.sales_metrics()
        .list(&filter, PageRequest::after(first.next.unwrap(), 1))
        .await
        .unwrap();
    let patch = SalesMetricPatch {
        deals_closed: Some(3),
        ..Default::default()
    };
    let warm = s
        .sales_metrics()
        .update(warm.id, warm.updated_at, &patch)
        .await
        .unwrap();
    s.sales_metrics().delete(warm.id).await.unwrap();

    let mut tally = Tally::new(&proxy);
    tally.start();
    let created = s
        .sales_metrics()
        .create(metric(day(3, 1), "3"))
        .await
        .unwrap();
    tally.expect("one-shot create", 1); // INSERT … RETURNING

    tally.start();
    s.sales_metrics().get(created.id).await.unwrap();
    tally.expect("one-shot get", 1);

    tally.start();
    s.sales_metrics()
        .find_for_period(day(3, 1), PeriodType::Monthly)
        .await
        .unwrap();
    tally.expect("one-shot find for period", 1);

    tally.start();
    let page = s
        .sales_metrics()
        .list(&SalesMetricFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    tally.expect("one-shot first page", 1);

    tally.start();
    s.sales_metrics()
        .list(&filter, PageRequest::after(page.next.unwrap(), 1))
        .await
        .unwrap();
    tally.expect("one-shot filtered next page", 1);

    tally.start();
    s.sales_metrics()
        .upsert(metric(day(4, 1), "4"))
        .await
        .unwrap();
    tally.expect("one-shot upsert inserting", 1);

    tally.start();
    let replaced = s
        .sales_metrics()
        .upsert(metric(day(3, 1), "30"))
        .await
        .unwrap();
    tally.expect("one-shot upsert replacing", 1);
    assert_eq!(replaced.id, created.id);

    // Other columns than the warm-up's patch: the statement is the same.
    let patch = SalesMetricPatch {
        win_rate: Some("55".parse().unwrap()),
        churn_rate: Some("5".parse().unwrap()),
        ..Default::default()
    };
    tally.start();
    let updated = s
        .sales_metrics()
        .update(replaced.id, replaced.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("one-shot update", 2); // read (checked patch) + guarded write
    assert_eq!(updated.win_rate.to_string(), "55.00");

    tally.start();
    s.sales_metrics().delete(updated.id).await.unwrap();
    tally.expect("one-shot delete", 1);
    tally.check();
}

fn new_deal(t: &TwoTenants, name: &str, stage: DealStage) -> NewDeal {
    NewDeal {
        customer_id: CustomerId::from_uuid(t.a.customer),
        opportunity_name: name.parse().unwrap(),
        stage,
        value: "15000.00".parse().unwrap(),
        probability: "25".parse().unwrap(),
        expected_close_date: day(9, 30),
        sales_rep: UserId::from_uuid(t.a.user),
        source: Some("Trade fair".parse().unwrap()),
        notes: None,
    }
}

#[tokio::test]
async fn sales_pipeline_statements_are_each_one_round_trip_and_an_update_two() {
    let t = TwoTenants::new().await;
    let (proxy, db) = counted(&t).await;
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let filter = DealFilter::all()
        .status(DealStatus::Open)
        .customer(CustomerId::from_uuid(t.a.customer));

    // Warm-up: every statement counted below, once.
    let warm = s
        .sales_pipeline()
        .create(new_deal(&t, "Warm", DealStage::Lead))
        .await
        .unwrap();
    s.sales_pipeline()
        .create(new_deal(&t, "Warm 2", DealStage::Lead))
        .await
        .unwrap();
    s.sales_pipeline().get(warm.id).await.unwrap();
    let first = s
        .sales_pipeline()
        .list(&DealFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    s.sales_pipeline()
        .list(&filter, PageRequest::after(first.next.unwrap(), 1))
        .await
        .unwrap();
    let patch = DealPatch {
        notes: Some(Some("Warm".parse().unwrap())),
        ..Default::default()
    };
    let warm = s
        .sales_pipeline()
        .update(warm.id, warm.updated_at, &patch)
        .await
        .unwrap();
    s.sales_pipeline().delete(warm.id).await.unwrap();

    let mut tally = Tally::new(&proxy);
    // A None rendered as DEFAULT would change the INSERT's text: it must not.
    let mut without_source = new_deal(&t, "Counted", DealStage::Lead);
    without_source.source = None;
    without_source.notes = Some("Pilot first".parse().unwrap());
    tally.start();
    let deal = s.sales_pipeline().create(without_source).await.unwrap();
    tally.expect("one-shot create", 1); // INSERT … RETURNING

    tally.start();
    s.sales_pipeline().get(deal.id).await.unwrap();
    tally.expect("one-shot get", 1);

    tally.start();
    let page = s
        .sales_pipeline()
        .list(&DealFilter::all(), PageRequest::first(1))
        .await
        .unwrap();
    tally.expect("one-shot first page", 1);

    tally.start();
    s.sales_pipeline()
        .list(&filter, PageRequest::after(page.next.unwrap(), 1))
        .await
        .unwrap();
    tally.expect("one-shot filtered next page", 1);

    // Other columns than the warm-up's patch, one of them cleared.
    let patch = DealPatch {
        value: Some("20000.00".parse().unwrap()),
        notes: Some(None),
        ..Default::default()
    };
    tally.start();
    let deal = s
        .sales_pipeline()
        .update(deal.id, deal.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("one-shot update", 2); // read (checked patch) + guarded write
    assert_eq!(deal.notes, None);

    let doomed = s
        .sales_pipeline()
        .create(new_deal(&t, "Doomed", DealStage::Lead))
        .await
        .unwrap();
    tally.start();
    s.sales_pipeline().delete(doomed.id).await.unwrap();
    tally.expect("one-shot delete of an open deal", 1); // conditional DELETE
    drop(s); // the pool's only connection

    // Stage moves: lock (with BEGIN and the context) + UPDATE + COMMIT.
    let moves: [(&str, DealStage); 6] = [
        ("move to a stage (warm-up)", DealStage::Qualified),
        ("move to a stage", DealStage::Proposal),
        ("put on hold", DealStage::Proposal),
        ("resume", DealStage::Proposal),
        ("close lost", DealStage::ClosedLost),
        ("reopen", DealStage::Negotiation),
    ];
    for (what, to) in moves {
        let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
        tally.start();
        let mut deals = uow.sales_pipeline();
        let moved = match what {
            "put on hold" => deals.put_on_hold(deal.id).await,
            "resume" => deals.resume(deal.id).await,
            "close lost" => deals.close_lost(deal.id, day(10, 1)).await,
            "reopen" => deals.reopen(deal.id, to).await,
            _ => deals.move_to_stage(deal.id, to, day(10, 1)).await,
        }
        .unwrap();
        uow.commit().await.unwrap();
        if what != "move to a stage (warm-up)" {
            tally.expect(what, 3); // SELECT … FOR UPDATE, UPDATE, COMMIT
        }
        assert_eq!(moved.stage, to, "{what}");
    }
    tally.check();
}
