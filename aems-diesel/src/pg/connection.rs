//! The connection handle: statements in, answers out, and the `Sync` grouping
//! that makes one implicit transaction of a context and its statement.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use bytes::{BufMut, BytesMut};
use diesel::pg::{Pg, PgMetadataCacheKey, PgMetadataLookup, PgQueryBuilder, PgTypeMetadata};
use diesel::query_builder::{AsQuery, QueryBuilder, QueryFragment, QueryId};
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};
use diesel_async::{AsyncConnectionCore, SimpleAsyncConnection};
use postgres_protocol::IsNull;
use postgres_protocol::message::frontend;
use tokio::sync::{mpsc, oneshot};

use super::connect::Established;
use super::error::Failure;
use super::row::PgRow;
use super::wire::{self, Columns, Expect, Outgoing, Reply, Request, Shared, UnlessParsed};

/// Requests end with their own `Sync`.
const SYNC_EACH: u8 = 0;
/// Requests are kept, without `Sync`, until [`Group::sync`] sends them and
/// one `Sync` together.
const GROUPING: u8 = 1;
/// The group's `Sync` is sent and the one-shot is not over: no request may
/// join it any more.
const SEALED: u8 = 2;

/// A statement prepared on this connection under a name.
#[derive(Debug)]
struct Prepared {
    name: String,
    /// Set by the connection task from the `Describe` that went with the
    /// `Parse`, before any answer that uses it is handed out.
    columns: wire::ColumnsSlot,
}

#[derive(Debug, Default)]
struct Statements {
    by_type: HashMap<TypeId, Arc<Prepared>>,
    by_sql: HashMap<(String, Vec<u32>), Arc<Prepared>>,
    next: u64,
}

impl Statements {
    fn forget(&mut self, prepared: &Arc<Prepared>) {
        self.by_type.retain(|_, p| !Arc::ptr_eq(p, prepared));
        self.by_sql.retain(|_, p| !Arc::ptr_eq(p, prepared));
    }
}

/// One connection to the server, as the repositories' statements see it.
///
/// Only this crate opens one (it is public in name only, so that the sealed
/// executor trait may mention it).
pub struct Connection {
    requests: mpsc::UnboundedSender<Outgoing>,
    /// A group's requests, until its `Sync` sends them.
    pending: Mutex<Vec<Request>>,
    shared: Arc<Shared>,
    statements: Arc<Mutex<Statements>>,
    cache_statements: bool,
    grouping: AtomicU8,
    announced_pid: i32,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broken", &self.shared.is_broken())
            .field("cache_statements", &self.cache_statements)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts the connection's task on the current runtime.
    pub(crate) fn start(established: Established, cache_statements: bool) -> Self {
        let (requests, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(established.tx_status));
        tokio::spawn(wire::drive(
            established.socket,
            receiver,
            shared.clone(),
            established.leftover,
        ));
        Self {
            requests,
            pending: Mutex::new(Vec::new()),
            shared,
            statements: Arc::default(),
            cache_statements,
            grouping: AtomicU8::new(SYNC_EACH),
            announced_pid: established.announced_pid,
        }
    }

    /// The process id announced at start-up (`BackendKeyData`). A bouncer
    /// announces one of its own, not the server process's.
    pub(crate) fn announced_pid(&self) -> i32 {
        self.announced_pid
    }

    /// Stops preparing statements under names (behind a transaction-pooling
    /// bouncer, the next transaction may run on another server connection).
    pub(crate) fn disable_statement_cache(&mut self) {
        self.cache_statements = false;
        *self.statements.lock().unwrap_or_else(|e| e.into_inner()) = Statements::default();
    }

    /// The socket failed or the server ended the session: nothing more can be
    /// sent.
    pub(crate) fn is_broken(&self) -> bool {
        self.shared.is_broken()
    }

    /// Idle and outside any transaction block, as a pooled connection must be.
    pub(crate) fn is_idle(&self) -> bool {
        self.shared.tx_status() == b'I' && self.grouping.load(Ordering::Acquire) == SYNC_EACH
    }

