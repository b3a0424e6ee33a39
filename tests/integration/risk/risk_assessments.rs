//! `risk.risk_assessments` through its repository: derived score and level,
//! the database's own enforcement of them, the same-tenant owner, CRUD,
//! filters, paging, isolation, optimistic concurrency, bulk insert, and the
//! reassessment operation with its row lock.

use aems_core::risk::risk_assessments::{
    NewRiskAssessment, Reassessment, RiskAssessment, RiskAssessmentPatch, RiskLevel, RiskStatus,
};
use aems_core::{EmployeeId, ErrorCode, Impact, Likelihood, RiskAssessmentId, TransitionError};
use aems_diesel::prelude::*;
use aems_diesel::risk::risk_assessments::OWNER_CONSTRAINT;
use aems_diesel::risk::{RevisedPlans, RiskAssessmentFilter};
use aems_diesel::testing::RoundTripProxy;
use aems_diesel::{Database, DatabaseConfig, Error, Order};
use chrono::NaiveDate;

use super::{add_employee, as_admin, constraint_of, try_as_admin};
use crate::support::{TwoTenants, admin};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn new_risk(name: &str, owner: EmployeeId, likelihood: i32, impact: i32) -> NewRiskAssessment {
    NewRiskAssessment {
        risk_name: name.parse().unwrap(),
        risk_category: "Operations".parse().unwrap(),
        description: format!("What could go wrong with {name}").parse().unwrap(),
        likelihood: Likelihood::new(likelihood).unwrap(),
        impact: Impact::new(impact).unwrap(),
        owner_id: owner,
        status: RiskStatus::Open,
        mitigation_plan: None,
        contingency_plan: None,
        last_review_date: Some(date(2025, 1, 10)),
        next_review_date: date(2025, 4, 10),
    }
}

fn owner_a(t: &TwoTenants) -> EmployeeId {
    EmployeeId::from_uuid(t.a.employee)
}

fn review(l: i32, i: i32, on: NaiveDate, next: NaiveDate) -> Reassessment {
    Reassessment {
        likelihood: Likelihood::new(l).unwrap(),
        impact: Impact::new(i).unwrap(),
        reviewed_on: on,
        next_review_date: next,
    }
}

fn ids(items: &[RiskAssessment]) -> Vec<RiskAssessmentId> {
    items.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn a_created_risk_reads_back_whole_with_derived_score_level_and_authorship() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_risk("Supplier insolvency", owner_a(&t), 4, 4);
    input.mitigation_plan = Some("Second source by Q3".parse().unwrap());
    let created = db.risk_assessments().create(input.clone()).await.unwrap();
    assert_eq!(created.risk_name, input.risk_name);
    assert_eq!(created.rating, input.rating());
    assert_eq!(created.rating.score().get(), 16);
    assert_eq!(created.rating.level(), RiskLevel::High);
    assert_eq!(created.mitigation_plan, input.mitigation_plan);
    assert_eq!(created.contingency_plan, None);
    assert_eq!(created.last_review_date, Some(date(2025, 1, 10)));
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(
        db.risk_assessments().get(created.id).await.unwrap(),
        created
    );

    // What is stored is what the library derived, column by column.
    let row = admin(&t.db)
        .await
        .query_one(
            "SELECT likelihood, impact, risk_score, risk_level FROM risk.risk_assessments
              WHERE id = $1",
            &[&created.id.into_uuid()],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i32>(0),
            row.get::<_, i32>(1),
            row.get::<_, i32>(2),
            row.get::<_, String>(3)
        ),
        (4, 4, 16, "high".to_owned())
    );
}

