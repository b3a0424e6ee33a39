//! `hr.recruitment_pipeline` through its repository: CRUD, filters, paging,
//! optimistic concurrency, isolation, stage moves and the atomic hire.

use aems_core::hr::recruitment_pipeline::{
    Candidate, CandidatePatch, NewCandidate, RecruitmentStage, RecruitmentStatus,
};
use aems_core::{CandidateId, EmployeeId, ErrorCode, TransitionError, UserId};
use aems_diesel::hr::CandidateFilter;
use aems_diesel::hr::employees::EMPLOYEE_NUMBER_KEY;
use aems_diesel::prelude::*;
use aems_diesel::{Error, Order};

use super::{date, keyed, new_employee};
use crate::support::TwoTenants;

fn candidate(t: &TwoTenants, name: &str, stage: RecruitmentStage) -> NewCandidate {
    NewCandidate {
        job_title: "Engineer".parse().unwrap(),
        department: "R&D".parse().unwrap(),
        candidate_name: name.parse().unwrap(),
        candidate_email: format!("{}@example.com", name.to_lowercase().replace(' ', "."))
            .parse()
            .unwrap(),
        candidate_phone: None,
        stage,
        source: None,
        recruiter_id: UserId::from_uuid(t.a.user),
        hiring_manager_id: EmployeeId::from_uuid(t.a.employee),
        resume_url: None,
        cover_letter_url: None,
        application_date: date(2025, 3, 1),
        expected_start_date: None,
        salary_expectation: None,
        notes: None,
    }
}

/// Employee details for a hire that starts after the candidates applied.
fn hired_as(code: &str) -> aems_core::hr::employees::NewEmployee {
    let mut details = new_employee(code);
    details.hire_date = date(2025, 4, 1);
    details
}

fn ids(page: Page<Candidate>) -> Vec<CandidateId> {
    page.items.into_iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn a_created_candidate_reads_back_whole_active_with_authorship_from_the_context() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = candidate(&t, "Alan Turing", RecruitmentStage::Applied);
    input.resume_url = Some("https://files.example.com/cv/alan.pdf".parse().unwrap());
    input.salary_expectation = Some("90000".parse().unwrap());
    input.notes = Some("Referred by\nGrace".parse().unwrap());
    let created = db
        .recruitment_pipeline()
        .create(input.clone())
        .await
        .unwrap();
    assert_eq!(created.candidate_name, input.candidate_name);
    assert_eq!(created.resume_url, input.resume_url);
    assert_eq!(created.salary_expectation, input.salary_expectation);
    assert_eq!(created.notes, input.notes);
    assert_eq!(created.status, RecruitmentStatus::Active);
    assert_eq!(created.rejection_reason, None);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(
        db.recruitment_pipeline().get(created.id).await.unwrap(),
        created
    );
}

#[tokio::test]
async fn each_filter_narrows_the_list_and_pages_cover_every_candidate_once() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut sales = candidate(&t, "Sam Seller", RecruitmentStage::Interview);
    sales.department = "Sales".parse().unwrap();
    let inputs = vec![
        candidate(&t, "Ida Interview", RecruitmentStage::Interview),
        sales,
        candidate(&t, "Olly Offer", RecruitmentStage::Offer),
        candidate(&t, "Wendy Withdrawn", RecruitmentStage::Screening),
    ];
    let created = uow
        .recruitment_pipeline()
        .create_many(inputs)
        .await
        .unwrap();
    let withdrawn = uow
        .recruitment_pipeline()
        .withdraw(created[3].id)
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let [ida, sam, olly, wendy] = [0, 1, 2, 3].map(|i| created[i].id);
    assert_eq!(withdrawn.id, wendy);

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list = async |filter: CandidateFilter| {
        ids(db.recruitment_pipeline().list(&filter, all).await.unwrap())
    };
    let everyone = list(CandidateFilter::all()).await;
    assert_eq!(everyone.len(), 5, "with the seeded candidate");
    assert_eq!(
        list(CandidateFilter::all().stage(RecruitmentStage::Interview)).await,
        vec![ida, sam]
    );
    assert_eq!(
        list(CandidateFilter::all().department("Sales")).await,
        vec![sam]
    );
    assert_eq!(
        list(CandidateFilter::all().status(RecruitmentStatus::Withdrawn)).await,
        vec![wendy]
    );
    assert_eq!(
        list(
            CandidateFilter::all()
                .department("R&D")
                .status(RecruitmentStatus::Active)
                .stage(RecruitmentStage::Offer)
        )
        .await,
        vec![olly]
    );

    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(2).order(order);
        loop {
            let page = db
                .recruitment_pipeline()
                .list(&CandidateFilter::all(), request)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 2),
                None => break,
            }
        }
        let mut expected = everyone.clone();
        if order == Order::NewestFirst {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }
}