    /// Opens a group: the requests made until [`Group::sync`] go without a
    /// `Sync` of their own, so the server runs them as one transaction (an
    /// implicit one, unless one of them is `BEGIN`) and skips all that follow
    /// an error in it.
    pub(crate) fn group(&self) -> Group<'_> {
        let previous = self.grouping.swap(GROUPING, Ordering::AcqRel);
        debug_assert_eq!(previous, SYNC_EACH, "groups do not nest");
        Group {
            conn: self,
            synced: false,
        }
    }

    /// Allows requests again after a sealed group's work is over.
    pub(crate) fn unseal(&self) {
        let _ =
            self.grouping
                .compare_exchange(SEALED, SYNC_EACH, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Sends a request, or, inside a group, keeps it for the group's `Sync`.
    fn send(
        &self,
        messages: BytesMut,
        expect: Expect,
        describe_into: Option<wire::ColumnsSlot>,
        unless_parsed: UnlessParsed,
    ) -> Result<oneshot::Receiver<Reply>, Failure> {
        let (reply, receiver) = oneshot::channel();
        let request = Request {
            messages,
            expect,
            describe_into,
            reply,
            unless_parsed,
        };
        if self.grouping.load(Ordering::Acquire) == GROUPING {
            self.pending_requests().push(request);
        } else {
            self.requests
                .send(Outgoing::One(request))
                .map_err(|_| Failure::Closed(self.shared.closed_reason()))?;
        }
        Ok(receiver)
    }

    fn pending_requests(&self) -> std::sync::MutexGuard<'_, Vec<Request>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a group's requests and its `Sync` as one message to the task, so
    /// they leave in one write.
    fn send_group(&self, seal: bool) -> Result<oneshot::Receiver<Reply>, Failure> {
        let mut messages = BytesMut::with_capacity(5);
        frontend::sync(&mut messages);
        let (reply, receiver) = oneshot::channel();
        let mut batch = std::mem::take(&mut *self.pending_requests());
        batch.push(Request {
            messages,
            expect: Expect::Sync,
            describe_into: None,
            reply,
            unless_parsed: UnlessParsed::default(),
        });
        let next = if seal { SEALED } else { SYNC_EACH };
        self.grouping.store(next, Ordering::Release);
        self.requests
            .send(Outgoing::Many(batch))
            .map_err(|_| Failure::Closed(self.shared.closed_reason()))?;
        Ok(receiver)
    }

    /// Encodes and sends one statement, before returning: requests reach the
    /// server in the order they are made.
    fn statement<T>(&self, query: T, kind: Kind) -> Answer
    where
        T: QueryFragment<Pg> + QueryId,
    {
        match self.try_statement(&query, T::query_id(), kind) {
            Ok(answer) => answer,
            Err(error) => Answer::failed(error),
        }
    }

    fn try_statement(
        &self,
        query: &dyn QueryFragment<Pg>,
        query_id: Option<TypeId>,
        kind: Kind,
    ) -> QueryResult<Answer> {
        self.check_can_send()?;
        let mut binds = diesel::query_builder::bind_collector::RawBytesBindCollector::<Pg>::new();
        query.collect_binds(&mut binds, &mut BuiltInTypesOnly, &Pg)?;
        let oids = binds
            .metadata
            .iter()
            .map(|m| {
                m.oid()
                    .map_err(|e| DieselError::SerializationError(Box::new(e)))
            })
            .collect::<QueryResult<Vec<u32>>>()?;

        let safe_to_cache = self.cache_statements && query.is_safe_to_cache_prepared(&Pg)?;
        let sql = || -> QueryResult<String> {
            let mut builder = PgQueryBuilder::default();
            query.to_sql(&mut builder, &Pg)?;
            Ok(builder.finish())
        };
        let (prepared, parse) = self.resolve(query_id, &oids, safe_to_cache, sql)?;
        self.send_bound(
            prepared,
            parse,
            &oids,
            binds.binds.iter().map(Option::as_deref),
            kind,
        )
    }

    /// Sends a fixed statement of this crate's own, whose parameters are
    /// already encoded (binary format), without diesel's query builder: the
    /// tenant context, which precedes every statement, is a fixed text with
    /// seven `text` parameters, and building it through diesel's AST cost
    /// more than the rest of a one-shot get on the client (callgrind:
    /// docs/benchmarks.md). `key` names the statement in the cache.
    pub(crate) fn fixed(
        &self,
        key: TypeId,
        sql: &'static str,
        oids: &[u32],
        params: &[Option<&[u8]>],
    ) -> ExecuteAnswer {
        let sent = self.check_can_send().and_then(|()| {
            let (prepared, parse) =
                self.resolve(
                    Some(key),
                    oids,
                    self.cache_statements,
                    || Ok(sql.to_owned()),
                )?;
            self.send_bound(prepared, parse, oids, params.iter().copied(), Kind::Count)
        });
        ExecuteAnswer(sent.unwrap_or_else(Answer::failed))
    }

    fn check_can_send(&self) -> QueryResult<()> {
        if self.grouping.load(Ordering::Acquire) == SEALED {
            return Err(Failure::Sealed.into_diesel());
        }
        if self.shared.is_broken() {
            return Err(Failure::Closed(self.shared.closed_reason()).into_diesel());
        }
        Ok(())
    }

    /// The prepared statement to bind (none: the unnamed statement), and the
    /// SQL to parse first if it is not prepared yet.
    fn resolve(
        &self,
        query_id: Option<TypeId>,
        oids: &[u32],
        safe_to_cache: bool,
        sql: impl FnOnce() -> QueryResult<String>,
    ) -> QueryResult<(Option<Arc<Prepared>>, Option<String>)> {
        if !safe_to_cache {
            return Ok((None, Some(sql()?)));
        }
        let mut statements = self.statements.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(prepared) = query_id.and_then(|id| statements.by_type.get(&id).cloned()) {
            return Ok((Some(prepared), None));
        }
        let key = (sql()?, oids.to_vec());
        if query_id.is_none()
            && let Some(prepared) = statements.by_sql.get(&key).cloned()
        {
            return Ok((Some(prepared), None));
        }
        statements.next += 1;
        let prepared = Arc::new(Prepared {
            name: format!("aems_{}", statements.next),
            columns: Arc::new(OnceLock::new()),
        });
        let text = key.0.clone();
        match query_id {
            Some(id) => statements.by_type.insert(id, prepared.clone()),
            None => statements.by_sql.insert(key, prepared.clone()),
        };
        Ok((Some(prepared), Some(text)))
    }

    /// Encodes Parse (and Describe) when `parse` is given, Bind and Execute
    /// (and Sync outside a group), and sends them.
    fn send_bound<'a>(
        &self,
        prepared: Option<Arc<Prepared>>,
        parse: Option<String>,
        oids: &[u32],
        params: impl ExactSizeIterator<Item = Option<&'a [u8]>>,
        kind: Kind,
    ) -> QueryResult<Answer> {
        let grouping = self.grouping.load(Ordering::Acquire);
        let name = prepared.as_ref().map_or("", |p| p.name.as_str());
        let mut messages = BytesMut::with_capacity(256);
        let io = |e: std::io::Error| DieselError::SerializationError(Box::new(e));
        if let Some(text) = &parse {
            frontend::parse(name, text, oids.iter().copied(), &mut messages).map_err(io)?;
            frontend::describe(b'S', name, &mut messages).map_err(io)?;
        }
        frontend::bind(
            "",
            name,
            Some(1),
            params,
            |value, buf: &mut BytesMut| match value {
                Some(bytes) => {
                    buf.put_slice(bytes);
                    Ok(IsNull::No)
                }
                None => Ok(IsNull::Yes),
            },
            Some(1),
            &mut messages,
        )
        .map_err(|e| match e {
            frontend::BindError::Conversion(e) => DieselError::SerializationError(e),
            frontend::BindError::Serialization(e) => io(e),
        })?;
        frontend::execute("", 0, &mut messages).map_err(io)?;
        let sync = grouping == SYNC_EACH;
        if sync {
            frontend::sync(&mut messages);
        }
        let describe_into = parse
            .is_some()
            .then(|| prepared.as_ref().map(|p| p.columns.clone()))
            .flatten();
        let unless_parsed = match (&describe_into, &prepared) {
            (Some(_), Some(prepared)) => {
                let statements = self.statements.clone();
                let prepared = prepared.clone();
                UnlessParsed::new(move || {
                    statements
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .forget(&prepared);
                })
            }
            _ => UnlessParsed::default(),
        };
        let columns = prepared.map(|p| p.columns.clone());
        let receiver = self
            .send(
                messages,
                Expect::Statement { sync },
                describe_into,
                unless_parsed,
            )
            .map_err(Failure::into_diesel)?;
        Ok(Answer {
            state: AnswerState::Waiting {
                receiver,
                columns,
                kind,
            },
        })
    }
}