#[tokio::test]
async fn every_factor_pair_is_stored_with_the_score_and_level_of_the_bands() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewRiskAssessment> = (1..=5)
        .flat_map(|l| (1..=5).map(move |i| (l, i)))
        .map(|(l, i)| new_risk(&format!("Risk {l}x{i}"), owner_a(&t), l, i))
        .collect();
    let created = uow.risk_assessments().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 25);

    let rows = admin(&t.db)
        .await
        .query(
            "SELECT likelihood, impact, risk_score, risk_level FROM risk.risk_assessments
              WHERE tenant_id = $1 AND risk_name LIKE 'Risk %'",
            &[&t.a.tenant],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 25);
    for row in rows {
        let (l, i, score, level): (i32, i32, i32, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert_eq!(score, l * i, "{l}x{i}");
        let band = match score {
            1..=4 => "low",
            5..=9 => "medium",
            10..=16 => "high",
            _ => "critical",
        };
        assert_eq!(level, band, "{l}x{i} = {score}");
    }
}

#[tokio::test]
async fn a_row_written_around_the_library_with_a_wrong_score_or_level_is_refused_by_the_database() {
    let t = TwoTenants::new().await;
    let insert = |score: i32, level: &str| {
        format!(
            "INSERT INTO risk.risk_assessments (tenant_id, risk_name, risk_category, description,
                    likelihood, impact, risk_score, risk_level, owner_id, next_review_date,
                    created_by, updated_by)
                VALUES ('{t}', 'Forged', 'Operations', 'Written around the library', 3, 4,
                    {score}, '{level}', '{e}', '2025-06-01', '{u}', '{u}');",
            t = t.a.tenant,
            e = t.a.employee,
            u = t.a.user
        )
    };
    // 3 × 4 is 12, not 11 (11 is in range and 'high' is its band: only the
    // product rule refuses it).
    let err = try_as_admin(&t, &t.a, &insert(11, "high"))
        .await
        .expect_err("a wrong score was stored");
    assert_eq!(
        constraint_of(&err),
        Some("chk_risk_assessments_risk_score_product"),
        "{err:?}"
    );
    // The right score with the wrong level.
    let err = try_as_admin(&t, &t.a, &insert(12, "medium"))
        .await
        .expect_err("a wrong level was stored");
    assert_eq!(
        constraint_of(&err),
        Some("chk_risk_assessments_risk_level_matches_score"),
        "{err:?}"
    );
    // Changing a factor of a stored row without its score is refused too.
    let err = try_as_admin(
        &t,
        &t.a,
        "UPDATE risk.risk_assessments SET likelihood = 5 WHERE risk_name = 'Supplier risk';",
    )
    .await
    .expect_err("a factor changed without its score");
    assert_eq!(
        constraint_of(&err),
        Some("chk_risk_assessments_risk_score_product"),
        "{err:?}"
    );
    assert_eq!(t.count("risk.risk_assessments").await, 2, "the seeds only");
    as_admin(&t, &t.a, &insert(12, "high")).await;
}