#[tokio::test]
async fn candidates_move_forward_only_and_every_refused_move_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let alan = db
        .recruitment_pipeline()
        .create(candidate(&t, "Alan Turing", RecruitmentStage::Applied))
        .await
        .unwrap();

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let screened = uow
        .recruitment_pipeline()
        .move_to_stage(alan.id, RecruitmentStage::Screening)
        .await
        .unwrap();
    // Skipping ahead is allowed.
    let offered = uow
        .recruitment_pipeline()
        .move_to_stage(alan.id, RecruitmentStage::Offer)
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(screened.stage, RecruitmentStage::Screening);
    assert_eq!(offered.stage, RecruitmentStage::Offer);
    assert_eq!(offered.status, RecruitmentStatus::Active);
    assert_eq!(
        db.recruitment_pipeline().get(alan.id).await.unwrap(),
        offered
    );

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    for (to, from) in [
        (RecruitmentStage::Interview, "offer"),
        (RecruitmentStage::Offer, "offer"),
        (RecruitmentStage::Hired, "offer"),
        (RecruitmentStage::Rejected, "offer"),
    ] {
        match uow.recruitment_pipeline().move_to_stage(alan.id, to).await {
            Err(Error::Transition(TransitionError::IllegalMove {
                entity: "candidate",
                from: was,
                to: asked,
            })) => assert_eq!((was, asked), (from, to.as_str())),
            other => panic!("{to:?}: {other:?}"),
        }
    }
    uow.commit().await.unwrap();
    assert_eq!(
        db.recruitment_pipeline().get(alan.id).await.unwrap(),
        offered
    );
    assert!(matches!(
        t.database
            .transaction(&t.ctx_a(), async |uow| {
                uow.recruitment_pipeline()
                    .move_to_stage(CandidateId::new(), RecruitmentStage::Offer)
                    .await
            })
            .await,
        Err(Error::NotFound {
            entity: "recruitment_pipeline"
        })
    ));
}

#[tokio::test]
async fn a_rejection_records_its_reason_and_final_candidates_cannot_move() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let bob = db
        .recruitment_pipeline()
        .create(candidate(&t, "Bob Builder", RecruitmentStage::Interview))
        .await
        .unwrap();
    let wendy = db
        .recruitment_pipeline()
        .create(candidate(&t, "Wendy Walker", RecruitmentStage::Screening))
        .await
        .unwrap();

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let rejected = uow
        .recruitment_pipeline()
        .reject(bob.id, "Not enough experience".parse().unwrap())
        .await
        .unwrap();
    let withdrawn = uow.recruitment_pipeline().withdraw(wendy.id).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(
        (rejected.stage, rejected.status),
        (RecruitmentStage::Rejected, RecruitmentStatus::Rejected)
    );
    assert_eq!(
        rejected.rejection_reason.as_ref().map(|r| r.as_str()),
        Some("Not enough experience")
    );
    assert_eq!(
        (withdrawn.stage, withdrawn.status),
        (RecruitmentStage::Screening, RecruitmentStatus::Withdrawn)
    );

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    for (id, state) in [(bob.id, "rejected"), (wendy.id, "withdrawn")] {
        let refusals = [
            uow.recruitment_pipeline()
                .move_to_stage(id, RecruitmentStage::Offer)
                .await,
            uow.recruitment_pipeline()
                .reject(id, "Again".parse().unwrap())
                .await,
            uow.recruitment_pipeline().withdraw(id).await,
        ];
        for refused in refusals {
            assert!(
                matches!(
                    &refused,
                    Err(Error::Transition(TransitionError::Final { entity: "candidate", state: s }))
                        if *s == state
                ),
                "{refused:?}"
            );
        }
        let hire = uow
            .recruitment_pipeline()
            .hire(id, hired_as("E-NEVER"))
            .await;
        assert!(matches!(hire, Err(Error::Transition(_))), "{hire:?}");
    }
    uow.commit().await.unwrap();
    assert_eq!(
        db.recruitment_pipeline().get(bob.id).await.unwrap(),
        rejected
    );
    assert_eq!(
        db.recruitment_pipeline().get(wendy.id).await.unwrap(),
        withdrawn
    );
    assert_eq!(t.count("hr.employees").await, 2, "nobody was hired");
}

