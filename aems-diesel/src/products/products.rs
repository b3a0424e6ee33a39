//! `products.products`: the catalogue — row structs, the repository, its
//! filters (with full-text search) and soft delete.
//!
//! The profit margin is always derived by aems-core's [`Pricing`] from cost
//! and price, on every write; callers never give it. A stored margin that
//! disagrees with its cost and price is refused when read ([`Error::Decode`]).
//!
//! Soft-deleted products are invisible to `get`, `find`, `list`, every filter
//! and the search; their SKU stays taken (the unique key covers them), so
//! creating another product with it is [`Error::CollidesWithDeleted`].

use aems_core::products::products::{
    LifecycleStage, NewProduct, Pricing, Product, ProductPatch, ProductStatus, ProfitMargin,
};
use aems_core::{Input, ProductId, TenantId, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::pg::Connection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::bulk::insert_all_or_none;
use crate::repository::decode_decimal_opt;
use crate::repository::{
    self, Order, Page, PageRequest, decode, decode_decimal, decode_object_opt, decode_opt, keyset,
};
use crate::schema::products::products;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "products";

/// The unique key on (tenant, SKU).
pub const SKU_KEY: &str = "uq_products_tenant_id_sku";

/// Longest full-text search query accepted.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A row of `products.products` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(Pg))]
pub(crate) struct ProductRow {
    id: Uuid,
    tenant_id: Uuid,
    sku: String,
    name: String,
    description: Option<String>,
    category: String,
    subcategory: Option<String>,
    brand: Option<String>,
    unit_cost: BigDecimal,
    selling_price: BigDecimal,
    profit_margin: BigDecimal,
    weight: Option<BigDecimal>,
    dimensions: Option<serde_json::Value>,
    lifecycle_stage: String,
    launch_date: Option<NaiveDate>,
    discontinue_date: Option<NaiveDate>,
    supplier_info: Option<serde_json::Value>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
    deleted_at: Option<DateTime<Utc>>,
}

impl ProductRow {
    fn into_entity(self) -> Result<Product> {
        let pricing = Pricing::new(
            decode_decimal(ENTITY, "unit_cost", self.unit_cost)?,
            decode_decimal(ENTITY, "selling_price", self.selling_price)?,
        )
        .map_err(|e| Error::Decode {
            entity: ENTITY,
            column: "selling_price",
            reason: e.to_string(),
        })?;
        let stored_margin: ProfitMargin =
            decode_decimal(ENTITY, "profit_margin", self.profit_margin)?;
        if &stored_margin != pricing.profit_margin() {
            return Err(Error::Decode {
                entity: ENTITY,
                column: "profit_margin",
                reason: format!(
                    "{stored_margin} is not the margin of its cost and price ({})",
                    pricing.profit_margin()
                ),
            });
        }
        Ok(Product {
            id: ProductId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            sku: decode(ENTITY, "sku", &self.sku)?,
            name: decode(ENTITY, "name", &self.name)?,
            description: decode_opt(ENTITY, "description", self.description.as_deref())?,
            category: decode(ENTITY, "category", &self.category)?,
            subcategory: decode_opt(ENTITY, "subcategory", self.subcategory.as_deref())?,
            brand: decode_opt(ENTITY, "brand", self.brand.as_deref())?,
            pricing,
            weight: decode_decimal_opt(ENTITY, "weight", self.weight)?,
            dimensions: decode_object_opt(ENTITY, "dimensions", self.dimensions)?,
            lifecycle_stage: decode(ENTITY, "lifecycle_stage", &self.lifecycle_stage)?,
            launch_date: self.launch_date,
            discontinue_date: self.discontinue_date,
            supplier_info: decode_object_opt(ENTITY, "supplier_info", self.supplier_info)?,
            status: decode(ENTITY, "status", &self.status)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
            deleted_at: self.deleted_at,
        })
    }
}

fn entities(rows: Vec<ProductRow>) -> Result<Vec<Product>> {
    rows.into_iter().map(ProductRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context, the
/// margin from [`Pricing`]. `None` is bound as NULL (not rendered as
/// DEFAULT), so the INSERT's text never varies and it is prepared once per
/// connection.
#[derive(Debug, Insertable)]
#[diesel(
    table_name = products,
    check_for_backend(Pg),
    treat_none_as_default_value = false
)]
struct NewProductRow {
    id: Uuid,
    tenant_id: Uuid,
    sku: String,
    name: String,
    description: Option<String>,
    category: String,
    subcategory: Option<String>,
    brand: Option<String>,
    unit_cost: BigDecimal,
    selling_price: BigDecimal,
    profit_margin: BigDecimal,
    weight: Option<BigDecimal>,
    dimensions: Option<serde_json::Value>,
    lifecycle_stage: &'static str,
    launch_date: Option<NaiveDate>,
    discontinue_date: Option<NaiveDate>,
    supplier_info: Option<serde_json::Value>,
    status: &'static str,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewProductRow {
    /// From a checked input (its pricing is valid).
    fn from_input(new: NewProduct, tenant: TenantId, actor: UserId) -> Result<Self> {
        let pricing = new.pricing()?;
        Ok(Self {
            id: ProductId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            sku: new.sku.into_string(),
            name: new.name.into_string(),
            description: new.description.map(|d| d.into_string()),
            category: new.category.into_string(),
            subcategory: new.subcategory.map(|s| s.into_string()),
            brand: new.brand.map(|b| b.into_string()),
            unit_cost: pricing.unit_cost().as_decimal().clone(),
            selling_price: pricing.selling_price().as_decimal().clone(),
            profit_margin: pricing.profit_margin().as_decimal().clone(),
            weight: new.weight.map(|w| w.into_decimal()),
            dimensions: new.dimensions.map(serde_json::Value::Object),
            lifecycle_stage: new.lifecycle_stage.as_str(),
            launch_date: new.launch_date,
            discontinue_date: new.discontinue_date,
            supplier_info: new.supplier_info.map(serde_json::Value::Object),
            status: new.status.as_str(),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        })
    }
}

/// Every column an update may change, taken from the checked, patched
/// product: one fixed SQL text for every update (see [`sql::Cached`]); the
/// audit trail still records only the columns whose values changed. Cost,
/// price and margin come from the patched product's [`Pricing`].
#[derive(Debug, AsChangeset)]
#[diesel(table_name = products, check_for_backend(Pg), treat_none_as_null = true)]
struct ProductChangeset {
    sku: String,
    name: String,
    description: Option<String>,
    category: String,
    subcategory: Option<String>,
    brand: Option<String>,
    unit_cost: BigDecimal,
    selling_price: BigDecimal,
    profit_margin: BigDecimal,
    weight: Option<BigDecimal>,
    dimensions: Option<serde_json::Value>,
    lifecycle_stage: &'static str,
    launch_date: Option<NaiveDate>,
    discontinue_date: Option<NaiveDate>,
    supplier_info: Option<serde_json::Value>,
    status: &'static str,
    updated_by: Uuid,
}

impl ProductChangeset {
    fn from_entity(p: &Product, actor: UserId) -> Self {
        fn text<T: ToString>(v: &Option<T>) -> Option<String> {
            v.as_ref().map(T::to_string)
        }
        let object = |o: &aems_core::JsonObject| serde_json::Value::Object(o.clone());
        Self {
            sku: p.sku.to_string(),
            name: p.name.to_string(),
            description: text(&p.description),
            category: p.category.to_string(),
            subcategory: text(&p.subcategory),
            brand: text(&p.brand),
            unit_cost: p.pricing.unit_cost().as_decimal().clone(),
            selling_price: p.pricing.selling_price().as_decimal().clone(),
            profit_margin: p.pricing.profit_margin().as_decimal().clone(),
            weight: p.weight.as_ref().map(|w| w.as_decimal().clone()),
            dimensions: p.dimensions.as_ref().map(object),
            lifecycle_stage: p.lifecycle_stage.as_str(),
            launch_date: p.launch_date,
            discontinue_date: p.discontinue_date,
            supplier_info: p.supplier_info.as_ref().map(object),
            status: p.status.as_str(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold. Soft-deleted products are
/// never listed (see [`Products::list_deleted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct ProductFilter {
    /// Only this category (exact match).
    pub category: Option<String>,
    /// Only this lifecycle stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Only this status.
    pub status: Option<ProductStatus>,
    /// Full-text search in name and description: English stemming, every
    /// word must match (`plainto_tsquery`). Served by the GIN index
    /// `idx_products_name_search` through `products.search_product_ids`
    /// (migration `003805_search_functions`, bodies from `003806`), which takes the other filters
    /// and the keyset position with it: a common word's page is found by
    /// walking the tenant's rows in page order and stopping after one page of
    /// matches, a rare one's from the index. The rows themselves are then
    /// read through the tenant policy like any list, the search and every
    /// filter checked again.
    pub search: Option<String>,
}

impl ProductFilter {
    /// No condition: every live product.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `category`.
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Only `stage`.
    pub fn lifecycle_stage(mut self, stage: LifecycleStage) -> Self {
        self.lifecycle_stage = Some(stage);
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: ProductStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Names or descriptions matching `words`.
    pub fn search(mut self, words: impl Into<String>) -> Self {
        self.search = Some(words.into());
        self
    }

    /// The filter with its free text checked.
    fn checked(&self) -> Result<CheckedFilter> {
        Ok(CheckedFilter {
            category: self
                .category
                .as_deref()
                .map(|c| repository::filter_text("category", c, 100))
                .transpose()?,
            lifecycle_stage: self.lifecycle_stage,
            status: self.status,
            search: self
                .search
                .as_deref()
                .map(|q| repository::filter_text("search", q, MAX_SEARCH_CHARS))
                .transpose()?,
        })
    }
}

/// A [`ProductFilter`] whose text passed [`repository::filter_text`].
struct CheckedFilter {
    category: Option<String>,
    lifecycle_stage: Option<LifecycleStage>,
    status: Option<ProductStatus>,
    search: Option<String>,
}

diesel::define_sql_function! {
    /// `products.search_product_ids(search, after, newest_first, max_ids,
    /// category, lifecycle_stage, status)` (migration
    /// `003805_search_functions`, bodies from `003806`): the ids of the context tenant's live
    /// products matching the search and the filters, after the keyset
    /// position, at most `max_ids`, in page order. Runs as `aems_search`,
    /// which reads the tenant from the context itself and refuses any role but
    /// `application_user`.
    #[sql_name = "products.search_product_ids"]
    fn search_product_ids(
        search_text: Text,
        after_id: Nullable<diesel::sql_types::Uuid>,
        newest_first: Bool,
        max_ids: Integer,
        only_category: Nullable<Text>,
        only_lifecycle_stage: Nullable<Text>,
        only_status: Nullable<Text>,
    ) -> Array<diesel::sql_types::Uuid>;
}

type ProductQuery = products::BoxedQuery<
    'static,
    Pg,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<ProductRow, Pg>>,
>;

/// The `list` query: live products matching `filter`, one keyset page.
fn list_query(filter: CheckedFilter, page: PageRequest) -> ProductQuery {
    let mut query = products::table
        .filter(products::deleted_at.is_null())
        .select(ProductRow::as_select())
        .into_boxed::<Pg>();
    if let Some(category) = filter.category.clone() {
        query = query.filter(products::category.eq(category));
    }
    if let Some(stage) = filter.lifecycle_stage {
        query = query.filter(products::lifecycle_stage.eq(stage.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(products::status.eq(status.as_str()));
    }
    if let Some(search) = filter.search {
        // The page's ids from the GIN index (or the ordered walk) inside the
        // search function, computed once; the rows through the policy, the
        // search re-checked on them (a cheap match of the stored document).
        let ids = search_product_ids(
            search.clone(),
            page.after_id(),
            page.ordering() == Order::NewestFirst,
            i32::try_from(page.fetch_limit()).unwrap_or(i32::MAX),
            filter.category,
            filter.lifecycle_stage.map(|s| s.as_str()),
            filter.status.map(|s| s.as_str()),
        );
        query = query
            .filter(sql::matches(
                products::search_document,
                search.into_sql::<Text>(),
            ))
            .filter(sql::id_among(products::id, ids));
    }
    keyset!(query, products::tenant_id, products::id, page)
}

/// The products of the context's tenant (`uow.products()`).
#[derive(Debug)]
pub struct Products<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> Products<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The live (not soft-deleted) product `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: ProductId) -> Result<Product> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The live product `id`, if there is one.
    pub async fn find(&mut self, id: ProductId) -> Result<Option<Product>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                products::table
                    .find(id.into_uuid())
                    .filter(products::deleted_at.is_null())
                    .select(ProductRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(ProductRow::into_entity).transpose()
    }

    /// One page of the live products matching `filter`.
    pub async fn list(
        &mut self,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<Page<Product>> {
        let filter = filter.checked()?;
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                list_query(filter, page).load(&mut { conn }).boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |p| p.id.into_uuid()))
    }

    /// The plan PostgreSQL chooses for [`list`](Self::list) with `filter` and
    /// `page` (`EXPLAIN`, one line per row), as the context's role and tenant:
    /// how tests check that the search uses its index.
    #[cfg(feature = "testing")]
    pub async fn explain_list(
        &mut self,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<Vec<String>> {
        let filter = filter.checked()?;
        self.exec
            .run(ENTITY, move |conn| {
                sql::Explain(list_query(filter, page))
                    .load::<String>(&mut { conn })
                    .boxed()
            })
            .await
    }

    /// Creates a product for the context's tenant, recorded as created by its
    /// actor, its margin derived from cost and price. The input is checked
    /// first; nothing is sent when it is invalid.
    ///
    /// A SKU already taken is [`Error::UniqueViolation`] ([`SKU_KEY`]), or
    /// [`Error::CollidesWithDeleted`] when a soft-deleted product holds it;
    /// either way nothing is written and a unit of work stays usable.
    pub async fn create(&mut self, new: NewProduct) -> Result<Product> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewProductRow::from_input(new, ctx.tenant_id(), ctx.actor())?;
        let sku = row.sku.clone();
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(products::table)
                    .values(row)
                    .on_conflict((products::tenant_id, products::sku))
                    .do_nothing()
                    .returning(ProductRow::as_returning())
                    .get_result(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        match created {
            Some(row) => row.into_entity(),
            // Only on this path: who holds the SKU?
            None => Err(self.sku_taken(vec![sku]).await),
        }
    }

    /// Why a SKU is taken: [`Error::CollidesWithDeleted`] when a soft-deleted
    /// product holds one of `skus`, else [`Error::UniqueViolation`].
    async fn sku_taken(&mut self, skus: Vec<String>) -> Error {
        let deleted = self
            .exec
            .run(ENTITY, move |conn| {
                deleted_holder(skus)
                    .first::<Uuid>(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await;
        match deleted {
            Ok(Some(_)) => Error::CollidesWithDeleted {
                entity: ENTITY,
                constraint: SKU_KEY.to_owned(),
            },
            Ok(None) => Error::UniqueViolation {
                constraint: SKU_KEY.to_owned(),
                detail: None,
            },
            Err(error) => error,
        }
    }

    /// Applies `patch` to product `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    /// The patched product is checked as a whole (pricing, dates) before
    /// anything is written; a new cost or price rewrites the margin. A new SKU
    /// held by a soft-deleted product is [`Error::CollidesWithDeleted`]
    /// (checked only when the SKU changes).
    pub async fn update(
        &mut self,
        id: ProductId,
        expected_updated_at: DateTime<Utc>,
        patch: &ProductPatch,
    ) -> Result<Product> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = ProductChangeset::from_entity(&next, self.exec.context().actor());
        if let Some(sku) = &patch.sku
            && sku != &current.sku
        {
            let sku = sku.to_string();
            let taken = self
                .exec
                .run(ENTITY, move |conn| {
                    products::table
                        .filter(products::sku.eq(sku))
                        .select(products::deleted_at)
                        .first::<Option<DateTime<Utc>>>(&mut { conn })
                        .map(|r| r.optional())
                        .boxed()
                })
                .await?;
            match taken {
                Some(Some(_)) => {
                    return Err(Error::CollidesWithDeleted {
                        entity: ENTITY,
                        constraint: SKU_KEY.to_owned(),
                    });
                }
                Some(None) => {
                    return Err(Error::UniqueViolation {
                        constraint: SKU_KEY.to_owned(),
                        detail: None,
                    });
                }
                None => {}
            }
        }
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        products::table
                            .find(id.into_uuid())
                            .filter(products::updated_at.eq(expected_updated_at))
                            .filter(products::deleted_at.is_null()),
                    )
                    .set(changes)
                    .returning(ProductRow::as_returning()),
                )
                .get_result(&mut { conn })
                .map(|r| r.optional())
                .boxed()
            })
            .await?;
        // Changed (or deleted) between the read and the write.
        updated
            .ok_or(Error::Conflict { entity: ENTITY })?
            .into_entity()
    }

    repository::soft_delete::soft_delete_methods! {
        table: products,
        row: ProductRow,
        id: ProductId,
        entity: Product,
        /// Soft-deletes product `id`: it disappears from every read, filter and
        /// search, and can be restored until it is purged.
        soft_delete,
        /// Restores the soft-deleted product `id`.
        restore,
        /// One page of the soft-deleted products.
        list_deleted,
        finish_one: |_repo, row| row.into_entity(),
        finish_page: |_repo, rows| entities(rows)?,
    }
}

/// The soft-deleted products holding one of `skus`. On PostgreSQL diesel
/// renders `eq_any` of a list as `= ANY($1)`, the whole list one array
/// parameter: one fixed text however many SKUs, so it is prepared once (see
/// the unit test below).
fn deleted_holder(skus: Vec<String>) -> products::BoxedQuery<'static, Pg, diesel::sql_types::Uuid> {
    products::table
        .filter(products::sku.eq_any(skus))
        .filter(products::deleted_at.is_not_null())
        .select(products::id)
        .into_boxed()
}

