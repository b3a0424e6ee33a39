//! `hr.employees` through its repository: sealed salaries, CRUD, filters,
//! paging, soft delete and its collisions, optimistic concurrency, bulk
//! insert, termination, isolation.

use aems_core::hr::employees::{Employee, EmployeePatch, EmployeeStatus};
use aems_core::{EmployeeId, ErrorCode, TransitionError};
use aems_diesel::hr::EmployeeFilter;
use aems_diesel::hr::employees::EMPLOYEE_NUMBER_KEY;
use aems_diesel::prelude::*;
use aems_diesel::{CryptoError, Error, KeyRing, Order};
use chrono::{Duration, Utc};

use super::{KEY, date, keyed, new_employee};
use crate::support::{TwoTenants, admin};

/// Whether `result` is the refusal of a number a soft-deleted employee holds.
fn collides<T: std::fmt::Debug>(result: aems_diesel::Result<T>) -> bool {
    matches!(
        result,
        Err(Error::CollidesWithDeleted { entity: "employees", constraint })
            if constraint == EMPLOYEE_NUMBER_KEY
    )
}

/// Whether `result` is the refusal of a number a live employee holds.
fn taken_by_live<T: std::fmt::Debug>(result: aems_diesel::Result<T>) -> bool {
    matches!(
        result,
        Err(Error::UniqueViolation { constraint, .. }) if constraint == EMPLOYEE_NUMBER_KEY
    )
}

fn ids(page: Page<Employee>) -> Vec<EmployeeId> {
    page.items.into_iter().map(|e| e.id).collect()
}

/// The stored salary column of employee `id`, as the administrator sees it.
async fn stored_salary(t: &TwoTenants, id: EmployeeId) -> Option<Vec<u8>> {
    admin(&t.db)
        .await
        .query_one(
            "SELECT salary FROM hr.employees WHERE id = $1",
            &[&id.into_uuid()],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_created_employee_reads_back_whole_with_a_sealed_salary_and_authorship_from_the_context()
{
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut input = new_employee("E-100");
    input.salary = Some("85000.00".parse().unwrap());
    input.phone = Some("+4930123456".parse().unwrap());
    input.performance_rating = Some("4.5".parse().unwrap());
    input.manager_id = Some(EmployeeId::from_uuid(t.a.employee));
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let created = db.employees().create(input.clone()).await.unwrap();
    assert_eq!(created.employee_code, input.employee_code);
    assert_eq!(created.salary, input.salary);
    assert_eq!(created.performance_rating, input.performance_rating);
    assert_eq!(created.manager_id, input.manager_id);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(db.employees().get(created.id).await.unwrap(), created);

    // At rest: an envelope bound to this row, never the figure in clear.
    let envelope = stored_salary(&t, created.id).await.expect("a salary");
    assert!(
        !envelope.windows(8).any(|w| w == b"85000.00"),
        "salary stored in clear"
    );
    let place = format!("hr.employees.salary:{}", created.id);
    let ring = KeyRing::new(1, KEY);
    assert_eq!(ring.open(&envelope, place.as_bytes()).unwrap(), b"85000.00");
    assert_eq!(
        ring.open(&envelope, b"hr.employees.salary:someone-else"),
        Err(CryptoError::Rejected)
    );
}

#[tokio::test]
async fn without_a_key_ring_salaries_are_never_written_or_read_but_rows_without_one_are() {
    let t = TwoTenants::new().await;
    let mut salaried = new_employee("E-PAID");
    salaried.salary = Some("50000".parse().unwrap());
    let paid = keyed(&t)
        .one_shot(&t.ctx_a())
        .await
        .unwrap()
        .employees()
        .create(salaried.clone())
        .await
        .unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    salaried.employee_code = "E-PAID-2".parse().unwrap();
    assert!(matches!(
        db.employees().create(salaried).await,
        Err(Error::Config(_))
    ));
    assert_eq!(t.count("hr.employees").await, 3, "nothing written");
    let patch = EmployeePatch {
        salary: Some(Some("1".parse().unwrap())),
        ..Default::default()
    };
    assert!(matches!(
        db.employees()
            .update(paid.id, paid.updated_at, &patch)
            .await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        db.employees().get(paid.id).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        db.employees()
            .list(&EmployeeFilter::all(), PageRequest::first(10))
            .await,
        Err(Error::Config(_))
    ));

    // Rows without a salary need no key.
    let unpaid = db.employees().create(new_employee("E-FREE")).await.unwrap();
    assert_eq!(unpaid.salary, None);
    assert_eq!(db.employees().get(unpaid.id).await.unwrap(), unpaid);
    let seeded = EmployeeId::from_uuid(t.a.employee);
    assert_eq!(
        ids(db
            .employees()
            .list(
                &EmployeeFilter::all().department("Sales"),
                PageRequest::first(10)
            )
            .await
            .unwrap()),
        vec![seeded]
    );
    assert_eq!(stored_salary(&t, unpaid.id).await, None);
}

#[tokio::test]
async fn a_salary_envelope_moved_to_another_employee_does_not_open() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_employee("E-RICH");
    input.salary = Some("250000".parse().unwrap());
    let rich = db.employees().create(input).await.unwrap();
    let mut input = new_employee("E-POOR");
    input.salary = Some("20000".parse().unwrap());
    let poor = db.employees().create(input).await.unwrap();

    crate::support::admin_write(
        &t.db,
        "UPDATE hr.employees SET salary = (SELECT salary FROM hr.employees WHERE id = $1)
             WHERE id = $2",
        &[&rich.id.into_uuid(), &poor.id.into_uuid()],
    )
    .await
    .unwrap();
    match db.employees().get(poor.id).await {
        Err(Error::Crypto(CryptoError::Rejected)) => {}
        other => panic!("{other:?}"),
    }
    // Another key ring cannot open it either.
    let stranger =
        t.db.database()
            .unwrap()
            .with_key_ring(KeyRing::new(9, [1; 32]));
    let mut other = stranger.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        other.employees().get(rich.id).await,
        Err(Error::Crypto(CryptoError::UnknownKey(1)))
    ));
}