/// A group of requests that the server runs as one transaction: see
/// [`Connection::group`].
pub(crate) struct Group<'c> {
    conn: &'c Connection,
    synced: bool,
}

impl<'c> Group<'c> {
    /// The `Sync` that ends the group, sent when the returned future is first
    /// polled — so a statement whose future sends its request at its first
    /// poll, polled before this one (as `join!` does, in order), is still
    /// inside the group. With `seal`, no request may follow until
    /// [`Connection::unseal`]: a one-shot's statement that tried would run
    /// outside its transaction, so it is refused instead.
    pub(crate) fn sync(mut self, seal: bool) -> SyncAnswer<'c> {
        self.synced = true;
        SyncAnswer {
            conn: self.conn,
            seal,
            receiver: None,
        }
    }
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if !self.synced {
            // Nothing of the group has left: its requests are dropped (their
            // answers fail, statement names they would have prepared are
            // forgotten) and the connection is as it was.
            let abandoned = std::mem::take(&mut *self.conn.pending_requests());
            drop(abandoned);
            self.conn.grouping.store(SYNC_EACH, Ordering::Release);
        }
    }
}

/// The answer to a group's `Sync`: `Ok` once the server has committed (or, if
/// a statement of the group failed, rolled back) the group's transaction.
pub(crate) struct SyncAnswer<'c> {
    conn: &'c Connection,
    seal: bool,
    receiver: Option<oneshot::Receiver<Reply>>,
}

