//! Opening a connection: the socket, the startup message and authentication
//! (SCRAM-SHA-256, MD5 or a clear-text password, whichever the server asks for).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_postgres::config::{Host, SslMode};

use super::error::{ConnectError, DbError};

/// A TCP or Unix-domain socket to the server.
pub(crate) enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Socket::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_flush(cx),
            Socket::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Socket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A connection that has passed authentication and is ready for queries.
pub(crate) struct Established {
    pub(crate) socket: Socket,
    /// The process id the server (or a bouncer in front of it) announced in
    /// `BackendKeyData`.
    pub(crate) announced_pid: i32,
    pub(crate) tx_status: u8,
    /// Bytes already read past the first `ReadyForQuery`.
    pub(crate) leftover: BytesMut,
}

/// Parses a libpq-style URL or `key=value` string.
pub(crate) fn parse_config(url: &str) -> Result<tokio_postgres::Config, ConnectError> {
    let config: tokio_postgres::Config = url.parse().map_err(ConnectError::InvalidUrl)?;
    if config.get_ssl_mode() == SslMode::Require {
        return Err(ConnectError::Unsupported(
            "sslmode=require is not supported: this library speaks to PostgreSQL without TLS \
             (use a loopback, a private network, or a TLS-terminating proxy)",
        ));
    }
    if config.get_user().is_none() {
        return Err(ConnectError::Unsupported("the database URL names no user"));
    }
    Ok(config)
}

/// Connects to the first host of `config` that answers, within `timeout` each.
pub(crate) async fn establish(
    config: &tokio_postgres::Config,
    timeout: Duration,
) -> Result<Established, ConnectError> {
    let hosts = config.get_hosts();
    let ports = config.get_ports();
    let default_host = [Host::Tcp("localhost".to_owned())];
    let hosts: &[Host] = if hosts.is_empty() {
        &default_host
    } else {
        hosts
    };
    let mut last = ConnectError::Unsupported("the database URL names no host");
    for (i, host) in hosts.iter().enumerate() {
        let port = ports
            .get(i)
            .or_else(|| ports.first())
            .copied()
            .unwrap_or(5432);
        match tokio::time::timeout(timeout, connect_one(config, host, port)).await {
            Ok(Ok(established)) => return Ok(established),
            Ok(Err(e)) => last = e,
            Err(_) => last = ConnectError::Timeout(timeout),
        }
    }
    Err(last)
}

async fn connect_one(
    config: &tokio_postgres::Config,
    host: &Host,
    port: u16,
) -> Result<Established, ConnectError> {
    let socket = match host {
        Host::Tcp(name) => {
            let stream = TcpStream::connect((name.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Socket::Tcp(stream)
        }
        Host::Unix(dir) => {
            Socket::Unix(UnixStream::connect(dir.join(format!(".s.PGSQL.{port}"))).await?)
        }
    };
    startup(socket, config).await
}

async fn startup(
    mut socket: Socket,
    config: &tokio_postgres::Config,
) -> Result<Established, ConnectError> {
    let user = config.get_user().unwrap_or_default();
    let mut params: Vec<(&str, &str)> = vec![
        ("user", user),
        ("database", config.get_dbname().unwrap_or(user)),
        // What diesel expects of a connection (diesel-async sets the same two
        // with statements; here they travel in the startup message).
        ("client_encoding", "UTF8"),
        ("TimeZone", "UTC"),
    ];
    if let Some(name) = config.get_application_name() {
        params.push(("application_name", name));
    }
    if let Some(options) = config.get_options() {
        params.push(("options", options));
    }
    let mut out = BytesMut::new();
    frontend::startup_message(params.iter().copied(), &mut out)?;
    socket.write_all(&out).await?;

    let mut input = BytesMut::with_capacity(8192);
    let password = config.get_password();
    let mut scram: Option<ScramSha256> = None;
    let mut announced_pid = 0;
    loop {
        let message = read_message(&mut socket, &mut input).await?;
        out.clear();
        match message {
            Message::AuthenticationOk => {}
            Message::AuthenticationCleartextPassword => {
                frontend::password_message(need(password)?, &mut out)?;
            }
            Message::AuthenticationMd5Password(body) => {
                let hash = postgres_protocol::authentication::md5_hash(
                    user.as_bytes(),
                    need(password)?,
                    body.salt(),
                );
                frontend::password_message(hash.as_bytes(), &mut out)?;
            }
            Message::AuthenticationSasl(body) => {
                let mut mechanisms = body.mechanisms();
                let mut offered = false;
                while let Some(mechanism) = mechanisms.next()? {
                    offered |= mechanism == SCRAM_SHA_256;
                }
                if !offered {
                    return Err(ConnectError::Unsupported(
                        "the server offers no SASL mechanism this library speaks (SCRAM-SHA-256)",
                    ));
                }
                let client = ScramSha256::new(need(password)?, ChannelBinding::unsupported());
                frontend::sasl_initial_response(SCRAM_SHA_256, client.message(), &mut out)?;
                scram = Some(client);
            }
            Message::AuthenticationSaslContinue(body) => {
                let client = scram
                    .as_mut()
                    .ok_or(ConnectError::Protocol("SASL continuation without a start"))?;
                client.update(body.data())?;
                frontend::sasl_response(client.message(), &mut out)?;
            }
            Message::AuthenticationSaslFinal(body) => {
                scram
                    .as_mut()
                    .ok_or(ConnectError::Protocol("SASL final message without a start"))?
                    .finish(body.data())?;
            }
            Message::BackendKeyData(body) => announced_pid = body.process_id(),
            Message::ParameterStatus(_) | Message::NoticeResponse(_) => {}
            Message::ReadyForQuery(body) => {
                return Ok(Established {
                    socket,
                    announced_pid,
                    tx_status: body.status(),
                    leftover: input,
                });
            }
            Message::ErrorResponse(body) => {
                let error = DbError::parse(&body)?;
                return Err(ConnectError::Refused {
                    code: error.code,
                    message: error.message,
                });
            }
            _ => {
                return Err(ConnectError::Unsupported(
                    "the server asked for an authentication method this library does not speak \
                     (it speaks SCRAM-SHA-256, MD5 and password)",
                ));
            }
        }
        if !out.is_empty() {
            socket.write_all(&out).await?;
        }
    }
}

fn need(password: Option<&[u8]>) -> Result<&[u8], ConnectError> {
    password.ok_or(ConnectError::Unsupported(
        "the server asks for a password and the URL carries none",
    ))
}

async fn read_message(socket: &mut Socket, input: &mut BytesMut) -> Result<Message, ConnectError> {
    loop {
        if let Some(message) = Message::parse(input)? {
            return Ok(message);
        }
        if socket.read_buf(input).await? == 0 {
            return Err(ConnectError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection during start-up",
            )));
        }
    }
}
