//! `risk.compliance_records` through its repository: CRUD, filters (status,
//! responsible party, deadlines), paging, isolation, optimistic concurrency,
//! validation, bulk insert and delete.

use aems_core::risk::compliance_records::{
    ComplianceRecord, ComplianceRecordPatch, ComplianceStatus, NewComplianceRecord,
};
use aems_core::{ComplianceRecordId, EmployeeId, ErrorCode};
use aems_diesel::prelude::*;
use aems_diesel::risk::ComplianceRecordFilter;
use aems_diesel::risk::compliance_records::RESPONSIBLE_PARTY_CONSTRAINT;
use aems_diesel::testing::RoundTripProxy;
use aems_diesel::{Database, DatabaseConfig, Error, Order};
use chrono::NaiveDate;

use super::add_employee;
use crate::support::TwoTenants;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn new_record(regulation: &str, responsible: EmployeeId) -> NewComplianceRecord {
    NewComplianceRecord {
        regulation_name: regulation.parse().unwrap(),
        compliance_area: "Privacy".parse().unwrap(),
        requirement_description: format!("What {regulation} requires").parse().unwrap(),
        compliance_status: ComplianceStatus::InProgress,
        last_audit_date: Some(date(2025, 1, 15)),
        next_audit_date: Some(date(2026, 1, 15)),
        responsible_party: responsible,
        evidence_documentation: None,
        remediation_plan: None,
        deadline: None,
    }
}

fn responsible_a(t: &TwoTenants) -> EmployeeId {
    EmployeeId::from_uuid(t.a.employee)
}

fn ids(items: &[ComplianceRecord]) -> Vec<ComplianceRecordId> {
    items.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn a_created_record_reads_back_whole_with_its_authorship_from_the_context() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_record("SOX", responsible_a(&t));
    input.evidence_documentation = Some("Drive: /audits/sox-2025".parse().unwrap());
    input.remediation_plan = Some("Segregate duties\nby Q2".parse().unwrap());
    input.deadline = Some(date(2025, 6, 30));
    let created = db.compliance_records().create(input.clone()).await.unwrap();
    assert_eq!(created.regulation_name, input.regulation_name);
    assert_eq!(created.compliance_area, input.compliance_area);
    assert_eq!(
        created.requirement_description,
        input.requirement_description
    );
    assert_eq!(created.compliance_status, ComplianceStatus::InProgress);
    assert_eq!(created.last_audit_date, input.last_audit_date);
    assert_eq!(created.next_audit_date, input.next_audit_date);
    assert_eq!(created.responsible_party, input.responsible_party);
    assert_eq!(created.evidence_documentation, input.evidence_documentation);
    assert_eq!(created.remediation_plan, input.remediation_plan);
    assert_eq!(created.deadline, input.deadline);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(
        db.compliance_records().get(created.id).await.unwrap(),
        created
    );
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let t = TwoTenants::new().await;
    let officer = add_employee(&t, &t.a, "officer").await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut overdue = new_record("GDPR Art. 30", responsible_a(&t));
    overdue.compliance_status = ComplianceStatus::NonCompliant;
    overdue.deadline = Some(date(2025, 3, 31));
    let mut due = new_record("PCI DSS", officer);
    due.deadline = Some(date(2025, 4, 1));
    let mut later = new_record("ISO 27001", officer);
    later.compliance_status = ComplianceStatus::Compliant;
    later.deadline = Some(date(2025, 4, 30));
    let mut undated = new_record("HIPAA", responsible_a(&t));
    undated.compliance_status = ComplianceStatus::NotApplicable;
    let overdue = uow.compliance_records().create(overdue).await.unwrap();
    let due = uow.compliance_records().create(due).await.unwrap();
    let later = uow.compliance_records().create(later).await.unwrap();
    let undated = uow.compliance_records().create(undated).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let tenant = t.a.tenant;
    // Besides these four, the fixture's record: GDPR, in progress, no deadline,
    // the seeded employee responsible.
    let mut list = async |filter: ComplianceRecordFilter| {
        let page = db.compliance_records().list(&filter, all).await.unwrap();
        assert!(page.items.iter().all(|r| r.tenant_id.into_uuid() == tenant));
        ids(&page.items)
    };
    assert_eq!(list(ComplianceRecordFilter::all()).await.len(), 5);
    assert_eq!(
        list(ComplianceRecordFilter::all().status(ComplianceStatus::NonCompliant)).await,
        vec![overdue.id]
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().status(ComplianceStatus::Compliant)).await,
        vec![later.id]
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().status(ComplianceStatus::NotApplicable)).await,
        vec![undated.id]
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().status(ComplianceStatus::InProgress))
            .await
            .len(),
        2,
        "PCI DSS and the fixture's"
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().responsible_party(officer)).await,
        vec![due.id, later.id]
    );
    // Before is strict: a deadline on the day is not before it.
    assert_eq!(
        list(ComplianceRecordFilter::all().deadline_before(date(2025, 4, 1))).await,
        vec![overdue.id]
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().deadline_before(date(2025, 3, 31))).await,
        Vec::<ComplianceRecordId>::new()
    );
    // Within includes both ends; records without a deadline never match.
    assert_eq!(
        list(ComplianceRecordFilter::all().deadline_within(date(2025, 4, 1), date(2025, 4, 30)))
            .await,
        vec![due.id, later.id]
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().deadline_within(date(2025, 4, 2), date(2025, 4, 29)))
            .await,
        Vec::<ComplianceRecordId>::new()
    );
    assert_eq!(
        list(ComplianceRecordFilter::all().deadline_within(date(2000, 1, 1), date(2099, 1, 1)))
            .await,
        vec![overdue.id, due.id, later.id]
    );
    // Conditions combine.
    assert_eq!(
        list(
            ComplianceRecordFilter::all()
                .responsible_party(officer)
                .deadline_before(date(2025, 4, 30))
        )
        .await,
        vec![due.id]
    );
}

