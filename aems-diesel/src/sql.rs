//! The few PostgreSQL functions and operators diesel does not ship that the
//! repositories use: full-text search, the search functions' ids read once per
//! statement, and `set_config`.

use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate,
};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{Array, SqlType, Text};

/// PostgreSQL's `regconfig` (a text-search configuration such as `'english'`).
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "regconfig"))]
pub struct Regconfig;

/// PostgreSQL's `tsquery`.
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "tsquery"))]
pub struct TsQuery;

/// The SQL types of the stored search documents: `tsvector`, which
/// `diesel print-schema` generates once per schema module.
pub trait SearchDocument {}

impl SearchDocument for crate::schema::sales::sql_types::Tsvector {}
impl SearchDocument for crate::schema::products::sql_types::Tsvector {}

diesel::define_sql_function! {
    /// `plainto_tsquery(config, query)`: any text is a valid query (no syntax to break).
    fn plainto_tsquery(config: Regconfig, query: Text) -> TsQuery;
}

diesel::infix_operator!(TsMatches, " @@ ", backend: diesel::pg::Pg);

/// The `'english'` configuration as a typed fragment: written as a literal
/// (what the stored documents were made with), and, unlike a `dsl::sql`
/// literal (which diesel declines to cache), leaving the statement that holds
/// it cacheable: a search is prepared once per connection.
#[derive(Debug, Clone, Copy, Default, QueryId)]
pub struct English;

impl Expression for English {
    type SqlType = Regconfig;
}

impl<QS> AppearsOnTable<QS> for English {}

impl<QS> SelectableExpression<QS> for English {}

impl<GB> ValidGrouping<GB> for English {
    type IsAggregate = is_aggregate::Never;
}

impl QueryFragment<Pg> for English {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("'english'::regconfig");
        Ok(())
    }
}

/// The `'english'` configuration (see [`English`]).
pub fn english() -> English {
    English
}

/// `document @@ plainto_tsquery('english', query)`, for a stored search
/// document (a `tsvector` column).
pub fn matches<D, Q>(document: D, query: Q) -> TsMatches<D, plainto_tsquery<English, Q>>
where
    D: diesel::Expression,
    D::SqlType: SearchDocument,
    Q: diesel::Expression<SqlType = Text>,
{
    TsMatches::new(document, plainto_tsquery(english(), query))
}

/// `id = ANY ((SELECT ids)::uuid[])`: `id` is one of an array of ids that is
/// computed once per statement.
///
/// A function call of constant arguments in a `WHERE` clause is evaluated
/// once when it becomes an index condition, but once per row when the
/// planner makes it a filter instead. As a scalar sub-select it is an
/// InitPlan, always evaluated once, whose value `id = ANY (…)` may still use
/// as an index condition, also under row-level security (it reads no column
/// of the table, so it cannot leak one). The cast keeps `= ANY` comparing
/// with the array's elements rather than with the sub-select's rows.
pub fn id_among<C, E>(id: C, ids: E) -> IdAmong<C, E>
where
    C: Expression<SqlType = diesel::sql_types::Uuid>,
    E: Expression<SqlType = Array<diesel::sql_types::Uuid>>,
{
    IdAmong { id, ids }
}

/// See [`id_among`].
#[derive(Debug, Clone, Copy, QueryId)]
pub struct IdAmong<C, E> {
    id: C,
    ids: E,
}

impl<C, E> Expression for IdAmong<C, E> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C, E, QS> AppearsOnTable<QS> for IdAmong<C, E>
where
    C: AppearsOnTable<QS>,
    E: AppearsOnTable<QS>,
{
}

impl<C, E, QS> SelectableExpression<QS> for IdAmong<C, E>
where
    C: SelectableExpression<QS>,
    E: SelectableExpression<QS>,
{
}

impl<C, E, GB> ValidGrouping<GB> for IdAmong<C, E> {
    type IsAggregate = is_aggregate::Never;
}

impl<C: QueryFragment<Pg>, E: QueryFragment<Pg>> QueryFragment<Pg> for IdAmong<C, E> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.id.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY ((SELECT ");
        self.ids.walk_ast(out.reborrow())?;
        out.push_sql(")::uuid[])");
        Ok(())
    }
}

/// A statement whose SQL text never varies, prepared once per connection even
/// though diesel declines to cache its kind.
///
/// diesel marks every `UPDATE` and every upsert (`ON CONFLICT … DO UPDATE`)
/// unsafe to cache, because a changeset with optional fields can produce many
/// different SQL texts. Then each execution is prepared anew: an extra round
/// trip that pipelining cannot hide. Repositories write fixed changesets (every
/// column, from the checked entity), so their SQL is one text per statement;
/// wrapped in `Cached`, it is cached by that text.
///
/// Only wrap statements whose SQL text is fixed: the cache grows by one entry
/// per distinct text.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

// No static query id: the statement cache keys it by its SQL text.
impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

/// `EXPLAIN <query>`: the plan, one text row per line (for tests of plans).
#[cfg(feature = "testing")]
pub(crate) struct Explain<Q>(pub(crate) Q);

#[cfg(feature = "testing")]
impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(feature = "testing")]
impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

#[cfg(feature = "testing")]
impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

/// Declares a statement whose SQL never varies (`BEGIN`, a savepoint): a unit
/// struct that diesel prepares once per connection and caches like any DSL
/// query, so it can be pipelined with the statements around it.
///
/// ```ignore
/// fixed_statement!(
///     /// Marks where a bulk insert begins.
///     BulkSavepoint,
///     "SAVEPOINT aems_bulk_insert"
/// );
/// ```
macro_rules! fixed_statement {
    ($(#[$meta:meta])* $vis:vis $name:ident, $sql:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        $vis struct $name;

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::result::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }
    };
}
pub(crate) use fixed_statement;
