//! `sales.customers` through its repository: CRUD, filters, paging, soft
//! delete, optimistic concurrency, bulk insert, isolation.

use aems_core::sales::customers::{CustomerPatch, CustomerSegment, CustomerStatus, NewCustomer};
use aems_core::{CustomerId, ErrorCode};
use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::{Error, Order};
use chrono::NaiveDate;

use crate::support::TwoTenants;

fn new_customer(name: &str) -> NewCustomer {
    NewCustomer::new(
        name.parse().unwrap(),
        format!(
            "buyer@{}.example.com",
            name.to_lowercase().replace(' ', "-")
        )
        .parse()
        .unwrap(),
        CustomerSegment::Smb,
        NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
    )
}

#[tokio::test]
async fn a_created_customer_reads_back_whole_with_its_authorship_from_the_context() {
    let t = TwoTenants::new().await;
    let mut input = new_customer("Acme Tools");
    input.territory = Some("EMEA".parse().unwrap());
    input.contact_phone = Some("+4930123456".parse().unwrap());
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let created = db.customers().create(input.clone()).await.unwrap();
    assert_eq!(created.company_name, input.company_name);
    assert_eq!(created.contact_phone, input.contact_phone);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.updated_by.into_uuid(), t.a.user);
    assert_eq!(db.customers().get(created.id).await.unwrap(), created);
}

