//! Round trips of every products operation, counted through a proxy: each
//! statement is prepared once per connection, so a one-shot statement is one
//! round trip (BEGIN, context, statement and COMMIT pipelined), an update is
//! its read plus its write, a stock operation is its one conditional UPDATE,
//! and a unit of work of N statements is N + 1.
//!
//! Each scenario runs twice on a one-connection pool: the first run prepares
//! every statement, the second is counted.

use aems_core::products::inventory_levels::{InventoryLevelPatch, NewInventoryLevel};
use aems_core::products::product_performance::{NewProductPerformance, ProductPerformancePatch};
use aems_core::products::products::ProductPatch;
use aems_core::{PeriodType, ProductId, TransitionError};
use aems_diesel::prelude::*;
use aems_diesel::products::{InventoryLevelFilter, ProductFilter, ProductPerformanceFilter};
use aems_diesel::testing::RoundTripProxy;
use aems_diesel::{Database, Error};

use super::{date, new_product};
use crate::hr::round_trips::through;
use crate::support::{Tally, TwoTenants};

async fn products(t: &TwoTenants, db: &Database, tally: &mut Tally<'_>, run: u32) {
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = new_product(&format!("RT-{run}-1"), &format!("Cordless drill {run}"));
    input.description = Some("Brushless, two batteries".parse().unwrap());

    tally.start();
    let p = s.products().create(input).await.unwrap();
    tally.expect("product create", 1);

    tally.start();
    s.products().get(p.id).await.unwrap();
    tally.expect("product get", 1);

    tally.start();
    s.products()
        .list(&ProductFilter::all(), PageRequest::first(50))
        .await
        .unwrap();
    tally.expect("product list", 1);

    tally.start();
    let found = s
        .products()
        .list(
            &ProductFilter::all().search("batteries"),
            PageRequest::first(50),
        )
        .await
        .unwrap();
    tally.expect("product full-text search", 1);
    assert!(found.items.iter().any(|f| f.id == p.id));

    let patch = ProductPatch {
        selling_price: Some(format!("{}.00", 90 + run).parse().unwrap()),
        ..Default::default()
    };
    tally.start();
    let p = s
        .products()
        .update(p.id, p.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("product update: read + guarded write", 2);

    let patch = ProductPatch {
        brand: Some(Some("Acme".parse().unwrap())),
        ..Default::default()
    };
    tally.start();
    let p = s
        .products()
        .update(p.id, p.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("product update of other columns: the same statement", 2);

    tally.start();
    s.products().soft_delete(p.id).await.unwrap();
    tally.expect("product soft delete", 1);

    tally.start();
    s.products()
        .list_deleted(PageRequest::first(50))
        .await
        .unwrap();
    tally.expect("product list deleted", 1);

    tally.start();
    let refused = s
        .products()
        .create(new_product(&format!("RT-{run}-1"), "Same SKU"))
        .await;
    assert!(
        matches!(refused, Err(Error::CollidesWithDeleted { .. })),
        "{refused:?}"
    );
    tally.expect("product create on a deleted SKU: insert + who holds it", 2);

    tally.start();
    s.products().restore(p.id).await.unwrap();
    tally.expect("product restore", 1);
}

fn stock(product: ProductId, warehouse: String) -> NewInventoryLevel {
    NewInventoryLevel {
        product_id: product,
        warehouse_location: warehouse.parse().unwrap(),
        current_stock: 50,
        reserved_stock: 0,
        reorder_level: 5,
        max_stock_level: 100,
        last_restock_date: None,
        last_stock_take: None,
        stock_value: "0".parse().unwrap(),
        turnover_rate: "0".parse().unwrap(),
    }
}

async fn inventory(t: &TwoTenants, db: &Database, tally: &mut Tally<'_>, run: u32) {
    let product = ProductId::from_uuid(t.a.product);
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();

    tally.start();
    let l = s
        .inventory_levels()
        .create(stock(product, format!("RT-{run}")))
        .await
        .unwrap();
    tally.expect("stock create", 1);

    tally.start();
    s.inventory_levels().get(l.id).await.unwrap();
    tally.expect("stock get", 1);

    tally.start();
    s.inventory_levels()
        .list(
            &InventoryLevelFilter::all().below_reorder_level(),
            PageRequest::first(50),
        )
        .await
        .unwrap();
    tally.expect("stock list (due for reorder)", 1);

    let patch = InventoryLevelPatch {
        reorder_level: Some(6),
        ..Default::default()
    };
    tally.start();
    let l = s
        .inventory_levels()
        .update(l.id, l.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("stock update: read + guarded write", 2);

    tally.start();
    s.inventory_levels().reserve(l.id, 10).await.unwrap();
    tally.expect("stock reserve: one conditional UPDATE", 1);

    tally.start();
    s.inventory_levels().release(l.id, 2).await.unwrap();
    tally.expect("stock release: one conditional UPDATE", 1);

    tally.start();
    s.inventory_levels().fulfil(l.id, 3).await.unwrap();
    tally.expect("stock fulfil: one conditional UPDATE", 1);

    tally.start();
    s.inventory_levels()
        .restock(l.id, 20, date(2025, 5, 1))
        .await
        .unwrap();
    tally.expect("stock restock: one conditional UPDATE", 1);

    tally.start();
    s.inventory_levels()
        .adjust(l.id, 60, date(2025, 5, 2))
        .await
        .unwrap();
    tally.expect("stock adjust: one conditional UPDATE", 1);

    tally.start();
    let refused = s.inventory_levels().reserve(l.id, 1000).await;
    assert!(
        matches!(
            refused,
            Err(Error::Transition(TransitionError::InsufficientStock { .. }))
        ),
        "{refused:?}"
    );
    tally.expect("stock reserve refused: UPDATE of no row + read of why", 2);
    drop(s); // the pool's only connection

    let mut uow = db.unit_of_work(&t.ctx_a()).await.unwrap();
    tally.start();
    uow.inventory_levels().reserve(l.id, 1).await.unwrap();
    uow.inventory_levels().release(l.id, 1).await.unwrap();
    uow.commit().await.unwrap();
    tally.expect("stock reserve + release in a unit of work: 2 + COMMIT", 3);

    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    tally.start();
    s.inventory_levels().release(l.id, 5).await.unwrap();
    s.inventory_levels().delete(l.id).await.unwrap();
    tally.expect("stock release + delete", 2);
}

async fn performance(t: &TwoTenants, db: &Database, tally: &mut Tally<'_>, run: u32) {
    let product = ProductId::from_uuid(t.a.product);
    let mut s = db.one_shot(&t.ctx_a()).await.unwrap();
    let year = 2000 + run as i32;
    let figures = |m: u32, units: i32| {
        let mut new = NewProductPerformance::new(product, date(year, m, 1), PeriodType::Monthly);
        new.units_sold = units;
        new
    };

    tally.start();
    let f = s
        .product_performance()
        .create(figures(1, 10))
        .await
        .unwrap();
    tally.expect("figures create", 1);

    tally.start();
    s.product_performance().get(f.id).await.unwrap();
    tally.expect("figures get", 1);

    tally.start();
    s.product_performance()
        .find_for(product, date(year, 1, 1), PeriodType::Monthly)
        .await
        .unwrap();
    tally.expect("figures find for a period", 1);

    tally.start();
    s.product_performance()
        .list(
            &ProductPerformanceFilter::all().product(product),
            PageRequest::first(50),
        )
        .await
        .unwrap();
    tally.expect("figures list", 1);

    tally.start();
    s.product_performance()
        .upsert(figures(2, 11))
        .await
        .unwrap();
    tally.expect("figures upsert (insert)", 1);

    tally.start();
    let f2 = s
        .product_performance()
        .upsert(figures(2, 12))
        .await
        .unwrap();
    tally.expect("figures upsert (update)", 1);
    assert_eq!(f2.units_sold, 12);

    let patch = ProductPerformancePatch {
        returns: Some(1),
        ..Default::default()
    };
    tally.start();
    s.product_performance()
        .update(f.id, f.updated_at, &patch)
        .await
        .unwrap();
    tally.expect("figures update: read + guarded write", 2);

    tally.start();
    s.product_performance().delete(f2.id).await.unwrap();
    tally.expect("figures delete", 1);
}

#[tokio::test]
async fn every_product_operation_prepares_its_statements_once() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = through(&proxy);
    products(&t, &db, &mut Tally::new(&proxy), 0).await;
    let mut tally = Tally::new(&proxy);
    products(&t, &db, &mut tally, 1).await;
    tally.check();
}

#[tokio::test]
async fn every_stock_operation_prepares_its_statements_once() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = through(&proxy);
    inventory(&t, &db, &mut Tally::new(&proxy), 0).await;
    let mut tally = Tally::new(&proxy);
    inventory(&t, &db, &mut tally, 1).await;
    tally.check();
}

#[tokio::test]
async fn every_product_figures_operation_prepares_its_statements_once() {
    let t = TwoTenants::new().await;
    let proxy = RoundTripProxy::start(&t.db).await.unwrap();
    let db = through(&proxy);
    performance(&t, &db, &mut Tally::new(&proxy), 0).await;
    let mut tally = Tally::new(&proxy);
    performance(&t, &db, &mut tally, 1).await;
    tally.check();
}
