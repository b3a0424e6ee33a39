//! A hot item reserved by 8 concurrent tasks: the library's one-shot
//! `reserve` (validated, tenant-scoped, audited) against a raw
//! single-statement conditional UPDATE doing the same reservation on a copy
//! of the table. Both must never oversell; the ratio compares throughput.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aems::core::InventoryLevelId;
use aems::core::products::inventory_levels::NewInventoryLevel;
use aems::core::products::products::{LifecycleStage, NewProduct, ProductStatus};
use aems::db::prelude::*;
use criterion::Criterion;
use tokio::runtime::Runtime;
use tokio_postgres::Client;
use uuid::Uuid;

use super::Env;

/// Concurrent tasks, and reservations each makes per iteration.
pub const TASKS: usize = 8;
pub const PER_TASK: usize = 25;

/// What the benchmark reserved, for the oversell check.
pub struct StockOutcome {
    pub library_row: Uuid,
    pub raw_row: Uuid,
    pub library_granted: Arc<AtomicU64>,
    pub raw_granted: Arc<AtomicU64>,
}

pub fn bench(c: &mut Criterion, rt: &Runtime, env: &Env) -> StockOutcome {
    let (library_row, raw_row) = rt.block_on(setup(env));
    let raw_clients: Arc<Vec<Client>> = Arc::new(rt.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..TASKS {
            clients.push(env.raw_client().await);
        }
        clients
    }));
    let library_granted = Arc::new(AtomicU64::new(0));
    let raw_granted = Arc::new(AtomicU64::new(0));

    let mut group = c.benchmark_group("stock_reserve_8_tasks");
    group.sample_size(10);
    group.bench_function("raw_conditional_update", |b| {
        b.to_async(rt).iter(|| {
            let clients = raw_clients.clone();
            let granted = raw_granted.clone();
            async move {
                let mut tasks = Vec::new();
                for t in 0..TASKS {
                    let clients = clients.clone();
                    let granted = granted.clone();
                    tasks.push(tokio::spawn(async move {
                        let client = &clients[t];
                        let statement = client
                            .prepare(
                                "UPDATE bench.inventory_levels
                                 SET reserved_stock = reserved_stock + 1, available_stock = available_stock - 1
                                 WHERE id = $1 AND available_stock >= 1",
                            )
                            .await
                            .unwrap();
                        for _ in 0..PER_TASK {
                            let n = client.execute(&statement, &[&raw_row]).await.unwrap();
                            granted.fetch_add(n, Ordering::Relaxed);
                        }
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
            }
        })
    });
    group.bench_function("library_one_shot_reserve", |b| {
        b.to_async(rt).iter(|| {
            let granted = library_granted.clone();
            async move {
                let mut tasks = Vec::new();
                for _ in 0..TASKS {
                    let (db, ctx, granted) = (env.db.clone(), env.ctx.clone(), granted.clone());
                    tasks.push(tokio::spawn(async move {
                        let id = InventoryLevelId::from_uuid(library_row);
                        for _ in 0..PER_TASK {
                            let mut s = db.one_shot(&ctx).await.unwrap();
                            s.inventory_levels().reserve(id, 1).await.unwrap();
                            granted.fetch_add(1, Ordering::Relaxed);
                        }
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
            }
        })
    });
    group.finish();
    StockOutcome {
        library_row,
        raw_row,
        library_granted,
        raw_granted,
    }
}

/// A product with a hot inventory row, through the library, and its copy.
async fn setup(env: &Env) -> (Uuid, Uuid) {
    let mut uow = env.db.unit_of_work(&env.ctx).await.unwrap();
    let product = uow
        .products()
        .create(NewProduct {
            sku: "HOT-1".parse().unwrap(),
            name: "Hot item".parse().unwrap(),
            description: None,
            category: "Bench".parse().unwrap(),
            subcategory: None,
            brand: None,
            unit_cost: "1.00".parse().unwrap(),
            selling_price: "2.00".parse().unwrap(),
            weight: None,
            dimensions: None,
            lifecycle_stage: LifecycleStage::Growth,
            launch_date: None,
            discontinue_date: None,
            supplier_info: None,
            status: ProductStatus::Active,
        })
        .await
        .unwrap();
    let level = uow
        .inventory_levels()
        .create(NewInventoryLevel {
            product_id: product.id,
            warehouse_location: "Hot".parse().unwrap(),
            current_stock: 1_000_000_000,
            reserved_stock: 0,
            reorder_level: 1,
            max_stock_level: 2_000_000_000,
            last_restock_date: None,
            last_stock_take: None,
            stock_value: "0".parse().unwrap(),
            turnover_rate: "0".parse().unwrap(),
        })
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let library_row = level.id.into_uuid();
    let raw_row = Uuid::now_v7();
    env.admin_client()
        .await
        .batch_execute(&format!(
            "CREATE TABLE bench.inventory_levels (LIKE products.inventory_levels INCLUDING ALL);
             ALTER TABLE bench.inventory_levels
                 ADD FOREIGN KEY (tenant_id) REFERENCES auth.tenants (id) ON DELETE CASCADE,
                 ADD FOREIGN KEY (tenant_id, product_id) REFERENCES products.products (tenant_id, id);
             CREATE TRIGGER trg_bench_inventory_updated_at BEFORE UPDATE ON bench.inventory_levels
                 FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
             INSERT INTO bench.inventory_levels SELECT * FROM products.inventory_levels WHERE id = '{library_row}';
             UPDATE bench.inventory_levels SET id = '{raw_row}';
             GRANT SELECT, UPDATE ON bench.inventory_levels TO {role};",
            role = env.test_db.app_role()
        ))
        .await
        .unwrap();
    (library_row, raw_row)
}
