//! Bulk inserts that are undone as a whole — leaving the unit of work usable —
//! when one of their chunks fails, so a unique violation can still be
//! explained (e.g. as [`Error::CollidesWithDeleted`](crate::Error::CollidesWithDeleted))
//! afterwards.

use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, OptionFuture};

use crate::error::Result;
use crate::pg::Connection;
use crate::sql::fixed_statement;
use crate::unit_of_work::Transactional;

fixed_statement!(
    /// Marks where a bulk insert begins.
    BulkSavepoint,
    "SAVEPOINT aems_bulk_insert"
);
fixed_statement!(
    /// Undoes a failed bulk insert; the transaction is usable again.
    BulkRollback,
    "ROLLBACK TO SAVEPOINT aems_bulk_insert"
);
fixed_statement!(
    /// Forgets the savepoint once the bulk insert is kept or undone.
    BulkRelease,
    "RELEASE SAVEPOINT aems_bulk_insert"
);

/// Sends one chunk of a bulk insert, returning the inserted rows.
pub(crate) type InsertChunk<N, R> =
    for<'c> fn(&'c Connection, Vec<N>) -> BoxFuture<'c, QueryResult<Vec<R>>>;

/// Inserts `chunks` (each with `insert`) as one all-or-nothing step of a unit
/// of work: a savepoint is set with the first chunk and released with the last
/// (both pipelined, so the happy path costs no extra round trip). When a chunk
/// fails, the work is rolled back to the savepoint — nothing of this call
/// remains, and the unit of work stays usable — and the database's error comes
/// back as `Ok(Err(..))`, for the caller to explain with further queries.
/// `Err(..)` means the savepoint itself failed (the unit of work is then
/// aborted).
pub(crate) async fn insert_all_or_none<E, N, R>(
    exec: &mut E,
    entity: &'static str,
    chunks: Vec<Vec<N>>,
    insert: InsertChunk<N, R>,
) -> Result<Result<Vec<R>, diesel::result::Error>>
where
    E: Transactional,
    N: Send + 'static,
    R: Send + 'static,
{
    let last = chunks.len().saturating_sub(1);
    let mut inserted = Vec::new();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let outcome = exec
            .run(entity, move |conn| {
                async move {
                    let (opened, result, released) = futures_util::join!(
                        OptionFuture::from((i == 0).then(|| BulkSavepoint.execute(&mut { conn }))),
                        insert(conn, chunk),
                        OptionFuture::from((i == last).then(|| BulkRelease.execute(&mut { conn }))),
                    );
                    if let Some(opened) = opened {
                        opened?;
                    }
                    match result {
                        Ok(rows) => {
                            if let Some(released) = released {
                                released?;
                            }
                            Ok(Ok(rows))
                        }
                        Err(error) => {
                            // A RELEASE sent with the failed chunk failed too (the
                            // transaction was aborted), so the savepoint is still there.
                            let (back, gone) = futures_util::join!(
                                BulkRollback.execute(&mut { conn }),
                                BulkRelease.execute(&mut { conn }),
                            );
                            back?;
                            gone?;
                            Ok(Err(error))
                        }
                    }
                }
                .boxed()
            })
            .await?;
        match outcome {
            Ok(rows) => inserted.extend(rows),
            Err(error) => return Ok(Err(error)),
        }
    }
    Ok(Ok(inserted))
}