#[tokio::test]
async fn a_deadline_range_that_ends_before_it_starts_is_a_validation_error() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    match db
        .compliance_records()
        .list(
            &ComplianceRecordFilter::all().deadline_within(date(2025, 5, 1), date(2025, 4, 30)),
            PageRequest::first(10),
        )
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("deadline_within", ErrorCode::DateOrder)),
        other => panic!("{other:?}"),
    }
    // A one-day range is fine.
    db.compliance_records()
        .list(
            &ComplianceRecordFilter::all().deadline_within(date(2025, 5, 1), date(2025, 5, 1)),
            PageRequest::first(10),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn pages_cover_every_record_once_in_both_orders() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewComplianceRecord> = (0..14)
        .map(|i| {
            let mut r = new_record(&format!("Rule {i:02}"), responsible_a(&t));
            r.deadline = Some(date(2025, 7, 1));
            r
        })
        .collect();
    uow.compliance_records().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = ComplianceRecordFilter::all().deadline_before(date(2025, 12, 31));
    let everything = ids(&db
        .compliance_records()
        .list(&filter, PageRequest::first(1000))
        .await
        .unwrap()
        .items);
    assert_eq!(everything.len(), 14);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(4).order(order);
        loop {
            let page = db
                .compliance_records()
                .list(&filter, request)
                .await
                .unwrap();
            assert!(page.items.len() <= 4);
            seen.extend(ids(&page.items));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 4),
                None => break,
            }
        }
        let mut expected = everything.clone();
        if order == Order::NewestFirst {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{order:?}");
    }
}

