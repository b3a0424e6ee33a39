//! `products.inventory_levels`: stock of one product in one warehouse, its
//! filters, and the stock operations that can never oversell.
//!
//! ## Stock
//!
//! `available_stock` is always `current_stock − reserved_stock`: derived by
//! aems-core's [`StockLevels`] when a row is created, kept by every operation,
//! and enforced by the database's CHECKs (`chk_inventory_levels_*`). A stored
//! row whose counts disagree is refused when read ([`Error::Decode`]).
//!
//! ## Operations
//!
//! [`reserve`](InventoryLevels::reserve), [`release`](InventoryLevels::release),
//! [`fulfil`](InventoryLevels::fulfil), [`restock`](InventoryLevels::restock) and
//! [`adjust`](InventoryLevels::adjust) are each ONE conditional `UPDATE … WHERE
//! <the operation is possible> RETURNING …`: PostgreSQL locks the row and
//! re-checks the condition against its latest version, so concurrent
//! operations serialise on the row and none can oversell or lose another's
//! change — in a [`OneShot`](crate::OneShot) as in a unit of work, in one round
//! trip. When the condition fails, the row is read and aems-core's
//! [`InventoryLevel`] operation says why, as a typed
//! [`Error::Transition`] (e.g. `InsufficientStock { requested, available }`);
//! nothing is changed.
//!
//! ## Reorder
//!
//! A row is due for reorder when its *available* stock has fallen to its
//! reorder level (`available_stock <= reorder_level`), as
//! [`InventoryLevel::needs_reorder`] defines it: reserved units are already
//! promised, so they do not count as stock on hand for reordering.

