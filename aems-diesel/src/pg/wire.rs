//! The task that owns a connection's socket: it writes requests in the order
//! they were made, reads the server's messages, and hands each request its
//! answer.
//!
//! A request is one statement (optionally `Parse` and `Describe`, then
//! `Bind`/`Execute`, optionally `Sync`), a lone `Sync`, or a simple-protocol
//! query. The server answers in order, so the answers are matched to the
//! requests by a queue. After an `ErrorResponse` the server skips everything
//! up to the next `Sync`: the requests it skipped are answered
//! [`Failure::Skipped`], never left waiting, and never mistaken for having run.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::{DataRowBody, Message, RowDescriptionBody};
use postgres_protocol::message::frontend;
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};

use super::connect::Socket;
use super::error::{DbError, Failure};

/// What the server will send back for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// One statement: `ParseComplete` if it carried a `Parse`,
    /// `ParameterDescription` and `RowDescription`/`NoData` if it carried a
    /// `Describe`, `BindComplete`, rows, `CommandComplete`, and
    /// `ReadyForQuery` if it carried a `Sync`.
    Statement { sync: bool },
    /// A lone `Sync`: `ReadyForQuery`.
    Sync,
    /// A simple-protocol `Query`: anything, up to `ReadyForQuery`.
    Simple,
}

impl Expect {
    fn ends_with_sync(self) -> bool {
        match self {
            Expect::Statement { sync } => sync,
            Expect::Sync | Expect::Simple => true,
        }
    }
}

/// A column of a result, as `RowDescription` describes it.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) type_oid: u32,
}

/// The columns of a statement's result.
pub(crate) type Columns = Arc<[Column]>;

pub(crate) fn columns(body: &RowDescriptionBody) -> std::io::Result<Columns> {
    body.fields()
        .map(|f| {
            Ok(Column {
                name: f.name().to_owned(),
                type_oid: f.type_oid(),
            })
        })
        .collect::<Vec<_>>()
        .map(Into::into)
}

/// What a statement returned.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The columns, when the request carried a `Describe`.
    pub(crate) columns: Option<Columns>,
    /// The rows, in order.
    pub(crate) rows: Vec<DataRowBody>,
    /// The command tag (`SELECT 1`, `UPDATE 3`, ...).
    pub(crate) tag: Option<String>,
}

/// A request's answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) result: Result<Outcome, Failure>,
}

/// Where the columns of a statement prepared under a name are kept: filled in
/// by the task when the `Describe` sent with its `Parse` is answered, so before
/// any later answer that needs them is handed out.
pub(crate) type ColumnsSlot = Arc<OnceLock<Columns>>;

/// One request, already encoded.
pub(crate) struct Request {
    pub(crate) messages: BytesMut,
    pub(crate) expect: Expect,
    pub(crate) describe_into: Option<ColumnsSlot>,
    pub(crate) reply: oneshot::Sender<Reply>,
    /// For a request that prepares a statement under a name.
    pub(crate) unless_parsed: UnlessParsed,
}

/// What the connection task receives: one request, or a whole group that must
/// reach the socket together (one write, one packet when it fits).
pub(crate) enum Outgoing {
    One(Request),
    Many(Vec<Request>),
}

/// Run when a request that carried a `Parse` ends without the server having
/// confirmed it (an error, a skipped pipeline, a closed connection, or a
/// group dropped before it was sent): the statement's name is then not
/// prepared on the server and must not be used again. Disarmed by
/// `ParseComplete`.
#[derive(Default)]
pub(crate) struct UnlessParsed(Option<Box<dyn FnOnce() + Send>>);

impl UnlessParsed {
    pub(crate) fn new(forget: impl FnOnce() + Send + 'static) -> Self {
        Self(Some(Box::new(forget)))
    }

    fn parsed(&mut self) {
        self.0 = None;
    }
}

impl Drop for UnlessParsed {
    fn drop(&mut self) {
        if let Some(forget) = self.0.take() {
            forget();
        }
    }
}

/// What the connection handle and its task both see.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    broken: AtomicBool,
    /// The status byte of the last `ReadyForQuery`: `I` idle, `T` in a
    /// transaction block, `E` in a failed one.
    tx_status: AtomicU8,
    closed_reason: Mutex<Option<Arc<str>>>,
}

impl Shared {
    pub(crate) fn new(tx_status: u8) -> Self {
        Self {
            tx_status: AtomicU8::new(tx_status),
            ..Self::default()
        }
    }

