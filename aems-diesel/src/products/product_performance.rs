//! `products.product_performance`: sales figures of one product per date and
//! period, one row per (tenant, product, metric date, period).
//!
//! Figures are recomputed and recorded again, so the usual write is
//! [`ProductPerformances::upsert`] on the row's unique key; rows are
//! hard-deleted (derived figures, not records anyone must keep).

use aems_core::products::product_performance::{
    NewProductPerformance, ProductPerformance, ProductPerformancePatch,
};
use aems_core::{Input, PeriodType, ProductId, ProductPerformanceId, TenantId, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::decode_decimal_opt;
use crate::repository::{self, Page, PageRequest, decode, decode_decimal, keyset};
use crate::schema::products::product_performance;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "product_performance";

/// A row of `products.product_performance` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = product_performance, check_for_backend(Pg))]
pub(crate) struct ProductPerformanceRow {
    id: Uuid,
    tenant_id: Uuid,
    product_id: Uuid,
    metric_date: NaiveDate,
    period_type: String,
    units_sold: i32,
    revenue: BigDecimal,
    profit: BigDecimal,
    returns: i32,
    customer_rating: Option<BigDecimal>,
    review_count: i32,
    price_elasticity: Option<BigDecimal>,
    demand_forecast: Option<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl ProductPerformanceRow {
    fn into_entity(self) -> Result<ProductPerformance> {
        Ok(ProductPerformance {
            id: ProductPerformanceId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            product_id: ProductId::from_uuid(self.product_id),
            metric_date: self.metric_date,
            period_type: decode(ENTITY, "period_type", &self.period_type)?,
            units_sold: self.units_sold,
            revenue: decode_decimal(ENTITY, "revenue", self.revenue)?,
            profit: decode_decimal(ENTITY, "profit", self.profit)?,
            returns: self.returns,
            customer_rating: decode_decimal_opt(ENTITY, "customer_rating", self.customer_rating)?,
            review_count: self.review_count,
            price_elasticity: decode_decimal_opt(
                ENTITY,
                "price_elasticity",
                self.price_elasticity,
            )?,
            demand_forecast: self.demand_forecast,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
        })
    }
}

fn entities(rows: Vec<ProductPerformanceRow>) -> Result<Vec<ProductPerformance>> {
    rows.into_iter()
        .map(ProductPerformanceRow::into_entity)
        .collect()
}

/// A new row, as inserted: ids and authorship come from the context. `None`
/// is bound as NULL (not rendered as DEFAULT), so the INSERT's text never
/// varies and it is prepared once per connection (the upsert's too).
#[derive(Debug, Insertable)]
#[diesel(
    table_name = product_performance,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewProductPerformanceRow {
    id: Uuid,
    tenant_id: Uuid,
    product_id: Uuid,
    metric_date: NaiveDate,
    period_type: &'static str,
    units_sold: i32,
    revenue: BigDecimal,
    profit: BigDecimal,
    returns: i32,
    customer_rating: Option<BigDecimal>,
    review_count: i32,
    price_elasticity: Option<BigDecimal>,
    demand_forecast: Option<i32>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewProductPerformanceRow {
    fn from_input(new: NewProductPerformance, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: ProductPerformanceId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            product_id: new.product_id.into_uuid(),
            metric_date: new.metric_date,
            period_type: new.period_type.as_str(),
            units_sold: new.units_sold,
            revenue: new.revenue.into_decimal(),
            profit: new.profit.into_decimal(),
            returns: new.returns,
            customer_rating: new.customer_rating.map(|r| r.as_decimal().clone()),
            review_count: new.review_count,
            price_elasticity: new.price_elasticity.map(|e| e.into_decimal()),
            demand_forecast: new.demand_forecast,
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched row:
/// one fixed SQL text for every update (see [`sql::Cached`]); the audit trail
/// still records only the columns whose values changed.
#[derive(Debug, AsChangeset)]
#[diesel(
    table_name = product_performance,
    check_for_backend(Pg),
    treat_none_as_null = true
)]
struct ProductPerformanceChangeset {
    units_sold: i32,
    revenue: BigDecimal,
    profit: BigDecimal,
    returns: i32,
    customer_rating: Option<BigDecimal>,
    review_count: i32,
    price_elasticity: Option<BigDecimal>,
    demand_forecast: Option<i32>,
    updated_by: Uuid,
}

impl ProductPerformanceChangeset {
    fn from_entity(p: &ProductPerformance, actor: UserId) -> Self {
        Self {
            units_sold: p.units_sold,
            revenue: p.revenue.as_decimal().clone(),
            profit: p.profit.as_decimal().clone(),
            returns: p.returns,
            customer_rating: p.customer_rating.as_ref().map(|r| r.as_decimal().clone()),
            review_count: p.review_count,
            price_elasticity: p.price_elasticity.as_ref().map(|e| e.as_decimal().clone()),
            demand_forecast: p.demand_forecast,
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
pub struct ProductPerformanceFilter {
    /// Only the figures of this product.
    pub product: Option<ProductId>,
    /// Only this period length.
    pub period_type: Option<PeriodType>,
    /// Only metric dates on or after this day.
    pub from: Option<NaiveDate>,
    /// Only metric dates on or before this day.
    pub until: Option<NaiveDate>,
}

impl ProductPerformanceFilter {
    /// No condition: every row.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the figures of `product`.
    pub fn product(mut self, product: ProductId) -> Self {
        self.product = Some(product);
        self
    }

    /// Only `period_type`.
    pub fn period_type(mut self, period_type: PeriodType) -> Self {
        self.period_type = Some(period_type);
        self
    }

    /// Only metric dates in `from ..= until` (both inclusive).
    pub fn between(mut self, from: NaiveDate, until: NaiveDate) -> Self {
        self.from = Some(from);
        self.until = Some(until);
        self
    }

    /// Only metric dates on or after `from`.
    pub fn from(mut self, from: NaiveDate) -> Self {
        self.from = Some(from);
        self
    }

    /// Only metric dates on or before `until`.
    pub fn until(mut self, until: NaiveDate) -> Self {
        self.until = Some(until);
        self
    }
}

/// The product figures of the context's tenant (`uow.product_performance()`).
#[derive(Debug)]
pub struct ProductPerformances<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> ProductPerformances<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// Row `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: ProductPerformanceId) -> Result<ProductPerformance> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// Row `id`, if there is one.
    pub async fn find(&mut self, id: ProductPerformanceId) -> Result<Option<ProductPerformance>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                product_performance::table
                    .find(id.into_uuid())
                    .select(ProductPerformanceRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(ProductPerformanceRow::into_entity).transpose()
    }

    /// The figures of `product` for `metric_date` and `period_type`, if any.
    pub async fn find_for(
        &mut self,
        product: ProductId,
        metric_date: NaiveDate,
        period_type: PeriodType,
    ) -> Result<Option<ProductPerformance>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                product_performance::table
                    .filter(product_performance::product_id.eq(product.into_uuid()))
                    .filter(product_performance::metric_date.eq(metric_date))
                    .filter(product_performance::period_type.eq(period_type.as_str()))
                    .select(ProductPerformanceRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(ProductPerformanceRow::into_entity).transpose()
    }

    /// One page of the rows matching `filter`.
    pub async fn list(
        &mut self,
        filter: &ProductPerformanceFilter,
        page: PageRequest,
    ) -> Result<Page<ProductPerformance>> {
        let ProductPerformanceFilter {
            product,
            period_type,
            from,
            until,
        } = filter.clone();
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                let mut query = product_performance::table
                    .select(ProductPerformanceRow::as_select())
                    .into_boxed::<Pg>();
                if let Some(product) = product {
                    query = query.filter(product_performance::product_id.eq(product.into_uuid()));
                }
                if let Some(period_type) = period_type {
                    query = query.filter(product_performance::period_type.eq(period_type.as_str()));
                }
                if let Some(from) = from {
                    query = query.filter(product_performance::metric_date.ge(from));
                }
                if let Some(until) = until {
                    query = query.filter(product_performance::metric_date.le(until));
                }
                keyset!(
                    query,
                    product_performance::tenant_id,
                    product_performance::id,
                    page
                )
                .load(&mut { conn })
                .boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |p| p.id.into_uuid()))
    }

    /// Records a product's figures for a period that has none yet; a row for
    /// the same product, date and period is refused with
    /// [`Error::UniqueViolation`] (see [`upsert`](Self::upsert) to replace
    /// it). Nothing is sent when the input is invalid.
    pub async fn create(&mut self, new: NewProductPerformance) -> Result<ProductPerformance> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewProductPerformanceRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(product_performance::table)
                    .values(row)
                    .returning(ProductPerformanceRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Records a product's figures for a period, replacing every figure of the
    /// row already there for the same (product, date, period) — one statement
    /// (`INSERT … ON CONFLICT … DO UPDATE`), so concurrent upserts of one
    /// period never fail or duplicate. A replaced row keeps its id,
    /// `created_at` and `created_by`; `updated_by` becomes the context's actor.
    pub async fn upsert(&mut self, new: NewProductPerformance) -> Result<ProductPerformance> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewProductPerformanceRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let stored = self
            .exec
            .run(ENTITY, move |conn| {
                use product_performance::*;
                // A fixed SET list: one text, prepared once.
                sql::Cached(
                    diesel::insert_into(table)
                        .values(row)
                        .on_conflict((tenant_id, product_id, metric_date, period_type))
                        .do_update()
                        .set((
                            units_sold.eq(excluded(units_sold)),
                            revenue.eq(excluded(revenue)),
                            profit.eq(excluded(profit)),
                            returns.eq(excluded(returns)),
                            customer_rating.eq(excluded(customer_rating)),
                            review_count.eq(excluded(review_count)),
                            price_elasticity.eq(excluded(price_elasticity)),
                            demand_forecast.eq(excluded(demand_forecast)),
                            updated_by.eq(excluded(updated_by)),
                        ))
                        .returning(ProductPerformanceRow::as_returning()),
                )
                .get_result(&mut { conn })
                .boxed()
            })
            .await?;
        stored.into_entity()
    }

    /// Applies `patch` to row `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    pub async fn update(
        &mut self,
        id: ProductPerformanceId,
        expected_updated_at: DateTime<Utc>,
        patch: &ProductPerformancePatch,
    ) -> Result<ProductPerformance> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = ProductPerformanceChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        product_performance::table
                            .find(id.into_uuid())
                            .filter(product_performance::updated_at.eq(expected_updated_at)),
                    )
                    .set(changes)
                    .returning(ProductPerformanceRow::as_returning()),
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

    /// Deletes row `id` for good (figures are derived and can be recomputed);
    /// [`Error::NotFound`] when there is none.
    pub async fn delete(&mut self, id: ProductPerformanceId) -> Result<()> {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::delete(product_performance::table.find(id.into_uuid()))
                    .execute(&mut { conn })
                    .boxed()
            })
            .await?;
        if deleted == 0 {
            return Err(Error::NotFound { entity: ENTITY });
        }
        Ok(())
    }
}

impl<'e, E: Transactional> ProductPerformances<'e, E> {
    /// Records many products' figures in one transaction, in multi-row
    /// INSERTs below PostgreSQL's parameter limit. Every input is checked
    /// first and every failing one reported (`[3].units_sold`); nothing is
    /// sent when one is invalid.
    pub async fn create_many(
        &mut self,
        news: Vec<NewProductPerformance>,
    ) -> Result<Vec<ProductPerformance>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows: Vec<NewProductPerformanceRow> = news
            .into_iter()
            .map(|n| NewProductPerformanceRow::from_input(n, tenant, actor))
            .collect();
        let mut created = Vec::with_capacity(rows.len());
        for chunk in repository::chunks(rows) {
            let inserted = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(product_performance::table)
                        .values(chunk)
                        .returning(ProductPerformanceRow::as_returning())
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            created.extend(entities(inserted)?);
        }
        Ok(created)
    }
}
