//! `sales.sales_pipeline` through its repository: CRUD, filters, paging,
//! optimistic concurrency, isolation, the same-tenant customer rule, and the
//! stage moves (atomic, refused moves write nothing).

use aems_core::sales::sales_pipeline::{Deal, DealPatch, DealStage, DealStatus, NewDeal};
use aems_core::{CustomerId, DealId, ErrorCode, TransitionError, UserId};
use aems_diesel::prelude::*;
use aems_diesel::sales::DealFilter;
use aems_diesel::sales::sales_pipeline::{FK_CUSTOMER, FK_SALES_REP};
use aems_diesel::{Error, Order};
use chrono::NaiveDate;

use super::another_user_of_a;
use crate::support::TwoTenants;

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, month, d).unwrap()
}

fn new_deal(t: &TwoTenants, name: &str, stage: DealStage, closing: NaiveDate) -> NewDeal {
    NewDeal {
        customer_id: CustomerId::from_uuid(t.a.customer),
        opportunity_name: name.parse().unwrap(),
        stage,
        value: "15000.00".parse().unwrap(),
        probability: "25".parse().unwrap(),
        expected_close_date: closing,
        sales_rep: UserId::from_uuid(t.a.user),
        source: None,
        notes: None,
    }
}

fn ids(page: Page<Deal>) -> Vec<DealId> {
    page.items.into_iter().map(|d| d.id).collect()
}

/// A deal of tenant A, committed.
async fn deal_at(t: &TwoTenants, stage: DealStage) -> Deal {
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    db.sales_pipeline()
        .create(new_deal(t, "Fleet renewal", stage, day(9, 30)))
        .await
        .unwrap()
}

fn is_transition(result: &aems_diesel::Result<Deal>) -> bool {
    matches!(result, Err(Error::Transition(_)))
}

#[tokio::test]
async fn a_created_deal_is_open_and_reads_back_whole_with_its_authorship_from_the_context() {
    let t = TwoTenants::new().await;
    let mut input = new_deal(&t, "Fleet renewal", DealStage::Qualified, day(9, 30));
    input.source = Some("Trade fair".parse().unwrap());
    input.notes = Some("Wants a pilot first".parse().unwrap());
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let created = db.sales_pipeline().create(input.clone()).await.unwrap();
    assert_eq!(created.stage, DealStage::Qualified);
    assert_eq!(created.status, DealStatus::Open);
    assert_eq!(created.actual_close_date, None);
    assert_eq!(created.customer_id, input.customer_id);
    assert_eq!(created.value, input.value);
    assert_eq!(created.probability, input.probability);
    assert_eq!(created.source, input.source);
    assert_eq!(created.notes, input.notes);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(db.sales_pipeline().get(created.id).await.unwrap(), created);
}