#[tokio::test]
async fn a_stored_score_or_level_that_disagrees_with_the_factors_is_a_decode_error() {
    // Only possible once the constraints are gone: the library still refuses
    // to hand out a risk whose derived columns lie.
    let t = TwoTenants::new().await;
    admin(&t.db)
        .await
        .batch_execute(
            "ALTER TABLE risk.risk_assessments
                DROP CONSTRAINT chk_risk_assessments_risk_score_product,
                DROP CONSTRAINT chk_risk_assessments_risk_level_matches_score",
        )
        .await
        .unwrap();
    let forged = |name: &str, score: i32, level: &str| {
        format!(
            "INSERT INTO risk.risk_assessments (id, tenant_id, risk_name, risk_category,
                    description, likelihood, impact, risk_score, risk_level, owner_id,
                    next_review_date, created_by, updated_by)
                VALUES ('{id}', '{t}', '{name}', 'Operations', 'Forged', 3, 4, {score}, '{level}',
                    '{e}', '2025-06-01', '{u}', '{u}');",
            id = uuid::Uuid::now_v7(),
            t = t.a.tenant,
            e = t.a.employee,
            u = t.a.user
        )
    };
    as_admin(&t, &t.a, &forged("Wrong score", 11, "high")).await;
    as_admin(&t, &t.a, &forged("Wrong level", 12, "medium")).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let err = db
        .risk_assessments()
        .list(
            &RiskAssessmentFilter::all().category("Operations".parse().unwrap()),
            PageRequest::first(10),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                entity: "risk_assessments",
                column: "risk_score" | "risk_level",
                ..
            }
        ),
        "{err:?}"
    );
    let ids: Vec<(uuid::Uuid, String)> = admin(&t.db)
        .await
        .query(
            "SELECT id, risk_name FROM risk.risk_assessments WHERE description = 'Forged'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (id, name) in ids {
        let column = if name == "Wrong score" {
            "risk_score"
        } else {
            "risk_level"
        };
        match db
            .risk_assessments()
            .get(RiskAssessmentId::from_uuid(id))
            .await
        {
            Err(Error::Decode { column: c, .. }) => assert_eq!(c, column, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_owner_who_is_not_an_employee_of_the_tenant_is_refused_by_the_same_tenant_key() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    for stranger in [
        EmployeeId::from_uuid(t.b.employee), // B's employee
        EmployeeId::new(),                   // nobody's
    ] {
        match db
            .risk_assessments()
            .create(new_risk("Foreign owner", stranger, 2, 2))
            .await
        {
            Err(Error::ForeignKeyViolation { constraint, .. }) => {
                assert_eq!(constraint, OWNER_CONSTRAINT)
            }
            other => panic!("{other:?}"),
        }
    }
    let risk = db
        .risk_assessments()
        .create(new_risk("Own owner", owner_a(&t), 2, 2))
        .await
        .unwrap();
    let patch = RiskAssessmentPatch {
        owner_id: Some(EmployeeId::from_uuid(t.b.employee)),
        ..Default::default()
    };
    let err = db
        .risk_assessments()
        .update(risk.id, risk.updated_at, &patch)
        .await
        .unwrap_err();
    assert_eq!(err.constraint(), Some(OWNER_CONSTRAINT), "{err:?}");
    assert_eq!(db.risk_assessments().get(risk.id).await.unwrap(), risk);
    assert_eq!(t.count("risk.risk_assessments").await, 3);
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let t = TwoTenants::new().await;
    let other_owner = add_employee(&t, &t.a, "owner2").await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut low = new_risk("Printer jam", owner_a(&t), 1, 2);
    low.next_review_date = date(2025, 3, 1);
    let mut critical = new_risk("Data centre flood", other_owner, 5, 5);
    critical.risk_category = "Facilities".parse().unwrap();
    critical.next_review_date = date(2025, 3, 2);
    let mut accepted = new_risk("Currency swings", owner_a(&t), 3, 2);
    accepted.status = RiskStatus::Accepted;
    accepted.risk_category = "Finance".parse().unwrap();
    accepted.next_review_date = date(2025, 9, 1);
    let low = uow.risk_assessments().create(low).await.unwrap();
    let critical = uow.risk_assessments().create(critical).await.unwrap();
    let accepted = uow.risk_assessments().create(accepted).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    // Besides these three, the fixture's risk: 'high', 'operational', open,
    // owned by the seeded employee, due for review in 90 days.
    let tenant = t.a.tenant;
    let mut list = async |filter: RiskAssessmentFilter| {
        let page = db.risk_assessments().list(&filter, all).await.unwrap();
        assert!(page.items.iter().all(|r| r.tenant_id.into_uuid() == tenant));
        ids(&page.items)
    };
    assert_eq!(list(RiskAssessmentFilter::all()).await.len(), 4);
    assert_eq!(
        list(RiskAssessmentFilter::all().level(RiskLevel::Critical)).await,
        vec![critical.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().level(RiskLevel::Low)).await,
        vec![low.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().level(RiskLevel::Medium)).await,
        vec![accepted.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().status(RiskStatus::Accepted)).await,
        vec![accepted.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().status(RiskStatus::Open))
            .await
            .len(),
        3
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().category("Facilities".parse().unwrap())).await,
        vec![critical.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().owner(other_owner)).await,
        vec![critical.id]
    );
    // Due on the day itself counts; the day before does not.
    assert_eq!(
        list(RiskAssessmentFilter::all().review_due_by(date(2025, 3, 1))).await,
        vec![low.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().review_due_by(date(2025, 3, 2))).await,
        vec![low.id, critical.id]
    );
    assert_eq!(
        list(RiskAssessmentFilter::all().review_due_by(date(2025, 2, 28))).await,
        Vec::<RiskAssessmentId>::new()
    );
    // Conditions combine.
    assert_eq!(
        list(
            RiskAssessmentFilter::all()
                .review_due_by(date(2025, 12, 31))
                .category("Operations".parse().unwrap())
        )
        .await,
        vec![low.id]
    );
}

#[tokio::test]
async fn pages_cover_every_risk_once_in_both_orders() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewRiskAssessment> = (0..23)
        .map(|i| new_risk(&format!("Paged {i:02}"), owner_a(&t), 2, 3))
        .collect();
    uow.risk_assessments().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = RiskAssessmentFilter::all().level(RiskLevel::Medium);
    let everything = ids(&db
        .risk_assessments()
        .list(&filter, PageRequest::first(1000))
        .await
        .unwrap()
        .items);
    assert_eq!(everything.len(), 23);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(5).order(order);
        let mut pages = 0;
        loop {
            let page = db.risk_assessments().list(&filter, request).await.unwrap();
            assert!(page.items.len() <= 5);
            seen.extend(ids(&page.items));
            pages += 1;
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 5),
                None => break,
            }
        }
        assert_eq!(pages, 5);
        let mut expected = everything.clone();
        if order == Order::NewestFirst {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{order:?}");
    }
}