impl Future for SyncAnswer<'_> {
    type Output = QueryResult<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.receiver.is_none() {
            match self.conn.send_group(self.seal) {
                Ok(receiver) => self.receiver = Some(receiver),
                Err(failure) => return Poll::Ready(Err(failure.into_diesel())),
            }
        }
        let Some(receiver) = self.receiver.as_mut() else {
            return Poll::Pending;
        };
        match Pin::new(receiver).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(reply)) => {
                Poll::Ready(reply.result.map(|_| ()).map_err(Failure::into_diesel))
            }
            Poll::Ready(Err(_)) => Poll::Ready(Err(Failure::Closed(
                self.conn.shared.closed_reason(),
            )
            .into_diesel())),
        }
    }
}

/// What the caller wants from a statement's answer.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Rows,
    Count,
}

/// The rows of a result, as diesel-async's `load` hands them on.
pub type RowStream = futures_util::stream::Iter<std::vec::IntoIter<QueryResult<PgRow>>>;

/// What a statement's answer becomes.
pub enum Answered {
    Rows(RowStream),
    Count(usize),
}

/// The future of one statement's answer. The request is already sent.
pub struct Answer {
    state: AnswerState,
}

enum AnswerState {
    Failed(Option<DieselError>),
    Waiting {
        receiver: oneshot::Receiver<Reply>,
        columns: Option<wire::ColumnsSlot>,
        kind: Kind,
    },
}

impl Answer {
    fn failed(error: DieselError) -> Self {
        Self {
            state: AnswerState::Failed(Some(error)),
        }
    }
}

impl Future for Answer {
    type Output = QueryResult<Answered>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            AnswerState::Failed(error) => Poll::Ready(Err(error.take().unwrap_or_else(|| {
                DieselError::DatabaseError(
                    DatabaseErrorKind::Unknown,
                    Box::new("statement answer polled after completion".to_owned()),
                )
            }))),
            AnswerState::Waiting {
                receiver,
                columns,
                kind,
            } => {
                let reply = match Pin::new(receiver).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(reply)) => reply,
                    Poll::Ready(Err(_)) => {
                        return Poll::Ready(Err(Failure::Closed(Arc::from(
                            "the connection task ended",
                        ))
                        .into_diesel()));
                    }
                };
                let outcome = match reply.result {
                    Ok(outcome) => outcome,
                    Err(failure) => return Poll::Ready(Err(failure.into_diesel())),
                };
                Poll::Ready(match kind {
                    Kind::Count => Ok(Answered::Count(rows_affected(outcome.tag.as_deref()))),
                    Kind::Rows => {
                        let columns = outcome
                            .columns
                            .or_else(|| columns.as_ref().and_then(|c| c.get().cloned()));
                        rows(outcome.rows, columns).map(Answered::Rows)
                    }
                })
            }
        }
    }
}