#[tokio::test]
async fn another_tenants_employee_is_not_found_not_listed_and_not_changed() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut b = database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b.employees().create(new_employee("E-B")).await.unwrap();

    let mut a = database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.employees().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "employees"
        })
    ));
    let page = a
        .employees()
        .list(&EmployeeFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        page.items
            .iter()
            .all(|e| e.tenant_id.into_uuid() == t.a.tenant)
    );
    assert!(!page.items.iter().any(|e| e.id == theirs.id));
    let patch = EmployeePatch {
        status: Some(EmployeeStatus::OnLeave),
        ..Default::default()
    };
    assert!(matches!(
        a.employees()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.employees().soft_delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.employees()
            .terminate(theirs.id, date(2025, 1, 1), "Gone".parse().unwrap())
            .await,
        Err(Error::NotFound { .. })
    ));
    uow.rollback().await.unwrap();
    // A cannot even name B's employee as a manager.
    let mut input = new_employee("E-A");
    input.manager_id = Some(theirs.id);
    assert!(matches!(
        a.employees().create(input).await,
        Err(Error::ForeignKeyViolation { constraint, .. }) if constraint == "fk_employees_manager_id"
    ));
    assert_eq!(b.employees().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let boss = EmployeeId::from_uuid(t.a.employee);
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut report = new_employee("E-R");
    report.manager_id = Some(boss);
    let mut away = new_employee("E-L");
    away.status = EmployeeStatus::OnLeave;
    away.department = "Finance".parse().unwrap();
    let plain = new_employee("E-P");
    let report = uow.employees().create(report).await.unwrap();
    let away = uow.employees().create(away).await.unwrap();
    let plain = uow.employees().create(plain).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list =
        async |filter: EmployeeFilter| ids(db.employees().list(&filter, all).await.unwrap());
    assert_eq!(
        list(EmployeeFilter::all()).await,
        vec![boss, report.id, away.id, plain.id]
    );
    assert_eq!(
        list(EmployeeFilter::all().department("Engineering")).await,
        vec![report.id, plain.id]
    );
    assert_eq!(
        list(EmployeeFilter::all().manager(boss)).await,
        vec![report.id]
    );
    assert_eq!(
        list(EmployeeFilter::all().status(EmployeeStatus::OnLeave)).await,
        vec![away.id]
    );
    assert_eq!(
        list(
            EmployeeFilter::all()
                .department("Engineering")
                .status(EmployeeStatus::OnLeave)
        )
        .await,
        Vec::<EmployeeId>::new()
    );
    match db
        .employees()
        .list(&EmployeeFilter::all().department("x\0y"), all)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has_field("department")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pages_cover_every_employee_once_in_either_order() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs = (0..23)
        .map(|i| new_employee(&format!("E-{i:03}")))
        .collect();
    uow.employees().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let everyone = ids(db
        .employees()
        .list(&EmployeeFilter::all(), PageRequest::first(1000))
        .await
        .unwrap());
    assert_eq!(everyone.len(), 24);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(5).order(order);
        loop {
            let page = db
                .employees()
                .list(&EmployeeFilter::all(), request)
                .await
                .unwrap();
            assert!(page.items.len() <= 5);
            seen.extend(page.items.iter().map(|e| e.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 5),
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
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_employee("E-1000");
    input.salary = Some("40000".parse().unwrap());
    let employee = db.employees().create(input).await.unwrap();
    let retitle = |title: &str| EmployeePatch {
        job_title: Some(title.parse().unwrap()),
        ..Default::default()
    };

    let ctx = t.ctx_a();
    let (r1, r2) = tokio::join!(
        database.transaction(&ctx, async |uow| {
            uow.employees()
                .update(employee.id, employee.updated_at, &retitle("One"))
                .await
        }),
        database.transaction(&ctx, async |uow| {
            uow.employees()
                .update(employee.id, employee.updated_at, &retitle("Two"))
                .await
        }),
    );
    assert_eq!([r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(), 1);
    let loser = if r1.is_err() { r1 } else { r2 };
    assert!(
        matches!(
            loser,
            Err(Error::Conflict {
                entity: "employees"
            })
        ),
        "{loser:?}"
    );
    let now = db.employees().get(employee.id).await.unwrap();
    assert!(matches!(
        db.employees()
            .update(employee.id, employee.updated_at, &retitle("Three"))
            .await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(db.employees().get(employee.id).await.unwrap(), now);

    // With the current version: a new salary is sealed again, NULL clears it.
    let raise = EmployeePatch {
        salary: Some(Some("45000".parse().unwrap())),
        location: Some(Some("Berlin".parse().unwrap())),
        ..Default::default()
    };
    let raised = db
        .employees()
        .update(employee.id, now.updated_at, &raise)
        .await
        .unwrap();
    assert_eq!(raised.salary, Some("45000".parse().unwrap()));
    assert!(raised.updated_at > now.updated_at);
    let sealed = stored_salary(&t, employee.id).await.unwrap();
    assert!(!sealed.windows(5).any(|w| w == b"45000"));
    let cleared = db
        .employees()
        .update(
            employee.id,
            raised.updated_at,
            &EmployeePatch {
                salary: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.salary, None);
    assert_eq!(cleared.location, raised.location);
    assert_eq!(stored_salary(&t, employee.id).await, None);
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = new_employee("E-BAD");
    bad.status = EmployeeStatus::Terminated;
    bad.salary = Some("-1".parse().unwrap());
    bad.last_promotion_date = Some(date(2020, 1, 1));
    match db.employees().create(bad).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("status", ErrorCode::NotAllowed), "{e}");
            assert!(e.has("salary", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("last_promotion_date", ErrorCode::DateOrder), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let good = db.employees().create(new_employee("E-GOOD")).await.unwrap();
    let patch = EmployeePatch {
        status: Some(EmployeeStatus::Terminated),
        manager_id: Some(Some(good.id)),
        hire_date: Some(date(2030, 1, 1)),
        last_promotion_date: Some(Some(date(2025, 1, 1))),
        ..Default::default()
    };
    match db
        .employees()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => {
            assert!(e.has("status", ErrorCode::NotAllowed), "{e}");
            assert!(e.has("manager_id", ErrorCode::NotAllowed), "{e}");
            assert!(e.has("last_promotion_date", ErrorCode::DateOrder), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.employees().get(good.id).await.unwrap(), good);
    assert_eq!(t.count("hr.employees").await, 3);
}

#[tokio::test]
async fn soft_deleted_employees_vanish_from_reads_and_filters_until_restored_and_purge_removes_them()
 {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_employee("E-GONE");
    input.salary = Some("1000".parse().unwrap());
    let gone = db.employees().create(input).await.unwrap();
    let kept = db.employees().create(new_employee("E-KEPT")).await.unwrap();
    let deleted = db.employees().soft_delete(gone.id).await.unwrap();
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.salary, gone.salary);

    assert!(matches!(
        db.employees().get(gone.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(db.employees().find(gone.id).await.unwrap(), None);
    for filter in [
        EmployeeFilter::all(),
        EmployeeFilter::all().department("Engineering"),
        EmployeeFilter::all().status(EmployeeStatus::Active),
    ] {
        let listed = ids(db
            .employees()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap());
        assert!(!listed.contains(&gone.id), "{filter:?}");
        assert!(listed.contains(&kept.id), "{filter:?}");
    }
    let patch = EmployeePatch {
        job_title: Some("Ghost".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        db.employees()
            .update(gone.id, deleted.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        uow.employees()
            .terminate(gone.id, date(2025, 1, 1), "Gone".parse().unwrap())
            .await,
        Err(Error::NotFound { .. })
    ));
    uow.rollback().await.unwrap();
    assert_eq!(
        ids(db
            .employees()
            .list_deleted(PageRequest::first(10))
            .await
            .unwrap()),
        vec![gone.id]
    );
    assert!(matches!(
        db.employees().soft_delete(gone.id).await,
        Err(Error::NotFound { .. })
    ));

    let restored = db.employees().restore(gone.id).await.unwrap();
    assert!(restored.deleted_at.is_none());
    assert_eq!(db.employees().get(gone.id).await.unwrap(), restored);
    assert!(matches!(
        db.employees().restore(gone.id).await,
        Err(Error::NotFound { .. })
    ));

    db.employees().soft_delete(gone.id).await.unwrap();
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert_eq!(
        uow.employees()
            .purge_deleted_before(Utc::now() - Duration::days(30))
            .await
            .unwrap(),
        0,
        "purged inside the retention period"
    );
    assert_eq!(
        uow.employees()
            .purge_deleted_before(Utc::now() + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    uow.commit().await.unwrap();
    assert_eq!(t.count("hr.employees").await, 3, "only the purged row went");
}

#[tokio::test]
async fn a_number_held_by_a_soft_deleted_employee_collides_with_deleted_and_the_work_goes_on() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let old = db.employees().create(new_employee("E-7")).await.unwrap();
    db.employees().soft_delete(old.id).await.unwrap();

    assert!(collides(db.employees().create(new_employee("E-7")).await));
    // The seeded employee E-1 is live: a plain unique violation.
    assert!(taken_by_live(
        db.employees().create(new_employee("E-1")).await
    ));
    // Another tenant's deleted number is no concern of A's; B's own is.
    let mut b = database.one_shot(&t.ctx_b()).await.unwrap();
    assert!(b.employees().create(new_employee("E-7")).await.is_ok());

    // In a unit of work the refusal leaves the work usable, and bulk inserts
    // and renumbering are refused the same way.
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let before = uow.employees().create(new_employee("E-8")).await.unwrap();
    assert!(collides(uow.employees().create(new_employee("E-7")).await));
    let batch = vec![
        new_employee("E-9"),
        new_employee("E-7"),
        new_employee("E-10"),
    ];
    assert!(collides(uow.employees().create_many(batch).await));
    let renumber = EmployeePatch {
        employee_code: Some("E-7".parse().unwrap()),
        ..Default::default()
    };
    assert!(collides(
        uow.employees()
            .update(before.id, before.updated_at, &renumber)
            .await
    ));
    let renumber = EmployeePatch {
        employee_code: Some("E-1".parse().unwrap()),
        ..Default::default()
    };
    assert!(taken_by_live(
        uow.employees()
            .update(before.id, before.updated_at, &renumber)
            .await
    ));
    let after = uow.employees().create(new_employee("E-11")).await.unwrap();
    uow.commit().await.unwrap();

    let codes: Vec<String> = db
        .employees()
        .list(&EmployeeFilter::all(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.employee_code.to_string())
        .collect();
    assert_eq!(codes, ["E-1", "E-8", "E-11"]);
    assert_eq!(db.employees().get(after.id).await.unwrap(), after);
    // Restoring the holder works: its number was never given away.
    assert_eq!(
        db.employees().restore(old.id).await.unwrap().employee_code,
        old.employee_code
    );
}

#[tokio::test]
async fn create_many_crosses_chunk_boundaries_and_is_all_or_nothing() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<_> = (0..1_234)
        .map(|i| {
            let mut e = new_employee(&format!("B-{i}"));
            if i % 100 == 0 {
                e.salary = Some(format!("{}.50", 30_000 + i).parse().unwrap());
            }
            e
        })
        .collect();
    let created = uow.employees().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 1_234);
    assert!(created.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(created[1_100].salary, Some("31100.50".parse().unwrap()));
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    assert_eq!(
        db.employees().get(created[1_100].id).await.unwrap(),
        created[1_100]
    );

    // Invalid inputs: every one reported by position, nothing sent.
    let mut inputs: Vec<_> = (0..1_500)
        .map(|i| new_employee(&format!("C-{i}")))
        .collect();
    inputs[1_200].salary = Some("-5".parse().unwrap());
    inputs[7].last_promotion_date = Some(date(2000, 1, 1));
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow.employees().create_many(inputs).await {
        Err(Error::Validation(e)) => {
            assert!(e.has_field("[1200].salary"), "{e}");
            assert!(e.has_field("[7].last_promotion_date"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // A number repeated in the second chunk: the first chunk is undone too.
    let mut inputs: Vec<_> = (0..1_500)
        .map(|i| new_employee(&format!("D-{i}")))
        .collect();
    inputs[1_400].employee_code = "D-3".parse().unwrap();
    assert!(matches!(
        uow.employees().create_many(inputs).await,
        Err(Error::UniqueViolation { constraint, .. }) if constraint == EMPLOYEE_NUMBER_KEY
    ));
    uow.employees().create(new_employee("D-OK")).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(t.count("hr.employees").await, 2 + 1_234 + 1);
}

#[tokio::test]
async fn termination_records_date_and_reason_atomically_and_only_once() {
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let employee = db.employees().create(new_employee("E-T")).await.unwrap();

    // Before the hire date: refused, nothing written.
    let mut uow = database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow
        .employees()
        .terminate(employee.id, date(2024, 2, 29), "Too early".parse().unwrap())
        .await
    {
        Err(Error::Transition(TransitionError::Invalid(e))) => {
            assert!(e.has("termination_date", ErrorCode::DateOrder), "{e}")
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(db.employees().get(employee.id).await.unwrap(), employee);

    // Two managers terminate at once: the row lock lets exactly one through,
    // the other sees a terminated employee.
    let ctx = t.ctx_a();
    let (r1, r2) = tokio::join!(
        database.transaction(&ctx, async |uow| {
            uow.employees()
                .terminate(employee.id, date(2025, 6, 30), "Retired".parse().unwrap())
                .await
        }),
        database.transaction(&ctx, async |uow| {
            uow.employees()
                .terminate(employee.id, date(2025, 7, 31), "Resigned".parse().unwrap())
                .await
        }),
    );
    let (won, lost) = match (r1, r2) {
        (Ok(won), lost @ Err(_)) | (lost @ Err(_), Ok(won)) => (won, lost),
        other => panic!("exactly one termination must win: {other:?}"),
    };
    assert!(
        matches!(
            lost,
            Err(Error::Transition(TransitionError::Final {
                entity: "employee",
                state: "terminated"
            }))
        ),
        "{lost:?}"
    );
    assert_eq!(won.status, EmployeeStatus::Terminated);
    assert!(won.termination_date.is_some());
    assert!(won.termination_reason.is_some());
    assert!(won.updated_at > employee.updated_at);
    assert_eq!(db.employees().get(employee.id).await.unwrap(), won);

    // Nor can a patch bring them back.
    let patch = EmployeePatch {
        status: Some(EmployeeStatus::Active),
        ..Default::default()
    };
    assert!(matches!(
        db.employees().update(employee.id, won.updated_at, &patch).await,
        Err(Error::Validation(e)) if e.has("status", ErrorCode::NotAllowed)
    ));
    assert_eq!(db.employees().get(employee.id).await.unwrap(), won);
}

/// The column names of the newest audit entry of employee `id`.
async fn last_changed_columns(db: &mut aems_diesel::OneShot, id: EmployeeId) -> Vec<String> {
    let page = db
        .audit()
        .history("employees", id.into_uuid(), 1)
        .await
        .unwrap();
    let entry = page.items.first().expect("an audit entry");
    assert_eq!(entry.action.as_str(), "update");
    let mut columns: Vec<String> = entry
        .new_values
        .as_ref()
        .expect("new values")
        .keys()
        .cloned()
        .collect();
    columns.sort();
    columns
}

#[tokio::test]
async fn an_update_writes_every_column_yet_keeps_the_salary_envelope_and_audits_only_what_changed()
{
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_employee("E-AUD");
    input.salary = Some("85000.00".parse().unwrap());
    input.performance_rating = Some("4.5".parse().unwrap());
    let e = db.employees().create(input).await.unwrap();
    let envelope = stored_salary(&t, e.id).await.expect("a salary");

    // Not the salary: its envelope stays byte for byte, and the trail names
    // only the column that changed (no resealed salary posing as a change).
    let patch = EmployeePatch {
        job_title: Some("Staff Engineer".parse().unwrap()),
        ..Default::default()
    };
    let e = db
        .employees()
        .update(e.id, e.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(stored_salary(&t, e.id).await, Some(envelope.clone()));
    assert_eq!(last_changed_columns(&mut db, e.id).await, ["job_title"]);
    assert_eq!(e.salary, Some("85000.00".parse().unwrap()));

    // The salary: a new envelope that opens to the new figure.
    let patch = EmployeePatch {
        salary: Some(Some("90000.00".parse().unwrap())),
        ..Default::default()
    };
    let e = db
        .employees()
        .update(e.id, e.updated_at, &patch)
        .await
        .unwrap();
    let resealed = stored_salary(&t, e.id).await.expect("a salary");
    assert_ne!(resealed, envelope);
    let place = format!("hr.employees.salary:{}", e.id);
    assert_eq!(
        KeyRing::new(1, KEY)
            .open(&resealed, place.as_bytes())
            .unwrap(),
        b"90000.00"
    );
    assert_eq!(last_changed_columns(&mut db, e.id).await, ["salary"]);

    // Cleared: NULL, and the other columns untouched.
    let patch = EmployeePatch {
        salary: Some(None),
        ..Default::default()
    };
    let cleared = db
        .employees()
        .update(e.id, e.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(stored_salary(&t, e.id).await, None);
    assert_eq!(cleared.salary, None);
    assert_eq!(
        Employee {
            salary: None,
            updated_at: cleared.updated_at,
            ..e
        },
        cleared
    );
}

#[tokio::test]
async fn reading_a_decrypted_salary_is_recorded_and_a_read_without_salaries_is_not() {
    use aems_diesel::audit::AuditFilter;
    let t = TwoTenants::new().await;
    let database = keyed(&t);
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_employee("E-PAID");
    input.salary = Some("91000".parse().unwrap());
    let paid = db.employees().create(input).await.unwrap();
    let unpaid = db.employees().create(new_employee("E-NONE")).await.unwrap();

    async fn reads(db: &mut aems_diesel::OneShot) -> Vec<aems_core::risk::audit_logs::AuditLog> {
        let filter = AuditFilter::all().action("salary_read");
        db.audit().list(&filter, None, 100).await.unwrap().items
    }
    assert!(reads(&mut db).await.is_empty(), "creating is not reading");

    let got = db.employees().get(paid.id).await.unwrap();
    assert!(got.salary.is_some());
    db.employees().get(unpaid.id).await.unwrap();
    let recorded = reads(&mut db).await;
    assert_eq!(recorded.len(), 1, "one salary read, one record");
    let event = &recorded[0];
    assert_eq!(event.entity_id, Some(paid.id.into_uuid()));
    assert_eq!(event.user_id.map(|u| u.into_uuid()), Some(t.a.user));
    assert!(
        event.new_values.is_none() && event.old_values.is_none(),
        "no amount in the record"
    );

    db.employees()
        .list(
            &aems_diesel::hr::EmployeeFilter::default(),
            PageRequest::first(100),
        )
        .await
        .unwrap();
    assert_eq!(
        reads(&mut db).await.len(),
        2,
        "a page with one salary adds one record"
    );
}
