//! Full-text search of customers and products through the search functions
//! (migration `003805_search_functions`, bodies from `003806`): every match once, in page order,
//! with the other filters, in both orders, whichever plan the function's
//! statement gets. The expected answers are computed by the administrator
//! from the text itself (`to_tsvector(...)`), not from the stored documents
//! the search matches.
//!
//! Isolation of the search path: `auth::security`; its plans: `plans`.

use aems_core::products::products::{LifecycleStage, ProductStatus};
use aems_core::sales::customers::{CustomerSegment, CustomerStatus};
use aems_diesel::prelude::*;
use aems_diesel::products::ProductFilter;
use aems_diesel::sales::CustomerFilter;
use aems_diesel::{Database, DatabaseConfig, Order};
use uuid::Uuid;

use crate::support::{TwoTenants, admin};

/// The words of the seeded company names: `{first} {second} {n}`, the first
/// drawn from 8 (one row in 8 has each), the second from 5.
pub const FIRST_WORDS: [&str; 8] = [
    "Northwind",
    "Bluepeak",
    "Granite",
    "Harbor",
    "Juniper",
    "Keystone",
    "Maple",
    "Summit",
];
/// See [`FIRST_WORDS`].
pub const SECOND_WORDS: [&str; 5] = ["Systems", "Logistics", "Pharmacy", "Analytics", "Foods"];

