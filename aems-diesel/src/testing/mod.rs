//! A real PostgreSQL for tests (feature `testing`).
//!
//! [`TestDatabase::new`] gives each test its own database, cloned from a
//! template that was migrated once per test process, so tests run in parallel
//! and never see each other's rows. The server behind it is found once per
//! process, in this order:
//!
//! 1. `AEMS_TEST_DATABASE_URL`: a server someone already runs (a superuser, or a
//!    role with CREATEDB and CREATEROLE);
//! 2. a container through testcontainers when a Docker engine answers
//!    (`DOCKER_HOST` honoured; image `AEMS_TEST_PG_IMAGE`, default
//!    `postgres:15-alpine`);
//! 3. a throwaway cluster from the local PostgreSQL binaries (on `PATH`, through
//!    `pg_config --bindir`, or under `/usr/lib/postgresql/*/bin`), run as the
//!    `postgres` user when the tests run as root.
//!
//! `AEMS_TEST_BACKEND=url|container|local` forces one. When none works, the
//! error lists what was tried and why each failed.
//!
//! Repositories in tests run as a login role that is a member of `aems_app`
//! (never a superuser), exactly like an application's. Nothing is left running
//! or on disk afterwards: a watchdog process, started with the server, removes
//! it when the test process exits, however it exits.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aems_diesel::testing::TestDatabase;
//!
//! let test_db = TestDatabase::new().await?;
//! let db = test_db.database()?; // a pool as the application role
//! # Ok(()) }
//! ```

mod bouncer;
mod container;
pub mod generator;
mod local;
mod replicas;
mod round_trips;
mod watchdog;

pub use bouncer::{Bouncer, BouncerOptions};
pub use replicas::{MAX_REPLICAS, ReplicatedCluster, SessionFacts, session_facts};
pub use round_trips::RoundTripProxy;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use tokio::sync::OnceCell;

use crate::{Database, DatabaseConfig};

/// Where the test server came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `AEMS_TEST_DATABASE_URL`.
    Url,
    /// A container started through testcontainers.
    Container,
    /// A throwaway cluster from the local PostgreSQL binaries.
    Local,
}

impl Backend {
    /// The name used in `AEMS_TEST_BACKEND`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Url => "url",
            Backend::Container => "container",
            Backend::Local => "local",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cause kept whole and shareable: the server's failure is handed to every
/// test that asks for it.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// No test server could be had, or a test database could not be made.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum HarnessError {
    /// Every backend that was tried failed; each with its reason. The reasons
    /// are listed in the message, each with its whole chain of causes (there
    /// is no single [`source`](std::error::Error::source)).
    NoServer {
        /// What was tried, in order, and why it failed.
        attempts: Vec<(Backend, HarnessError)>,
    },
    /// `AEMS_TEST_BACKEND` holds something else than url, container or local.
    BadBackend(String),
    /// Starting or preparing the server, or cloning a database, failed:
    /// `step` says what was being done, the cause (when there is one) is the
    /// [`source`](std::error::Error::source).
    Setup {
        /// What was being done, e.g. `"cannot create the template database"`.
        step: String,
        /// Why it failed; `None` when `step` says it all.
        source: Option<SharedError>,
    },
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::NoServer { attempts } => {
                write!(f, "no PostgreSQL for the tests:{}", list_attempts(attempts))
            }
            HarnessError::BadBackend(value) => write!(
                f,
                "AEMS_TEST_BACKEND must be url, container or local, not {value:?}"
            ),
            HarnessError::Setup { step, .. } => write!(f, "test database: {step}"),
        }
    }
}

// By hand rather than derived: the source is the shared error itself, not
// the `Arc` around it, so callers can downcast it.
impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Setup {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl HarnessError {
    /// A setup step that failed because of `source`.
    pub(crate) fn setup(
        step: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        HarnessError::Setup {
            step: step.into(),
            source: Some(Arc::new(source)),
        }
    }

    /// A setup step whose message says it all.
    pub(crate) fn setup_msg(step: impl Into<String>) -> Self {
        HarnessError::Setup {
            step: step.into(),
            source: None,
        }
    }
}

/// Each attempt with its whole chain of causes, one line each.
fn list_attempts(attempts: &[(Backend, HarnessError)]) -> String {
    attempts
        .iter()
        .map(|(backend, why)| {
            let mut line = format!("\n  - {backend}: {why}");
            let mut cause = std::error::Error::source(why);
            while let Some(c) = cause {
                line.push_str(&format!(": {c}"));
                cause = c.source();
            }
            line
        })
        .collect()
}

/// How to reach a server as its administrator.
#[derive(Clone)]
pub(crate) struct ServerAddress {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

impl ServerAddress {
    pub(crate) fn url(&self, database: &str) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{}",
            encode(&self.user),
            encode(&self.password),
            self.host,
            self.port,
            database
        )
    }
}

