//! The few PostgreSQL functions and operators diesel does not ship that the
//! repositories use: full-text search and `set_config`.

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

/// The `'english'` configuration, written as a literal so it matches the
/// expression of the full-text indexes exactly (a bound parameter would not).
pub fn english() -> diesel::expression::SqlLiteral<Regconfig> {
    diesel::dsl::sql::<Regconfig>("'english'::regconfig")
}

/// `document @@ plainto_tsquery('english', query)`.
pub fn matches<D, Q>(
    document: D,
    query: Q,
) -> TsMatches<D, plainto_tsquery<diesel::expression::SqlLiteral<Regconfig>, Q>>
where
    D: diesel::Expression<SqlType = TsVector>,
    Q: diesel::Expression<SqlType = Text>,
{
    TsMatches::new(document, plainto_tsquery(english(), query))
}