fn rows(
    bodies: Vec<postgres_protocol::message::backend::DataRowBody>,
    columns: Option<Columns>,
) -> QueryResult<RowStream> {
    if bodies.is_empty() {
        return Ok(futures_util::stream::iter(Vec::new()));
    }
    let columns = columns.ok_or_else(|| {
        DieselError::DeserializationError("rows arrived for a statement never described".into())
    })?;
    let rows = bodies
        .into_iter()
        .map(|body| {
            PgRow::new(body, columns.clone())
                .map_err(|e| DieselError::DeserializationError(Box::new(e)))
        })
        .collect::<Vec<_>>();
    Ok(futures_util::stream::iter(rows))
}

/// The row count of a command tag (`INSERT 0 5`, `UPDATE 3`, `SELECT 1`); 0 for
/// tags that carry none (`BEGIN`, `SET`).
fn rows_affected(tag: Option<&str>) -> usize {
    tag.and_then(|t| t.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A statement's rows, as `load` returns them.
pub struct LoadAnswer(Answer);

impl Future for LoadAnswer {
    type Output = QueryResult<RowStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| match r? {
            Answered::Rows(rows) => Ok(rows),
            Answered::Count(_) => Ok(futures_util::stream::iter(Vec::new())),
        })
    }
}

/// A statement's row count, as `execute` returns it.
pub struct ExecuteAnswer(Answer);

impl Future for ExecuteAnswer {
    type Output = QueryResult<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| match r? {
            Answered::Count(n) => Ok(n),
            Answered::Rows(_) => Ok(0),
        })
    }
}

// Statements are built from shared references, so several can be sent before
// the first answer is read (pipelining), as with diesel-async's
// `&AsyncPgConnection`.
impl AsyncConnectionCore for &Connection {
    type ExecuteFuture<'conn, 'query> = ExecuteAnswer;
    type LoadFuture<'conn, 'query> = LoadAnswer;
    type Stream<'conn, 'query> = RowStream;
    type Row<'conn, 'query> = PgRow;
    type Backend = Pg;

    fn load<'conn, 'query, T>(&'conn mut self, source: T) -> Self::LoadFuture<'conn, 'query>
    where
        T: AsQuery + 'query,
        T::Query: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        LoadAnswer(self.statement(source.as_query(), Kind::Rows))
    }

    fn execute_returning_count<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> Self::ExecuteFuture<'conn, 'query>
    where
        T: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        ExecuteAnswer(self.statement(source, Kind::Count))
    }
}

impl SimpleAsyncConnection for &Connection {
    async fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        if self.grouping.load(Ordering::Acquire) != SYNC_EACH {
            return Err(Failure::Sealed.into_diesel());
        }
        let mut messages = BytesMut::with_capacity(query.len() + 6);
        frontend::query(query, &mut messages)
            .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
        let receiver = self
            .send(messages, Expect::Simple, None, UnlessParsed::default())
            .map_err(Failure::into_diesel)?;
        match receiver.await {
            Ok(reply) => reply.result.map(|_| ()).map_err(Failure::into_diesel),
            Err(_) => Err(Failure::Closed(self.shared.closed_reason()).into_diesel()),
        }
    }
}

/// Bind parameters of this library's statements are all of built-in types;
/// the full-text types, which diesel looks up by name, have fixed OIDs.
struct BuiltInTypesOnly;

impl PgMetadataLookup for BuiltInTypesOnly {
    fn lookup_type(&mut self, type_name: &str, schema: Option<&str>) -> PgTypeMetadata {
        let known = match (schema.unwrap_or("pg_catalog"), type_name) {
            ("pg_catalog", "regconfig") => Some((3734, 3735)),
            ("pg_catalog", "tsvector") => Some((3614, 3643)),
            ("pg_catalog", "tsquery") => Some((3615, 3645)),
            _ => None,
        };
        PgTypeMetadata::from_result(known.ok_or_else(|| {
            diesel::pg::FailedToLookupTypeError::new(
                PgMetadataCacheKey::new(
                    schema.map(|s| Cow::Owned(s.to_owned())),
                    Cow::Owned(type_name.to_owned()),
                )
                .into_owned(),
            )
        }))
    }
}

impl std::fmt::Debug for LoadAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadAnswer").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ExecuteAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecuteAnswer").finish_non_exhaustive()
    }
}
