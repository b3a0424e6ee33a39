//! Round trips of every hr operation, counted through a proxy: each statement
//! is prepared once per connection, so a one-shot statement is one round trip
//! (BEGIN, context, statement and COMMIT pipelined), an update is its read
//! plus its write, and a unit of work of N statements is N + 1.
//!
//! Each scenario runs twice on a one-connection pool: the first run prepares
//! every statement, the second is counted.

use aems_core::hr::employees::EmployeePatch;
use aems_core::hr::hr_metrics::{HrMetricPatch, NewHrMetric};
use aems_core::hr::recruitment_pipeline::{CandidatePatch, NewCandidate, RecruitmentStage};
use aems_core::{EmployeeId, PeriodType, UserId};
use aems_diesel::hr::{CandidateFilter, EmployeeFilter, HrMetricFilter};
use aems_diesel::prelude::*;
use aems_diesel::testing::RoundTripProxy;
use aems_diesel::{Database, DatabaseConfig, Error, KeyRing};

use super::{KEY, date, new_employee};
use crate::support::{Tally, TwoTenants};

/// A one-connection pool through `proxy` that seals salaries.
pub(crate) fn through(proxy: &RoundTripProxy) -> Database {
    Database::new(DatabaseConfig::new(proxy.app_url()).max_connections(1))
        .unwrap()
        .with_key_ring(KeyRing::new(1, KEY))
}