    pub(crate) fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    pub(crate) fn tx_status(&self) -> u8 {
        self.tx_status.load(Ordering::Acquire)
    }

    pub(crate) fn closed_reason(&self) -> Arc<str> {
        self.closed_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| Arc::from("closed"))
    }

    pub(crate) fn close(&self, reason: &str) {
        let mut slot = self.closed_reason.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(Arc::from(reason));
        }
        self.broken.store(true, Ordering::Release);
    }
}

struct InFlight {
    expect: Expect,
    describe_into: Option<ColumnsSlot>,
    reply: Option<oneshot::Sender<Reply>>,
    outcome: Outcome,
    failure: Option<Failure>,
    unless_parsed: UnlessParsed,
}

impl InFlight {
    fn new(request: Request) -> (BytesMut, Self) {
        (
            request.messages,
            Self {
                expect: request.expect,
                describe_into: request.describe_into,
                reply: Some(request.reply),
                outcome: Outcome::default(),
                failure: None,
                unless_parsed: request.unless_parsed,
            },
        )
    }

    fn complete(mut self) {
        let result = match self.failure.take() {
            Some(failure) => Err(failure),
            None => Ok(std::mem::take(&mut self.outcome)),
        };
        if let Some(reply) = self.reply.take() {
            // The caller may have gone (its future dropped): nothing to do.
            let _ = reply.send(Reply { result });
        }
    }

    fn described(&mut self, columns: Columns) {
        if let Some(slot) = &self.describe_into {
            let _ = slot.set(columns.clone());
        }
        self.outcome.columns = Some(columns);
    }

    fn fail(mut self, failure: Failure) {
        self.failure = Some(failure);
        self.complete();
    }
}

/// Matches the server's messages to the requests in flight.
#[derive(Default)]
struct Router {
    queue: VecDeque<InFlight>,
    /// An error was reported since the last `Sync`: the server skips until it.
    skipping: bool,
}

fn protocol_error(what: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("unexpected message from the server: {what}"),
    )
}

impl Router {
    /// Answers the requests the server skipped, up to the one whose `Sync`
    /// ends the skipping (which then waits for its `ReadyForQuery`).
    fn settle(&mut self) {
        while self.skipping {
            let Some(front) = self.queue.front_mut() else {
                return;
            };
            if front.expect.ends_with_sync() {
                if front.failure.is_none() && front.expect != Expect::Sync {
                    front.failure = Some(Failure::Skipped);
                }
                return;
            }
            if let Some(skipped) = self.queue.pop_front() {
                skipped.fail(Failure::Skipped);
            }
        }
    }

    fn route(&mut self, message: Message, shared: &Shared) -> std::io::Result<()> {
        match message {
            // Asynchronous messages may come at any time.
            Message::NoticeResponse(_)
            | Message::ParameterStatus(_)
            | Message::NotificationResponse(_) => return Ok(()),
            _ => {}
        }
        self.settle();
        let Some(front) = self.queue.front_mut() else {
            return Err(protocol_error("an answer with no request waiting"));
        };
        let mut done = false;
        match (front.expect, message) {
            (_, Message::ReadyForQuery(body)) => {
                if !front.expect.ends_with_sync() {
                    return Err(protocol_error("ReadyForQuery before a statement's end"));
                }
                shared.tx_status.store(body.status(), Ordering::Release);
                self.skipping = false;
                done = true;
            }
            (_, Message::ErrorResponse(body)) => {
                let error = DbError::parse(&body)?;
                if front.failure.is_none() {
                    front.failure = Some(Failure::Db(Box::new(error)));
                }
                self.skipping = true;
                done = !front.expect.ends_with_sync();
            }
            (Expect::Statement { sync }, message) => match message {
                Message::ParseComplete => front.unless_parsed.parsed(),
                Message::ParameterDescription(_) | Message::BindComplete => {}
                Message::RowDescription(body) => front.described(columns(&body)?),
                Message::NoData => front.described(Arc::from(Vec::new())),
                Message::DataRow(body) => front.outcome.rows.push(body),
                Message::CommandComplete(body) => {
                    front.outcome.tag = Some(body.tag()?.to_owned());
                    done = !sync;
                }
                Message::EmptyQueryResponse => done = !sync,
                _ => {
                    return Err(protocol_error(
                        "a message out of place in a statement's answer",
                    ));
                }
            },
            (Expect::Simple, message) => match message {
                Message::RowDescription(_)
                | Message::DataRow(_)
                | Message::CommandComplete(_)
                | Message::EmptyQueryResponse => {}
                _ => return Err(protocol_error("a message out of place in a query's answer")),
            },
            (Expect::Sync, _) => {
                return Err(protocol_error("a message where only ReadyForQuery fits"));
            }
        }
        if done && let Some(finished) = self.queue.pop_front() {
            finished.complete();
        }
        Ok(())
    }

