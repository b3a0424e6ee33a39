//! `products.inventory_levels` through its repository: derived available
//! stock, filters (reorder), paging, optimistic concurrency, isolation, and
//! stock operations that never oversell — even 8 at once.

use std::sync::Arc;

use aems_core::products::inventory_levels::{
    InventoryLevel, InventoryLevelPatch, NewInventoryLevel,
};
use aems_core::{ErrorCode, InventoryLevelId, ProductId, TransitionError};
use aems_diesel::prelude::*;
use aems_diesel::products::InventoryLevelFilter;
use aems_diesel::{DatabaseConfig, Error, Order};

use super::{date, new_product};
use crate::support::{TwoTenants, admin};

fn stock(product: ProductId, warehouse: &str, current: i32, reserved: i32) -> NewInventoryLevel {
    NewInventoryLevel {
        product_id: product,
        warehouse_location: warehouse.parse().unwrap(),
        current_stock: current,
        reserved_stock: reserved,
        reorder_level: 5,
        max_stock_level: 100,
        last_restock_date: None,
        last_stock_take: None,
        stock_value: "0".parse().unwrap(),
        turnover_rate: "0".parse().unwrap(),
    }
}

fn ids(page: Page<InventoryLevel>) -> Vec<InventoryLevelId> {
    page.items.into_iter().map(|l| l.id).collect()
}

fn levels(level: &InventoryLevel) -> (i32, i32, i32) {
    (
        level.stock.current(),
        level.stock.reserved(),
        level.stock.available(),
    )
}