async fn employees(t: &TwoTenants, db: &Database, tally: &mut Tally<'_>, run: u32) {
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_employee(&format!("RT-{run}-1"));
    input.salary = Some("85000.00".parse().unwrap());

    tally.start();
    let e = s.employees().create(input).await.unwrap();
    tally.expect("employee create (salary sealed)", 1);

    tally.start();
    s.employees().get(e.id).await.unwrap();
    // The read, then its `salary_read` audit record (one prepared INSERT ...
    // SELECT) before the salary is handed out.
    tally.expect("employee get: read + salary_read record", 2);

    tally.start();
    s.employees()
        .list(&EmployeeFilter::all(), PageRequest::first(50))
        .await
        .unwrap();
    tally.expect("employee list: page + salary_read records", 2);

    let patch = EmployeePatch {
        job_title: Some(format!("Engineer {run}").parse().unwrap()),
        ..Default::default()
    };
    tally.start();
    let e = s
        .employees()
        .update(e.id, e.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("employee update: read + guarded write", 2);

    let patch = EmployeePatch {
        salary: Some(Some("90000.00".parse().unwrap())),
        location: Some(Some("Lisbon".parse().unwrap())),
        ..Default::default()
    };
    tally.start();
    let e = s
        .employees()
        .update(e.id, e.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("employee update of other columns: the same statement", 2);

    tally.start();
    s.employees().soft_delete(e.id).await.unwrap();
    tally.expect("employee soft delete", 1);

    tally.start();
    s.employees()
        .list_deleted(PageRequest::first(50))
        .await
        .unwrap();
    tally.expect("employee list deleted: page + salary_read records", 2);

    tally.start();
    let refused = s
        .employees()
        .create(new_employee(&format!("RT-{run}-1")))
        .await;
    assert!(
        matches!(refused, Err(Error::CollidesWithDeleted { .. })),
        "{refused:?}"
    );
    tally.expect(
        "employee create on a deleted number: insert + who holds it",
        2,
    );

    tally.start();
    s.employees().restore(e.id).await.unwrap();
    tally.expect("employee restore", 1);
    drop(s);

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.employees()
        .terminate(e.id, date(2025, 6, 30), "Moved abroad".parse().unwrap())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    tally.expect("employee terminate: lock + write + COMMIT", 3);
}

async fn hr_metrics(t: &TwoTenants, db: &Database, tally: &mut Tally<'_>, run: u32) {
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let year = 2000 + run as i32;
    let mut input = NewHrMetric::new(date(year, 1, 1), PeriodType::Monthly);
    input.total_headcount = 10;

    tally.start();
    let m = s.hr_metrics().create(input).await.unwrap();
    tally.expect("hr metric create", 1);

    tally.start();
    s.hr_metrics().get(m.id).await.unwrap();
    tally.expect("hr metric get", 1);

    tally.start();
    s.hr_metrics()
        .find_for(date(year, 1, 1), PeriodType::Monthly)
        .await
        .unwrap();
    tally.expect("hr metric find for a period", 1);

    tally.start();
    s.hr_metrics()
        .list(
            &HrMetricFilter::all().period_type(PeriodType::Monthly),
            PageRequest::first(50),
        )
        .await
        .unwrap();
    tally.expect("hr metric list", 1);

    let mut input = NewHrMetric::new(date(year, 2, 1), PeriodType::Monthly);
    input.total_headcount = 11;
    tally.start();
    s.hr_metrics().upsert(input.clone()).await.unwrap();
    tally.expect("hr metric upsert (insert)", 1);

    input.total_headcount = 12;
    tally.start();
    let m2 = s.hr_metrics().upsert(input).await.unwrap();
    tally.expect("hr metric upsert (update)", 1);
    assert_eq!(m2.total_headcount, 12);

    let patch = HrMetricPatch {
        departures: Some(2),
        ..Default::default()
    };
    tally.start();
    s.hr_metrics()
        .update(m.id, m.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("hr metric update: read + guarded write", 2);

    tally.start();
    s.hr_metrics().delete(m2.id).await.unwrap();
    tally.expect("hr metric delete", 1);
}

fn candidate(t: &TwoTenants, name: String, stage: RecruitmentStage) -> NewCandidate {
    NewCandidate {
        job_title: "Engineer".parse().unwrap(),
        department: "R&D".parse().unwrap(),
        candidate_email: format!("{}@example.com", name.to_lowercase().replace(' ', "."))
            .parse()
            .unwrap(),
        candidate_name: name.parse().unwrap(),
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

async fn recruitment(t: &TwoTenants, db: &Database, tally: &mut Tally<'_>, run: u32) {
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let name = |n: u32| format!("Candidate R{run} N{n}");

    tally.start();
    let c = s
        .recruitment_pipeline()
        .create(candidate(t, name(1), RecruitmentStage::Applied))
        .await
        .unwrap();
    tally.expect("candidate create", 1);

    tally.start();
    s.recruitment_pipeline().get(c.id).await.unwrap();
    tally.expect("candidate get", 1);

    tally.start();
    s.recruitment_pipeline()
        .list(&CandidateFilter::all(), PageRequest::first(50))
        .await
        .unwrap();
    tally.expect("candidate list", 1);

    let patch = CandidatePatch {
        notes: Some(Some(format!("Run {run}").parse().unwrap())),
        ..Default::default()
    };
    tally.start();
    s.recruitment_pipeline()
        .update(c.id, c.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("candidate update: read + guarded write", 2);

    let others = [
        candidate(t, name(2), RecruitmentStage::Applied),
        candidate(t, name(3), RecruitmentStage::Applied),
        candidate(t, name(4), RecruitmentStage::Offer),
        candidate(t, name(5), RecruitmentStage::Applied),
    ];
    let mut ids = Vec::new();
    for new in others {
        ids.push(s.recruitment_pipeline().create(new).await.unwrap().id);
    }
    drop(s);

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.recruitment_pipeline()
        .move_to_stage(c.id, RecruitmentStage::Screening)
        .await
        .unwrap();
    uow.commit().await.unwrap();
    tally.expect("candidate stage move: lock + write + COMMIT", 3);

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.recruitment_pipeline()
        .reject(ids[0], "Not a fit".parse().unwrap())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    tally.expect("candidate reject: lock + write + COMMIT", 3);

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.recruitment_pipeline().withdraw(ids[1]).await.unwrap();
    uow.commit().await.unwrap();
    tally.expect("candidate withdraw: lock + write + COMMIT", 3);

    let mut hired_as = new_employee(&format!("RT-{run}-HIRE"));
    hired_as.hire_date = date(2025, 4, 1);
    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.recruitment_pipeline()
        .hire(ids[2], hired_as)
        .await
        .unwrap();
    uow.commit().await.unwrap();
    tally.expect(
        "candidate hire: lock + employee insert + candidate write + COMMIT",
        4,
    );

    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    tally.start();
    s.recruitment_pipeline().delete(ids[3]).await.unwrap();
    tally.expect("candidate delete", 1);
}

#[tokio::test]
async fn every_employee_operation_prepares_its_statements_once() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = through(&proxy);
    employees(&t, &db, &mut Tally::new(&proxy), 0).await;
    let mut tally = Tally::new(&proxy);
    employees(&t, &db, &mut tally, 1).await;
    tally.check();
}

#[tokio::test]
async fn every_hr_metric_operation_prepares_its_statements_once() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = through(&proxy);
    hr_metrics(&t, &db, &mut Tally::new(&proxy), 0).await;
    let mut tally = Tally::new(&proxy);
    hr_metrics(&t, &db, &mut tally, 1).await;
    tally.check();
}

#[tokio::test]
async fn every_recruitment_operation_prepares_its_statements_once() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = through(&proxy);
    recruitment(&t, &db, &mut Tally::new(&proxy), 0).await;
    let mut tally = Tally::new(&proxy);
    recruitment(&t, &db, &mut tally, 1).await;
    tally.check();
}