    fn fail_all(&mut self, reason: &Arc<str>) {
        for mut waiting in self.queue.drain(..) {
            // A statement the server refused (FATAL: terminating connection,
            // say) keeps the server's own words.
            if waiting.failure.is_none() || matches!(waiting.failure, Some(Failure::Skipped)) {
                waiting.failure = Some(Failure::Closed(reason.clone()));
            }
            waiting.complete();
        }
    }
}

/// Drives the connection until its handle is dropped (then says `Terminate`
/// and closes) or the socket fails (then every waiting request, and every one
/// made afterwards, is answered [`Failure::Closed`]).
pub(crate) async fn drive(
    mut socket: Socket,
    mut requests: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
    mut input: BytesMut,
) {
    let mut router = Router::default();
    let mut output = BytesMut::with_capacity(4096);
    let mut closing = false;
    let outcome = poll_fn(|cx| {
        poll_connection(
            cx,
            &mut socket,
            &mut requests,
            &shared,
            &mut router,
            &mut output,
            &mut input,
            &mut closing,
        )
    })
    .await;
    let reason = match outcome {
        Ok(()) => "closed by the library".to_owned(),
        Err(error) => error.to_string(),
    };
    shared.close(&reason);
    let reason = shared.closed_reason();
    router.fail_all(&reason);
    requests.close();
    while let Ok(outgoing) = requests.try_recv() {
        let batch = match outgoing {
            Outgoing::One(request) => vec![request],
            Outgoing::Many(requests) => requests,
        };
        for request in batch {
            let (_, waiting) = InFlight::new(request);
            waiting.fail(Failure::Closed(reason.clone()));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn poll_connection(
    cx: &mut Context<'_>,
    socket: &mut Socket,
    requests: &mut mpsc::UnboundedReceiver<Outgoing>,
    shared: &Shared,
    router: &mut Router,
    output: &mut BytesMut,
    input: &mut BytesMut,
    closing: &mut bool,
) -> Poll<std::io::Result<()>> {
    loop {
        // Take every request made so far.
        while !*closing {
            match requests.poll_recv(cx) {
                Poll::Ready(Some(Outgoing::One(request))) => {
                    let (messages, waiting) = InFlight::new(request);
                    output.extend_from_slice(&messages);
                    router.queue.push_back(waiting);
                }
                Poll::Ready(Some(Outgoing::Many(batch))) => {
                    for request in batch {
                        let (messages, waiting) = InFlight::new(request);
                        output.extend_from_slice(&messages);
                        router.queue.push_back(waiting);
                    }
                }
                Poll::Ready(None) => {
                    *closing = true;
                    frontend::terminate(output);
                }
                Poll::Pending => break,
            }
        }
        // Write what we can. Reading goes on while a large write waits, so
        // the server is never blocked on answers we are not reading.
        let mut wrote = false;
        while !output.is_empty() {
            match Pin::new(&mut *socket).poll_write(cx, output) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => {
                    output.advance(n);
                    wrote = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => break,
            }
        }
        if wrote && output.is_empty() {
            match Pin::new(&mut *socket).poll_flush(cx) {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) | Poll::Pending => {}
            }
        }
        if *closing && output.is_empty() {
            return Poll::Ready(Ok(()));
        }
        // Read and route whatever has arrived.
        let mut read = false;
        loop {
            if input.capacity() - input.len() < 4096 {
                input.reserve(16 * 1024);
            }
            match tokio_util::io::poll_read_buf(Pin::new(&mut *socket), cx, input) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    )));
                }
                Poll::Ready(Ok(_)) => {
                    read = true;
                    while let Some(message) = Message::parse(input)? {
                        if let Message::ErrorResponse(body) = &message
                            && router.queue.is_empty()
                        {
                            // A FATAL error with nothing waiting: the server
                            // is terminating this session (for example
                            // pg_terminate_backend, or a shutdown).
                            let error = DbError::parse(body)?;
                            return Poll::Ready(Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                format!("{} ({})", error.message, error.code),
                            )));
                        }
                        router.route(message, shared)?;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => break,
            }
        }
        // Answers may have woken callers who made new requests meanwhile;
        // if nothing happened, every source has registered its waker.
        if !read && !wrote {
            return Poll::Pending;
        }
    }
}