#[tokio::test]
async fn another_tenants_risk_is_not_found_listed_changed_reassessed_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .risk_assessments()
        .create(new_risk(
            "Their risk",
            EmployeeId::from_uuid(t.b.employee),
            2,
            2,
        ))
        .await
        .unwrap();

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.risk_assessments().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "risk_assessments"
        })
    ));
    let page = a
        .risk_assessments()
        .list(&RiskAssessmentFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "A's seeded risk only");
    assert!(
        page.items
            .iter()
            .all(|r| r.tenant_id.into_uuid() == t.a.tenant)
    );
    let patch = RiskAssessmentPatch {
        status: Some(RiskStatus::Closed),
        ..Default::default()
    };
    assert!(matches!(
        a.risk_assessments()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.risk_assessments().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.risk_assessments()
            .reassess(
                theirs.id,
                review(5, 5, date(2025, 2, 1), date(2025, 3, 1)),
                RevisedPlans::unchanged()
            )
            .await,
        Err(Error::NotFound { .. })
    ));
    uow.commit().await.unwrap();
    assert_eq!(b.risk_assessments().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_risk("Key person leaves", owner_a(&t), 3, 3);
    input.contingency_plan = Some("Interim from the agency".parse().unwrap());
    let risk = db.risk_assessments().create(input).await.unwrap();
    let rename = |name: &str| RiskAssessmentPatch {
        risk_name: Some(name.parse().unwrap()),
        ..Default::default()
    };

    let ctx = t.ctx_a();
    let (r1, r2) = tokio::join!(
        t.database.transaction(&ctx, async |uow| {
            uow.risk_assessments()
                .update(risk.id, risk.updated_at, &rename("One"))
                .await
        }),
        t.database.transaction(&ctx, async |uow| {
            uow.risk_assessments()
                .update(risk.id, risk.updated_at, &rename("Two"))
                .await
        }),
    );
    assert_eq!(
        [r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "exactly one update wins: {r1:?} {r2:?}"
    );
    let loser = if r1.is_err() { r1 } else { r2 };
    assert!(
        matches!(
            loser,
            Err(Error::Conflict {
                entity: "risk_assessments"
            })
        ),
        "{loser:?}"
    );

    let now = db.risk_assessments().get(risk.id).await.unwrap();
    assert!(["One", "Two"].contains(&now.risk_name.as_str()));
    let stale = db
        .risk_assessments()
        .update(risk.id, risk.updated_at, &rename("Three"))
        .await;
    assert!(matches!(stale, Err(Error::Conflict { .. })), "{stale:?}");
    assert_eq!(db.risk_assessments().get(risk.id).await.unwrap(), now);

    // The current version works; a plan can be cleared, the next review moved,
    // and the derived columns stay as they were.
    let patch = RiskAssessmentPatch {
        contingency_plan: Some(None),
        status: Some(RiskStatus::Mitigated),
        next_review_date: Some(date(2025, 5, 1)),
        ..Default::default()
    };
    let updated = db
        .risk_assessments()
        .update(risk.id, now.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.contingency_plan, None);
    assert_eq!(updated.status, RiskStatus::Mitigated);
    assert_eq!(updated.next_review_date, date(2025, 5, 1));
    assert_eq!(updated.rating, risk.rating);
    assert_eq!(updated.last_review_date, risk.last_review_date);
    assert!(updated.updated_at > now.updated_at);
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_failing_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = new_risk("Backwards", owner_a(&t), 2, 2);
    bad.next_review_date = date(2025, 1, 10); // not after the last review
    match db.risk_assessments().create(bad.clone()).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("next_review_date", ErrorCode::DateOrder), "{e}");
            assert_eq!(e.errors().len(), 1, "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.count("risk.risk_assessments").await, 2, "nothing sent");

    let good = db
        .risk_assessments()
        .create(new_risk("Forwards", owner_a(&t), 2, 2))
        .await
        .unwrap();
    let patch = RiskAssessmentPatch {
        next_review_date: Some(date(2024, 12, 31)),
        ..Default::default()
    };
    match db
        .risk_assessments()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("next_review_date", ErrorCode::DateOrder)),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.risk_assessments().get(good.id).await.unwrap(), good);

    // In bulk, every failing input is named by its position.
    let mut inputs: Vec<NewRiskAssessment> = (0..5)
        .map(|i| new_risk(&format!("Bulk {i}"), owner_a(&t), 1, 1))
        .collect();
    inputs[1] = bad.clone();
    inputs[4] = bad;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow.risk_assessments().create_many(inputs).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("[1].next_review_date", ErrorCode::DateOrder), "{e}");
            assert!(e.has("[4].next_review_date", ErrorCode::DateOrder), "{e}");
            assert_eq!(e.errors().len(), 2, "{e}");
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(t.count("risk.risk_assessments").await, 3);
}

