//! `sales.customers`: the row structs, the repository and its filters.

use aems_core::sales::customers::{
    Customer, CustomerPatch, CustomerSegment, CustomerStatus, NewCustomer,
};
use aems_core::{CustomerId, Input, TenantId, UserId};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::repository::{
    self, Order, Page, PageRequest, decode, decode_decimal, decode_object_opt, decode_opt, keyset,
};
use crate::schema::sales::customers;
use crate::sql;
use crate::unit_of_work::{Executor, Transactional};

const ENTITY: &str = "customers";

/// Longest full-text search query accepted.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A row of `sales.customers` as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers, check_for_backend(Pg))]
pub(crate) struct CustomerRow {
    id: Uuid,
    tenant_id: Uuid,
    company_name: String,
    contact_email: String,
    contact_phone: Option<String>,
    industry: Option<String>,
    company_size: Option<String>,
    territory: Option<String>,
    customer_segment: String,
    acquisition_date: NaiveDate,
    lifetime_value: BigDecimal,
    total_revenue: BigDecimal,
    last_purchase_date: Option<NaiveDate>,
    status: String,
    billing_address: Option<serde_json::Value>,
    custom_fields: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: Uuid,
    updated_by: Uuid,
    deleted_at: Option<DateTime<Utc>>,
}

impl CustomerRow {
    fn into_entity(self) -> Result<Customer> {
        Ok(Customer {
            id: CustomerId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            company_name: decode(ENTITY, "company_name", &self.company_name)?,
            contact_email: decode(ENTITY, "contact_email", &self.contact_email)?,
            contact_phone: decode_opt(ENTITY, "contact_phone", self.contact_phone.as_deref())?,
            industry: decode_opt(ENTITY, "industry", self.industry.as_deref())?,
            company_size: decode_opt(ENTITY, "company_size", self.company_size.as_deref())?,
            territory: decode_opt(ENTITY, "territory", self.territory.as_deref())?,
            customer_segment: decode(ENTITY, "customer_segment", &self.customer_segment)?,
            acquisition_date: self.acquisition_date,
            lifetime_value: decode_decimal(ENTITY, "lifetime_value", self.lifetime_value)?,
            total_revenue: decode_decimal(ENTITY, "total_revenue", self.total_revenue)?,
            last_purchase_date: self.last_purchase_date,
            status: decode(ENTITY, "status", &self.status)?,
            billing_address: decode_object_opt(ENTITY, "billing_address", self.billing_address)?,
            custom_fields: decode_object_opt(ENTITY, "custom_fields", self.custom_fields)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: UserId::from_uuid(self.created_by),
            updated_by: UserId::from_uuid(self.updated_by),
            deleted_at: self.deleted_at,
        })
    }
}

fn entities(rows: Vec<CustomerRow>) -> Result<Vec<Customer>> {
    rows.into_iter().map(CustomerRow::into_entity).collect()
}

/// A new row, as inserted: ids and authorship come from the context. `None`
/// is bound as NULL (not rendered as DEFAULT), so the INSERT's text never
/// varies and it is prepared once per connection.
#[derive(Debug, Insertable)]
#[diesel(table_name = customers, check_for_backend(Pg), treat_none_as_default_value = false)]
struct NewCustomerRow {
    id: Uuid,
    tenant_id: Uuid,
    company_name: String,
    contact_email: String,
    contact_phone: Option<String>,
    industry: Option<String>,
    company_size: Option<&'static str>,
    territory: Option<String>,
    customer_segment: &'static str,
    acquisition_date: NaiveDate,
    lifetime_value: BigDecimal,
    total_revenue: BigDecimal,
    last_purchase_date: Option<NaiveDate>,
    status: &'static str,
    billing_address: Option<serde_json::Value>,
    custom_fields: Option<serde_json::Value>,
    created_by: Uuid,
    updated_by: Uuid,
}

impl NewCustomerRow {
    fn from_input(new: NewCustomer, tenant: TenantId, actor: UserId) -> Self {
        Self {
            id: CustomerId::new().into_uuid(),
            tenant_id: tenant.into_uuid(),
            company_name: new.company_name.into_string(),
            contact_email: new.contact_email.into_string(),
            contact_phone: new.contact_phone.map(|p| p.into_string()),
            industry: new.industry.map(|i| i.into_string()),
            company_size: new.company_size.map(|s| s.as_str()),
            territory: new.territory.map(|t| t.into_string()),
            customer_segment: new.customer_segment.as_str(),
            acquisition_date: new.acquisition_date,
            lifetime_value: new.lifetime_value.into_decimal(),
            total_revenue: new.total_revenue.into_decimal(),
            last_purchase_date: new.last_purchase_date,
            status: new.status.as_str(),
            billing_address: new.billing_address.map(serde_json::Value::Object),
            custom_fields: new.custom_fields.map(serde_json::Value::Object),
            created_by: actor.into_uuid(),
            updated_by: actor.into_uuid(),
        }
    }
}