#[tokio::test]
async fn another_tenants_customer_is_not_found_and_not_listed() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .customers()
        .create(new_customer("Their Co"))
        .await
        .unwrap();

    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.customers().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "customers"
        })
    ));
    let page = a
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        page.items
            .iter()
            .all(|c| c.tenant_id.into_uuid() == t.a.tenant)
    );
    assert!(!page.items.iter().any(|c| c.id == theirs.id));
    // Nor can A change or delete it.
    assert!(matches!(
        a.customers().soft_delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let patch = CustomerPatch {
        status: Some(CustomerStatus::Churned),
        ..Default::default()
    };
    assert!(matches!(
        a.customers()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(b.customers().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut enterprise = new_customer("Globex Industrial Holdings");
    enterprise.customer_segment = CustomerSegment::Enterprise;
    enterprise.territory = Some("NA".parse().unwrap());
    let mut churned = new_customer("Initech Software");
    churned.status = CustomerStatus::Churned;
    churned.territory = Some("EMEA".parse().unwrap());
    let plain = new_customer("Umbrella Pharmacy");
    let globex = uow.customers().create(enterprise).await.unwrap();
    let initech = uow.customers().create(churned).await.unwrap();
    let umbrella = uow.customers().create(plain).await.unwrap();
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let ids = |page: Page<aems_core::sales::customers::Customer>| {
        page.items
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<CustomerId>>()
    };
    let all = PageRequest::first(100);
    let seeded = t.a.customer;
    let mut everyone = ids(db
        .customers()
        .list(&CustomerFilter::all(), all)
        .await
        .unwrap());
    everyone.retain(|id| id.into_uuid() != seeded);
    assert_eq!(everyone, vec![globex.id, initech.id, umbrella.id]);
    assert_eq!(
        ids(db
            .customers()
            .list(
                &CustomerFilter::all().segment(CustomerSegment::Enterprise),
                all
            )
            .await
            .unwrap()),
        vec![globex.id]
    );
    assert_eq!(
        ids(db
            .customers()
            .list(&CustomerFilter::all().status(CustomerStatus::Churned), all)
            .await
            .unwrap()),
        vec![initech.id]
    );
    assert_eq!(
        ids(db
            .customers()
            .list(&CustomerFilter::all().territory("EMEA"), all)
            .await
            .unwrap()),
        vec![initech.id]
    );
    // Full-text search stems: "pharmacies" finds "Pharmacy".
    assert_eq!(
        ids(db
            .customers()
            .list(&CustomerFilter::all().search("pharmacies"), all)
            .await
            .unwrap()),
        vec![umbrella.id]
    );
    assert_eq!(
        ids(db
            .customers()
            .list(
                &CustomerFilter::all().search("industrial").territory("EMEA"),
                all
            )
            .await
            .unwrap()),
        Vec::<CustomerId>::new()
    );
}

#[tokio::test]
async fn hostile_search_text_is_a_clear_error_or_a_correct_result() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    for q in [
        "'; DROP TABLE sales.customers; --",
        "a & | ! ( ) :* <->",
        "ünïcødé 🙂",
        "%_\\",
    ] {
        let page = db
            .customers()
            .list(&CustomerFilter::all().search(q), PageRequest::first(10))
            .await
            .unwrap();
        assert!(page.items.is_empty(), "{q:?} matched {:?}", page.items);
    }
    for q in ["nul\0byte".to_owned(), "x".repeat(10_000)] {
        match db
            .customers()
            .list(
                &CustomerFilter::all().search(q.clone()),
                PageRequest::first(10),
            )
            .await
        {
            Err(Error::Validation(e)) => assert!(e.has_field("search")),
            other => panic!("{:?}: {other:?}", &q[..q.len().min(20)]),
        }
    }
    assert_eq!(t.count("sales.customers").await, 2, "the table survived");
}

#[tokio::test]
async fn pages_cover_every_row_once_even_while_rows_are_inserted() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewCustomer> = (0..25)
        .map(|i| new_customer(&format!("Company {i:02}")))
        .collect();
    uow.customers().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();

    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
        let before: Vec<CustomerId> = db
            .customers()
            .list(&CustomerFilter::all(), PageRequest::first(1000))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut seen = Vec::new();
        let mut request = PageRequest::first(7).order(order);
        let mut pages = 0;
        loop {
            let page = db
                .customers()
                .list(&CustomerFilter::all(), request)
                .await
                .unwrap();
            assert!(page.items.len() <= 7);
            seen.extend(page.items.iter().map(|c| c.id));
            pages += 1;
            // Someone inserts between our pages.
            db.customers()
                .create(new_customer(&format!("Late {order:?} {pages}")))
                .await
                .unwrap();
            match page.next {
                Some(cursor) => {
                    request = PageRequest::after(cursor.to_string().parse().unwrap(), 7)
                }
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "a row was seen twice");
        for id in &before {
            assert!(seen.contains(id), "{id} was skipped");
        }
        let mut expected = before.clone();
        if order == Order::NewestFirst {
            expected.reverse();
        }
        let seen_of_before: Vec<_> = seen
            .iter()
            .filter(|id| before.contains(id))
            .copied()
            .collect();
        assert_eq!(seen_of_before, expected, "rows out of order");
    }
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let customer = db
        .customers()
        .create(new_customer("Race Co"))
        .await
        .unwrap();
    let rename = |name: &str| CustomerPatch {
        company_name: Some(name.parse().unwrap()),
        ..Default::default()
    };

    // Two writers read the same version and update concurrently: one wins; the
    // other waits on the row lock, then finds the version gone.
    let ctx = t.ctx_a();
    let (r1, r2) = tokio::join!(
        t.database.transaction(&ctx, async |uow| {
            uow.customers()
                .update(customer.id, customer.updated_at, &rename("One"))
                .await
        }),
        t.database.transaction(&ctx, async |uow| {
            uow.customers()
                .update(customer.id, customer.updated_at, &rename("Two"))
                .await
        }),
    );
    let outcomes = [r1.is_ok(), r2.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "exactly one update wins: {outcomes:?}"
    );
    let conflict = if r1.is_err() { r1 } else { r2 };
    assert!(
        matches!(
            conflict,
            Err(Error::Conflict {
                entity: "customers"
            })
        ),
        "{conflict:?}"
    );

    let now = db.customers().get(customer.id).await.unwrap();
    assert!(["One", "Two"].contains(&now.company_name.as_str()));
    // The original version is stale now.
    let stale = db
        .customers()
        .update(customer.id, customer.updated_at, &rename("Three"))
        .await;
    assert!(matches!(stale, Err(Error::Conflict { .. })), "{stale:?}");
    assert_eq!(db.customers().get(customer.id).await.unwrap(), now);
    // The current one works, and a patch can set a nullable column to NULL.
    let patch = CustomerPatch {
        contact_phone: Some(None),
        industry: Some(Some("Retail".parse().unwrap())),
        ..Default::default()
    };
    let updated = db
        .customers()
        .update(customer.id, now.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(
        updated.industry.as_ref().map(|i| i.as_str()),
        Some("Retail")
    );
    assert!(updated.updated_at > now.updated_at);
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = new_customer("Bad Co");
    bad.lifetime_value = "-1".parse().unwrap();
    bad.last_purchase_date = NaiveDate::from_ymd_opt(2000, 1, 1);
    match db.customers().create(bad).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("lifetime_value", ErrorCode::OutOfRange));
            assert!(e.has("last_purchase_date", ErrorCode::DateOrder));
        }
        other => panic!("{other:?}"),
    }
    let good = db
        .customers()
        .create(new_customer("Good Co"))
        .await
        .unwrap();
    let patch = CustomerPatch {
        last_purchase_date: Some(NaiveDate::from_ymd_opt(2000, 1, 1)),
        ..Default::default()
    };
    assert!(matches!(
        db.customers()
            .update(good.id, good.updated_at, &patch)
            .await,
        Err(Error::Validation(_))
    ));
    assert_eq!(db.customers().get(good.id).await.unwrap(), good);
    assert_eq!(t.count("sales.customers").await, 3);
}