#[tokio::test]
async fn hiring_creates_the_employee_and_marks_the_candidate_hired_together() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let olly = db
        .recruitment_pipeline()
        .create(candidate(&t, "Olly Offer", RecruitmentStage::Offer))
        .await
        .unwrap();
    let mut details = hired_as("E-OLLY");
    details.salary = Some("70000".parse().unwrap());
    details.manager_id = Some(olly.hiring_manager_id);

    let hire = database
        .transaction(&t.ctx_a(), async |uow| {
            uow.recruitment_pipeline()
                .hire(olly.id, details.clone())
                .await
        })
        .await
        .unwrap();
    assert_eq!(
        (hire.candidate.stage, hire.candidate.status),
        (RecruitmentStage::Hired, RecruitmentStatus::Hired)
    );
    assert_eq!(hire.candidate.expected_start_date, Some(date(2025, 4, 1)));
    assert_eq!(hire.employee.employee_code, details.employee_code);
    assert_eq!(hire.employee.salary, details.salary);
    assert_eq!(hire.employee.hire_date, date(2025, 4, 1));
    assert_eq!(
        db.recruitment_pipeline().get(olly.id).await.unwrap(),
        hire.candidate
    );
    assert_eq!(
        db.employees().get(hire.employee.id).await.unwrap(),
        hire.employee
    );

    // Hired is final: not hired twice.
    let again = database
        .transaction(&t.ctx_a(), async |uow| {
            let mut other = details.clone();
            other.employee_code = "E-OLLY-2".parse().unwrap();
            uow.recruitment_pipeline().hire(olly.id, other).await
        })
        .await;
    assert!(
        matches!(
            again,
            Err(Error::Transition(TransitionError::Final {
                state: "hired",
                ..
            }))
        ),
        "{again:?}"
    );
    assert_eq!(t.count("hr.employees").await, 3);
}

#[tokio::test]
async fn a_failed_hire_leaves_the_candidate_unhired_and_no_employee_behind() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let olly = db
        .recruitment_pipeline()
        .create(candidate(&t, "Olly Offer", RecruitmentStage::Offer))
        .await
        .unwrap();
    let early = db
        .recruitment_pipeline()
        .create(candidate(&t, "Ian Interview", RecruitmentStage::Interview))
        .await
        .unwrap();

    // Not yet at the offer stage: refused before any employee exists.
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.recruitment_pipeline()
            .hire(early.id, hired_as("E-IAN"))
            .await,
        Err(Error::Transition(TransitionError::IllegalMove {
            to: "hired",
            ..
        }))
    ));
    // A start before the application: refused by the transition.
    let mut before = new_employee("E-OLLY");
    before.hire_date = date(2025, 2, 1);
    assert!(matches!(
        uow.recruitment_pipeline().hire(olly.id, before).await,
        Err(Error::Transition(TransitionError::Invalid(e)))
            if e.has("expected_start_date", ErrorCode::DateOrder)
    ));
    // The employee number is taken (by the seeded E-1): the employee is not
    // created, and even committing the work afterwards leaves the candidate
    // unhired.
    assert!(matches!(
        uow.recruitment_pipeline().hire(olly.id, hired_as("E-1")).await,
        Err(Error::UniqueViolation { constraint, .. }) if constraint == EMPLOYEE_NUMBER_KEY
    ));
    uow.commit().await.unwrap();
    assert_eq!(db.recruitment_pipeline().get(olly.id).await.unwrap(), olly);
    assert_eq!(
        db.recruitment_pipeline().get(early.id).await.unwrap(),
        early
    );

    // The database refuses the employee (an unknown manager): the whole unit
    // of work is rolled back, candidate included.
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut orphan = hired_as("E-OLLY");
    orphan.manager_id = Some(EmployeeId::new());
    assert!(matches!(
        uow.recruitment_pipeline().hire(olly.id, orphan).await,
        Err(Error::ForeignKeyViolation { constraint, .. })
            if constraint == "fk_employees_manager_id"
    ));
    assert!(matches!(uow.commit().await, Err(Error::TransactionAborted)));
    assert_eq!(db.recruitment_pipeline().get(olly.id).await.unwrap(), olly);

    // Invalid details are refused before anything is sent; without a key ring
    // a salaried hire is refused too.
    let mut invalid = hired_as("E-OLLY");
    invalid.salary = Some("-1".parse().unwrap());
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.recruitment_pipeline().hire(olly.id, invalid).await,
        Err(Error::Validation(e)) if e.has("salary", ErrorCode::OutOfRange)
    ));
    uow.rollback().await.unwrap();
    let mut paid = hired_as("E-OLLY");
    paid.salary = Some("1".parse().unwrap());
    let mut unkeyed = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        unkeyed.recruitment_pipeline().hire(olly.id, paid).await,
        Err(Error::Config(_))
    ));
    unkeyed.commit().await.unwrap();

    assert_eq!(db.recruitment_pipeline().get(olly.id).await.unwrap(), olly);
    assert_eq!(t.count("hr.employees").await, 2, "no employee was created");
}

