//! `products.products` through its repository: the derived margin, CRUD,
//! filters and the indexed full-text search, paging, soft delete and its
//! collisions, optimistic concurrency, bulk insert, isolation.

use aems_core::products::products::{LifecycleStage, Product, ProductPatch, ProductStatus};
use aems_core::{ErrorCode, ProductId};
use aems_diesel::prelude::*;
use aems_diesel::products::ProductFilter;
use aems_diesel::products::products::SKU_KEY;
use aems_diesel::{Error, Order};
use chrono::{Duration, Utc};

use super::{date, new_product};
use crate::support::{TwoTenants, admin};

fn ids(page: Page<Product>) -> Vec<ProductId> {
    page.items.into_iter().map(|p| p.id).collect()
}

/// Whether `result` is the refusal of a SKU a soft-deleted product holds.
fn collides<T: std::fmt::Debug>(result: aems_diesel::Result<T>) -> bool {
    matches!(
        result,
        Err(Error::CollidesWithDeleted { entity: "products", constraint }) if constraint == SKU_KEY
    )
}

/// Whether `result` is the refusal of a SKU a live product holds.
fn taken_by_live<T: std::fmt::Debug>(result: aems_diesel::Result<T>) -> bool {
    matches!(
        result,
        Err(Error::UniqueViolation { constraint, .. }) if constraint == SKU_KEY
    )
}