#[tokio::test]
async fn create_many_crosses_chunk_boundaries_and_is_all_or_nothing() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewRiskAssessment> = (0..2_050)
        .map(|i| new_risk(&format!("Bulk {i}"), owner_a(&t), i % 5 + 1, i / 5 % 5 + 1))
        .collect();
    let created = uow.risk_assessments().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 2_050);
    assert!(
        created.windows(2).all(|w| w[0].id < w[1].id),
        "ids follow input order"
    );
    assert!(created.iter().enumerate().all(|(i, r)| {
        let i = i as i32;
        r.risk_name.as_str() == format!("Bulk {i}")
            && i32::from(r.rating.score().get()) == (i % 5 + 1) * (i / 5 % 5 + 1)
    }));

    // A refusal in the second chunk (B's employee as owner) undoes the first.
    let mut inputs: Vec<NewRiskAssessment> = (0..1_200)
        .map(|i| new_risk(&format!("Second {i}"), owner_a(&t), 1, 1))
        .collect();
    inputs[1_100].owner_id = EmployeeId::from_uuid(t.b.employee);
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let err = uow
        .risk_assessments()
        .create_many(inputs)
        .await
        .unwrap_err();
    assert_eq!(err.constraint(), Some(OWNER_CONSTRAINT), "{err:?}");
    assert!(matches!(uow.commit().await, Err(Error::TransactionAborted)));
    assert_eq!(t.count("risk.risk_assessments").await, 2 + 2_050);
}