#[tokio::test]
async fn another_tenants_candidate_is_not_found_listed_moved_or_hired() {
    let t = TwoTenants::new().await;
    let mut db_b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let mut theirs = candidate(&t, "Bea Other", RecruitmentStage::Offer);
    theirs.recruiter_id = UserId::from_uuid(t.b.user);
    theirs.hiring_manager_id = EmployeeId::from_uuid(t.b.employee);
    let theirs = db_b.recruitment_pipeline().create(theirs).await.unwrap();

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.recruitment_pipeline().get(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        !ids(a
            .recruitment_pipeline()
            .list(&CandidateFilter::all(), PageRequest::first(100))
            .await
            .unwrap())
        .contains(&theirs.id)
    );
    let patch = CandidatePatch {
        notes: Some(Some("mine now".parse().unwrap())),
        ..Default::default()
    };
    assert!(matches!(
        a.recruitment_pipeline()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.recruitment_pipeline().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.recruitment_pipeline()
            .hire(theirs.id, hired_as("E-STEAL"))
            .await,
        Err(Error::NotFound { .. })
    ));
    uow.commit().await.unwrap();
    // Nor can A point a candidate at B's employee as hiring manager.
    let mut crossing = candidate(&t, "Cross Wire", RecruitmentStage::Applied);
    crossing.hiring_manager_id = EmployeeId::from_uuid(t.b.employee);
    assert!(matches!(
        a.recruitment_pipeline().create(crossing).await,
        Err(Error::ForeignKeyViolation { constraint, .. })
            if constraint == "fk_recruitment_pipeline_hiring_manager_id"
    ));
    assert_eq!(
        db_b.recruitment_pipeline().get(theirs.id).await.unwrap(),
        theirs
    );
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_bad_input_is_refused_with_every_field() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = candidate(&t, "Bad Input", RecruitmentStage::Hired);
    bad.expected_start_date = Some(date(2025, 1, 1));
    bad.salary_expectation = Some("-1".parse().unwrap());
    match db.recruitment_pipeline().create(bad).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("stage", ErrorCode::NotAllowed), "{e}");
            assert!(e.has("expected_start_date", ErrorCode::DateOrder), "{e}");
            assert!(e.has("salary_expectation", ErrorCode::OutOfRange), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let cand = db
        .recruitment_pipeline()
        .create(candidate(&t, "Good Input", RecruitmentStage::Applied))
        .await
        .unwrap();
    let patch = CandidatePatch {
        expected_start_date: Some(Some(date(2025, 2, 1))),
        ..Default::default()
    };
    assert!(matches!(
        db.recruitment_pipeline()
            .update(cand.id, cand.updated_at, &patch)
            .await,
        Err(Error::Validation(e)) if e.has("expected_start_date", ErrorCode::DateOrder)
    ));
    let patch = CandidatePatch {
        source: Some(Some("Referral".parse().unwrap())),
        expected_start_date: Some(Some(date(2025, 5, 1))),
        ..Default::default()
    };
    let updated = db
        .recruitment_pipeline()
        .update(cand.id, cand.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(
        updated.source.as_ref().map(|s| s.as_str()),
        Some("Referral")
    );
    assert_eq!(updated.stage, cand.stage, "a patch does not move stages");
    assert!(matches!(
        db.recruitment_pipeline()
            .update(cand.id, cand.updated_at, &patch)
            .await,
        Err(Error::Conflict {
            entity: "recruitment_pipeline"
        })
    ));
    assert_eq!(
        db.recruitment_pipeline().get(cand.id).await.unwrap(),
        updated
    );
    assert_eq!(t.count("hr.recruitment_pipeline").await, 3);

    db.recruitment_pipeline().delete(cand.id).await.unwrap();
    assert_eq!(db.recruitment_pipeline().find(cand.id).await.unwrap(), None);
    assert!(matches!(
        db.recruitment_pipeline().delete(cand.id).await,
        Err(Error::NotFound { .. })
    ));
}