#[tokio::test]
async fn another_tenants_record_is_not_found_listed_changed_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .compliance_records()
        .create(new_record(
            "Their rule",
            EmployeeId::from_uuid(t.b.employee),
        ))
        .await
        .unwrap();

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.compliance_records().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "compliance_records"
        })
    ));
    let page = a
        .compliance_records()
        .list(&ComplianceRecordFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "A's seeded record only");
    assert_eq!(page.items[0].tenant_id.into_uuid(), t.a.tenant);
    let patch = ComplianceRecordPatch {
        compliance_status: Some(ComplianceStatus::Compliant),
        ..Default::default()
    };
    assert!(matches!(
        a.compliance_records()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.compliance_records().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(b.compliance_records().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_responsible_party_outside_the_tenant_is_refused_by_the_same_tenant_key() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    for stranger in [EmployeeId::from_uuid(t.b.employee), EmployeeId::new()] {
        let err = db
            .compliance_records()
            .create(new_record("Foreign", stranger))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::ForeignKeyViolation { constraint, .. }
                if constraint == RESPONSIBLE_PARTY_CONSTRAINT),
            "{err:?}"
        );
    }
    let record = db
        .compliance_records()
        .create(new_record("Own", responsible_a(&t)))
        .await
        .unwrap();
    let patch = ComplianceRecordPatch {
        responsible_party: Some(EmployeeId::from_uuid(t.b.employee)),
        ..Default::default()
    };
    let err = db
        .compliance_records()
        .update(record.id, record.updated_at, &patch)
        .await
        .unwrap_err();
    assert_eq!(err.constraint(), Some(RESPONSIBLE_PARTY_CONSTRAINT));
    assert_eq!(
        db.compliance_records().get(record.id).await.unwrap(),
        record
    );
    assert_eq!(t.count("risk.compliance_records").await, 3);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_record("CCPA", responsible_a(&t));
    input.deadline = Some(date(2025, 9, 1));
    input.remediation_plan = Some("Opt-out page".parse().unwrap());
    let record = db.compliance_records().create(input).await.unwrap();
    let status = |s: ComplianceStatus| ComplianceRecordPatch {
        compliance_status: Some(s),
        ..Default::default()
    };

    let ctx = t.ctx_a();
    let (r1, r2) = tokio::join!(
        t.database.transaction(&ctx, async |uow| {
            uow.compliance_records()
                .update(
                    record.id,
                    record.updated_at,
                    &status(ComplianceStatus::Compliant),
                )
                .await
        }),
        t.database.transaction(&ctx, async |uow| {
            uow.compliance_records()
                .update(
                    record.id,
                    record.updated_at,
                    &status(ComplianceStatus::NonCompliant),
                )
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
                entity: "compliance_records"
            })
        ),
        "{loser:?}"
    );
    let now = db.compliance_records().get(record.id).await.unwrap();
    let stale = db
        .compliance_records()
        .update(
            record.id,
            record.updated_at,
            &status(ComplianceStatus::NotApplicable),
        )
        .await;
    assert!(matches!(stale, Err(Error::Conflict { .. })), "{stale:?}");
    assert_eq!(db.compliance_records().get(record.id).await.unwrap(), now);

    // The current version works, and clears nullable columns.
    let patch = ComplianceRecordPatch {
        deadline: Some(None),
        remediation_plan: Some(None),
        evidence_documentation: Some(Some("Signed-off report".parse().unwrap())),
        ..Default::default()
    };
    let updated = db
        .compliance_records()
        .update(record.id, now.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.deadline, None);
    assert_eq!(updated.remediation_plan, None);
    assert_eq!(
        updated.evidence_documentation.as_ref().map(|e| e.as_str()),
        Some("Signed-off report")
    );
    assert_eq!(updated.compliance_status, now.compliance_status);
    assert!(updated.updated_at > now.updated_at);
    assert_eq!(
        db.compliance_records().get(record.id).await.unwrap(),
        updated
    );
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_failing_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = new_record("Backwards", responsible_a(&t));
    bad.next_audit_date = Some(date(2025, 1, 15)); // not after the last audit
    match db.compliance_records().create(bad.clone()).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("next_audit_date", ErrorCode::DateOrder), "{e}");
            assert_eq!(e.errors().len(), 1, "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.count("risk.compliance_records").await, 2, "nothing sent");

    let good = db
        .compliance_records()
        .create(new_record("Forwards", responsible_a(&t)))
        .await
        .unwrap();
    // Against the stored last audit...
    let patch = ComplianceRecordPatch {
        next_audit_date: Some(Some(date(2024, 1, 1))),
        ..Default::default()
    };
    match db
        .compliance_records()
        .update(good.id, good.updated_at, &patch)
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has("next_audit_date", ErrorCode::DateOrder)),
        other => panic!("{other:?}"),
    }
    // ... and within the patch itself.
    let patch = ComplianceRecordPatch {
        last_audit_date: Some(Some(date(2025, 8, 1))),
        next_audit_date: Some(Some(date(2025, 7, 1))),
        ..Default::default()
    };
    assert!(matches!(
        db.compliance_records()
            .update(good.id, good.updated_at, &patch)
            .await,
        Err(Error::Validation(e)) if e.has("next_audit_date", ErrorCode::DateOrder)
    ));
    assert_eq!(db.compliance_records().get(good.id).await.unwrap(), good);

    let mut inputs: Vec<NewComplianceRecord> = (0..4)
        .map(|i| new_record(&format!("Bulk {i}"), responsible_a(&t)))
        .collect();
    inputs[2] = bad;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow.compliance_records().create_many(inputs).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("[2].next_audit_date", ErrorCode::DateOrder), "{e}");
            assert_eq!(e.errors().len(), 1, "{e}");
        }
        other => panic!("{other:?}"),
    }
    uow.commit().await.unwrap();
    assert_eq!(t.count("risk.compliance_records").await, 3);
}