#[tokio::test]
async fn a_deleted_risk_is_gone_and_deleting_it_again_is_not_found() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let gone = db
        .risk_assessments()
        .create(new_risk("Recorded in error", owner_a(&t), 1, 1))
        .await
        .unwrap();
    let kept = db
        .risk_assessments()
        .create(new_risk("Real", owner_a(&t), 1, 1))
        .await
        .unwrap();
    db.risk_assessments().delete(gone.id).await.unwrap();
    assert!(db.risk_assessments().find(gone.id).await.unwrap().is_none());
    assert!(matches!(
        db.risk_assessments().delete(gone.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(db.risk_assessments().get(kept.id).await.unwrap(), kept);
    assert_eq!(t.count("risk.risk_assessments").await, 3);
}

#[tokio::test]
async fn a_reassessment_recomputes_score_and_level_moves_the_review_dates_and_revises_plans() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_risk("Ransomware", owner_a(&t), 2, 2);
    input.mitigation_plan = Some("Backups".parse().unwrap());
    input.contingency_plan = Some("Restore from tape".parse().unwrap());
    let risk = db.risk_assessments().create(input).await.unwrap();
    assert_eq!(risk.rating.level(), RiskLevel::Low);

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let reassessed = uow
        .risk_assessments()
        .reassess(
            risk.id,
            review(4, 5, date(2025, 3, 1), date(2025, 6, 1)),
            RevisedPlans::unchanged()
                .mitigation(Some("Offline backups and EDR".parse().unwrap()))
                .contingency(None),
        )
        .await
        .unwrap();
    uow.commit().await.unwrap();

    assert_eq!(reassessed.rating.score().get(), 20);
    assert_eq!(reassessed.rating.level(), RiskLevel::Critical);
    assert_eq!(reassessed.last_review_date, Some(date(2025, 3, 1)));
    assert_eq!(reassessed.next_review_date, date(2025, 6, 1));
    assert_eq!(
        reassessed.mitigation_plan.as_ref().map(|p| p.as_str()),
        Some("Offline backups and EDR")
    );
    assert_eq!(reassessed.contingency_plan, None);
    // Everything else as it was.
    assert_eq!(reassessed.risk_name, risk.risk_name);
    assert_eq!(reassessed.status, risk.status);
    assert_eq!(reassessed.created_at, risk.created_at);
    assert!(reassessed.updated_at > risk.updated_at);
    assert_eq!(
        db.risk_assessments().get(risk.id).await.unwrap(),
        reassessed
    );

    // A later review that keeps the plans, down to low again; a review on the
    // same day as the previous one is allowed.
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let again = uow
        .risk_assessments()
        .reassess(
            risk.id,
            review(1, 3, date(2025, 3, 1), date(2025, 3, 2)),
            RevisedPlans::unchanged(),
        )
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(again.rating.score().get(), 3);
    assert_eq!(again.rating.level(), RiskLevel::Low);
    assert_eq!(again.mitigation_plan, reassessed.mitigation_plan);
    assert_eq!(again.contingency_plan, None);
    assert_eq!(again.next_review_date, date(2025, 3, 2));
}

#[tokio::test]
async fn a_reassessment_rolled_back_with_its_unit_of_work_leaves_the_risk_as_it_was() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let risk = db
        .risk_assessments()
        .create(new_risk("Rolled back", owner_a(&t), 2, 2))
        .await
        .unwrap();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inside = uow
        .risk_assessments()
        .reassess(
            risk.id,
            review(5, 5, date(2025, 2, 1), date(2025, 3, 1)),
            RevisedPlans::unchanged(),
        )
        .await
        .unwrap();
    assert_eq!(
        uow.risk_assessments().get(risk.id).await.unwrap(),
        inside,
        "the work sees its own change"
    );
    uow.rollback().await.unwrap();
    assert_eq!(db.risk_assessments().get(risk.id).await.unwrap(), risk);
}