fn insert_chunk(
    conn: &Connection,
    chunk: Vec<NewProductRow>,
) -> BoxFuture<'_, QueryResult<Vec<ProductRow>>> {
    diesel::insert_into(products::table)
        .values(chunk)
        .returning(ProductRow::as_returning())
        .get_results(&mut { conn })
        .boxed()
}

impl<'e, E: Transactional> Products<'e, E> {
    /// Creates many products in one step of the unit of work, in multi-row
    /// INSERTs below PostgreSQL's parameter limit, each margin derived. Every
    /// input is checked first and every failing one reported
    /// (`[3].selling_price`); nothing is sent when one is invalid. All or
    /// nothing: when a chunk fails (a SKU taken — [`Error::CollidesWithDeleted`]
    /// when a soft-deleted product holds it — or repeated in the input, ...),
    /// none of them is kept and the unit of work stays usable.
    pub async fn create_many(&mut self, news: Vec<NewProduct>) -> Result<Vec<Product>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        let rows = news
            .into_iter()
            .map(|n| NewProductRow::from_input(n, tenant, actor))
            .collect::<Result<Vec<_>>>()?;
        let skus: Vec<String> = rows.iter().map(|r| r.sku.clone()).collect();
        let outcome =
            insert_all_or_none(self.exec, ENTITY, repository::chunks(rows), insert_chunk).await?;
        match outcome {
            Ok(rows) => entities(rows),
            Err(error) => match Error::from_diesel_for(ENTITY, error) {
                Error::UniqueViolation { constraint, .. } if constraint == SKU_KEY => {
                    Err(self.sku_taken(skus).await)
                }
                other => Err(other),
            },
        }
    }

    repository::soft_delete::purge_method! {
        /// Hard-deletes the products soft-deleted before `cutoff` (the end of a
        /// retention period). Returns how many went. A product still referenced
        /// (by stock or performance rows) is refused with
        /// [`Error::ForeignKeyViolation`] and nothing is purged.
        table: products,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_matches_the_stored_document_among_the_ids_of_the_search_function() {
        let filter = ProductFilter::all()
            .search("widget")
            .category("Tools")
            .checked()
            .unwrap();
        let after = uuid::Uuid::nil();
        let page = PageRequest::after(
            crate::repository::Cursor::after(after, Order::NewestFirst),
            10,
        );
        let sql = diesel::debug_query::<Pg, _>(&list_query(filter, page)).to_string();
        assert!(
            sql.contains(
                "\"products\".\"products\".\"search_document\" @@ \
                 plainto_tsquery('english'::regconfig, $"
            ),
            "{sql}"
        );
        // Once per statement (an InitPlan), with the filters, the keyset
        // position and the page size, never a tenant.
        assert!(
            sql.contains(
                "\"products\".\"products\".\"id\" = ANY ((SELECT \
                 products.search_product_ids($"
            ) && sql.contains("))::uuid[])"),
            "{sql}"
        );
        let binds = sql.split(" -- binds: ").nth(1).unwrap();
        assert!(
            binds.contains(&format!(
                "Some({after}), true, 11, Some(\"Tools\"), None, None"
            )),
            "{binds}"
        );
    }

    #[test]
    fn a_search_holds_no_literal_diesel_declines_to_cache() {
        use diesel::query_builder::QueryFragment;
        let filter = ProductFilter::all().search("widget").checked().unwrap();
        let query = list_query(filter, PageRequest::first(10));
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&query, &Pg).unwrap());
    }

    #[test]
    fn the_holder_of_any_number_of_skus_is_one_statement_text() {
        let text = |skus: &[&str]| {
            let skus = skus.iter().map(|s| s.to_string()).collect();
            diesel::debug_query::<Pg, _>(&deleted_holder(skus))
                .to_string()
                .split(" -- binds:")
                .next()
                .unwrap()
                .to_owned()
        };
        let one = text(&["SKU-1"]);
        assert!(one.contains("\"sku\" = ANY($1)"), "{one}");
        assert_eq!(text(&["SKU-1", "SKU-2", "SKU-3"]), one);
    }
}