/// Every column an update may change, taken from the checked, patched
/// customer: one fixed SQL text for every update (see [`sql::Cached`]); the
/// audit trail still records only the columns whose values changed.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = customers, check_for_backend(Pg), treat_none_as_null = true)]
struct CustomerChangeset {
    company_name: String,
    contact_email: String,
    contact_phone: Option<String>,
    industry: Option<String>,
    company_size: Option<&'static str>,
    territory: Option<String>,
    customer_segment: &'static str,
    acquisition_date: NaiveDate,
    lifetime_value: BigDecimal,
    total_revenue: BigDecimal,
    last_purchase_date: Option<NaiveDate>,
    status: &'static str,
    billing_address: Option<serde_json::Value>,
    custom_fields: Option<serde_json::Value>,
    updated_by: Uuid,
}

impl CustomerChangeset {
    fn from_entity(c: &Customer, actor: UserId) -> Self {
        let object = |o: &aems_core::JsonObject| serde_json::Value::Object(o.clone());
        Self {
            company_name: c.company_name.to_string(),
            contact_email: c.contact_email.to_string(),
            contact_phone: c.contact_phone.as_ref().map(|p| p.to_string()),
            industry: c.industry.as_ref().map(|i| i.to_string()),
            company_size: c.company_size.map(|s| s.as_str()),
            territory: c.territory.as_ref().map(|t| t.to_string()),
            customer_segment: c.customer_segment.as_str(),
            acquisition_date: c.acquisition_date,
            lifetime_value: c.lifetime_value.as_decimal().clone(),
            total_revenue: c.total_revenue.as_decimal().clone(),
            last_purchase_date: c.last_purchase_date,
            status: c.status.as_str(),
            billing_address: c.billing_address.as_ref().map(object),
            custom_fields: c.custom_fields.as_ref().map(object),
            updated_by: actor.into_uuid(),
        }
    }
}

/// What to list: every condition given must hold. Soft-deleted customers are
/// never listed (see [`Customers::list_deleted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct CustomerFilter {
    /// Only this segment.
    pub segment: Option<CustomerSegment>,
    /// Only this status.
    pub status: Option<CustomerStatus>,
    /// Only this territory (exact match).
    pub territory: Option<String>,
    /// Full-text search in the company name: English stemming, every word
    /// must match (`plainto_tsquery`). Served by the GIN index
    /// `idx_customers_company_search` through `sales.search_customer_ids`
    /// (migration `003805_search_functions`, bodies from `003806`), which takes the other filters
    /// and the keyset position with it: a common word's page is found by
    /// walking the tenant's rows in page order and stopping after one page of
    /// matches, a rare one's from the index. The rows themselves are then
    /// read through the tenant policy like any list, the search and every
    /// filter checked again.
    pub search: Option<String>,
}

