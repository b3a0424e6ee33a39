//! What every repository shares: keyset pages, the opaque cursor, and the
//! decoding of stored values back into aems-core's types.
//!
//! Every table is listed in creation order of its ids (UUIDv7, so id order is
//! creation order), oldest or newest first, and paged by keyset — `WHERE id >
//! cursor ORDER BY id LIMIT n` — never by OFFSET: a page deep in a large table
//! costs what the first page costs, and rows inserted while a client pages
//! through never make it see a row twice or skip one that existed when it began.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::error::{Error, Result};

pub(crate) mod bulk;
pub(crate) mod soft_delete;

/// Rows per page when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Most rows one page may hold.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Which end of the list comes first. With feature `serde`, written
/// `"oldest_first"` / `"newest_first"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Order {
    /// Oldest rows first (ascending ids).
    #[default]
    OldestFirst,
    /// Newest rows first (descending ids).
    NewestFirst,
}

/// Where a page continues: the last row of the previous page, and the order.
///
/// Opaque to callers: take it from [`Page::next`], hand it back in
/// [`PageRequest::after`]. Its text form (for URLs, and with feature `serde`
/// its serialized form) is stable, and parsing it back is validated: anything
/// this library did not hand out is refused with [`Error::Validation`].
///
/// It is not signed, because nothing needs protecting: a client that edits one
/// only chooses another starting row, and every page is still filtered by the
/// tenant's row-level security, so it never reaches a row it could not list
/// from the first page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    after: Uuid,
    order: Order,
}

impl Cursor {
    /// A cursor that continues after the row `id`, in `order`: for resuming
    /// from a row the caller already holds (ids are not secrets; the tenant
    /// still sees only its own rows).
    pub fn after(id: Uuid, order: Order) -> Self {
        Self { after: id, order }
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({self})")
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.order {
            Order::OldestFirst => 'a',
            Order::NewestFirst => 'd',
        };
        write!(f, "{tag}{}", self.after.simple())
    }
}

impl FromStr for Cursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || {
            Error::Validation(aems_core::DomainError::field(
                "cursor",
                aems_core::ErrorCode::InvalidFormat,
                "is not a cursor this library handed out",
            ))
        };
        let order = match s.as_bytes().first() {
            Some(b'a') => Order::OldestFirst,
            Some(b'd') => Order::NewestFirst,
            _ => return Err(invalid()),
        };
        let hex = &s[1..];
        if hex.len() != 32 {
            return Err(invalid());
        }
        let after = Uuid::parse_str(hex).map_err(|_| invalid())?;
        Ok(Self { after, order })
    }
}