/// Percent-encodes what a URL's user-info or path segment cannot hold as is.
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A server found for this test process, with its migrated template.
pub struct TestServer {
    backend: Backend,
    admin: ServerAddress,
    /// The administrator's maintenance database (`postgres` usually).
    maintenance_db: String,
    template: String,
    app_role: String,
    app_password: String,
    run_id: String,
    // Kept for the life of the process: dropping them would end the watchdog
    // early or remove the container under running tests.
    _keep: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("backend", &self.backend)
            .field("host", &self.admin.host)
            .field("port", &self.admin.port)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

static SERVER: OnceCell<Result<TestServer, HarnessError>> = OnceCell::const_new();
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(1);

impl TestServer {
    /// The server for this process, found and prepared on first use.
    pub async fn get() -> Result<&'static TestServer, HarnessError> {
        SERVER
            .get_or_init(Self::start)
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Which backend provides it.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn start() -> Result<TestServer, HarnessError> {
        let forced = match std::env::var("AEMS_TEST_BACKEND") {
            Ok(v) if !v.trim().is_empty() => Some(match v.trim() {
                "url" => Backend::Url,
                "container" => Backend::Container,
                "local" => Backend::Local,
                other => return Err(HarnessError::BadBackend(other.to_owned())),
            }),
            _ => None,
        };
        let url = std::env::var("AEMS_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty());
        let order: Vec<Backend> = match forced {
            Some(b) => vec![b],
            None if url.is_some() => vec![Backend::Url],
            None => vec![Backend::Container, Backend::Local],
        };
        let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let mut attempts = Vec::new();
        for backend in order {
            let started = match backend {
                Backend::Url => match &url {
                    Some(url) => url_server(url, &run_id),
                    None => Err(HarnessError::setup_msg("AEMS_TEST_DATABASE_URL is not set")),
                },
                Backend::Container => container::start(&run_id).await,
                Backend::Local => local::start(&run_id).await,
            };
            let started = match started {
                Ok(s) => s,
                Err(why) => {
                    attempts.push((backend, why));
                    continue;
                }
            };
            match prepare(backend, started, run_id.clone()).await {
                Ok(server) => return Ok(server),
                Err(why) => attempts.push((backend, why)),
            }
        }
        Err(HarnessError::NoServer { attempts })
    }

    async fn admin_connection(&self) -> Result<AsyncPgConnection, HarnessError> {
        AsyncPgConnection::establish(&self.admin.url(&self.maintenance_db))
            .await
            .map_err(|e| HarnessError::setup("cannot connect as administrator", e))
    }
}

/// A server that answers, before its template exists.
pub(crate) struct StartedServer {
    pub admin: ServerAddress,
    pub maintenance_db: String,
    pub keep: Vec<Box<dyn std::any::Any + Send + Sync>>,
    /// Starts the watchdog that removes what this run created once the process
    /// is gone (the server itself for local and container backends).
    pub watchdog: watchdog::Plan,
}

fn url_server(url: &str, run_id: &str) -> Result<StartedServer, HarnessError> {
    let parsed = parse_url(url)?;
    let maintenance_db = parsed.1;
    let admin = parsed.0;
    Ok(StartedServer {
        watchdog: watchdog::Plan::DropObjects {
            admin_url: admin.url(&maintenance_db),
            run_id: run_id.to_owned(),
        },
        admin,
        maintenance_db,
        keep: Vec::new(),
    })
}

/// Splits `postgres://user:password@host:port/db` into its parts.
fn parse_url(url: &str) -> Result<(ServerAddress, String), HarnessError> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| {
            HarnessError::setup_msg("AEMS_TEST_DATABASE_URL must start with postgres://")
        })?;
    let (userinfo, hostpart) = rest.rsplit_once('@').ok_or_else(|| {
        HarnessError::setup_msg("AEMS_TEST_DATABASE_URL must name a user (user:password@host)")
    })?;
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (hostport, db) = hostpart.split_once('/').unwrap_or((hostpart, "postgres"));
    let db = db.split('?').next().unwrap_or("postgres");
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse()
                .map_err(|_| HarnessError::setup_msg(format!("bad port {p:?}")))?,
        ),
        None => (hostport, 5432),
    };
    Ok((
        ServerAddress {
            host: host.to_owned(),
            port,
            user: decode(user),
            password: decode(password),
        },
        if db.is_empty() { "postgres" } else { db }.to_owned(),
    ))
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Migrates a template database once and creates this run's login role.
async fn prepare(
    backend: Backend,
    started: StartedServer,
    run_id: String,
) -> Result<TestServer, HarnessError> {
    let StartedServer {
        admin,
        maintenance_db,
        mut keep,
        watchdog,
    } = started;
    // The watchdog first: from here on, whatever this run creates is removed
    // when the process ends, even if the rest of the preparation fails.
    keep.push(Box::new(watchdog.spawn()?));

    let template = format!("aems_template_{run_id}");
    let app_role = format!("aems_test_app_{run_id}");
    let app_password = uuid::Uuid::new_v4().simple().to_string();

    let mut conn = AsyncPgConnection::establish(&admin.url(&maintenance_db))
        .await
        .map_err(|e| {
            HarnessError::setup(
                format!("cannot connect to {}:{}", admin.host, admin.port),
                e,
            )
        })?;
    conn.batch_execute(&format!("CREATE DATABASE {template}"))
        .await
        .map_err(|e| HarnessError::setup("cannot create the template database", e))?;
    crate::migrations::run(&admin.url(&template))
        .await
        .map_err(|e| HarnessError::setup("migrating the template failed", e))?;
    // A login role like the application's: NOINHERIT, a member of aems_app,
    // owning nothing, no superuser.
    conn.batch_execute(&format!(
        "CREATE ROLE {app_role} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE \
         PASSWORD '{app_password}' IN ROLE aems_app"
    ))
    .await
    .map_err(|e| HarnessError::setup("cannot create the test login role", e))?;
    Ok(TestServer {
        backend,
        admin,
        maintenance_db,
        template,
        app_role,
        app_password,
        run_id,
        _keep: keep,
    })
}

