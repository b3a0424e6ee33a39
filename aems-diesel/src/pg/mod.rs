//! The library's own PostgreSQL connection, under diesel's query builder.
//!
//! Why not `diesel_async::AsyncPgConnection` (tokio-postgres underneath): a
//! tenant-scoped statement has to run in a transaction that carries the
//! tenant context. tokio-postgres ends every statement with its own `Sync`, so
//! that transaction has to be an explicit `BEGIN … COMMIT`: four statements,
//! four `ReadyForQuery`s, for the raw query's one. The extended query protocol
//! can do better. Everything sent up to a `Sync` runs in one implicit
//! transaction, committed at the `Sync` (rolled back if anything in it
//! failed), and after an error the server skips every message until that
//! `Sync`. So a one-shot read is sent as
//!
//! ```text
//! Bind/Execute  SELECT set_config('role', …, true), set_config('app.current_tenant_id', …, true), …
//! Bind/Execute  SELECT … FROM sales.customers WHERE id = $1 …
//! Sync
//! ```
//!
//! one round trip and one transaction, in which the query cannot run unless
//! the context was set before it, and after which nothing of the context is
//! left on the connection (the settings are transaction-local). That is the raw
//! query plus one small statement, and it is as correct behind a
//! transaction-pooling bouncer as anywhere else, because nothing outlives the
//! transaction.
//!
//! The connection implements diesel-async's [`AsyncConnectionCore`]
//! (`diesel_async::AsyncConnectionCore`), so every repository keeps writing
//! ordinary diesel DSL (`query.load(&mut conn)`), pipelined through shared
//! references exactly as with `AsyncPgConnection`. It also does less per
//! statement than diesel-async: a statement cached by its type is not turned
//! back into SQL text on every call, a statement seen for the first time is
//! prepared in the same round trip as its first execution (`Parse` and
//! `Describe` pipelined with `Bind`), and the futures are not boxed.
//!
//! What it does not do: TLS (like `AsyncPgConnection::establish`, which this
//! library used before; `sslmode=require` is refused rather than ignored),
//! `COPY`, `LISTEN`, or custom SQL types (none in this schema).

mod connect;
mod connection;
mod error;
mod pool;
mod row;
mod wire;

pub(crate) use connection::{Connection, ExecuteAnswer};
pub use error::ConnectError;
pub(crate) use pool::Manager;
pub use pool::PoolerMode;