use aems_core::products::inventory_levels::{
    InventoryLevel, InventoryLevelPatch, NewInventoryLevel, StockLevels, StockPolicy,
};
use aems_core::{ErrorCode, Input, InventoryLevelId, ProductId, TenantId, TransitionError, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{self, Page, PageRequest, decode, decode_decimal, keyset};
use crate::schema::products::inventory_levels;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "inventory_levels";

/// How often a stock operation is retried when its condition failed but the
/// row, read right after, shows the operation possible (another transaction
/// changed it in between) before giving up with [`Error::Conflict`].
const STOCK_ATTEMPTS: usize = 3;

/// A row of `products.inventory_levels` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inventory_levels, check_for_backend(Pg))]
pub(crate) struct InventoryLevelRow {
    id: Uuid,
    tenant_id: Uuid,
    product_id: Uuid,
    warehouse_location: String,
    current_stock: i32,
    reserved_stock: i32,
    available_stock: i32,
    reorder_level: i32,
    max_stock_level: i32,
    last_restock_date: Option<NaiveDate>,
    last_stock_take: Option<NaiveDate>,
    stock_value: BigDecimal,
    turnover_rate: BigDecimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl InventoryLevelRow {
    fn into_entity(self) -> Result<InventoryLevel> {
        let refused = |column: &'static str, reason: String| Error::Decode {
            entity: ENTITY,
            column,
            reason,
        };
        let stock = StockLevels::new(self.current_stock, self.reserved_stock)
            .map_err(|e| refused("reserved_stock", e.to_string()))?;
        if stock.available() != self.available_stock {
            return Err(refused(
                "available_stock",
                format!(
                    "{} is not current − reserved ({})",
                    self.available_stock,
                    stock.available()
                ),
            ));
        }
        let policy = StockPolicy::new(self.reorder_level, self.max_stock_level)
            .map_err(|e| refused("max_stock_level", e.to_string()))?;
        Ok(InventoryLevel {
            id: InventoryLevelId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            product_id: ProductId::from_uuid(self.product_id),
            warehouse_location: decode(ENTITY, "warehouse_location", &self.warehouse_location)?,
            stock,
            policy,
            last_restock_date: self.last_restock_date,
            last_stock_take: self.last_stock_take,
            stock_value: decode_decimal(ENTITY, "stock_value", self.stock_value)?,
            turnover_rate: decode_decimal(ENTITY, "turnover_rate", self.turnover_rate)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<InventoryLevelRow>) -> Result<Vec<InventoryLevel>> {
    rows.into_iter()
        .map(InventoryLevelRow::into_entity)
        .collect()
}

/// A new row, as inserted: ids and authorship come from the context,
/// `available_stock` from [`StockLevels`]. `None` is bound as NULL (not
/// rendered as DEFAULT), so the INSERT's text never varies and it is prepared
/// once per connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = inventory_levels,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewInventoryLevelRow {
    id: Uuid,
    tenant_id: Uuid,
    product_id: Uuid,
    warehouse_location: String,
    current_stock: i32,
    reserved_stock: i32,
    available_stock: i32,
    reorder_level: i32,
    max_stock_level: i32,
    last_restock_date: Option<NaiveDate>,
    last_stock_take: Option<NaiveDate>,
    stock_value: BigDecimal,
    turnover_rate: BigDecimal,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewInventoryLevelRow {
    /// From a checked input (its levels and policy are valid).
    fn from_input(new: NewInventoryLevel, tenant: TenantId, actor: UserId) -> Result<Self> {
        let stock = new.stock()?;
        let policy = new.policy()?;
        Ok(Self {
            id: InventoryLevelId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            product_id: new.product_id.into_uuid(),
            warehouse_location: new.warehouse_location.into_string(),
            current_stock: stock.current(),
            reserved_stock: stock.reserved(),
            available_stock: stock.available(),
            reorder_level: policy.reorder_level(),
            max_stock_level: policy.max_stock_level(),
            last_restock_date: new.last_restock_date,
            last_stock_take: new.last_stock_take,
            stock_value: new.stock_value.into_decimal(),
            turnover_rate: new.turnover_rate.into_decimal(),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        })
    }
}

/// Every column an update may change, taken from the checked, patched row:
/// one fixed SQL text for every update (see [`sql::Cached`]); the audit trail
/// still records only the columns whose values changed. Stock counts are not
/// among them: they change only through the operations.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = inventory_levels,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct InventoryLevelChangeset {
    warehouse_location: String,
    reorder_level: i32,
    max_stock_level: i32,
    last_restock_date: Option<NaiveDate>,
    last_stock_take: Option<NaiveDate>,
    stock_value: BigDecimal,
    turnover_rate: BigDecimal,
    updated_by: Uuid,
}

impl InventoryLevelChangeset {
    fn from_entity(l: &InventoryLevel, actor: UserId) -> Self {
        Self {
            warehouse_location: l.warehouse_location.to_string(),
            reorder_level: l.policy.reorder_level(),
            max_stock_level: l.policy.max_stock_level(),
            last_restock_date: l.last_restock_date,
            last_stock_take: l.last_stock_take,
            stock_value: l.stock_value.as_decimal().clone(),
            turnover_rate: l.turnover_rate.as_decimal().clone(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct InventoryLevelFilter {
    /// Only the stock of this product.
    pub product: Option<ProductId>,
    /// Only this warehouse (exact match).
    pub warehouse: Option<String>,
    /// Only rows due for reorder: available stock at or below the reorder
    /// level ([`InventoryLevel::needs_reorder`]).
    pub below_reorder_level: bool,
}

impl InventoryLevelFilter {
    /// No condition: every row.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the stock of `product`.
    pub fn product(mut self, product: ProductId) -> Self {
        self.product = Some(product);
        self
    }

    /// Only `warehouse`.
    pub fn warehouse(mut self, warehouse: impl Into<String>) -> Self {
        self.warehouse = Some(warehouse.into());
        self
    }

    /// Only rows whose available stock has fallen to the reorder level.
    pub fn below_reorder_level(mut self) -> Self {
        self.below_reorder_level = true;
        self
    }
}

/// A stock operation, as [`InventoryLevel`] defines it.
#[derive(Debug, Clone, Copy)]
enum StockOp {
    Reserve(i32),
    Release(i32),
    Fulfil(i32),
    Restock(i32, NaiveDate),
    Adjust(i32, NaiveDate),
}

impl StockOp {
    /// A quantity no stock could make valid (the rule of aems-core's
    /// [`StockLevels`]), refused before anything is sent.
    fn check_quantity(self) -> Result<(), TransitionError> {
        let (quantity, valid) = match self {
            Self::Reserve(n) | Self::Release(n) | Self::Fulfil(n) | Self::Restock(n, _) => {
                (n, n > 0)
            }
            Self::Adjust(counted, _) => (counted, counted >= 0),
        };
        if valid {
            Ok(())
        } else {
            Err(TransitionError::InvalidQuantity { quantity })
        }
    }

    /// What aems-core says of this operation on `level`.
    fn judge(self, level: &InventoryLevel) -> Result<(), TransitionError> {
        match self {
            Self::Reserve(n) => level.reserve(n),
            Self::Release(n) => level.release(n),
            Self::Fulfil(n) => level.fulfil(n),
            Self::Restock(n, on) => level.restock(n, on),
            Self::Adjust(counted, on) => level.adjust(counted, on),
        }
        .map(|_| ())
    }
}

/// The stock of the context's tenant (`uow.inventory_levels()`).
#[derive(Debug)]
pub struct InventoryLevels<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> InventoryLevels<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Row `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: InventoryLevelId) -> Result<InventoryLevel> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Row `id`, if there is one.
    pub async fn find(&mut self, id: InventoryLevelId) -> Result<Option<InventoryLevel>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                inventory_levels::table
                    .find(id.into_uuid())
                    .select(InventoryLevelRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(InventoryLevelRow::into_entity).transpose()
    }

    /// One page of the rows matching `filter`.
    pub async fn list(
        &mut self,
        filter: &InventoryLevelFilter,
        page: PageRequest,
    ) -> Result<Page<InventoryLevel>> {
        let warehouse = filter
            .warehouse
            .as_deref()
            .map(|w| repository::filter_text("warehouse", w, 100))
            .transpose()?;
        let (product, below) = (filter.product, filter.below_reorder_level);
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = inventory_levels::table
                    .select(InventoryLevelRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(product) = product {
                    query = query.filter(inventory_levels::product_id.eq(product.into_uuid()));
                }
                if let Some(warehouse) = warehouse {
                    query = query.filter(inventory_levels::warehouse_location.eq(warehouse));
                }
                if below {
                    query = query.filter(
                        inventory_levels::available_stock.le(inventory_levels::reorder_level),
                    );
                }
                keyset!(
                    query,
                    inventory_levels::tenant_id,
                    inventory_levels::id,
                    page
                )
                .load(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |l| l.id.into_uuid()))
    }

    /// Starts tracking a product in a warehouse, recorded as created by the
    /// context's actor; `available_stock` is derived. The input is checked
    /// first (`0 ≤ reserved ≤ current`, `0 < reorder < max`); nothing is sent
    /// when it is invalid. A second row for the same product and warehouse is
    /// [`Error::UniqueViolation`].
    pub async fn create(&mut self, new: NewInventoryLevel) -> Result<InventoryLevel> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewInventoryLevelRow::from_input(new, ctx.tenant_id(), ctx.actor())?;
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(inventory_levels::table)
                    .values(row)
                    .returning(InventoryLevelRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` (not the counts: see the operations) to row `id` if it
    /// is still as it was at `expected_updated_at`; otherwise
    /// [`Error::Conflict`] and nothing changes.
    pub async fn update(
        &mut self,
        id: InventoryLevelId,
        expected_updated_at: DateTime<Utc>,
        patch: &InventoryLevelPatch,
    ) -> Result<InventoryLevel> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = InventoryLevelChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        inventory_levels::table
                            .find(id.into_uuid())
                            .filter(inventory_levels::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(InventoryLevelRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        updated
            .ok_or(Error::Conflict { entity: ENTITY })?
            .into_entity()
    }

    /// Stops tracking row `id`, for good. Refused while units are reserved on
    /// it ([`Error::Validation`] on `reserved_stock`: release them first), so
    /// no promise to a customer disappears with it; [`Error::NotFound`] when
    /// there is no such row.
    pub async fn delete(&mut self, id: InventoryLevelId) -> Result<()> {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(
                    inventory_levels::table
                        .find(id.into_uuid())
                        .filter(inventory_levels::reserved_stock.eq(0)),
                )
                .execute(&mut { conn })
                .boxed()
            })
            .await?;
        if deleted == 1 {
            return Ok(());
        }
        let current = self.get(id).await?;
        Err(Error::Validation(aems_core::DomainError::field(
            "reserved_stock",
            ErrorCode::NotAllowed,
            format!(
                "{} units are reserved; release them before deleting",
                current.stock.reserved()
            ),
        )))
    }

    /// Promises `quantity` units (> 0) of row `id`: at most what is available,
    /// never more, however many reserve at once. Refused with
    /// [`TransitionError::InsufficientStock`] (through [`Error::Transition`])
    /// and nothing changed when not enough is available.
    pub async fn reserve(&mut self, id: InventoryLevelId, quantity: i32) -> Result<InventoryLevel> {
        self.apply(id, StockOp::Reserve(quantity)).await
    }

    /// Takes back a promise of `quantity` units (> 0), at most what is reserved
    /// ([`TransitionError::ExceedsReserved`]).
    pub async fn release(&mut self, id: InventoryLevelId, quantity: i32) -> Result<InventoryLevel> {
        self.apply(id, StockOp::Release(quantity)).await
    }

    /// Ships `quantity` reserved units (> 0): they leave both the reservation
    /// and the stock on hand ([`TransitionError::ExceedsReserved`] beyond what
    /// is reserved).
    pub async fn fulfil(&mut self, id: InventoryLevelId, quantity: i32) -> Result<InventoryLevel> {
        self.apply(id, StockOp::Fulfil(quantity)).await
    }

    /// Receives `quantity` new units (> 0) on `on`, recorded as the last
    /// delivery ([`TransitionError::StockOverflow`] past the INTEGER column).
    pub async fn restock(
        &mut self,
        id: InventoryLevelId,
        quantity: i32,
        on: NaiveDate,
    ) -> Result<InventoryLevel> {
        self.apply(id, StockOp::Restock(quantity, on)).await
    }

    /// Records a stock take on `on` that counted `counted` units (≥ 0), never
    /// below what is reserved ([`TransitionError::BelowReserved`]).
    pub async fn adjust(
        &mut self,
        id: InventoryLevelId,
        counted: i32,
        on: NaiveDate,
    ) -> Result<InventoryLevel> {
        self.apply(id, StockOp::Adjust(counted, on)).await
    }

    /// Runs `op` as one conditional UPDATE (a fixed SET list per operation,
    /// wrapped in [`sql::Cached`]: prepared once); when its condition fails,
    /// reads the row and returns aems-core's reason.
    async fn apply(&mut self, id: InventoryLevelId, op: StockOp) -> Result<InventoryLevel> {
        op.check_quantity()?;
        let actor = self.exec.context().actor().into_uuid();
        let key = id.into_uuid();
        for _ in 0..STOCK_ATTEMPTS {
            let updated = self
                .exec
                .run(ENTITY, move |conn| {
                    use inventory_levels::*;
                    let row = table.find(key);
                    let returning = InventoryLevelRow::as_returning();
                    match op {
                        StockOp::Reserve(n) => sql::Cached(
                            diesel::update(row.filter(available_stock.ge(n)))
                                .set((
                                    reserved_stock.eq(reserved_stock + n),
                                    available_stock.eq(available_stock - n),
                                    updated_by.eq(actor),
                                ))
                                .returning(returning),
                        )
                        .get_result(&mut { conn })
                        .boxed(),
                        StockOp::Release(n) => sql::Cached(
                            diesel::update(row.filter(reserved_stock.ge(n)))
                                .set((
                                    reserved_stock.eq(reserved_stock - n),
                                    available_stock.eq(available_stock + n),
                                    updated_by.eq(actor),
                                ))
                                .returning(returning),
                        )
                        .get_result(&mut { conn })
                        .boxed(),
                        StockOp::Fulfil(n) => sql::Cached(
                            diesel::update(row.filter(reserved_stock.ge(n)))
                                .set((
                                    current_stock.eq(current_stock - n),
                                    reserved_stock.eq(reserved_stock - n),
                                    updated_by.eq(actor),
                                ))
                                .returning(returning),
                        )
                        .get_result(&mut { conn })
                        .boxed(),
                        StockOp::Restock(n, on) => {
                            // n > 0, so i32::MAX - n cannot overflow; the
                            // condition keeps current + n in the column.
                            sql::Cached(
                                diesel::update(row.filter(current_stock.le(i32::MAX - n)))
                                    .set((
                                        current_stock.eq(current_stock + n),
                                        available_stock.eq(available_stock + n),
                                        last_restock_date.eq(Some(on)),
                                        updated_by.eq(actor),
                                    ))
                                    .returning(returning),
                            )
                            .get_result(&mut { conn })
                            .boxed()
                        }
                        StockOp::Adjust(counted, on) => sql::Cached(
                            diesel::update(row.filter(reserved_stock.le(counted)))
                                .set((
                                    current_stock.eq(counted),
                                    available_stock
                                        .eq(counted.into_sql::<Integer>() - reserved_stock),
                                    last_stock_take.eq(Some(on)),
                                    updated_by.eq(actor),
                                ))
                                .returning(returning),
                        )
                        .get_result(&mut { conn })
                        .boxed(),
                    }
                    .map(|r| r.optional())
                    .boxed()
                })
                .await?;
            if let Some(row) = updated {
                return row.into_entity();
            }
            // Only on this path: why not? Not there, or aems-core refuses.
            let current = self.get(id).await?;
            op.judge(&current)?;
            // Possible now: another transaction changed the row in between.
        }
        Err(Error::Conflict { entity: ENTITY })
    }
}

impl<'e, E: Transactional> InventoryLevels<'e, E> {
    /// Starts tracking many (product, warehouse) pairs in one transaction, in
    /// multi-row INSERTs below PostgreSQL's parameter limit. Every input is
    /// checked first and every failing one reported (`[3].reserved_stock`);
    /// nothing is sent when one is invalid.
    pub async fn create_many(
        &mut self,
        news: Vec<NewInventoryLevel>,
    ) -> Result<Vec<InventoryLevel>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows = news
            .into_iter()
            .map(|n| NewInventoryLevelRow::from_input(n, tenant, actor))
            .collect::<Result<Vec<_>>>()?;
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(inventory_levels::table)
                        .values(chunk)
                        .returning(InventoryLevelRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }
}