/// One test's own database, cloned from the migrated template; dropped with it.
pub struct TestDatabase {
    server: &'static TestServer,
    name: String,
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("backend", &self.server.backend)
            .finish()
    }
}

impl TestDatabase {
    /// A fresh, migrated database for one test.
    pub async fn new() -> Result<Self, HarnessError> {
        let server = TestServer::get().await?;
        Self::create(&server.template).await
    }

    /// An empty database (no migrations applied), for testing the migrations
    /// themselves.
    pub async fn empty() -> Result<Self, HarnessError> {
        Self::create("template0").await
    }

    async fn create(template: &str) -> Result<Self, HarnessError> {
        let server = TestServer::get().await?;
        let n = NEXT_DATABASE.fetch_add(1, Ordering::Relaxed);
        let name = format!("aems_test_{}_{n}", server.run_id);
        let mut conn = server.admin_connection().await?;
        conn.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY"
        ))
        .await
        .map_err(|e| HarnessError::setup(format!("cannot create {name} from {template}"), e))?;
        Ok(Self { server, name })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which backend the server came from.
    pub fn backend(&self) -> Backend {
        self.server.backend
    }

    /// A URL as the application's login role (not a superuser, owns nothing).
    pub fn app_url(&self) -> String {
        ServerAddress {
            user: self.server.app_role.clone(),
            password: self.server.app_password.clone(),
            ..self.server.admin.clone()
        }
        .url(&self.name)
    }

    /// A URL as the server's administrator, for schema checks and migrations.
    pub fn admin_url(&self) -> String {
        self.server.admin.url(&self.name)
    }

    /// The name of the login role [`app_url`](Self::app_url) connects as.
    pub fn app_role(&self) -> &str {
        &self.server.app_role
    }

    /// A small pool as the application's login role.
    pub fn database(&self) -> crate::Result<Database> {
        Database::new(
            DatabaseConfig::new(self.app_url())
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(30)),
        )
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context we may block; do the work on a
        // thread of its own with a runtime of its own, and wait for it so the
        // database is gone when the test returns.
        let url = self.server.admin.url(&self.server.maintenance_db);
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.batch_execute(&sql).await.map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!(
                "aems testing: could not drop test database {}: {e}",
                self.name
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn setup_errors_keep_their_cause_and_no_server_lists_every_chain() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused by :1");
        let setup = HarnessError::setup("cannot connect as administrator", refused);
        let cause = setup.source().expect("the cause is kept");
        assert!(
            cause.downcast_ref::<std::io::Error>().is_some(),
            "{cause:?}"
        );
        crate::error::tests::assert_each_cause_once(&setup);

        let migration = HarnessError::setup(
            "migrating the template failed",
            crate::Error::migration(
                "cannot connect to migrate",
                std::io::Error::other("no route"),
            ),
        );
        let none = HarnessError::NoServer {
            attempts: vec![(Backend::Container, migration), (Backend::Local, setup)],
        };
        assert!(
            none.source().is_none(),
            "several causes: none is the source"
        );
        let text = none.to_string();
        for line in [
            "- container: test database: migrating the template failed: \
             migrations: cannot connect to migrate: no route",
            "- local: test database: cannot connect as administrator: refused by :1",
        ] {
            assert!(text.contains(line), "{line:?} missing from {text}");
        }
    }
}
