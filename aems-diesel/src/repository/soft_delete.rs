//! Soft delete, restore, the list of the deleted and their purge, written once
//! for every table with a `deleted_at` column and an `updated_by` author.
//!
//! What differs between the tables is only how a stored row becomes an entity
//! (`row.into_entity()` for most; employees open their sealed salaries for
//! those allowed to see them): the `finish_one` / `finish_page` hooks.
//! Every stamp is the server's `now()`, the transaction's one clock.
//!
//! Macros rather than a generic trait, for the reason lemmy's `Crud` trait
//! keeps `create` and `update` per table: diesel's statement types name the
//! table's columns, and a bound that spelled them out generically (for
//! `update(..).filter(..).set(..).returning(..)` under `sql::Cached`) would be
//! longer than the code it shares. The macros expand in the table's own module,
//! so they use its imports (`diesel::prelude`, `diesel_async::RunQueryDsl`,
//! `FutureExt`) and its `ENTITY`.

/// `soft_delete`, `restore` and `list_deleted` for a repository whose table
/// has `deleted_at` and `updated_by`; each method's documentation is given by
/// the caller. `finish_one` turns one row into the entity (`$repo` is the
/// repository, `&mut Self`); `finish_page` a page of rows (it may `.await`).
macro_rules! soft_delete_methods {
    (
        table: $table:ident,
        row: $row:ident,
        id: $id:ty,
        entity: $entity:ty,
        $(#[$soft_delete:meta])* soft_delete,
        $(#[$restore:meta])* restore,
        $(#[$list_deleted:meta])* list_deleted,
        finish_one: |$repo_one:ident, $one_row:ident| $finish_one:expr,
        finish_page: |$repo_page:ident, $page_rows:ident| $finish_page:expr $(,)?
    ) => {
        $(#[$soft_delete])*
        pub async fn soft_delete(&mut self, id: $id) -> $crate::error::Result<$entity> {
            let actor = self.exec.context().actor().into_uuid();
            let row = self
                .exec
                .run(ENTITY, move |conn| {
                    $crate::sql::Cached(
                        diesel::update(
                            $table::table
                                .find(id.into_uuid())
                                .filter($table::deleted_at.is_null()),
                        )
                        .set((
                            $table::deleted_at.eq(diesel::dsl::now),
                            $table::updated_by.eq(actor),
                        ))
                        .returning($row::as_returning()),
                    )
                    .get_result(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
                })
                .await?;
            let $one_row = row.ok_or($crate::error::Error::NotFound { entity: ENTITY })?;
            let $repo_one = &mut *self;
            $finish_one
        }

        $(#[$restore])*
        pub async fn restore(&mut self, id: $id) -> $crate::error::Result<$entity> {
            let actor = self.exec.context().actor().into_uuid();
            let row = self
                .exec
                .run(ENTITY, move |conn| {
                    $crate::sql::Cached(
                        diesel::update(
                            $table::table
                                .find(id.into_uuid())
                                .filter($table::deleted_at.is_not_null()),
                        )
                        .set((
                            $table::deleted_at.eq(None::<chrono::DateTime<chrono::Utc>>),
                            $table::updated_by.eq(actor),
                        ))
                        .returning($row::as_returning()),
                    )
                    .get_result(&mut { conn })
                    .map(|r| r.optional())
                    .boxed()
                })
                .await?;
            let $one_row = row.ok_or($crate::error::Error::NotFound { entity: ENTITY })?;
            let $repo_one = &mut *self;
            $finish_one
        }

        $(#[$list_deleted])*
        pub async fn list_deleted(
            &mut self,
            page: $crate::repository::PageRequest,
        ) -> $crate::error::Result<$crate::repository::Page<$entity>> {
            let rows = self
                .exec
                .run(ENTITY, move |conn| {
                    let query = $table::table
                        .filter($table::deleted_at.is_not_null())
                        .select($row::as_select())
                        .into_boxed::<diesel::pg::Pg>();
                    $crate::repository::keyset!(query, $table::tenant_id, $table::id, page)
                        .load(&mut { conn })
                        .boxed()
                })
                .await?;
            let $page_rows = rows;
            let $repo_page = &mut *self;
            let entities = $finish_page;
            Ok(page.into_page(entities, |e| e.id.into_uuid()))
        }
    };
}
pub(crate) use soft_delete_methods;

/// `purge_deleted_before` for a repository whose table has `deleted_at`; its
/// documentation is given by the caller.
macro_rules! purge_method {
    ($(#[$purge:meta])* table: $table:ident $(,)?) => {
        $(#[$purge])*
        pub async fn purge_deleted_before(
            &mut self,
            cutoff: chrono::DateTime<chrono::Utc>,
        ) -> $crate::error::Result<usize> {
            self.exec
                .run(ENTITY, move |conn| {
                    diesel::delete($table::table.filter($table::deleted_at.lt(cutoff)))
                        .execute(&mut { conn })
                        .boxed()
                })
                .await
        }
    };
}
pub(crate) use purge_method;
