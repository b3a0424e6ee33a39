//! The few PostgreSQL functions and operators diesel does not ship that the
//! repositories use: full-text search and `set_config`.

use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate,
};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{SqlType, Text};

/// PostgreSQL's `regconfig` (a text-search configuration such as `'english'`).
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "regconfig"))]
pub struct Regconfig;

/// PostgreSQL's `tsvector`.
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "tsvector"))]
pub struct TsVector;

/// PostgreSQL's `tsquery`.
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "tsquery"))]
pub struct TsQuery;

diesel::define_sql_function! {
    /// `to_tsvector(config, document)`.
    fn to_tsvector(config: Regconfig, document: Text) -> TsVector;
}

diesel::define_sql_function! {
    /// `plainto_tsquery(config, query)`: any text is a valid query (no syntax to break).
    fn plainto_tsquery(config: Regconfig, query: Text) -> TsQuery;
}

diesel::define_sql_function! {
    /// `coalesce(text, text)`.
    #[sql_name = "coalesce"]
    fn coalesce_text(value: diesel::sql_types::Nullable<Text>, fallback: Text) -> Text;
}

diesel::infix_operator!(TsMatches, " @@ ", backend: diesel::pg::Pg);

/// The `'english'` configuration as a typed fragment: written as a literal so
/// it matches the expression of the full-text indexes exactly (a bound
/// parameter would not), and, unlike a `dsl::sql` literal (which diesel
/// declines to cache), leaving the statement that holds it cacheable: a
/// search is prepared once per connection.
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

/// `document @@ plainto_tsquery('english', query)`.
pub fn matches<D, Q>(document: D, query: Q) -> TsMatches<D, plainto_tsquery<English, Q>>
where
    D: diesel::Expression<SqlType = TsVector>,
    Q: diesel::Expression<SqlType = Text>,
{
    TsMatches::new(document, plainto_tsquery(english(), query))
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
