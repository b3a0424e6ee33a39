//! `products.product_performance` through its repository: upsert on
//! (tenant, product, date, period), filters by product, period and date range,
//! paging, optimistic concurrency, delete, isolation.

use aems_core::products::product_performance::{
    NewProductPerformance, ProductPerformance, ProductPerformancePatch,
};
use aems_core::{ErrorCode, PeriodType, ProductId, ProductPerformanceId};
use aems_diesel::Error;
use aems_diesel::prelude::*;
use aems_diesel::products::ProductPerformanceFilter;

use super::{date, new_product};
use crate::support::TwoTenants;

fn figures(product: ProductId, m: u32, period: PeriodType, units: i32) -> NewProductPerformance {
    let mut new = NewProductPerformance::new(product, date(2024, m, 1), period);
    new.units_sold = units;
    new
}

fn ids(page: Page<ProductPerformance>) -> Vec<ProductPerformanceId> {
    page.items.into_iter().map(|p| p.id).collect()
}

#[tokio::test]
async fn created_figures_read_back_whole_with_authorship_and_by_their_key() {
    let t = TwoTenants::new().await;
    let product = ProductId::from_uuid(t.a.product);
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut input = figures(product, 3, PeriodType::Monthly, 40);
    input.revenue = "3200.00".parse().unwrap();
    input.profit = "-15.50".parse().unwrap();
    input.customer_rating = Some("4.2".parse().unwrap());
    input.price_elasticity = Some("-12.3456".parse().unwrap());
    input.demand_forecast = Some(45);
    let created = db
        .product_performance()
        .create(input.clone())
        .await
        .unwrap();
    assert_eq!(created.profit, input.profit);
    assert_eq!(created.customer_rating, input.customer_rating);
    assert_eq!(created.price_elasticity, input.price_elasticity);
    assert_eq!(created.demand_forecast, Some(45));
    assert_eq!(created.created_by.into_uuid(), t.a.user);
    assert_eq!(created.tenant_id.into_uuid(), t.a.tenant);
    assert_eq!(
        db.product_performance().get(created.id).await.unwrap(),
        created
    );
    assert_eq!(
        db.product_performance()
            .find_for(product, date(2024, 3, 1), PeriodType::Monthly)
            .await
            .unwrap(),
        Some(created)
    );
    assert!(matches!(
        db.product_performance().create(input).await,
        Err(Error::UniqueViolation { constraint, .. })
            if constraint == "uq_product_performance_tenant_product_date_period"
    ));
}

#[tokio::test]
async fn upsert_inserts_then_replaces_the_figures_of_the_same_product_and_period() {
    let t = TwoTenants::new().await;
    let product = ProductId::from_uuid(t.a.product);
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let first = db
        .product_performance()
        .upsert(figures(product, 5, PeriodType::Weekly, 10))
        .await
        .unwrap();
    let mut again = figures(product, 5, PeriodType::Weekly, 12);
    again.returns = 1;
    again.customer_rating = Some("3.0".parse().unwrap());
    let second = db.product_performance().upsert(again).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.created_at, first.created_at);
    assert_eq!((second.units_sold, second.returns), (12, 1));
    assert_eq!(second.customer_rating, Some("3.0".parse().unwrap()));
    assert!(second.updated_at > first.updated_at);
    // Replacing also clears what the new figures leave out.
    let third = db
        .product_performance()
        .upsert(figures(product, 5, PeriodType::Weekly, 13))
        .await
        .unwrap();
    assert_eq!((third.id, third.customer_rating), (first.id, None));

    // Another product, another period: other rows.
    let other = db
        .products()
        .create(new_product("SKU-2", "Second"))
        .await
        .unwrap()
        .id;
    let other_row = db
        .product_performance()
        .upsert(figures(other, 5, PeriodType::Weekly, 1))
        .await
        .unwrap();
    let daily = db
        .product_performance()
        .upsert(figures(product, 5, PeriodType::Daily, 1))
        .await
        .unwrap();
    assert_ne!(other_row.id, first.id);
    assert_ne!(daily.id, first.id);

    // Concurrent upserts of one key neither fail nor duplicate.
    let ctx = t.ctx_a();
    let upserts = (0..6).map(|i| {
        let (database, ctx) = (&t.database, &ctx);
        async move {
            database
                .transaction(ctx, async |uow| {
                    uow.product_performance()
                        .upsert(figures(product, 6, PeriodType::Monthly, i))
                        .await
                })
                .await
        }
    });
    let ids: std::collections::BTreeSet<_> = futures_util::future::join_all(upserts)
        .await
        .into_iter()
        .map(|r| r.unwrap().id)
        .collect();
    assert_eq!(ids.len(), 1);
    // 2 seeded + weekly + other product + daily + June.
    assert_eq!(t.count("products.product_performance").await, 6);
}