/// Writes `a` customers and as many products for tenant A and `b` of each
/// for tenant B (as the administrator, in one statement each), with the same
/// words, so that a search leaking across tenants would find B's rows. One
/// row in 17 of each is soft-deleted. Then ANALYZE, so the planner knows the
/// words' frequencies.
pub async fn seed_search_rows(t: &TwoTenants, a: usize, b: usize) {
    let words = |list: &[&str]| {
        list.iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let (first, second) = (words(&FIRST_WORDS), words(&SECOND_WORDS));
    admin(&t.db)
        .await
        .batch_execute(&format!(
            "BEGIN;
             SELECT set_config('app.cross_tenant_reason', 'search test seed', true);
             CREATE TEMP TABLE seed_tenants (tenant uuid, author uuid, n int);
             INSERT INTO seed_tenants VALUES ('{ta}', '{ua}', {a}), ('{tb}', '{ub}', {b});
             INSERT INTO sales.customers (id, tenant_id, company_name, contact_email, customer_segment,
                                          acquisition_date, territory, status, created_by, updated_by, deleted_at)
             SELECT public.uuid_generate_v7(), s.tenant,
                    (ARRAY[{first}])[1 + h % 8] || ' ' || (ARRAY[{second}])[1 + h / 8 % 5] || ' ' || g,
                    'buyer' || g || '@search.example.com',
                    (ARRAY['enterprise','mid_market','smb','startup'])[1 + g % 4],
                    date '2025-01-01', 'T' || g % 3,
                    (ARRAY['active','prospect','inactive','churned'])[1 + g / 4 % 4],
                    s.author, s.author,
                    CASE WHEN g % 17 = 0 THEN now() END
             FROM seed_tenants s,
                  LATERAL (SELECT g, (g::bigint * 2654435761) % 4294967296 AS h
                           FROM generate_series(1, s.n) g) x
             ORDER BY s.tenant, g;
             INSERT INTO products.products (id, tenant_id, sku, name, description, category, unit_cost,
                                            selling_price, profit_margin, lifecycle_stage, status,
                                            created_by, updated_by, deleted_at)
             SELECT public.uuid_generate_v7(), s.tenant, 'SRCH-' || g,
                    (ARRAY[{first}])[1 + h % 8] || ' ' || g,
                    CASE WHEN g % 3 <> 0 THEN 'For ' || (ARRAY[{second}])[1 + h / 8 % 5] END,
                    'Cat' || g % 3, 10.00, 20.00, 50.00,
                    (ARRAY['development','launch','growth','maturity'])[1 + g % 4],
                    (ARRAY['active','inactive','discontinued','out_of_stock'])[1 + g / 4 % 4],
                    s.author, s.author,
                    CASE WHEN g % 17 = 0 THEN now() END
             FROM seed_tenants s,
                  LATERAL (SELECT g, (g::bigint * 2654435761) % 4294967296 AS h
                           FROM generate_series(1, s.n) g) x
             ORDER BY s.tenant, g;
             COMMIT;
             ANALYZE sales.customers;
             ANALYZE products.products;",
            ta = t.a.tenant,
            ua = t.a.user,
            tb = t.b.tenant,
            ub = t.b.user,
        ))
        .await
        .unwrap_or_else(|e| panic!("seeding the search rows failed: {e}"));
}

/// Fails unless `got` is `want`, saying where they part (not all of both).
#[track_caller]
fn assert_same(got: &[Uuid], want: &[Uuid], what: &str) {
    if got != want {
        let at = got.iter().zip(want).take_while(|(g, w)| g == w).count();
        panic!(
            "{what}: {} ids, {} expected; they part at {at}: {:?} instead of {:?}",
            got.len(),
            want.len(),
            got.get(at),
            want.get(at)
        );
    }
}

/// Every page of `list` from the first, `size` rows at a time, in `order`.
async fn every_page<T, F>(order: Order, size: u32, mut list: F) -> Vec<Uuid>
where
    F: AsyncFnMut(PageRequest) -> Page<T>,
    T: HasId,
{
    let mut ids = Vec::new();
    let mut page = list(PageRequest::first(size).order(order)).await;
    loop {
        assert!(page.items.len() <= size as usize);
        ids.extend(page.items.iter().map(HasId::id));
        match page.next {
            Some(cursor) => {
                assert_eq!(
                    page.items.len(),
                    size as usize,
                    "a short page before the end"
                );
                page = list(PageRequest::after(cursor, size)).await;
            }
            None => break,
        }
    }
    ids
}

trait HasId {
    fn id(&self) -> Uuid;
}

impl HasId for aems_core::sales::customers::Customer {
    fn id(&self) -> Uuid {
        self.id.into_uuid()
    }
}

impl HasId for aems_core::products::products::Product {
    fn id(&self) -> Uuid {
        self.id.into_uuid()
    }
}

/// The ids the administrator finds with `condition` (SQL over the table's own
/// columns, `$1` the search text) among tenant A's live rows of `table`.
async fn expected(
    t: &TwoTenants,
    table: &str,
    condition: &str,
    search: &str,
    order: Order,
) -> Vec<Uuid> {
    let direction = match order {
        Order::OldestFirst => "ASC",
        Order::NewestFirst => "DESC",
    };
    admin(&t.db)
        .await
        .query(
            &format!(
                "SELECT id FROM {table} WHERE tenant_id = $2 AND deleted_at IS NULL AND {condition}
                 ORDER BY id {direction}"
            ),
            &[&search, &t.a.tenant],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Pools whose connections plan the search functions' statements three ways:
/// as the planner likes; without bitmap scans (so never through a GIN index:
/// the tenant index walked in page order); without plain index or sequential
/// scans (so never that walk: bitmap scans only). Each is a setting of this
/// test's own database, which new connections read.
async fn three_plans(t: &TwoTenants) -> Vec<(&'static str, Database)> {
    let admin = admin(&t.db).await;
    let name: String = admin
        .query_one("SELECT current_database()::text", &[])
        .await
        .unwrap()
        .get(0);
    let mut pools = Vec::new();
    for (label, settings) in [
        ("as planned", &[][..]),
        ("no bitmap scans", &["enable_bitmapscan"][..]),
        (
            "bitmap scans only",
            &["enable_indexscan", "enable_seqscan"][..],
        ),
    ] {
        admin
            .batch_execute(&format!("ALTER DATABASE \"{name}\" RESET ALL"))
            .await
            .unwrap();
        for setting in settings {
            admin
                .batch_execute(&format!("ALTER DATABASE \"{name}\" SET {setting} = off"))
                .await
                .unwrap();
        }
        // A new pool of one connection, opened now with the settings above
        // and kept (used one statement at a time, it is never replaced).
        let pool =
            Database::new(DatabaseConfig::new(t.db.app_url()).max_connections(1)).expect("a pool");
        let mut probe = pool.one_shot(&t.ctx_a()).await.unwrap();
        probe
            .customers()
            .find(aems_core::CustomerId::new())
            .await
            .unwrap();
        drop(probe);
        pools.push((label, pool));
    }
    pools
}

#[tokio::test]
async fn a_customer_search_returns_every_match_once_in_page_order_with_the_filters_however_planned()
{
    let t = TwoTenants::new().await;
    seed_search_rows(&t, 2_400, 800).await;
    let text = "to_tsvector('english', company_name) @@ plainto_tsquery('english', $1)";
    // (search, filter, the expected rows' condition beyond the search)
    let cases: Vec<(&str, CustomerFilter, &str)> = vec![
        ("northwind", CustomerFilter::all(), "true"),
        ("PHARMACIES", CustomerFilter::all(), "true"),
        ("granite analytics", CustomerFilter::all(), "true"),
        ("1234", CustomerFilter::all(), "true"),
        (
            "summit",
            CustomerFilter::all().segment(CustomerSegment::Smb),
            "customer_segment = 'smb'",
        ),
        (
            "systems",
            CustomerFilter::all()
                .segment(CustomerSegment::Enterprise)
                .status(CustomerStatus::Prospect)
                .territory("T1"),
            "customer_segment = 'enterprise' AND status = 'prospect' AND territory = 'T1'",
        ),
        ("the of and", CustomerFilter::all(), "false"),
        ("nowhere-to-be-found", CustomerFilter::all(), "true"),
    ];
    let plans = three_plans(&t).await;
    for (search, filter, condition) in &cases {
        for order in [Order::OldestFirst, Order::NewestFirst] {
            let want = expected(
                &t,
                "sales.customers",
                &format!("{text} AND {condition}"),
                search,
                order,
            )
            .await;
            if *search == "northwind" {
                assert!(want.len() > 200, "the seed is too small: {}", want.len());
            }
            for (plan, pool) in &plans {
                let filter = filter.clone().search(*search);
                let got = every_page(order, 37, async |page| {
                    let mut db = pool.one_shot(&t.ctx_a()).await.unwrap();
                    db.customers().list(&filter, page).await.unwrap()
                })
                .await;
                assert_same(&got, &want, &format!("{search:?} {order:?} {plan}"));
            }
        }
    }
}

#[tokio::test]
async fn a_product_search_returns_every_match_once_in_page_order_with_the_filters_however_planned()
{
    let t = TwoTenants::new().await;
    seed_search_rows(&t, 2_400, 800).await;
    let text = "to_tsvector('english', name || ' ' || coalesce(description, '')) @@ plainto_tsquery('english', $1)";
    let cases: Vec<(&str, ProductFilter, &str)> = vec![
        ("maple", ProductFilter::all(), "true"),
        ("analytic", ProductFilter::all(), "true"),
        ("keystone foods", ProductFilter::all(), "true"),
        ("777", ProductFilter::all(), "true"),
        (
            "harbor",
            ProductFilter::all().category("Cat1"),
            "category = 'Cat1'",
        ),
        (
            "logistics",
            ProductFilter::all()
                .category("Cat2")
                .lifecycle_stage(LifecycleStage::Growth)
                .status(ProductStatus::Inactive),
            "category = 'Cat2' AND lifecycle_stage = 'growth' AND status = 'inactive'",
        ),
    ];
    let plans = three_plans(&t).await;
    for (search, filter, condition) in &cases {
        for order in [Order::OldestFirst, Order::NewestFirst] {
            let want = expected(
                &t,
                "products.products",
                &format!("{text} AND {condition}"),
                search,
                order,
            )
            .await;
            for (plan, pool) in &plans {
                let filter = filter.clone().search(*search);
                let got = every_page(order, 37, async |page| {
                    let mut db = pool.one_shot(&t.ctx_a()).await.unwrap();
                    db.products().list(&filter, page).await.unwrap()
                })
                .await;
                assert_same(&got, &want, &format!("{search:?} {order:?} {plan}"));
            }
        }
    }
}

#[tokio::test]
async fn a_renamed_customer_is_found_by_its_new_name_and_a_soft_deleted_one_by_none() {
    let t = TwoTenants::new().await;
    seed_search_rows(&t, 100, 10).await;
    let mut db = t.database.one_shot(&t.ctx_a()).await.unwrap();
    let search = |q: &str| CustomerFilter::all().search(q);
    let first = PageRequest::first(10);
    let found = db
        .customers()
        .list(&search("1"), first)
        .await
        .unwrap()
        .items;
    assert_eq!(found.len(), 1);
    let customer = &found[0];
    let patch = aems_core::sales::customers::CustomerPatch {
        company_name: Some("Zanzibar Trading".parse().unwrap()),
        ..Default::default()
    };
    let renamed = db
        .customers()
        .update(customer.id, customer.updated_at, &patch)
        .await
        .unwrap();
    // The stored document follows the name.
    let ids = |page: Page<aems_core::sales::customers::Customer>| {
        page.items.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(db
            .customers()
            .list(&search("zanzibar"), first)
            .await
            .unwrap()),
        vec![renamed.id]
    );
    assert!(
        db.customers()
            .list(&search("1"), first)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    db.customers().soft_delete(renamed.id).await.unwrap();
    assert!(
        db.customers()
            .list(&search("zanzibar"), first)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    db.customers().restore(renamed.id).await.unwrap();
    assert_eq!(
        ids(db
            .customers()
            .list(&search("trading"), first)
            .await
            .unwrap()),
        vec![renamed.id]
    );
}