/// Serializes a cursor as its text form and parses it back, validated, with
/// its `FromStr` (feature `serde`).
macro_rules! serde_as_text {
    ($cursor:ty) => {
        #[cfg(feature = "serde")]
        impl serde::Serialize for $cursor {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $cursor {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_as_text;

serde_as_text!(Cursor);

/// Which page to read.
///
/// ```
/// use aems_diesel::{Order, PageRequest};
///
/// let first = PageRequest::first(20).order(Order::NewestFirst);
/// assert_eq!(first.limit(), 20);
/// assert_eq!(PageRequest::first(100_000).limit(), aems_diesel::MAX_PAGE_SIZE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    after: Option<Cursor>,
    limit: u32,
    order: Order,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_PAGE_SIZE)
    }
}

impl PageRequest {
    /// The first page, of at most `limit` rows (1 to [`MAX_PAGE_SIZE`]).
    pub fn first(limit: u32) -> Self {
        Self {
            after: None,
            limit: limit.clamp(1, MAX_PAGE_SIZE),
            order: Order::OldestFirst,
        }
    }

    /// The page after `cursor`, of at most `limit` rows, in the cursor's order.
    pub fn after(cursor: Cursor, limit: u32) -> Self {
        Self {
            after: Some(cursor),
            limit: limit.clamp(1, MAX_PAGE_SIZE),
            order: cursor.order,
        }
    }

    /// Sets the order of a first page (a cursor keeps its own).
    pub fn order(mut self, order: Order) -> Self {
        if self.after.is_none() {
            self.order = order;
        }
        self
    }

    /// Most rows on the page.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The order of the page.
    pub fn ordering(&self) -> Order {
        self.order
    }

    /// The id the page starts after, if it is not the first.
    pub fn after_id(&self) -> Option<Uuid> {
        self.after.map(|c| c.after)
    }

    /// Rows to fetch: one more than the page holds, to learn whether another follows.
    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Cuts the fetched rows to the page and computes the next cursor.
    pub(crate) fn into_page<T>(self, mut rows: Vec<T>, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
        let next = if rows.len() > self.limit as usize {
            rows.truncate(self.limit as usize);
            rows.last().map(|last| Cursor {
                after: id_of(last),
                order: self.order,
            })
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// One page of rows. With feature `serde`, it serializes as
/// `{"items": [...], "next": "a0198…"}` (`next` is `null` on the last page).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Page<T> {
    /// The rows, in the requested order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Maps the rows, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// Adds the keyset condition and order of `page` to a boxed query.
///
/// `keyset!(query, table::tenant_id, table::id, page)` orders by
/// `(tenant_id, id)`: with row-level security leaving one tenant, that is id
/// order, and it is exactly the order of the table's `UNIQUE (tenant_id, id)`
/// index, so a page reads only its own rows however the tenants' rows are
/// spread through the table (see migration `tenant_policies_indexable_order`).
/// `keyset!(query, table::id, page)` is for the tables without `tenant_id`.
macro_rules! keyset {
    ($query:expr, $tenant:expr, $id:expr, $page:expr) => {{
        let page: $crate::repository::PageRequest = $page;
        let mut query = $query;
        match page.ordering() {
            $crate::repository::Order::OldestFirst => {
                if let Some(after) = page.after_id() {
                    query = query.filter($id.gt(after));
                }
                query
                    .order(($tenant.asc(), $id.asc()))
                    .limit(page.fetch_limit())
            }
            $crate::repository::Order::NewestFirst => {
                if let Some(after) = page.after_id() {
                    query = query.filter($id.lt(after));
                }
                query
                    .order(($tenant.desc(), $id.desc()))
                    .limit(page.fetch_limit())
            }
        }
    }};
    ($query:expr, $id:expr, $page:expr) => {{
        let page: $crate::repository::PageRequest = $page;
        let mut query = $query;
        match page.ordering() {
            $crate::repository::Order::OldestFirst => {
                if let Some(after) = page.after_id() {
                    query = query.filter($id.gt(after));
                }
                query.order($id.asc()).limit(page.fetch_limit())
            }
            $crate::repository::Order::NewestFirst => {
                if let Some(after) = page.after_id() {
                    query = query.filter($id.lt(after));
                }
                query.order($id.desc()).limit(page.fetch_limit())
            }
        }
    }};
}
pub(crate) use keyset;

/// Declares a domain's repositories trait, implemented for every executor, so
/// that `uow.customers()` reaches a repository: one method per table, each
/// returning the repository's handle (`Repo::new(self)`).
///
/// ```ignore
/// domain_repositories! {
///     /// The sales repositories, reachable from any executor (`uow.customers()`).
///     pub trait SalesRepositories {
///         /// `sales.customers`.
///         customers => Customers,
///     }
/// }
/// ```
macro_rules! domain_repositories {
    (
        $(#[$meta:meta])*
        pub trait $trait_name:ident {
            $( $(#[$method_meta:meta])* $method:ident => $repo:ident, )*
        }
    ) => {
        $(#[$meta])*
        pub trait $trait_name: $crate::unit_of_work::Executor + Sized {
            $(
                $(#[$method_meta])*
                fn $method(&mut self) -> $repo<'_, Self> {
                    $repo::new(self)
                }
            )*
        }

        impl<E: $crate::unit_of_work::Executor> $trait_name for E {}
    };
}
pub(crate) use domain_repositories;

/// Decodes a stored value into its domain type; a value the domain refuses
/// means the row was written around this library, and says which column.
pub(crate) fn decode<T>(entity: &'static str, column: &'static str, value: &str) -> Result<T>
where
    T: FromStr<Err = aems_core::ValueError>,
{
    value
        .parse()
        .map_err(|e: aems_core::ValueError| Error::Decode {
            entity,
            column,
            reason: e.to_string(),
        })
}

/// [`decode`] for a nullable column.
pub(crate) fn decode_opt<T>(
    entity: &'static str,
    column: &'static str,
    value: Option<&str>,
) -> Result<Option<T>>
where
    T: FromStr<Err = aems_core::ValueError>,
{
    value.map(|v| decode(entity, column, v)).transpose()
}

/// Decodes a stored NUMERIC into any decimal domain type (`Numeric<P, S>`,
/// `Money`, `Percentage`, `Rating`, `Score10`); a value the domain refuses is
/// [`Error::Decode`] naming the column.
pub(crate) fn decode_decimal<T>(
    entity: &'static str,
    column: &'static str,
    value: bigdecimal::BigDecimal,
) -> Result<T>
where
    T: TryFrom<bigdecimal::BigDecimal, Error = aems_core::ValueError>,
{
    T::try_from(value).map_err(|e| Error::Decode {
        entity,
        column,
        reason: e.to_string(),
    })
}

/// [`decode_decimal`] for a nullable column.
pub(crate) fn decode_decimal_opt<T>(
    entity: &'static str,
    column: &'static str,
    value: Option<bigdecimal::BigDecimal>,
) -> Result<Option<T>>
where
    T: TryFrom<bigdecimal::BigDecimal, Error = aems_core::ValueError>,
{
    value.map(|v| decode_decimal(entity, column, v)).transpose()
}

/// Decodes a stored JSONB object (`{}`); any other JSON value is refused.
pub(crate) fn decode_object(
    entity: &'static str,
    column: &'static str,
    value: serde_json::Value,
) -> Result<aems_core::JsonObject> {
    match value {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(Error::Decode {
            entity,
            column,
            reason: format!("expected a JSON object, found {other}"),
        }),
    }
}

/// [`decode_object`] for a nullable column.
pub(crate) fn decode_object_opt(
    entity: &'static str,
    column: &'static str,
    value: Option<serde_json::Value>,
) -> Result<Option<aems_core::JsonObject>> {
    value.map(|v| decode_object(entity, column, v)).transpose()
}

/// Validates free text used as a filter (a search term, a name to match):
/// PostgreSQL text cannot hold NUL, and nobody searches with megabytes.
pub(crate) fn filter_text(field: &'static str, value: &str, max_chars: usize) -> Result<String> {
    if value.contains('\0') {
        return Err(Error::Validation(aems_core::DomainError::field(
            field,
            aems_core::ErrorCode::InvalidCharacters,
            "must not contain NUL characters",
        )));
    }
    if value.chars().count() > max_chars {
        return Err(Error::Validation(aems_core::DomainError::field(
            field,
            aems_core::ErrorCode::TooLong,
            format!("must be at most {max_chars} characters"),
        )));
    }
    Ok(value.to_owned())
}

/// Checks every input of a bulk write and reports every failing field of
/// every input, named by its position (`[3].contact_email`).
pub(crate) fn check_all<T: aems_core::Input>(inputs: &[T]) -> Result<()> {
    let mut errors = aems_core::FieldErrors::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Err(failed) = input.check() {
            for f in failed.into_errors() {
                errors.push(format!("[{i}].{}", f.field), f.code, f.message);
            }
        }
    }
    Ok(errors.into_result()?)
}

/// Rows per multi-row INSERT. Tables have at most 32 columns (diesel's
/// `32-column-tables`), so a chunk binds at most 32,000 parameters: always
/// below PostgreSQL's limit of 65,535 per statement.
pub(crate) const CHUNK_ROWS: usize = 1000;

/// Splits rows into chunks of [`CHUNK_ROWS`].
pub(crate) fn chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut out = Vec::with_capacity(rows.len().div_ceil(CHUNK_ROWS));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(CHUNK_ROWS).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_through_its_text() {
        for order in [Order::OldestFirst, Order::NewestFirst] {
            let cursor = Cursor {
                after: Uuid::now_v7(),
                order,
            };
            let parsed: Cursor = cursor.to_string().parse().unwrap();
            assert_eq!(parsed, cursor);
        }
    }

    #[test]
    fn a_forged_cursor_is_a_validation_error() {
        for text in [
            "",
            "x0123",
            "a123",
            "anot-a-uuid-at-all-000000000000000",
            "a'; DROP TABLE x; --",
        ] {
            assert!(
                matches!(text.parse::<Cursor>(), Err(Error::Validation(_))),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn a_page_knows_whether_another_follows() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = PageRequest::first(2).into_page(ids.clone(), |id| *id);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next.map(|c| c.after), Some(ids[1]));
        let last = PageRequest::first(3).into_page(ids.clone(), |id| *id);
        assert_eq!(last.items.len(), 3);
        assert!(last.next.is_none());
    }

    #[test]
    fn a_cursor_keeps_its_order_and_limits_are_clamped() {
        let cursor = Cursor {
            after: Uuid::now_v7(),
            order: Order::NewestFirst,
        };
        let next = PageRequest::after(cursor, 0).order(Order::OldestFirst);
        assert_eq!(next.ordering(), Order::NewestFirst);
        assert_eq!(next.limit(), 1);
        assert_eq!(PageRequest::first(5000).limit(), MAX_PAGE_SIZE);
    }

    #[test]
    fn filter_text_refuses_nul_and_huge_input() {
        assert!(filter_text("q", "a\0b", 10).is_err());
        assert!(filter_text("q", &"x".repeat(11), 10).is_err());
        assert_eq!(filter_text("q", "ok'; --", 10).unwrap(), "ok'; --");
    }
}

#[cfg(all(test, feature = "serde"))]
mod serde_tests {
    use super::*;
    use crate::audit::AuditFilter;
    use crate::products::InventoryLevelFilter;
    use crate::sales::CustomerFilter;
    use aems_core::sales::customers::{CustomerSegment, CustomerStatus};
    use serde_json::json;

    #[test]
    fn a_page_serializes_with_its_cursor_as_text_and_the_cursor_comes_back() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = PageRequest::first(2)
            .order(Order::NewestFirst)
            .into_page(ids.clone(), |id| *id);
        let value = serde_json::to_value(&page).unwrap();
        let next = format!("d{}", ids[1].simple());
        assert_eq!(value, json!({"items": [ids[0], ids[1]], "next": next}));

        let cursor: Cursor = serde_json::from_value(value["next"].clone()).unwrap();
        assert_eq!(Some(cursor), page.next);
        let last = PageRequest::first(5).into_page(ids, |id| *id);
        assert_eq!(serde_json::to_value(&last).unwrap()["next"], json!(null));
    }

    #[test]
    fn a_cursor_that_was_not_handed_out_is_refused() {
        let good = format!("a{}", Uuid::now_v7().simple());
        for bad in [
            json!(format!("x{}", &good[1..])),
            json!(&good[..20]),
            json!(format!("{good}0")),
            json!(42),
            json!(null),
        ] {
            assert!(
                serde_json::from_value::<Cursor>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert!(serde_json::from_value::<Cursor>(json!(good)).is_ok());
    }

    #[test]
    fn order_is_written_in_snake_case() {
        assert_eq!(
            serde_json::to_value(Order::NewestFirst).unwrap(),
            json!("newest_first")
        );
        let order: Order = serde_json::from_value(json!("oldest_first")).unwrap();
        assert_eq!(order, Order::OldestFirst);
        assert!(serde_json::from_value::<Order>(json!("sideways")).is_err());
    }

    #[test]
    fn filters_deserialize_with_every_condition_optional_and_no_unknown_key() {
        let filter: CustomerFilter =
            serde_json::from_value(json!({"segment": "smb", "status": "active"})).unwrap();
        assert_eq!(
            filter,
            CustomerFilter::all()
                .segment(CustomerSegment::Smb)
                .status(CustomerStatus::Active)
        );
        let all: CustomerFilter = serde_json::from_value(json!({})).unwrap();
        assert_eq!(all, CustomerFilter::all());
        // A misspelt condition must not silently widen the list.
        let typo = serde_json::from_value::<CustomerFilter>(json!({"segmnet": "smb"}));
        assert!(typo.unwrap_err().to_string().contains("segmnet"));
        assert!(serde_json::from_value::<CustomerFilter>(json!({"segment": "huge"})).is_err());

        let actor = aems_core::UserId::new();
        let audit: AuditFilter = serde_json::from_value(json!({
            "actor": actor.into_uuid(),
            "from": "2025-01-01T00:00:00Z",
            "action": "update",
        }))
        .unwrap();
        assert_eq!(audit.actor, Some(actor));
        assert_eq!(
            audit.from.unwrap().to_rfc3339(),
            "2025-01-01T00:00:00+00:00"
        );
        assert_eq!(audit.action.as_deref(), Some("update"));
        let stock: InventoryLevelFilter =
            serde_json::from_value(json!({"below_reorder_level": true})).unwrap();
        assert!(stock.below_reorder_level);
    }
}