#[tokio::test]
async fn lists_filter_by_product_period_and_date_range_across_pages() {
    let t = TwoTenants::new().await;
    let product = ProductId::from_uuid(t.a.product);
    let mut uow = t.database.unit_of_work(&t.ctx_a()).await.unwrap();
    let other = uow
        .products()
        .create(new_product("SKU-2", "Second"))
        .await
        .unwrap()
        .id;
    let mut inputs: Vec<_> = (1..=12)
        .map(|m| figures(product, m, PeriodType::Monthly, 1))
        .collect();
    inputs.extend((1..=6).map(|m| figures(other, m, PeriodType::Monthly, 2)));
    inputs.push(figures(other, 1, PeriodType::Yearly, 3));
    let created = uow.product_performance().create_many(inputs).await.unwrap();
    uow.commit().await.unwrap();
    let mine: Vec<_> = created[..12].iter().map(|p| p.id).collect();
    let others: Vec<_> = created[12..18].iter().map(|p| p.id).collect();
    let yearly = created[18].id;

    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut read_all = async |filter: ProductPerformanceFilter| {
        let mut seen = Vec::new();
        let mut request = PageRequest::first(4);
        loop {
            let page = db
                .product_performance()
                .list(&filter, request)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|p| p.id));
            match page.next {
                Some(cursor) => request = PageRequest::after(cursor, 4),
                None => break seen,
            }
        }
    };
    assert_eq!(
        read_all(ProductPerformanceFilter::all().product(other)).await,
        [others.clone(), vec![yearly]].concat()
    );
    assert_eq!(
        read_all(
            ProductPerformanceFilter::all()
                .product(product)
                .between(date(2024, 2, 1), date(2024, 11, 1))
        )
        .await,
        mine[1..11]
    );
    assert_eq!(
        read_all(
            ProductPerformanceFilter::all()
                .period_type(PeriodType::Monthly)
                .from(date(2024, 6, 1))
                .until(date(2024, 6, 30))
        )
        .await,
        vec![mine[5], others[5]]
    );
    assert_eq!(
        read_all(ProductPerformanceFilter::all().period_type(PeriodType::Yearly)).await,
        vec![yearly]
    );
    assert!(
        read_all(
            ProductPerformanceFilter::all()
                .product(other)
                .until(date(2023, 12, 31))
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn another_tenants_figures_are_not_found_listed_changed_or_deleted() {
    let t = TwoTenants::new().await;
    let mut b = t.database.one_shot(&t.ctx_b()).await.unwrap();
    let theirs = b
        .product_performance()
        .create(figures(
            ProductId::from_uuid(t.b.product),
            1,
            PeriodType::Monthly,
            9,
        ))
        .await
        .unwrap();
    let mut a = t.database.one_shot(&t.ctx_a()).await.unwrap();
    assert!(matches!(
        a.product_performance().get(theirs.id).await,
        Err(Error::NotFound {
            entity: "product_performance"
        })
    ));
    assert!(
        !ids(a
            .product_performance()
            .list(&ProductPerformanceFilter::all(), PageRequest::first(100))
            .await
            .unwrap())
        .contains(&theirs.id)
    );
    let patch = ProductPerformancePatch {
        units_sold: Some(0),
        ..Default::default()
    };
    assert!(matches!(
        a.product_performance()
            .update(theirs.id, theirs.updated_at, &patch)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        a.product_performance().delete(theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    // A's upsert of B's product is refused like an unknown product.
    assert!(matches!(
        a.product_performance()
            .upsert(figures(ProductId::from_uuid(t.b.product), 1, PeriodType::Monthly, 1))
            .await,
        Err(Error::ForeignKeyViolation { constraint, .. })
            if constraint == "fk_product_performance_product_id"
    ));
    assert_eq!(
        b.product_performance().get(theirs.id).await.unwrap(),
        theirs
    );
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_bad_figures_are_refused_with_every_field() {
    let t = TwoTenants::new().await;
    let product = ProductId::from_uuid(t.a.product);
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let mut bad = figures(product, 2, PeriodType::Monthly, -1);
    bad.returns = -1;
    bad.revenue = "-0.01".parse().unwrap();
    bad.demand_forecast = Some(-1);
    for result in [
        db.product_performance().create(bad.clone()).await,
        db.product_performance().upsert(bad).await,
    ] {
        match result {
            Err(Error::Validation(e)) => {
                for field in ["units_sold", "returns", "revenue", "demand_forecast"] {
                    assert!(e.has(field, ErrorCode::OutOfRange), "{field}: {e}");
                }
            }
            other => panic!("{other:?}"),
        }
    }
    let row = db
        .product_performance()
        .create(figures(product, 2, PeriodType::Monthly, 5))
        .await
        .unwrap();
    let patch = ProductPerformancePatch {
        review_count: Some(3),
        price_elasticity: Some(Some("-1.5".parse().unwrap())),
        ..Default::default()
    };
    let updated = db
        .product_performance()
        .update(row.id, row.updated_at, &patch)
        .await
        .unwrap();
    assert_eq!(updated.review_count, 3);
    assert_eq!(updated.units_sold, 5);
    assert!(matches!(
        db.product_performance()
            .update(row.id, row.updated_at, &patch)
            .await,
        Err(Error::Conflict { .. })
    ));
    let negative = ProductPerformancePatch {
        review_count: Some(-1),
        ..Default::default()
    };
    assert!(matches!(
        db.product_performance()
            .update(row.id, updated.updated_at, &negative)
            .await,
        Err(Error::Validation(e)) if e.has("review_count", ErrorCode::OutOfRange)
    ));
    assert_eq!(db.product_performance().get(row.id).await.unwrap(), updated);

    db.product_performance().delete(row.id).await.unwrap();
    assert_eq!(db.product_performance().find(row.id).await.unwrap(), None);
    assert!(matches!(
        db.product_performance().delete(row.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(t.count("products.product_performance").await, 2);
}
