//! Feature `serde` end to end: a page read from the database is handed out as
//! JSON, and the cursor it carries, taken back from that JSON, reads the next
//! page — for a table and for the audit trail.

use aems_core::sales::customers::{CustomerSegment, NewCustomer};
use aems_diesel::audit::{AuditCursor, AuditFilter};
use aems_diesel::prelude::*;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::{Cursor, Order};
use chrono::NaiveDate;
use serde_json::Value;

use crate::support::TwoTenants;

#[tokio::test]
async fn a_page_goes_out_as_json_and_its_cursor_comes_back_for_the_next() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    for name in ["Two", "Three", "Four"] {
        uow.customers()
            .create(NewCustomer::new(
                name.parse().unwrap(),
                "buyer@example.com".parse().unwrap(),
                CustomerSegment::Smb,
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            ))
            .await
            .unwrap();
    }
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let request = PageRequest::first(3).order(Order::NewestFirst);
    let first = db
        .customers()
        .list(&CustomerFilter::all(), request)
        .await
        .unwrap();
    let json: Value = serde_json::to_value(&first).unwrap();
    let names: Vec<&str> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["company_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Four", "Three", "Two"]);

    // What a client sends back: the cursor's text, as it was handed out.
    let cursor: Cursor = serde_json::from_value(json["next"].clone()).unwrap();
    let rest = db
        .customers()
        .list(&CustomerFilter::all(), PageRequest::after(cursor, 3))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1, "the fixture's own customer is left");
    assert!(rest.next.is_none());
    assert_eq!(serde_json::to_value(&rest).unwrap()["next"], Value::Null);
}

#[tokio::test]
async fn an_audit_page_goes_out_as_json_and_its_cursor_comes_back() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    for name in ["Audited one", "Audited two"] {
        uow.customers()
            .create(NewCustomer::new(
                name.parse().unwrap(),
                "buyer@example.com".parse().unwrap(),
                CustomerSegment::Smb,
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            ))
            .await
            .unwrap();
    }
    uow.commit().await.unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = AuditFilter::all().action("insert");
    let first = db.audit().list(&filter, None, 1).await.unwrap();
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(json["items"][0]["action"], "insert");
    let cursor: AuditCursor = serde_json::from_value(json["next"].clone()).unwrap();
    let second = db.audit().list(&filter, Some(cursor), 1).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_ne!(
        second.items[0].id, first.items[0].id,
        "the next page moved on"
    );
}