#[tokio::test]
async fn illegal_reassessments_are_refused_with_a_typed_error_and_change_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let open = db
        .risk_assessments()
        .create(new_risk("Open risk", owner_a(&t), 2, 3))
        .await
        .unwrap();
    let mut closed = new_risk("Closed risk", owner_a(&t), 2, 3);
    closed.status = RiskStatus::Closed;
    let closed = db.risk_assessments().create(closed).await.unwrap();

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    // A closed risk is final.
    match uow
        .risk_assessments()
        .reassess(
            closed.id,
            review(5, 5, date(2025, 2, 1), date(2025, 3, 1)),
            RevisedPlans::unchanged().mitigation(Some("Too late".parse().unwrap())),
        )
        .await
    {
        Err(Error::Transition(TransitionError::Final { state, .. })) => {
            assert_eq!(state, "closed")
        }
        other => panic!("{other:?}"),
    }
    // A review dated before the previous one (2025-01-10).
    match uow
        .risk_assessments()
        .reassess(
            open.id,
            review(5, 5, date(2025, 1, 9), date(2025, 3, 1)),
            RevisedPlans::unchanged(),
        )
        .await
    {
        Err(Error::Transition(TransitionError::Invalid(e))) => {
            assert!(e.has("reviewed_on", ErrorCode::DateOrder), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // A next review not after the review, and both faults at once.
    match uow
        .risk_assessments()
        .reassess(
            open.id,
            review(5, 5, date(2025, 2, 1), date(2025, 2, 1)),
            RevisedPlans::unchanged(),
        )
        .await
    {
        Err(Error::Transition(TransitionError::Invalid(e))) => {
            assert!(e.has("next_review_date", ErrorCode::DateOrder), "{e}")
        }
        other => panic!("{other:?}"),
    }
    match uow
        .risk_assessments()
        .reassess(
            open.id,
            review(5, 5, date(2025, 1, 1), date(2024, 12, 1)),
            RevisedPlans::unchanged(),
        )
        .await
    {
        Err(Error::Transition(TransitionError::Invalid(e))) => {
            assert!(e.has("reviewed_on", ErrorCode::DateOrder), "{e}");
            assert!(e.has("next_review_date", ErrorCode::DateOrder), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // No such risk.
    assert!(matches!(
        uow.risk_assessments()
            .reassess(
                RiskAssessmentId::new(),
                review(5, 5, date(2025, 2, 1), date(2025, 3, 1)),
                RevisedPlans::unchanged()
            )
            .await,
        Err(Error::NotFound {
            entity: "risk_assessments"
        })
    ));
    // Refusals are not database errors: the work goes on and commits.
    uow.commit().await.unwrap();
    assert_eq!(db.risk_assessments().get(open.id).await.unwrap(), open);
    assert_eq!(db.risk_assessments().get(closed.id).await.unwrap(), closed);
}

/// Waits, without sleeping, until a backend of this test's database is
/// blocked on a lock.
async fn until_a_session_waits_for_a_lock(t: &TwoTenants) {
    let admin = admin(&t.db).await;
    for _ in 0..50_000 {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("no session ever waited for the row lock");
}

#[tokio::test]
async fn a_concurrent_reassessment_waits_for_the_row_lock_and_is_judged_against_the_first() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let risk = db
        .risk_assessments()
        .create(new_risk("Contended", owner_a(&t), 2, 2))
        .await
        .unwrap();

    // The first review holds the row until its work commits.
    let ctx = t.ctx_a();
    let mut first = t.database.unit_of_work(&ctx).await.unwrap();
    first
        .risk_assessments()
        .reassess(
            risk.id,
            review(4, 4, date(2025, 3, 10), date(2025, 6, 10)),
            RevisedPlans::unchanged(),
        )
        .await
        .unwrap();

    // An earlier-dated review starts meanwhile: it must wait, then see the
    // first one, and be refused as predating it. Without the lock it would
    // have read the old row, passed, and overwritten the newer review.
    let second = async {
        let mut uow = t.database.unit_of_work(&ctx).await.unwrap();
        let outcome = uow
            .risk_assessments()
            .reassess(
                risk.id,
                review(1, 1, date(2025, 3, 5), date(2025, 6, 5)),
                RevisedPlans::unchanged(),
            )
            .await;
        uow.commit().await.unwrap();
        outcome
    };
    let release = async {
        until_a_session_waits_for_a_lock(&t).await;
        first.commit().await.unwrap();
    };
    let (outcome, ()) = tokio::join!(second, release);
    match outcome {
        Err(Error::Transition(TransitionError::Invalid(e))) => {
            assert!(e.has("reviewed_on", ErrorCode::DateOrder), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let now = db.risk_assessments().get(risk.id).await.unwrap();
    assert_eq!(now.last_review_date, Some(date(2025, 3, 10)));
    assert_eq!(now.rating.score().get(), 16);
}

#[tokio::test]
async fn every_statement_is_prepared_once_and_costs_one_round_trip() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = Database::new(DatabaseConfig::new(proxy.app_url()).max_connections(1)).unwrap();
    let filter = RiskAssessmentFilter::all()
        .level(RiskLevel::Medium)
        .review_due_by(date(2025, 12, 31));
    let patch = |n: u32| RiskAssessmentPatch {
        next_review_date: Some(date(2025, 5, n)),
        ..Default::default()
    };
    let plans = || RevisedPlans::unchanged().mitigation(Some("Plan".parse().unwrap()));
    // Each statement once, to prepare it.
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let warm = s
        .risk_assessments()
        .create(new_risk("Warm", owner_a(&t), 2, 3))
        .await
        .unwrap();
    let warm = s
        .risk_assessments()
        .update(warm.id, warm.updated_at, &patch(1))
        .await
        .unwrap();
    s.risk_assessments()
        .list(&filter, PageRequest::first(10))
        .await
        .unwrap();
    s.risk_assessments().delete(warm.id).await.unwrap();
    let risk = s
        .risk_assessments()
        .create(new_risk("Counted", owner_a(&t), 2, 3))
        .await
        .unwrap();
    drop(s); // the pool's only connection
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    uow.risk_assessments()
        .reassess(
            risk.id,
            review(2, 3, date(2025, 2, 1), date(2025, 3, 1)),
            plans(),
        )
        .await
        .unwrap();
    uow.commit().await.unwrap();

    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    for n in 2..5 {
        proxy.reset();
        let current = s.risk_assessments().get(risk.id).await.unwrap();
        assert_eq!(proxy.round_trips(), 1, "get");
        proxy.reset();
        s.risk_assessments()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(proxy.round_trips(), 1, "page");
        proxy.reset();
        s.risk_assessments()
            .update(risk.id, current.updated_at, &patch(n))
            .await
            .unwrap();
        assert_eq!(proxy.round_trips(), 2, "update: read + guarded write");
        proxy.reset();
        let gone = s
            .risk_assessments()
            .create(new_risk("Short-lived", owner_a(&t), 1, 1))
            .await
            .unwrap();
        assert_eq!(proxy.round_trips(), 1, "create");
        proxy.reset();
        s.risk_assessments().delete(gone.id).await.unwrap();
        assert_eq!(proxy.round_trips(), 1, "delete");
    }
    drop(s);
    for day in 2..5 {
        let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
        proxy.reset();
        uow.risk_assessments()
            .reassess(
                risk.id,
                review(3, 3, date(2025, 3, day), date(2025, 4, 1)),
                plans(),
            )
            .await
            .unwrap();
        uow.commit().await.unwrap();
        assert_eq!(proxy.round_trips(), 3, "reassess: lock, write, commit");
    }
}