impl CustomerFilter {
    /// No condition: every live customer.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only `segment`.
    pub fn segment(mut self, segment: CustomerSegment) -> Self {
        self.segment = Some(segment);
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: CustomerStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only `territory`.
    pub fn territory(mut self, territory: impl Into<String>) -> Self {
        self.territory = Some(territory.into());
        self
    }

    /// Company names matching `words`.
    pub fn search(mut self, words: impl Into<String>) -> Self {
        self.search = Some(words.into());
        self
    }

    /// The filter with its free text checked.
    fn checked(&self) -> Result<CheckedFilter> {
        Ok(CheckedFilter {
            segment: self.segment,
            status: self.status,
            territory: self
                .territory
                .as_deref()
                .map(|t| repository::filter_text("territory", t, 100))
                .transpose()?,
            search: self
                .search
                .as_deref()
                .map(|q| repository::filter_text("search", q, MAX_SEARCH_CHARS))
                .transpose()?,
        })
    }
}

/// A [`CustomerFilter`] whose text passed [`repository::filter_text`].
struct CheckedFilter {
    segment: Option<CustomerSegment>,
    status: Option<CustomerStatus>,
    territory: Option<String>,
    search: Option<String>,
}

diesel::define_sql_function! {
    /// `sales.search_customer_ids(search, after, newest_first, max_ids,
    /// segment, status, territory)` (migration `003805_search_functions`, bodies from `003806`):
    /// the ids of the context tenant's live customers matching the search and
    /// the filters, after the keyset position, at most `max_ids`, in page
    /// order. Runs as `aems_search`, which reads the tenant from the context
    /// itself and refuses any role but `application_user`.
    #[sql_name = "sales.search_customer_ids"]
    fn search_customer_ids(
        search_text: Text,
        after_id: Nullable<diesel::sql_types::Uuid>,
        newest_first: Bool,
        max_ids: Integer,
        only_segment: Nullable<Text>,
        only_status: Nullable<Text>,
        only_territory: Nullable<Text>,
    ) -> Array<diesel::sql_types::Uuid>;
}

type CustomerQuery = customers::BoxedQuery<
    'static,
    Pg,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<CustomerRow, Pg>>,
>;

/// The `list` query: live customers matching `filter`, one keyset page.
fn list_query(filter: CheckedFilter, page: PageRequest) -> CustomerQuery {
    let mut query = customers::table
        .filter(customers::deleted_at.is_null())
        .select(CustomerRow::as_select())
        .into_boxed::<Pg>();
    if let Some(segment) = filter.segment {
        query = query.filter(customers::customer_segment.eq(segment.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(customers::status.eq(status.as_str()));
    }
    if let Some(territory) = filter.territory.clone() {
        query = query.filter(customers::territory.eq(territory));
    }
    if let Some(search) = filter.search {
        // The page's ids from the GIN index (or the ordered walk) inside the
        // search function, computed once; the rows through the policy, the
        // search re-checked on them (a cheap match of the stored document).
        let ids = search_customer_ids(
            search.clone(),
            page.after_id(),
            page.ordering() == Order::NewestFirst,
            i32::try_from(page.fetch_limit()).unwrap_or(i32::MAX),
            filter.segment.map(|s| s.as_str()),
            filter.status.map(|s| s.as_str()),
            filter.territory,
        );
        query = query
            .filter(sql::matches(
                customers::search_document,
                search.into_sql::<Text>(),
            ))
            .filter(sql::id_among(customers::id, ids));
    }
    keyset!(query, customers::tenant_id, customers::id, page)
}

/// The customers of the context's tenant.
///
/// Reached from a unit of work or a one-shot executor:
/// `uow.customers()`. See the crate documentation for the shape every
/// repository shares.
#[derive(Debug)]
pub struct Customers<'e, E> {
    exec: &'e mut E,
}

impl<'e, E: Executor> Customers<'e, E> {
    pub(crate) fn new(exec: &'e mut E) -> Self {
        Self { exec }
    }

    /// The live (not soft-deleted) customer `id`, or [`Error::NotFound`].
    pub async fn get(&mut self, id: CustomerId) -> Result<Customer> {
        self.find(id)
            .await?
            .ok_or(Error::NotFound { entity: ENTITY })
    }

    /// The live customer `id`, if there is one.
    pub async fn find(&mut self, id: CustomerId) -> Result<Option<Customer>> {
        let row = self
            .exec
            .run(ENTITY, move |conn| {
                customers::table
                    .find(id.into_uuid())
                    .filter(customers::deleted_at.is_null())
                    .select(CustomerRow::as_select())
                    .first(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
            })
            .await?;
        row.map(CustomerRow::into_entity).transpose()
    }

    /// One page of the live customers matching `filter`.
    pub async fn list(
        &mut self,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<Page<Customer>> {
        let filter = filter.checked()?;
        let rows = self
            .exec
            .run(ENTITY, move |conn| {
                list_query(filter, page).load(&mut { conn }).boxed()
            })
            .await?;
        Ok(page.into_page(entities(rows)?, |c| c.id.into_uuid()))
    }

    /// The plan PostgreSQL chooses for [`list`](Self::list) with `filter` and
    /// `page` (`EXPLAIN`, one line per row), as the context's role and tenant:
    /// how tests check how a page is read. (The plan inside the search
    /// function is not part of it: see `tests/integration/plans.rs`.)
    #[cfg(feature = "testing")]
    pub async fn explain_list(
        &mut self,
        filter: &CustomerFilter,
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

    /// Creates a customer for the context's tenant, recorded as created by its actor.
    /// The input is checked first; nothing is sent when it is invalid.
    pub async fn create(&mut self, new: NewCustomer) -> Result<Customer> {
        new.check()?;
        let ctx = self.exec.context();
        let row = NewCustomerRow::from_input(new, ctx.tenant_id(), ctx.actor());
        let created = self
            .exec
            .run(ENTITY, move |conn| {
                diesel::insert_into(customers::table)
                    .values(row)
                    .returning(CustomerRow::as_returning())
                    .get_result(&mut { conn })
                    .boxed()
            })
            .await?;
        created.into_entity()
    }

    /// Applies `patch` to customer `id` if it is still as it was at
    /// `expected_updated_at`; otherwise [`Error::Conflict`] and nothing changes.
    /// The patched customer is checked as a whole before anything is written.
    pub async fn update(
        &mut self,
        id: CustomerId,
        expected_updated_at: DateTime<Utc>,
        patch: &CustomerPatch,
    ) -> Result<Customer> {
        let current = self.get(id).await?;
        if current.updated_at != expected_updated_at {
            return Err(Error::Conflict { entity: ENTITY });
        }
        let next = current.patched(patch)?;
        let changes = CustomerChangeset::from_entity(&next, self.exec.context().actor());
        let updated = self
            .exec
            .run(ENTITY, move |conn| {
                sql::Cached(
                    diesel::update(
                        customers::table
                            .find(id.into_uuid())
                            .filter(customers::updated_at.eq(expected_updated_at))
                            .filter(customers::deleted_at.is_null()),
                    )
                    .set(changes)
                    .returning(CustomerRow::as_returning()),
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
        table: customers,
        row: CustomerRow,
        id: CustomerId,
        entity: Customer,
        /// Soft-deletes customer `id`: it disappears from every read, filter and
        /// search, and can be restored until it is purged.
        soft_delete,
        /// Restores the soft-deleted customer `id`.
        restore,
        /// One page of the soft-deleted customers.
        list_deleted,
        finish_one: |_repo, row| row.into_entity(),
        finish_page: |_repo, rows| entities(rows)?,
    }
}

impl<'e, E: Transactional> Customers<'e, E> {
    /// Creates many customers in one transaction, in multi-row INSERTs small
    /// enough for PostgreSQL's 65,535-parameter limit. Every input is checked
    /// first and every failing one reported (`[3].contact_email`); nothing is
    /// sent when one is invalid.
    pub async fn create_many(&mut self, news: Vec<NewCustomer>) -> Result<Vec<Customer>> {
        repository::check_all(&news)?;
        let ctx = self.exec.context();
        let (tenant, actor) = (ctx.tenant_id(), ctx.actor());
        // The caller's checked inputs are the rows: the server adds only the
        // creation time, so that is all it sends back (not every column of every
        // row, decoded and checked again).
        let (rows, mut created): (Vec<NewCustomerRow>, Vec<Customer>) = news
            .into_iter()
            .map(|n| {
                let row = NewCustomerRow::from_input(n.clone(), tenant, actor);
                let customer = Customer {
                    id: CustomerId::from_uuid(row.id),
                    tenant_id: tenant,
                    company_name: n.company_name,
                    contact_email: n.contact_email,
                    contact_phone: n.contact_phone,
                    industry: n.industry,
                    company_size: n.company_size,
                    territory: n.territory,
                    customer_segment: n.customer_segment,
                    acquisition_date: n.acquisition_date,
                    lifetime_value: n.lifetime_value,
                    total_revenue: n.total_revenue,
                    last_purchase_date: n.last_purchase_date,
                    status: n.status,
                    billing_address: n.billing_address,
                    custom_fields: n.custom_fields,
                    created_at: DateTime::<Utc>::MIN_UTC,
                    updated_at: DateTime::<Utc>::MIN_UTC,
                    created_by: actor,
                    updated_by: actor,
                    deleted_at: None,
                };
                (row, customer)
            })
            .unzip();
        let mut next = 0;
        for chunk in repository::chunks(rows) {
            let expected = chunk.len();
            let stamps: Vec<(Uuid, DateTime<Utc>)> = self
                .exec
                .run(ENTITY, move |conn| {
                    diesel::insert_into(customers::table)
                        .values(chunk)
                        .returning((customers::id, customers::created_at))
                        .get_results(&mut { conn })
                        .boxed()
                })
                .await?;
            if stamps.len() != expected {
                return Err(Error::Database(
                    diesel::result::Error::DeserializationError(
                        format!(
                            "create_many: {expected} customers sent, {} returned",
                            stamps.len()
                        )
                        .into(),
                    ),
                ));
            }
            // RETURNING follows the VALUES order; the ids say so, or the run fails.
            for (customer, (id, at)) in created[next..next + expected].iter_mut().zip(stamps) {
                if customer.id.into_uuid() != id {
                    return Err(Error::Database(
                        diesel::result::Error::DeserializationError(
                            format!("create_many: rows came back out of order ({id})").into(),
                        ),
                    ));
                }
                customer.created_at = at;
                customer.updated_at = at;
            }
            next += expected;
        }
        Ok(created)
    }

    repository::soft_delete::purge_method! {
        /// Hard-deletes the customers soft-deleted before `cutoff` (the end of a
        /// retention period). Returns how many went. A customer still referenced
        /// (by a deal) is refused with [`Error::ForeignKeyViolation`] and nothing
        /// is purged.
        table: customers,
    }
}