#[tokio::test]
async fn a_deal_with_another_tenants_customer_is_refused_exactly_like_a_missing_one() {
    let t = TwoTenants::new().await;
    let before = t.count("sales.sales_pipeline").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut theirs = new_deal(&t, "Poach", DealStage::Lead, day(9, 30));
    theirs.customer_id = CustomerId::from_uuid(t.b.customer);
    let mut missing = theirs.clone();
    missing.customer_id = CustomerId::new();
    for input in [theirs, missing] {
        match db.sales_pipeline().create(input).await {
            Err(Error::ForeignKeyViolation { constraint, detail }) => {
                assert_eq!(constraint, FK_CUSTOMER);
                // Nothing about the other tenant's row leaks through the error.
                let detail = detail.unwrap_or_default();
                assert!(!detail.contains(&t.b.customer.to_string()), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
    let mut their_rep = new_deal(&t, "Borrowed rep", DealStage::Lead, day(9, 30));
    their_rep.sales_rep = UserId::from_uuid(t.b.user);
    match db.sales_pipeline().create(their_rep).await {
        Err(Error::ForeignKeyViolation { constraint, .. }) => assert_eq!(constraint, FK_SALES_REP),
        other => panic!("{other:?}"),
    }

    // Nor can an existing deal be moved over to B's customer.
    let deal = db
        .sales_pipeline()
        .create(new_deal(&t, "Ours", DealStage::Lead, day(9, 30)))
        .await
        .unwrap();
    let patch = DealPatch {
        customer_id: Some(CustomerId::from_uuid(t.b.customer)),
        ..Default::default()
    };
    match db
        .sales_pipeline()
        .update(deal.id, deal.updated_at, &patch)
        .await
    {
        Err(Error::ForeignKeyViolation { constraint, .. }) => assert_eq!(constraint, FK_CUSTOMER),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.sales_pipeline().get(deal.id).await.unwrap(), deal);
    assert_eq!(t.count("sales.sales_pipeline").await, before + 1);
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let t = TwoTenants::new().await;
    let rep = another_user_of_a(&t, "rep").await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let other_customer = uow
        .customers()
        .create(aems_core::sales::customers::NewCustomer::new(
            "Second Customer".parse().unwrap(),
            "second@example.com".parse().unwrap(),
            aems_core::sales::customers::CustomerSegment::Enterprise,
            day(1, 1),
        ))
        .await
        .unwrap();
    let mut by_rep = new_deal(&t, "By rep", DealStage::Proposal, day(3, 31));
    by_rep.sales_rep = rep.actor();
    let mut for_other = new_deal(&t, "Other customer", DealStage::Lead, day(4, 1));
    for_other.customer_id = other_customer.id;
    let created = uow
        .sales_pipeline()
        .create_many(vec![
            new_deal(&t, "Early", DealStage::Lead, day(3, 1)),
            by_rep,
            for_other,
            new_deal(&t, "Late", DealStage::Negotiation, day(6, 30)),
        ])
        .await
        .unwrap();
    let lost = created[3].id;
    uow.sales_pipeline()
        .close_lost(lost, day(5, 5))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let id = |i: usize| created[i].id;
    let seeded_customer = CustomerId::from_uuid(t.a.customer);

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list =
        async |filter: DealFilter| ids(db.sales_pipeline().list(&filter, all).await.unwrap());
    // The fixture's seeded deal is a lead expected in 30 days.
    let leads = list(DealFilter::all().stage(DealStage::Lead)).await;
    assert_eq!(leads.len(), 3);
    assert!(leads.contains(&id(0)) && leads.contains(&id(2)));
    assert_eq!(
        list(DealFilter::all().stage(DealStage::Proposal)).await,
        vec![id(1)]
    );
    assert_eq!(
        list(DealFilter::all().stage(DealStage::ClosedLost)).await,
        vec![id(3)]
    );
    assert_eq!(
        list(DealFilter::all().status(DealStatus::ClosedLost)).await,
        vec![id(3)]
    );
    assert_eq!(
        list(DealFilter::all().sales_rep(rep.actor())).await,
        vec![id(1)]
    );
    assert_eq!(
        list(DealFilter::all().customer(other_customer.id)).await,
        vec![id(2)]
    );
    assert_eq!(
        list(
            DealFilter::all()
                .customer(seeded_customer)
                .stage(DealStage::Lead)
        )
        .await
        .len(),
        2
    );
    // Both ends of the close-date range are included.
    assert_eq!(
        list(DealFilter::all().closing_between(day(3, 1), day(4, 1))).await,
        vec![id(0), id(1), id(2)]
    );
    assert_eq!(
        list(DealFilter::all().closing_between(day(3, 2), day(3, 31))).await,
        vec![id(1)]
    );
    assert_eq!(
        list(
            DealFilter::all()
                .closing_since(day(6, 30))
                .closing_until(day(6, 30))
        )
        .await,
        vec![id(3)]
    );
    assert_eq!(
        list(
            DealFilter::all()
                .closing_until(day(3, 30))
                .stage(DealStage::Lead)
        )
        .await,
        vec![id(0)]
    );
}

#[tokio::test]
async fn pages_cover_every_row_once_in_both_orders() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow
        .sales_pipeline()
        .create_many(
            (1..=12)
                .map(|i| new_deal(&t, &format!("Deal {i}"), DealStage::Qualified, day(7, i)))
                .collect(),
        )
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let expected: Vec<DealId> = created.iter().map(|d| d.id).collect();
    assert!(
        expected.windows(2).all(|w| w[0] < w[1]),
        "ids follow input order"
    );

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = DealFilter::all().stage(DealStage::Qualified);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(5).order(order);
        loop {
            let page = db.sales_pipeline().list(&filter, request).await.unwrap();
            assert!(page.items.len() <= 5);
            seen.extend(page.items.iter().map(|d| d.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 5),
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
async fn another_tenants_deal_is_not_found_listed_changed_moved_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let mut input = new_deal(&t, "Theirs", DealStage::Proposal, day(9, 30));
    input.customer_id = CustomerId::from_uuid(t.b.customer);
    input.sales_rep = UserId::from_uuid(t.b.user);
    let theirs = b.sales_pipeline().create(input).await.unwrap();

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.sales_pipeline().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "sales_pipeline"
        })
    ));
    let listed = a
        .sales_pipeline()
        .list(&DealFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(!listed.items.is_empty());
    assert!(
        listed
            .items
            .iter()
            .all(|d| d.tenant_id.into_uuid() == t.a.tenant)
    );
    let patch = DealPatch {
        notes: Some(Some("mine now".parse().unwrap())),
        ..Default::default()
    };
    assert!(matches!(
        a.sales_pipeline()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.sales_pipeline().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    drop(a);
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.sales_pipeline().close_won(theirs.id, day(5, 5)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        uow.sales_pipeline().put_on_hold(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    uow.commit().await.unwrap();
    assert_eq!(b.sales_pipeline().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let deal = deal_at(&t, DealStage::Lead).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let patch = DealPatch {
        value: Some("20000.00".parse().unwrap()),
        source: Some(Some("Referral".parse().unwrap())),
        ..Default::default()
    };
    let updated = db
        .sales_pipeline()
        .update(deal.id, deal.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.value.to_string(), "20000.00");
    assert_eq!(
        updated.source.as_ref().map(|s| s.as_str()),
        Some("Referral")
    );
    assert!(updated.updated_at > deal.updated_at);

    let again = DealPatch {
        source: Some(None),
        ..Default::default()
    };
    assert!(matches!(
        db.sales_pipeline()
            .update(deal.id, deal.updated_at, &again)
            .await,
        Err(Error::Conflict {
            entity: "sales_pipeline"
        })
    ));
    assert_eq!(db.sales_pipeline().get(deal.id).await.unwrap(), updated);
    // With the current version, a nullable column can be cleared.
    let cleared = db
        .sales_pipeline()
        .update(deal.id, updated.updated_at, &again)
        .await
        .unwrap();
    assert_eq!(cleared.source, None);

    // A stage move in between makes an editor's version stale too.
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.sales_pipeline()
        .move_to_stage(deal.id, DealStage::Qualified, day(1, 1))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert!(matches!(
        db.sales_pipeline()
            .update(deal.id, cleared.updated_at, &patch)
            .await,
        Err(Error::Conflict { .. })
    ));
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let before = t.count("sales.sales_pipeline").await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = new_deal(&t, "Born closed", DealStage::ClosedWon, day(9, 30));
    bad.value = "0".parse().unwrap();
    match db.sales_pipeline().create(bad.clone()).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.errors().len(), 2, "{e}");
            assert!(e.has("stage", ErrorCode::NotAllowed));
            assert!(e.has("value", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    let good = deal_at(&t, DealStage::Lead).await;
    let patch = DealPatch {
        value: Some("-1".parse().unwrap()),
        ..Default::default()
    };
    match db
        .sales_pipeline()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("value", ErrorCode::OutOfRange)),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.sales_pipeline().get(good.id).await.unwrap(), good);

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut batch: Vec<NewDeal> = (1..=4)
        .map(|i| new_deal(&t, &format!("Batch {i}"), DealStage::Lead, day(8, i)))
        .collect();
    batch[1].stage = DealStage::ClosedLost;
    batch[3].value = "0".parse().unwrap();
    match uow.sales_pipeline().create_many(batch).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.errors().len(), 2, "{e}");
            assert!(e.has("[1].stage", ErrorCode::NotAllowed));
            assert!(e.has("[3].value", ErrorCode::OutOfRange));
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(t.count("sales.sales_pipeline").await, before + 1);
}

#[tokio::test]
async fn a_deal_moves_through_the_stages_and_closing_sets_status_and_close_date_together() {
    let t = TwoTenants::new().await;
    let deal = deal_at(&t, DealStage::Lead).await;
    let closer = another_user_of_a(&t, "closer").await;
    let mut uow = t.database.unit_of_work(&closer).await.unwrap();
    let mut pipeline = uow.sales_pipeline();
    for stage in [
        DealStage::Qualified,
        DealStage::Proposal,
        DealStage::Qualified, // back: the buyer changed
        DealStage::Negotiation,
    ] {
        let moved = pipeline
            .move_to_stage(deal.id, stage, day(6, 1))
            .await
            .unwrap();
        assert_eq!(
            (moved.stage, moved.status, moved.actual_close_date),
            (stage, DealStatus::Open, None)
        );
    }
    let won = pipeline.close_won(deal.id, day(6, 15)).await.unwrap();
    assert_eq!(won.stage, DealStage::ClosedWon);
    assert_eq!(won.status, DealStatus::ClosedWon);
    assert_eq!(won.actual_close_date, Some(day(6, 15)));
    assert_eq!(won.updated_by, closer.actor());
    assert_eq!(won.created_by, deal.created_by);
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.sales_pipeline().get(deal.id).await.unwrap(), won);

    // Losing is possible from any open stage, a lead included.
    let lead = deal_at(&t, DealStage::Lead).await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let lost = uow
        .sales_pipeline()
        .close_lost(lead.id, day(6, 2))
        .await
        .unwrap();
    assert_eq!(
        (lost.stage, lost.status, lost.actual_close_date),
        (
            DealStage::ClosedLost,
            DealStatus::ClosedLost,
            Some(day(6, 2))
        )
    );
    uow.commit().await.unwrap();
}

#[tokio::test]
async fn a_closed_deal_does_not_move_again_until_it_is_explicitly_reopened() {
    let t = TwoTenants::new().await;
    let deal = deal_at(&t, DealStage::Negotiation).await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let closed = uow
        .sales_pipeline()
        .close_lost(deal.id, day(6, 1))
        .await
        .unwrap();
    uow.commit().await.unwrap();

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut pipeline = uow.sales_pipeline();
    for stage in DealStage::ALL {
        match pipeline.move_to_stage(deal.id, *stage, day(6, 2)).await {
            Err(Error::Transition(TransitionError::Final {
                entity: "deal",
                state,
            })) => {
                assert_eq!(state, "closed_lost")
            }
            other => panic!("{stage}: {other:?}"),
        }
    }
    assert!(is_transition(&pipeline.close_won(deal.id, day(6, 2)).await));
    assert!(is_transition(&pipeline.put_on_hold(deal.id).await));
    assert!(is_transition(&pipeline.resume(deal.id).await));
    // Reopening must name an open stage.
    assert!(matches!(
        pipeline.reopen(deal.id, DealStage::ClosedWon).await,
        Err(Error::Transition(TransitionError::IllegalMove { .. }))
    ));
    // A refused move is not a database error: the work goes on, unchanged.
    assert_eq!(pipeline.get(deal.id).await.unwrap(), closed);
    let reopened = pipeline.reopen(deal.id, DealStage::Proposal).await.unwrap();
    assert_eq!(
        (reopened.stage, reopened.status, reopened.actual_close_date),
        (DealStage::Proposal, DealStatus::Open, None)
    );
    // Reopening an open deal is refused.
    assert!(matches!(
        pipeline.reopen(deal.id, DealStage::Lead).await,
        Err(Error::Transition(TransitionError::IllegalMove { .. }))
    ));
    let won = pipeline.close_won(deal.id, day(7, 1)).await.unwrap();
    assert_eq!(won.actual_close_date, Some(day(7, 1)));
    uow.commit().await.unwrap();
}

#[tokio::test]
async fn refused_moves_are_typed_and_write_nothing() {
    let t = TwoTenants::new().await;
    let lead = deal_at(&t, DealStage::Lead).await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut pipeline = uow.sales_pipeline();
    // A lead has no offer to accept; a move to the same stage is no move.
    for (to, result) in [
        (
            DealStage::ClosedWon,
            pipeline.close_won(lead.id, day(6, 1)).await,
        ),
        (
            DealStage::Lead,
            pipeline
                .move_to_stage(lead.id, DealStage::Lead, day(6, 1))
                .await,
        ),
    ] {
        match result {
            Err(Error::Transition(TransitionError::IllegalMove {
                entity,
                from,
                to: asked,
            })) => {
                assert_eq!((entity, from, asked), ("deal", "lead", to.as_str()))
            }
            other => panic!("{other:?}"),
        }
    }
    // Resuming a deal that is not on hold.
    assert!(is_transition(&pipeline.resume(lead.id).await));
    assert!(matches!(
        pipeline
            .move_to_stage(DealId::new(), DealStage::Qualified, day(6, 1))
            .await,
        Err(Error::NotFound { .. })
    ));
    uow.commit().await.unwrap();
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.sales_pipeline().get(lead.id).await.unwrap(), lead);
}

#[tokio::test]
async fn a_deal_on_hold_keeps_its_stage_and_moves_only_after_it_resumes() {
    let t = TwoTenants::new().await;
    let deal = deal_at(&t, DealStage::Proposal).await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut pipeline = uow.sales_pipeline();
    let held = pipeline.put_on_hold(deal.id).await.unwrap();
    assert_eq!(
        (held.stage, held.status),
        (DealStage::Proposal, DealStatus::OnHold)
    );
    assert!(matches!(
        pipeline
            .move_to_stage(deal.id, DealStage::Negotiation, day(6, 1))
            .await,
        Err(Error::Transition(TransitionError::Final {
            state: "on_hold",
            ..
        }))
    ));
    assert!(is_transition(
        &pipeline.close_lost(deal.id, day(6, 1)).await
    ));
    assert!(is_transition(&pipeline.put_on_hold(deal.id).await));
    assert_eq!(pipeline.get(deal.id).await.unwrap(), held);
    let listed = pipeline
        .list(
            &DealFilter::all().status(DealStatus::OnHold),
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(ids(listed), vec![deal.id]);
    let resumed = pipeline.resume(deal.id).await.unwrap();
    assert_eq!(
        (resumed.stage, resumed.status),
        (DealStage::Proposal, DealStatus::Open)
    );
    pipeline
        .move_to_stage(deal.id, DealStage::Negotiation, day(6, 1))
        .await
        .unwrap();
    uow.commit().await.unwrap();
}

#[tokio::test]
async fn a_close_queued_behind_another_sees_the_closed_deal_and_is_refused() {
    let t = TwoTenants::new().await;
    let deal = deal_at(&t, DealStage::Negotiation).await;
    // The first closer holds the deal (locked and updated, not committed yet).
    let mut first = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let won = first
        .sales_pipeline()
        .close_won(deal.id, day(6, 1))
        .await
        .unwrap();
    // A second closer starts meanwhile and has to wait for the first.
    let ctx = t.ctx_a();
    let second = t.database.transaction(&ctx, async |uow| {
        uow.sales_pipeline().close_lost(deal.id, day(6, 2)).await
    });
    let commit_first_once_second_waits = async {
        super::until_a_session_waits_for_a_lock(&t).await;
        first.commit().await.unwrap();
    };
    let (second, ()) = tokio::join!(second, commit_first_once_second_waits);
    // It then decides on the deal as committed: closed, so refused.
    match second {
        Err(Error::Transition(TransitionError::Final { state, .. })) => {
            assert_eq!(state, "closed_won")
        }
        other => panic!("the second close was not refused: {other:?}"),
    }
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.sales_pipeline().get(deal.id).await.unwrap(), won);
}

#[tokio::test]
async fn only_open_deals_can_be_deleted() {
    let t = TwoTenants::new().await;
    let open = deal_at(&t, DealStage::Lead).await;
    let won = deal_at(&t, DealStage::Proposal).await;
    let held = deal_at(&t, DealStage::Qualified).await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let won = uow
        .sales_pipeline()
        .close_won(won.id, day(6, 1))
        .await
        .unwrap();
    let held = uow.sales_pipeline().put_on_hold(held.id).await.unwrap();
    uow.commit().await.unwrap();
    let before = t.count("sales.sales_pipeline").await;

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(db.sales_pipeline().delete(open.id).await.unwrap(), open);
    assert_eq!(db.sales_pipeline().delete(held.id).await.unwrap(), held);
    match db.sales_pipeline().delete(won.id).await {
        Err(Error::Transition(TransitionError::Final {
            entity: "deal",
            state,
        })) => {
            assert_eq!(state, "closed_won")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.sales_pipeline().get(won.id).await.unwrap(), won);
    assert!(matches!(
        db.sales_pipeline().delete(open.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(t.count("sales.sales_pipeline").await, before - 2);
}