#[tokio::test]
async fn soft_deleted_customers_vanish_from_reads_until_restored_and_purge_removes_them() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let gone = db
        .customers()
        .create(new_customer("Gone Pharmacy"))
        .await
        .unwrap();
    let kept = db
        .customers()
        .create(new_customer("Kept Pharmacy"))
        .await
        .unwrap();
    let deleted = db.customers().soft_delete(gone.id).await.unwrap();
    assert!(deleted.deleted_at.is_some());

    assert!(matches!(
        db.customers().get(gone.id).await,
        Err(Error::NotFound { .. })
    ));
    let search = db
        .customers()
        .list(
            &CustomerFilter::all().search("pharmacy"),
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        search.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![kept.id]
    );
    let bin = db
        .customers()
        .list_deleted(PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        bin.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![gone.id]
    );
    assert!(
        matches!(
            db.customers().soft_delete(gone.id).await,
            Err(Error::NotFound { .. })
        ),
        "deleted twice"
    );

    let restored = db.customers().restore(gone.id).await.unwrap();
    assert!(restored.deleted_at.is_none());
    assert_eq!(db.customers().get(gone.id).await.unwrap().id, gone.id);
    assert!(
        matches!(
            db.customers().restore(gone.id).await,
            Err(Error::NotFound { .. })
        ),
        "restored a live row"
    );

    db.customers().soft_delete(gone.id).await.unwrap();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let purged_none = uow
        .customers()
        .purge_deleted_before(chrono::Utc::now() - chrono::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(purged_none, 0, "purged inside the retention period");
    let purged = uow
        .customers()
        .purge_deleted_before(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    uow.commit().await.unwrap();
    assert!(
        db.customers()
            .list_deleted(PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        t.count("sales.customers").await,
        3,
        "only the purged row went (B's seed row stays)"
    );
}

#[tokio::test]
async fn create_many_crosses_chunk_boundaries_and_is_all_or_nothing() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<NewCustomer> = (0..2_345)
        .map(|i| new_customer(&format!("Bulk {i}")))
        .collect();
    let created = uow.customers().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 2_345);
    assert!(
        created.windows(2).all(|w| w[0].id < w[1].id),
        "ids follow input order"
    );

    let mut inputs: Vec<NewCustomer> = (0..1_500)
        .map(|i| new_customer(&format!("Second {i}")))
        .collect();
    inputs[1_200].lifetime_value = "-5".parse().unwrap();
    inputs[7].total_revenue = "-5".parse().unwrap();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow.customers().create_many(inputs).await {
        Err(Error::Validation(e)) => {
            assert!(e.has_field("[1200].lifetime_value"), "{e}");
            assert!(e.has_field("[7].total_revenue"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    uow.rollback().await.unwrap();
    assert_eq!(t.count("sales.customers").await, 2 + 2_345);
}

#[tokio::test]
async fn create_many_returns_exactly_what_reading_the_rows_back_returns() {
    // create_many builds its answer from the inputs and the creation time the
    // server sends back; it must be what a read of the stored rows gives.
    let t = TwoTenants::new().await;
    let mut inputs: Vec<NewCustomer> = (0..1_200)
        .map(|i| new_customer(&format!("Returned {i}")))
        .collect();
    inputs[3].contact_phone = Some("+4912345678".parse().unwrap());
    inputs[3].lifetime_value = "1234.5".parse().unwrap();
    inputs[3].status = CustomerStatus::Prospect;
    inputs[4].billing_address = Some(
        serde_json::from_value(serde_json::json!({"city": "Graz", "lines": ["a", 1.5, null]}))
            .unwrap(),
    );
    inputs[5].custom_fields = Some(serde_json::Map::new());
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let created = uow.customers().create_many(inputs).await.unwrap();
    let mut read = Vec::with_capacity(created.len());
    for c in &created {
        read.push(uow.customers().get(c.id).await.unwrap());
    }
    uow.commit().await.unwrap();
    assert_eq!(created, read);
}