#[tokio::test]
async fn create_many_writes_every_record_in_one_unit_of_work() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewComplianceRecord> = (0..30)
        .map(|i| new_record(&format!("Rule {i}"), responsible_a(&t)))
        .collect();
    let created = uow
        .compliance_records()
        .create_many(inputs.clone())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 30);
    for (record, input) in created.iter().zip(&inputs) {
        assert_eq!(record.regulation_name, input.regulation_name);
        assert_eq!(record.created_by.into_uuid(), t.a.user);
    }
    assert!(created.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(t.count("risk.compliance_records").await, 2 + 30);
}

#[tokio::test]
async fn a_deleted_record_is_gone_and_deleting_it_again_is_not_found() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let gone = db
        .compliance_records()
        .create(new_record("Withdrawn", responsible_a(&t)))
        .await
        .unwrap();
    let kept = db
        .compliance_records()
        .create(new_record("Kept", responsible_a(&t)))
        .await
        .unwrap();
    db.compliance_records().delete(gone.id).await.unwrap();
    assert!(
        db.compliance_records()
            .find(gone.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        db.compliance_records().delete(gone.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(db.compliance_records().get(kept.id).await.unwrap(), kept);
    assert_eq!(t.count("risk.compliance_records").await, 3);
}

#[tokio::test]
async fn every_statement_is_prepared_once_and_costs_one_round_trip() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = Database::new(DatabaseConfig::new(proxy.app_url()).max_connections(1)).unwrap();
    let filter = ComplianceRecordFilter::all()
        .status(ComplianceStatus::InProgress)
        .deadline_within(date(2025, 1, 1), date(2025, 12, 31));
    let patch = |n: u32| ComplianceRecordPatch {
        deadline: Some(Some(date(2025, 5, n))),
        ..Default::default()
    };
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    // Each statement once, to prepare it.
    let record = s
        .compliance_records()
        .create(new_record("Warm", responsible_a(&t)))
        .await
        .unwrap();
    s.compliance_records()
        .update(record.id, record.updated_at, &patch(1))
        .await
        .unwrap();
    s.compliance_records()
        .list(&filter, PageRequest::first(10))
        .await
        .unwrap();
    s.compliance_records().delete(record.id).await.unwrap();
    let record = s
        .compliance_records()
        .create(new_record("Counted", responsible_a(&t)))
        .await
        .unwrap();

    for n in 2..5 {
        proxy.reset();
        let current = s.compliance_records().get(record.id).await.unwrap();
        assert_eq!(proxy.round_trips(), 1, "get");
        proxy.reset();
        s.compliance_records()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(proxy.round_trips(), 1, "page");
        proxy.reset();
        s.compliance_records()
            .update(record.id, current.updated_at, &patch(n))
            .await
            .unwrap();
        assert_eq!(proxy.round_trips(), 2, "update: read + guarded write");
        proxy.reset();
        let gone = s
            .compliance_records()
            .create(new_record("Short-lived", responsible_a(&t)))
            .await
            .unwrap();
        assert_eq!(proxy.round_trips(), 1, "create");
        proxy.reset();
        s.compliance_records().delete(gone.id).await.unwrap();
        assert_eq!(proxy.round_trips(), 1, "delete");
    }
}