/// The stored counts of row `id`, as the administrator sees them.
async fn stored(t: &TwoTenants, id: InventoryLevelId) -> (i32, i32, i32) {
    let row = admin(&t.db)
        .await
        .query_one(
            "SELECT current_stock, reserved_stock, available_stock
             FROM products.inventory_levels WHERE id = $1",
            &[&id.into_uuid()],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

fn seeded_product(t: &TwoTenants) -> ProductId {
    ProductId::from_uuid(t.a.product)
}

#[tokio::test]
async fn a_created_row_derives_its_available_stock_and_records_authorship() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = stock(seeded_product(&t), "Berlin-1", 10, 3);
    input.stock_value = "600.00".parse().unwrap();
    input.turnover_rate = "1250.50".parse().unwrap();
    let created = db.inventory_levels().create(input.clone()).await.unwrap();
    assert_eq!(levels(&created), (10, 3, 7));
    assert_eq!(stored(&t, created.id).await, (10, 3, 7));
    assert_eq!(created.policy.reorder_level(), 5);
    assert_eq!(created.turnover_rate, input.turnover_rate);
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(
        db.inventory_levels().get(created.id).await.unwrap(),
        created
    );
    // One row per product and warehouse.
    assert!(matches!(
        db.inventory_levels().create(input).await,
        Err(Error::UniqueViolation { constraint, .. })
            if constraint == "uq_inventory_levels_tenant_id_product_id_warehouse_location"
    ));
}

#[tokio::test]
async fn each_filter_narrows_the_list_and_reorder_means_available_at_or_below_the_level() {
    let t = TwoTenants::new().await;
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let other = uow
        .products()
        .create(new_product("SKU-O", "Other"))
        .await
        .unwrap()
        .id;
    let p = seeded_product(&t);
    let created = uow
        .inventory_levels()
        .create_many(vec![
            stock(p, "Berlin", 50, 0),    // plenty
            stock(p, "Paris", 10, 6),     // 4 available: reorder (reserved do not count)
            stock(other, "Berlin", 5, 0), // exactly at the level: reorder
            stock(other, "Paris", 6, 0),  // one above: no
        ])
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let [plenty, promised, at_level, above] = [0, 1, 2, 3].map(|i| created[i].id);
    assert!(created[1].needs_reorder() && created[2].needs_reorder());
    assert!(!created[0].needs_reorder() && !created[3].needs_reorder());

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let all = PageRequest::first(100);
    let mut list = async |filter: InventoryLevelFilter| {
        ids(db.inventory_levels().list(&filter, all).await.unwrap())
    };
    let seeded_row = list(InventoryLevelFilter::all().warehouse("WH-1")).await;
    assert_eq!(seeded_row.len(), 1);
    assert_eq!(
        list(InventoryLevelFilter::all().product(other)).await,
        vec![at_level, above]
    );
    assert_eq!(
        list(InventoryLevelFilter::all().warehouse("Berlin")).await,
        vec![plenty, at_level]
    );
    assert_eq!(
        list(InventoryLevelFilter::all().below_reorder_level()).await,
        vec![promised, at_level]
    );
    assert_eq!(
        list(
            InventoryLevelFilter::all()
                .below_reorder_level()
                .product(p)
                .warehouse("Paris")
        )
        .await,
        vec![promised]
    );
    // In id order (the seeded row's id is a random UUID, wherever it falls).
    let everyone = list(InventoryLevelFilter::all()).await;
    let mut expected = [seeded_row.clone(), vec![plenty, promised, at_level, above]].concat();
    expected.sort();
    assert_eq!(everyone, expected);

    for order in [Order::OldestFirst, Order::NewestFirst] {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(2).order(order);
        loop {
            let page = db
                .inventory_levels()
                .list(&InventoryLevelFilter::all(), request)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|l| l.id));
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
async fn stock_operations_move_the_counts_and_keep_available_derived() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let row = db
        .inventory_levels()
        .create(stock(seeded_product(&t), "Lyon", 10, 0))
        .await
        .unwrap();
    let id = row.id;
    let reserved = db.inventory_levels().reserve(id, 7).await.unwrap();
    assert_eq!(levels(&reserved), (10, 7, 3));
    assert!(reserved.updated_at > row.updated_at);
    let released = db.inventory_levels().release(id, 2).await.unwrap();
    assert_eq!(levels(&released), (10, 5, 5));
    let shipped = db.inventory_levels().fulfil(id, 4).await.unwrap();
    assert_eq!(levels(&shipped), (6, 1, 5));
    let restocked = db
        .inventory_levels()
        .restock(id, 20, date(2025, 7, 1))
        .await
        .unwrap();
    assert_eq!(levels(&restocked), (26, 1, 25));
    assert_eq!(restocked.last_restock_date, Some(date(2025, 7, 1)));
    let counted = db
        .inventory_levels()
        .adjust(id, 24, date(2025, 7, 2))
        .await
        .unwrap();
    assert_eq!(levels(&counted), (24, 1, 23));
    assert_eq!(counted.last_stock_take, Some(date(2025, 7, 2)));
    assert_eq!(counted.last_restock_date, Some(date(2025, 7, 1)));
    // Everything up to the last unit, and a count of exactly the reserved.
    assert_eq!(
        levels(&db.inventory_levels().reserve(id, 23).await.unwrap()),
        (24, 24, 0)
    );
    assert_eq!(
        levels(&db.inventory_levels().release(id, 20).await.unwrap()),
        (24, 4, 20)
    );
    assert_eq!(
        levels(
            &db.inventory_levels()
                .adjust(id, 4, date(2025, 7, 3))
                .await
                .unwrap()
        ),
        (4, 4, 0)
    );
    assert_eq!(stored(&t, id).await, (4, 4, 0));
    assert_eq!(
        db.inventory_levels()
            .get(id)
            .await
            .unwrap()
            .updated_by
            .into_uuid(),
        t.a.user
    );
}

#[tokio::test]
async fn every_refused_stock_operation_is_a_typed_error_and_changes_nothing() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let row = db
        .inventory_levels()
        .create(stock(seeded_product(&t), "Oslo", 10, 4))
        .await
        .unwrap();
    let id = row.id;
    let day = date(2025, 8, 1);
    let cases: Vec<(&str, aems_diesel::Result<InventoryLevel>, TransitionError)> = vec![
        (
            "oversell",
            db.inventory_levels().reserve(id, 7).await,
            TransitionError::InsufficientStock {
                requested: 7,
                available: 6,
            },
        ),
        (
            "release more than reserved",
            db.inventory_levels().release(id, 5).await,
            TransitionError::ExceedsReserved {
                requested: 5,
                reserved: 4,
            },
        ),
        (
            "ship more than reserved",
            db.inventory_levels().fulfil(id, 5).await,
            TransitionError::ExceedsReserved {
                requested: 5,
                reserved: 4,
            },
        ),
        (
            "count below reserved",
            db.inventory_levels().adjust(id, 3, day).await,
            TransitionError::BelowReserved {
                counted: 3,
                reserved: 4,
            },
        ),
        (
            "zero",
            db.inventory_levels().reserve(id, 0).await,
            TransitionError::InvalidQuantity { quantity: 0 },
        ),
        (
            "negative release",
            db.inventory_levels().release(id, -1).await,
            TransitionError::InvalidQuantity { quantity: -1 },
        ),
        (
            "negative shipment",
            db.inventory_levels().fulfil(id, -3).await,
            TransitionError::InvalidQuantity { quantity: -3 },
        ),
        (
            "zero restock",
            db.inventory_levels().restock(id, 0, day).await,
            TransitionError::InvalidQuantity { quantity: 0 },
        ),
        (
            "negative count",
            db.inventory_levels().adjust(id, -1, day).await,
            TransitionError::InvalidQuantity { quantity: -1 },
        ),
    ];
    for (case, result, expected) in cases {
        match result {
            Err(Error::Transition(got)) => assert_eq!(got, expected, "{case}"),
            other => panic!("{case}: {other:?}"),
        }
    }
    assert_eq!(db.inventory_levels().get(id).await.unwrap(), row);

    // Past the INTEGER column.
    let full = db
        .inventory_levels()
        .create(stock(seeded_product(&t), "Full", i32::MAX - 1, 0))
        .await
        .unwrap();
    assert_eq!(
        levels(
            &db.inventory_levels()
                .restock(full.id, 1, day)
                .await
                .unwrap()
        ),
        (i32::MAX, 0, i32::MAX)
    );
    assert!(matches!(
        db.inventory_levels().restock(full.id, 1, day).await,
        Err(Error::Transition(TransitionError::StockOverflow))
    ));
    assert_eq!(stored(&t, full.id).await, (i32::MAX, 0, i32::MAX));
    assert!(matches!(
        db.inventory_levels()
            .reserve(InventoryLevelId::new(), 1)
            .await,
        Err(Error::NotFound {
            entity: "inventory_levels"
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_reservations_never_oversell_a_hot_item() {
    let t = TwoTenants::new().await;
    // A pool as large as the crowd, so all eight are in the database at once.
    let database =
        aems_diesel::Database::new(DatabaseConfig::new(t.db.app_url()).max_connections(8)).unwrap();
    let mut db = database.one_shot(&t.ctx_a()).await.unwrap();
    let hot = db
        .inventory_levels()
        .create(stock(seeded_product(&t), "Hot", 20, 0))
        .await
        .unwrap();
    drop(db);

    for round in 0..2 {
        // Round 0: eight units of work each holding its lock until commit;
        // round 1: eight one-shots. Each asks for 1..=8 units: 36 in all, from
        // 20 (then what is left).
        let before = stored(&t, hot.id).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (1..=8)
            .map(|quantity: i32| {
                let (database, ctx, barrier) = (database.clone(), t.ctx_a(), barrier.clone());
                tokio::spawn(async move {
                    if round == 0 {
                        let mut uow = database.unit_of_work(&ctx).await.unwrap();
                        barrier.wait().await;
                        let result = uow.inventory_levels().reserve(hot.id, quantity).await;
                        uow.commit().await.unwrap();
                        (quantity, result)
                    } else {
                        let mut db = database.one_shot(&ctx).await.unwrap();
                        barrier.wait().await;
                        (
                            quantity,
                            db.inventory_levels().reserve(hot.id, quantity).await,
                        )
                    }
                })
            })
            .collect();
        let mut granted = 0;
        let mut refused = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (quantity, Ok(level)) => {
                    granted += quantity;
                    let (current, reserved, available) = levels(&level);
                    assert_eq!(current, 20);
                    assert_eq!(available, current - reserved);
                }
                (
                    quantity,
                    Err(Error::Transition(TransitionError::InsufficientStock {
                        requested,
                        available,
                    })),
                ) => {
                    assert_eq!(requested, quantity);
                    assert!(available < requested);
                    refused.push(quantity);
                }
                (quantity, other) => panic!("{quantity}: {other:?}"),
            }
        }
        let (current, reserved, available) = stored(&t, hot.id).await;
        assert_eq!(current, 20, "round {round}");
        assert_eq!(
            reserved,
            before.1 + granted,
            "round {round}: exactly what was granted"
        );
        assert_eq!(available, 20 - reserved, "round {round}");
        assert!(reserved <= 20, "round {round}: oversold");
        assert!(
            !refused.is_empty(),
            "round {round}: 36 units cannot all fit"
        );
        // Availability only fell, so every refusal still could not be served.
        assert!(refused.iter().all(|q| *q > available), "round {round}");
    }
}

#[tokio::test]
async fn a_row_with_reservations_cannot_be_deleted_until_they_are_released() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let row = db
        .inventory_levels()
        .create(stock(seeded_product(&t), "Rome", 10, 2))
        .await
        .unwrap();
    match db.inventory_levels().delete(row.id).await {
        Err(Error::Validation(e)) => assert!(e.has("reserved_stock", ErrorCode::NotAllowed)),
        other => panic!("{other:?}"),
    }
    assert_eq!(db.inventory_levels().get(row.id).await.unwrap(), row);
    db.inventory_levels().release(row.id, 2).await.unwrap();
    db.inventory_levels().delete(row.id).await.unwrap();
    assert_eq!(db.inventory_levels().find(row.id).await.unwrap(), None);
    assert!(matches!(
        db.inventory_levels().delete(row.id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn another_tenants_stock_is_not_found_listed_or_moved() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .inventory_levels()
        .create(stock(ProductId::from_uuid(t.b.product), "B-WH", 10, 0))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.inventory_levels().get(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        !ids(a
            .inventory_levels()
            .list(&InventoryLevelFilter::all(), PageRequest::first(100))
            .await
            .unwrap())
        .contains(&theirs.id)
    );
    assert!(matches!(
        a.inventory_levels().reserve(theirs.id, 1).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.inventory_levels()
            .restock(theirs.id, 1, date(2025, 1, 1))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.inventory_levels().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let patch = InventoryLevelPatch {
        reorder_level: Some(1),
        ..Default::default()
    };
    assert!(matches!(
        a.inventory_levels()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    // Nor can A stock B's product.
    assert!(matches!(
        a.inventory_levels()
            .create(stock(ProductId::from_uuid(t.b.product), "A-WH", 1, 0))
            .await,
        Err(Error::ForeignKeyViolation { constraint, .. })
            if constraint == "fk_inventory_levels_product_id"
    ));
    assert_eq!(b.inventory_levels().get(theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_bad_input_is_refused_with_every_field() {
    let t = TwoTenants::new().await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = stock(seeded_product(&t), "Bad", 3, 4);
    bad.reorder_level = 0;
    bad.max_stock_level = 0;
    bad.stock_value = "-1".parse().unwrap();
    match db.inventory_levels().create(bad.clone()).await {
        Err(Error::Validation(e)) => {
            assert!(e.has("reserved_stock", ErrorCode::Inconsistent), "{e}");
            assert!(e.has("reorder_level", ErrorCode::OutOfRange), "{e}");
            assert!(e.has("max_stock_level", ErrorCode::Inconsistent), "{e}");
            assert!(e.has("stock_value", ErrorCode::OutOfRange), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    match uow
        .inventory_levels()
        .create_many(vec![stock(seeded_product(&t), "Ok", 1, 0), bad])
        .await
    {
        Err(Error::Validation(e)) => assert!(e.has_field("[1].reserved_stock"), "{e}"),
        other => panic!("{other:?}"),
    }
    uow.rollback().await.unwrap();

    let row = db
        .inventory_levels()
        .create(stock(seeded_product(&t), "Good", 10, 0))
        .await
        .unwrap();
    let narrow = InventoryLevelPatch {
        max_stock_level: Some(5),
        ..Default::default()
    };
    assert!(matches!(
        db.inventory_levels().update(row.id, row.updated_at, &narrow).await,
        Err(Error::Validation(e)) if e.has("max_stock_level", ErrorCode::Inconsistent)
    ));
    let patch = InventoryLevelPatch {
        reorder_level: Some(8),
        last_stock_take: Some(Some(date(2025, 1, 31))),
        ..Default::default()
    };
    let updated = db
        .inventory_levels()
        .update(row.id, row.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.policy.reorder_level(), 8);
    assert_eq!(levels(&updated), levels(&row), "counts untouched");
    assert!(matches!(
        db.inventory_levels()
            .update(row.id, row.updated_at, &patch)
            .await,
        Err(Error::Conflict {
            entity: "inventory_levels"
        })
    ));
    // A stock operation in between makes an older version stale too.
    db.inventory_levels().reserve(row.id, 1).await.unwrap();
    assert!(matches!(
        db.inventory_levels()
            .update(row.id, updated.updated_at, &patch)
            .await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(stored(&t, row.id).await, (10, 1, 9));
    assert_eq!(t.count("products.inventory_levels").await, 3);
}