#[tokio::test]
async fn a_created_product_reads_back_with_its_margin_derived_from_cost_and_price() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_product("SKU-100", "Cordless Drill");
    input.description = Some("18 V, two batteries".parse().unwrap());
    input.weight = Some("1.25".parse().unwrap());
    input.launch_date = Some(date(2024, 1, 1));
    let created = db.products().create(input.clone()).await.unwrap();
    assert_eq!(created.pricing.profit_margin().to_string(), "25.00");
    assert_eq!(created.pricing.unit_cost(), &input.unit_cost);
    assert_eq!(created.weight, input.weight);
    assert_eq!(created.description, input.description);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(db.products().get(created.id).await.unwrap(), created);

    // A new price rewrites the margin; a new cost alone too.
    let repriced = db
        .products()
        .update(
            created.id,
            created.updated_at,
            &ProductPatch {
                selling_price: Some("120.00".parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(repriced.pricing.profit_margin().to_string(), "50.00");
    let recosted = db
        .products()
        .update(
            created.id,
            repriced.updated_at,
            &ProductPatch {
                unit_cost: Some("90.00".parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(recosted.pricing.profit_margin().to_string(), "25.00");
    assert_eq!(db.products().get(created.id).await.unwrap(), recosted);
    let margin: String = admin(&t.db)
        .await
        .query_one(
            "SELECT profit_margin::text FROM products.products WHERE id = $1",
            &[&created.id.into_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(margin, "25.00");
}

#[tokio::test]
async fn a_margin_written_around_the_library_is_refused_when_read() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let product = db
        .products()
        .create(new_product("SKU-X", "Tampered"))
        .await
        .unwrap();
    crate::support::admin_write(
        &t.db,
        "UPDATE products.products SET profit_margin = 99 WHERE id = $1",
        &[&product.id.into_uuid()],
    )
    .await
    .unwrap();
    assert!(matches!(
        db.products().get(product.id).await,
        Err(Error::Decode {
            entity: "products",
            column: "profit_margin",
            ..
        })
    ));
}

#[tokio::test]
async fn each_filter_narrows_the_list_and_the_search_reads_name_and_description() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let mut drill = new_product("SKU-D", "Cordless Drill");
    drill.description = Some("Drills through concrete walls".parse().unwrap());
    let mut saw = new_product("SKU-S", "Circular Saw");
    saw.category = "Power Tools".parse().unwrap();
    saw.lifecycle_stage = LifecycleStage::Launch;
    let mut lamp = new_product("SKU-L", "Desk Lamp");
    lamp.category = "Lighting".parse().unwrap();
    lamp.status = ProductStatus::OutOfStock;
    lamp.description = Some("Bright enough for sawing at night".parse().unwrap());
    let created = uow
        .products()
        .create_many(vec![drill, saw, lamp])
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let [drill, saw, lamp] = [0, 1, 2].map(|i| created[i].id);
    let seeded = ProductId::from_uuid(t.a.product);

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list =
        async |filter: ProductFilter| ids(db.products().list(&filter, all).await.unwrap());
    assert_eq!(
        list(ProductFilter::all()).await,
        vec![seeded, drill, saw, lamp]
    );
    assert_eq!(
        list(ProductFilter::all().category("Tools")).await,
        vec![seeded, drill]
    );
    assert_eq!(
        list(ProductFilter::all().lifecycle_stage(LifecycleStage::Launch)).await,
        vec![saw]
    );
    assert_eq!(
        list(ProductFilter::all().status(ProductStatus::OutOfStock)).await,
        vec![lamp]
    );
    // Name only (no description), description only, stemmed, every word.
    assert_eq!(
        list(ProductFilter::all().search("saws")).await,
        vec![saw, lamp]
    );
    assert_eq!(
        list(ProductFilter::all().search("concrete")).await,
        vec![drill]
    );
    assert_eq!(
        list(ProductFilter::all().search("circular saw")).await,
        vec![saw]
    );
    assert_eq!(
        list(ProductFilter::all().search("saw").category("Lighting")).await,
        vec![lamp]
    );
    assert_eq!(
        list(ProductFilter::all().search("widget")).await,
        vec![seeded],
        "the seeded 'Widget a'"
    );
    for q in ["'; DROP TABLE products.products; --", "a & | ! ( ) :* <->"] {
        assert!(list(ProductFilter::all().search(q)).await.is_empty(), "{q}");
    }
    for q in ["nul\0byte".to_owned(), "x".repeat(1_000)] {
        assert!(matches!(
            db.products().list(&ProductFilter::all().search(q), all).await,
            Err(Error::Validation(e)) if e.has_field("search")
        ));
    }
    assert_eq!(t.count("products.products").await, 5);
}

#[tokio::test]
async fn create_many_crosses_chunk_boundaries_and_the_search_reads_its_page_by_indexed_ids() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs: Vec<_> = (0..1_300)
        .map(|i| {
            let mut p = new_product(&format!("BULK-{i}"), &format!("Hex bolt M{i}"));
            if i % 2 == 0 {
                p.description = Some(format!("Zinc plated, pack of {i}").parse().unwrap());
            }
            if i == 1_234 {
                p.description = Some("The rare titanium edition".parse().unwrap());
            }
            p
        })
        .collect();
    let created = uow.products().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(created.len(), 1_300);
    assert!(created.windows(2).all(|w| w[0].id < w[1].id));
    assert!(
        created
            .iter()
            .all(|p| p.pricing.profit_margin().to_string() == "25.00")
    );
    admin(&t.db)
        .await
        .batch_execute("ANALYZE products.products")
        .await
        .unwrap();

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = ProductFilter::all().search("titanium");
    assert_eq!(
        ids(db
            .products()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap()),
        vec![created[1_234].id]
    );
    // Under the tenant policy the page is read by the ids the search function
    // found (products.search_product_ids, an InitPlan whose value is an index
    // condition), never by walking the tenant's rows and matching each one:
    // the GIN index serves the search inside the function (that plan is
    // pinned in plans.rs).
    let plan = db
        .products()
        .explain_list(&filter, PageRequest::first(10))
        .await
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("InitPlan 1") && plan.contains("Index Cond: (id = ANY ($"),
        "{plan}"
    );

    // All or nothing: a SKU repeated in the second chunk undoes the first.
    let mut inputs: Vec<_> = (0..1_100)
        .map(|i| new_product(&format!("MORE-{i}"), "More"))
        .collect();
    inputs[1_050].sku = "MORE-5".parse().unwrap();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert!(taken_by_live(uow.products().create_many(inputs).await));
    let mut inputs: Vec<_> = (0..3)
        .map(|i| new_product(&format!("BAD-{i}"), "Bad"))
        .collect();
    inputs[2].selling_price = "10".parse().unwrap();
    assert!(matches!(
        uow.products().create_many(inputs).await,
        Err(Error::Validation(e)) if e.has("[2].selling_price", ErrorCode::Inconsistent)
    ));
    uow.products()
        .create(new_product("AFTER", "After"))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(t.count("products.products").await, 2 + 1_300 + 1);
}

#[tokio::test]
async fn pages_cover_every_product_once_in_either_order() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let inputs = (0..17)
        .map(|i| new_product(&format!("P-{i}"), "Pager"))
        .collect();
    uow.products().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let filter = ProductFilter::all().search("pager");
    let everyone = ids(db
        .products()
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap());
    assert_eq!(everyone.len(), 17);
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(4).order(order);
        loop {
            let page = db.products().list(&filter, request).await.unwrap();
            seen.extend(page.items.iter().map(|p| p.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 4),
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
async fn another_tenants_product_is_not_found_listed_searched_or_changed() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .products()
        .create(new_product("SKU-B", "Secret Gadget"))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.products().get(theirs.id).await,
        Err(Error::NotFound { entity: "products" })
    ));
    for filter in [ProductFilter::all(), ProductFilter::all().search("gadget")] {
        assert!(
            !ids(a
                .products()
                .list(&filter, PageRequest::first(100))
                .await
                .unwrap())
            .contains(&theirs.id)
        );
    }
    let patch = ProductPatch {
        name: Some("Mine".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        a.products()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.products().soft_delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    // The same SKU in another tenant is no collision.
    assert!(
        a.products()
            .create(new_product("SKU-B", "Mine"))
            .await
            .is_ok()
    );
    assert_eq!(b.products().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let product = db
        .products()
        .create(new_product("SKU-R", "Race"))
        .await
        .unwrap();
    let rename = |name: &str| ProductPatch {
        name: Some(name.parse().unwrap()),
        ..Default::default()
    };
    let ctx = t.ctx_a();
    let (r1, r2) = tokio::join!(
        t.database.transaction(&ctx, async |uow| {
            uow.products()
                .update(product.id, product.updated_at, &rename("One"))
                .await
        }),
        t.database.transaction(&ctx, async |uow| {
            uow.products()
                .update(product.id, product.updated_at, &rename("Two"))
                .await
        }),
    );
    assert_eq!([r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(), 1);
    let loser = if r1.is_err() { r1 } else { r2 };
    assert!(matches!(loser, Err(Error::Conflict { entity: "products" })));
    let now = db.products().get(product.id).await.unwrap();
    assert!(matches!(
        db.products()
            .update(product.id, product.updated_at, &rename("Three"))
            .await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(db.products().get(product.id).await.unwrap(), now);
    // Clearing a nullable column works with the current version.
    let patch = ProductPatch {
        supplier_info: Some(None),
        brand: Some(Some("Acme".parse().unwrap())),
        ..Default::default()
    };
    let updated = db
        .products()
        .update(product.id, now.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.supplier_info, None);
    assert_eq!(updated.brand.as_ref().map(|b| b.as_str()), Some("Acme"));
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = new_product("SKU-BAD", "Bad");
    bad.unit_cost = "-1".parse().unwrap();
    bad.selling_price = "-2".parse().unwrap();
    bad.weight = Some("0".parse().unwrap());
    bad.launch_date = Some(date(2025, 5, 1));
    bad.discontinue_date = Some(date(2025, 4, 30));
    match db.products().create(bad).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("unit_cost", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("selling_price", ErrorCode::Inconsistent), "{e}");
            assert!(e.has("weight", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("discontinue_date", ErrorCode::DateOrder), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let good = db
        .products()
        .create(new_product("SKU-GOOD", "Good"))
        .await
        .unwrap();
    // A cost above the stored price is caught on the patched product.
    let patch = ProductPatch {
        unit_cost: Some("80.00".parse().unwrap()),
        discontinue_date: Some(Some(date(2020, 1, 1))),
        launch_date: Some(Some(date(2021, 1, 1))),
        ..Default::default()
    };
    match db.products().update(good.id, good.updated_at, &patch).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("selling_price", ErrorCode::Inconsistent), "{e}");
            assert!(e.has("discontinue_date", ErrorCode::DateOrder), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.products().get(good.id).await.unwrap(), good);
    assert_eq!(t.count("products.products").await, 3);
}

#[tokio::test]
async fn soft_deleted_products_vanish_from_reads_filters_and_search_until_restored() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let gone = db
        .products()
        .create(new_product("SKU-GONE", "Garden Hose"))
        .await
        .unwrap();
    let kept = db
        .products()
        .create(new_product("SKU-KEPT", "Garden Rake"))
        .await
        .unwrap();
    let deleted = db.products().soft_delete(gone.id).await.unwrap();
    assert!(deleted.deleted_at.is_some());
    assert!(matches!(
        db.products().get(gone.id).await,
        Err(Error::NotFound { .. })
    ));
    for filter in [
        ProductFilter::all(),
        ProductFilter::all().search("garden"),
        ProductFilter::all().category("Tools"),
        ProductFilter::all().status(ProductStatus::Active),
        ProductFilter::all().lifecycle_stage(LifecycleStage::Growth),
    ] {
        let listed = ids(db
            .products()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap());
        assert!(!listed.contains(&gone.id), "{filter:?}");
        assert!(listed.contains(&kept.id), "{filter:?}");
    }
    assert!(matches!(
        db.products()
            .update(
                gone.id,
                deleted.updated_at,
                &ProductPatch {
                    name: Some("Ghost".parse().unwrap()),
                    ..Default::default()
                }
            )
            .await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        ids(db
            .products()
            .list_deleted(PageRequest::first(10))
            .await
            .unwrap()),
        vec![gone.id]
    );
    let restored = db.products().restore(gone.id).await.unwrap();
    assert_eq!(restored.deleted_at, None);
    assert_eq!(db.products().get(gone.id).await.unwrap(), restored);
    assert!(matches!(
        db.products().restore(gone.id).await,
        Err(Error::NotFound { .. })
    ));

    // Purge: a product still holding stock rows is refused as a whole.
    db.products().soft_delete(gone.id).await.unwrap();
    let seeded = ProductId::from_uuid(t.a.product);
    db.products().soft_delete(seeded).await.unwrap();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let refused = uow
        .products()
        .purge_deleted_before(Utc::now() + Duration::seconds(1))
        .await;
    assert!(
        matches!(&refused, Err(Error::ForeignKeyViolation { .. })),
        "{refused:?}"
    );
    uow.rollback().await.unwrap();
    db.products().restore(seeded).await.unwrap();
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    assert_eq!(
        uow.products()
            .purge_deleted_before(Utc::now() - Duration::days(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        uow.products()
            .purge_deleted_before(Utc::now() + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    uow.commit().await.unwrap();
    assert_eq!(t.count("products.products").await, 3);
}

#[tokio::test]
async fn a_sku_held_by_a_soft_deleted_product_collides_with_deleted_and_the_work_goes_on() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let old = db
        .products()
        .create(new_product("SKU-OLD", "Old"))
        .await
        .unwrap();
    db.products().soft_delete(old.id).await.unwrap();
    assert!(collides(
        db.products().create(new_product("SKU-OLD", "New")).await
    ));
    assert!(taken_by_live(
        db.products()
            .create(new_product("SKU-1", "Seeded twin"))
            .await
    ));

    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let live = uow
        .products()
        .create(new_product("SKU-LIVE", "Live"))
        .await
        .unwrap();
    assert!(collides(
        uow.products()
            .create_many(vec![
                new_product("SKU-N1", "n"),
                new_product("SKU-OLD", "n"),
            ])
            .await
    ));
    let to_old = ProductPatch {
        sku: Some("SKU-OLD".parse().unwrap()),
        ..Default::default()
    };
    assert!(collides(
        uow.products()
            .update(live.id, live.updated_at, &to_old)
            .await
    ));
    let to_seeded = ProductPatch {
        sku: Some("SKU-1".parse().unwrap()),
        ..Default::default()
    };
    assert!(taken_by_live(
        uow.products()
            .update(live.id, live.updated_at, &to_seeded)
            .await
    ));
    uow.products()
        .create(new_product("SKU-AFTER", "After"))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let skus: Vec<String> = db
        .products()
        .list(&ProductFilter::all(), PageRequest::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.sku.to_string())
        .collect();
    assert_eq!(skus, ["SKU-1", "SKU-LIVE", "SKU-AFTER"]);
}

/// The columns the newest audit entry of product `id` records as changed.
async fn last_changed_columns(db: &mut aems_diesel::OneShot, id: ProductId) -> Vec<String> {
    let page = db
        .audit()
        .history("products", id.into_uuid(), 1)
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
async fn an_update_writes_every_column_yet_the_trail_names_only_what_changed() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_product("SKU-AUD", "Audited drill");
    input.description = Some("Brushless".parse().unwrap());
    input.weight = Some("1.25".parse().unwrap());
    let p = db.products().create(input).await.unwrap();

    let patch = ProductPatch {
        brand: Some(Some("Acme".parse().unwrap())),
        ..Default::default()
    };
    let p = db
        .products()
        .update(p.id, p.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(last_changed_columns(&mut db, p.id).await, ["brand"]);

    // A new price rewrites the margin with it, and nothing else.
    let patch = ProductPatch {
        selling_price: Some("100.00".parse().unwrap()),
        ..Default::default()
    };
    let repriced = db
        .products()
        .update(p.id, p.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(
        last_changed_columns(&mut db, p.id).await,
        ["profit_margin", "selling_price"]
    );
    assert_eq!(repriced.description, p.description);
    assert_eq!(repriced.weight, p.weight);
    assert_eq!(repriced.brand, p.brand);
}
