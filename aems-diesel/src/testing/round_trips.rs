//! Counting round trips, not guessing them: a loopback TCP proxy between the
//! client and PostgreSQL.
//!
//! A *round trip* is a flight of client bytes that had to wait for the server:
//! the proxy counts a new flight whenever the client sends after the server
//! has answered since the client's previous flight. Pipelined statements sent
//! together are one flight; `BEGIN`, a query and `COMMIT` each awaited in turn
//! are three.
//!
//! ```no_run
//! # async fn demo(test_db: aems_diesel::testing::TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
//! use aems_diesel::testing::RoundTripProxy;
//!
//! let proxy = RoundTripProxy::start(&test_db).await?;
//! let db = aems_diesel::Database::new(aems_diesel::DatabaseConfig::new(proxy.app_url()))?;
//! // ... warm up (connect, prepare), then:
//! proxy.reset();
//! // ... one operation ...
//! println!("{} round trip(s)", proxy.round_trips());
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{HarnessError, TestDatabase};

/// A counting proxy in front of a test database's server.
pub struct RoundTripProxy {
    port: u16,
    round_trips: Arc<AtomicU64>,
    bytes_to_server: Arc<AtomicU64>,
    app_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RoundTripProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoundTripProxy")
            .field("port", &self.port)
            .field("round_trips", &self.round_trips())
            .finish()
    }
}

impl RoundTripProxy {
    /// Starts a proxy to `test_db`'s server on a free loopback port.
    pub async fn start(test_db: &TestDatabase) -> Result<Self, HarnessError> {
        let server = &test_db.server.admin;
        let target = format!("{}:{}", server.host, server.port);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| HarnessError::setup("proxy: cannot listen", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| HarnessError::setup("proxy: no local address", e))?
            .port();
        let round_trips = Arc::new(AtomicU64::new(0));
        let bytes_to_server = Arc::new(AtomicU64::new(0));
        let (rt, bytes) = (round_trips.clone(), bytes_to_server.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&target).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                tokio::spawn(relay(client, server, rt.clone(), bytes.clone()));
            }
        });
        let app_url = test_db.app_url().replacen(
            &format!("@{}:{}/", server.host, server.port),
            &format!("@127.0.0.1:{port}/"),
            1,
        );
        Ok(Self {
            port,
            round_trips,
            bytes_to_server,
            app_url,
            task,
        })
    }

    /// The test database's application URL, through the proxy.
    pub fn app_url(&self) -> String {
        self.app_url.clone()
    }

    /// Round trips counted since the start or the last [`reset`](Self::reset).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::SeqCst)
    }

    /// Bytes the clients sent since the start or the last reset.
    pub fn bytes_to_server(&self) -> u64 {
        self.bytes_to_server.load(Ordering::SeqCst)
    }

    /// Starts counting afresh.
    pub fn reset(&self) {
        self.round_trips.store(0, Ordering::SeqCst);
        self.bytes_to_server.store(0, Ordering::SeqCst);
    }
}

impl Drop for RoundTripProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays one connection both ways, counting the client's flights.
async fn relay(
    client: TcpStream,
    server: TcpStream,
    round_trips: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Whether the server has spoken since the client's last flight; true at
    // first, so the opening message counts.
    let server_spoke = Arc::new(AtomicBool::new(true));

    let spoke = server_spoke.clone();
    let upstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if spoke.swap(false, Ordering::SeqCst) {
                round_trips.fetch_add(1, Ordering::SeqCst);
            }
            bytes.fetch_add(n as u64, Ordering::SeqCst);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Marked before the client can see the answer, so a request the
            // client sends in reply is always counted as a new flight.
            server_spoke.store(true, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}
