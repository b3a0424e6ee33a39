//! A real PgBouncer in front of a test database, for the tests and benchmarks
//! of the transaction-pooling path.
//!
//! Runs the `pgbouncer` binary (Debian's package; `scripts/install-pgbouncer.sh`
//! installs it) on a free loopback port, in transaction mode with
//! `DISCARD ALL` after every transaction (`server_reset_query_always`), so
//! that anything a client wrongly left on a server connection — a prepared
//! statement, a session setting — is gone before the next client gets it.
//! Stopped when dropped, and by a watchdog if the test process dies.
//!
//! ```no_run
//! # async fn demo(test_db: aems_diesel::testing::TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
//! use aems_diesel::testing::{Bouncer, BouncerOptions};
//!
//! let bouncer = Bouncer::start(&test_db, BouncerOptions::default()).await?;
//! let db = aems_diesel::Database::new(aems_diesel::DatabaseConfig::new(bouncer.app_url()))?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::local::{free_port, postgres_user, running_as_root};
use super::watchdog::{Plan, Watchdog};
use super::{HarnessError, TestDatabase};

/// How the bouncer pools.
#[derive(Debug, Clone)]
pub struct BouncerOptions {
    /// Server connections per database and user (`default_pool_size`).
    pub pool_size: u32,
    /// `transaction` (the spec's) or `session`.
    pub pool_mode: &'static str,
}

impl Default for BouncerOptions {
    fn default() -> Self {
        Self {
            pool_size: 2,
            pool_mode: "transaction",
        }
    }
}

/// A running PgBouncer; stopped on drop.
pub struct Bouncer {
    port: u16,
    app_url: String,
    child: Child,
    dir: PathBuf,
    _watchdog: Watchdog,
}

impl std::fmt::Debug for Bouncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bouncer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Where the `pgbouncer` binary is: `PATH`, then Debian's `/usr/sbin`.
fn find_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("pgbouncer"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let debian = PathBuf::from("/usr/sbin/pgbouncer");
        debian.is_file().then_some(debian)
    })
}

impl Bouncer {
    /// Whether the `pgbouncer` binary can be found (on `PATH` or in Debian's
    /// `/usr/sbin`).
    pub fn is_installed() -> bool {
        find_binary().is_some()
    }

    /// Starts a bouncer for `test_db`'s database, reachable with the
    /// application's login role; returns once it accepts connections.
    ///
    /// Fails with a clear error when PgBouncer is not installed (run
    /// `scripts/install-pgbouncer.sh`) or does not start (its log attached).
    pub async fn start(
        test_db: &TestDatabase,
        options: BouncerOptions,
    ) -> Result<Self, HarnessError> {
        let binary = find_binary().ok_or_else(|| {
            HarnessError::setup_msg(
                "pgbouncer: the binary is not installed; run scripts/install-pgbouncer.sh",
            )
        })?;
        let server = &test_db.server.admin;
        let dir = std::env::temp_dir().join(format!(
            "aems-test-bouncer-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| HarnessError::setup(format!("pgbouncer: {}", dir.display()), e))?;
        let port = free_port()?;
        let database = test_db.name();
        let user = &test_db.server.app_role;
        let password = &test_db.server.app_password;
        let config = format!(
            "[databases]\n\
             {database} = host={host} port={server_port} dbname={database}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = scram-sha-256\n\
             auth_file = {dir}/userlist.txt\n\
             pool_mode = {mode}\n\
             default_pool_size = {pool}\n\
             min_pool_size = 0\n\
             reserve_pool_size = 0\n\
             max_client_conn = 100\n\
             server_reset_query = DISCARD ALL\n\
             server_reset_query_always = 1\n\
             ignore_startup_parameters = extra_float_digits\n\
             log_connections = 0\n\
             log_disconnections = 0\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            host = server.host,
            server_port = server.port,
            dir = dir.display(),
            mode = options.pool_mode,
            pool = options.pool_size,
        );
        write(&dir.join("pgbouncer.ini"), &config)?;
        write(
            &dir.join("userlist.txt"),
            &format!("\"{user}\" \"{password}\"\n"),
        )?;

        // PgBouncer refuses to run as root; it switches to `postgres` itself
        // (`-u`), so the process we start is the bouncer and stops with it.
        let as_root = running_as_root();
        if as_root {
            chown_to_postgres(&dir)?;
        }
        let mut command = Command::new(&binary);
        if as_root {
            command.args(["-u", "postgres"]);
        }
        // Its standard error goes to a file: a pipe nobody reads would fill
        // up and stop it.
        let stderr = std::fs::File::create(dir.join("stderr.log"))
            .map_err(|e| HarnessError::setup(format!("pgbouncer: {}", dir.display()), e))?;
        let mut child = command
            .arg(dir.join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| {
                HarnessError::setup(format!("pgbouncer: cannot start {}", binary.display()), e)
            })?;
        let watchdog = match (Plan::KillProcess {
            pid: child.id(),
            dir: dir.clone(),
        })
        .spawn()
        {
            Ok(watchdog) => watchdog,
            Err(e) => {
                // Nothing would stop it: stop it now.
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let mut bouncer = Self {
            port,
            app_url: format!(
                "postgres://{user}:{password}@127.0.0.1:{port}/{database}",
                user = super::encode(user),
                password = super::encode(password),
            ),
            child,
            dir,
            _watchdog: watchdog,
        };
        bouncer.wait_until_listening().await?;
        Ok(bouncer)
    }

    async fn wait_until_listening(&mut self) -> Result<(), HarnessError> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let stderr =
                    std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default();
                return Err(HarnessError::setup_msg(format!(
                    "pgbouncer: exited at start ({status}): {}{}",
                    stderr.trim(),
                    self.log()
                )));
            }
            // Ready means: it accepts a connection on its port (observable
            // state; the connect attempt itself is the wait).
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(HarnessError::setup_msg(format!(
                    "pgbouncer: not listening after 20 s{}",
                    self.log()
                )));
            }
            tokio::task::yield_now().await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log"))
            .map(|log| format!("\nlog:\n{log}"))
            .unwrap_or_default()
    }

    /// A URL to the test database through the bouncer, as the application's
    /// login role.
    pub fn app_url(&self) -> String {
        self.app_url.clone()
    }

    /// The bouncer's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write(path: &Path, text: &str) -> Result<(), HarnessError> {
    std::fs::write(path, text)
        .map_err(|e| HarnessError::setup(format!("pgbouncer: {}", path.display()), e))
}

/// Gives the bouncer's directory and files to `postgres`, whom it runs as.
fn chown_to_postgres(dir: &Path) -> Result<(), HarnessError> {
    let (uid, gid) = postgres_user()?;
    let entries = std::fs::read_dir(dir)
        .map_err(|e| HarnessError::setup(format!("pgbouncer: {}", dir.display()), e))?;
    for path in std::iter::once(dir.to_path_buf()).chain(entries.flatten().map(|e| e.path())) {
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).map_err(|e| {
            HarnessError::setup(
                format!("pgbouncer: chown {} to postgres", path.display()),
                e,
            )
        })?;
    }
    Ok(())
}
