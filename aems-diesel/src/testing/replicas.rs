//! A primary with streaming replicas, for the tests and benchmarks of the
//! read-replica path.
//!
//! Built from the local PostgreSQL binaries whatever backend the other tests
//! use (a replica needs its primary's data directory, which neither a server
//! given by URL nor the one-server container offers): `initdb` for the
//! primary (`wal_level = replica`, WAL senders and replication slots; initdb's
//! `pg_hba.conf` already lets a replication role in from 127.0.0.1 with
//! SCRAM), the schema migrated into a database `aems` and a login role like
//! the application's, a replication role, then `pg_basebackup -R` per
//! replica, each with a replication slot of its own so that it can be stopped
//! and catch up when started again. Everything listens on 127.0.0.1 only.
//!
//! Every server is stopped and the directory removed when the
//! [`ReplicatedCluster`] is dropped (a failing test's unwinding included), and
//! by a watchdog process if the test process dies.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aems_diesel::testing::ReplicatedCluster;
//! use aems_diesel::{Database, DatabaseConfig};
//!
//! let cluster = ReplicatedCluster::start(2).await?;
//! let db = Database::connect(
//!     DatabaseConfig::new(cluster.app_url()).replicas(cluster.replica_app_urls()),
//! )
//! .await?;
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use super::local::{
    LocalCluster, SUPERUSER, find_bindir, free_port, postgres_user, preload_option, running_as_root,
};
use super::watchdog::{Plan, Watchdog};
use super::{HarnessError, ServerAddress};

/// Most replicas a cluster may have.
pub const MAX_REPLICAS: usize = 3;

/// The database the schema is migrated into, on the primary.
const DATABASE: &str = "aems";
/// The role the replicas stream as.
const REPLICATION_ROLE: &str = "aems_replicator";

/// One server of the cluster.
struct Node {
    cluster: LocalCluster,
    port: u16,
    log: String,
    options: String,
}

/// A primary and its streaming replicas, started from the local binaries;
/// stopped and removed when dropped.
pub struct ReplicatedCluster {
    primary: Node,
    replicas: Vec<Node>,
    base: PathBuf,
    admin_password: String,
    app_role: String,
    app_password: String,
    _watchdog: Watchdog,
}

impl std::fmt::Debug for ReplicatedCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicatedCluster")
            .field("primary_port", &self.primary.port)
            .field(
                "replica_ports",
                &self.replicas.iter().map(|r| r.port).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl ReplicatedCluster {
    /// Starts a primary with `replicas` streaming replicas (1 to
    /// [`MAX_REPLICAS`]), the schema migrated, and returns once every replica
    /// has replayed all of it.
    pub async fn start(replicas: usize) -> Result<Self, HarnessError> {
        if !(1..=MAX_REPLICAS).contains(&replicas) {
            return Err(HarnessError::setup_msg(format!(
                "a replicated cluster has 1 to {MAX_REPLICAS} replicas, not {replicas}"
            )));
        }
        let cluster = tokio::task::spawn_blocking(move || start_servers(replicas))
            .await
            .map_err(|e| HarnessError::setup("the replicated cluster task failed", e))??;
        cluster.prepare_primary().await?;
        for i in 0..replicas {
            cluster.add_replica(i).await?;
        }
        for i in 0..replicas {
            cluster
                .wait_until_replayed(i, Duration::from_secs(60))
                .await?;
        }
        Ok(cluster)
    }

    fn address(&self, node: &Node, user: &str, password: &str) -> ServerAddress {
        ServerAddress {
            host: "127.0.0.1".into(),
            port: node.port,
            user: user.into(),
            password: password.into(),
        }
    }

    /// The primary, as the application's login role (not a superuser, owns
    /// nothing).
    pub fn app_url(&self) -> String {
        self.address(&self.primary, &self.app_role, &self.app_password)
            .url(DATABASE)
    }

    /// The primary, as the superuser.
    pub fn admin_url(&self) -> String {
        self.address(&self.primary, SUPERUSER, &self.admin_password)
            .url(DATABASE)
    }

    /// Replica `i`, as the application's login role.
    pub fn replica_app_url(&self, i: usize) -> String {
        self.address(&self.replicas[i], &self.app_role, &self.app_password)
            .url(DATABASE)
    }

    /// Every replica, as the application's login role, in order: what
    /// [`DatabaseConfig::replicas`](crate::DatabaseConfig::replicas) takes.
    pub fn replica_app_urls(&self) -> Vec<String> {
        (0..self.replicas.len())
            .map(|i| self.replica_app_url(i))
            .collect()
    }

    /// Replica `i`, as the superuser (to pause its replay, say).
    pub fn replica_admin_url(&self, i: usize) -> String {
        self.address(&self.replicas[i], SUPERUSER, &self.admin_password)
            .url(DATABASE)
    }

    /// The login role of [`app_url`](Self::app_url).
    pub fn app_role(&self) -> &str {
        &self.app_role
    }

    /// The directory holding every node's data and logs (removed on drop).
    pub fn directory(&self) -> &std::path::Path {
        &self.base
    }

    /// The ports the primary and then each replica listen on (127.0.0.1).
    pub fn ports(&self) -> Vec<u16> {
        std::iter::once(&self.primary)
            .chain(&self.replicas)
            .map(|n| n.port)
            .collect()
    }

    /// How many replicas there are.
    pub fn replica_count(&self) -> usize {
        self.replicas.len()
    }

    /// Stops replica `i` (`pg_ctl stop -m fast`) and returns once it is down.
    pub async fn stop_replica(&self, i: usize) -> Result<(), HarnessError> {
        let node = &self.replicas[i];
        let cluster = node.cluster.clone();
        tokio::task::spawn_blocking(move || {
            cluster.run(
                Command::new(&cluster.pg_ctl)
                    .arg("-D")
                    .arg(&cluster.data)
                    .args(["-m", "fast", "-w", "stop"]),
                "pg_ctl stop",
            )
        })
        .await
        .map_err(|e| HarnessError::setup("the pg_ctl stop task failed", e))?
    }

    /// Starts replica `i` again, on its port, and returns once it accepts
    /// connections (it then catches up through its slot).
    pub async fn start_replica(&self, i: usize) -> Result<(), HarnessError> {
        let node = &self.replicas[i];
        let cluster = node.cluster.clone();
        let (options, log) = (node.options.clone(), node.log.clone());
        tokio::task::spawn_blocking(move || cluster.start(&options, &log))
            .await
            .map_err(|e| HarnessError::setup("the pg_ctl start task failed", e))?
    }

    /// Pauses WAL replay on replica `i` (`pg_wal_replay_pause()`): it keeps
    /// receiving the primary's WAL but applies none of it, so it lags.
    pub async fn pause_replay(&self, i: usize) -> Result<(), HarnessError> {
        self.replica_admin(i, "SELECT pg_wal_replay_pause()")
            .await?;
        // Pausing is requested, then takes effect: wait until it has.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = self
                .replica_scalar(i, "SELECT pg_get_wal_replay_pause_state()")
                .await?;
            if state == "paused" {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(HarnessError::setup_msg(format!(
                    "replica {i}: replay not paused after 30 s ({state})"
                )));
            }
            tokio::task::yield_now().await;
        }
    }

    /// Resumes WAL replay on replica `i` (`pg_wal_replay_resume()`).
    pub async fn resume_replay(&self, i: usize) -> Result<(), HarnessError> {
        self.replica_admin(i, "SELECT pg_wal_replay_resume()").await
    }

    /// Waits until replica `i` has replayed everything the primary had
    /// written when this was called (polling, bounded by `timeout`).
    pub async fn wait_until_replayed(
        &self,
        i: usize,
        timeout: Duration,
    ) -> Result<(), HarnessError> {
        let target: i64 = self
            .primary_scalar("SELECT ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint)::text")
            .await?
            .parse()
            .map_err(|e| HarnessError::setup("the primary's WAL position", e))?;
        let deadline = Instant::now() + timeout;
        loop {
            let replayed: i64 = self
                .replica_scalar(
                    i,
                    "SELECT coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)::text",
                )
                .await?
                .parse()
                .map_err(|e| HarnessError::setup("the replica's WAL position", e))?;
            if replayed >= target {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(HarnessError::setup_msg(format!(
                    "replica {i}: replayed {replayed}, not {target}, after {timeout:?}"
                )));
            }
            tokio::task::yield_now().await;
        }
    }

    async fn connect(url: &str) -> Result<AsyncPgConnection, HarnessError> {
        AsyncPgConnection::establish(url)
            .await
            .map_err(|e| HarnessError::setup("cannot connect to the replicated cluster", e))
    }

    async fn replica_admin(&self, i: usize, sql: &str) -> Result<(), HarnessError> {
        Self::connect(&self.replica_admin_url(i))
            .await?
            .batch_execute(sql)
            .await
            .map_err(|e| HarnessError::setup(format!("replica {i}: {sql}"), e))
    }

    async fn scalar(url: &str, sql: &str) -> Result<String, HarnessError> {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let mut conn = Self::connect(url).await?;
        let row: Value = diesel::sql_query(format!("SELECT ({sql}) AS value"))
            .get_result(&mut conn)
            .await
            .map_err(|e| HarnessError::setup(sql.to_owned(), e))?;
        Ok(row.value)
    }

    async fn replica_scalar(&self, i: usize, sql: &str) -> Result<String, HarnessError> {
        Self::scalar(&self.replica_admin_url(i), sql).await
    }

    async fn primary_scalar(&self, sql: &str) -> Result<String, HarnessError> {
        Self::scalar(&self.admin_url(), sql).await
    }

    /// The database, its schema, the application's login role and the
    /// replication role, on the primary.
    async fn prepare_primary(&self) -> Result<(), HarnessError> {
        let maintenance = self
            .address(&self.primary, SUPERUSER, &self.admin_password)
            .url("postgres");
        let mut conn = Self::connect(&maintenance).await?;
        conn.batch_execute(&format!("CREATE DATABASE {DATABASE}"))
            .await
            .map_err(|e| HarnessError::setup("cannot create the database", e))?;
        crate::migrations::run(&self.admin_url())
            .await
            .map_err(|e| HarnessError::setup("migrating the primary failed", e))?;
        conn.batch_execute(&format!(
            "CREATE ROLE {app} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE \
             PASSWORD '{app_password}' IN ROLE aems_app;
             CREATE ROLE {REPLICATION_ROLE} LOGIN REPLICATION PASSWORD '{admin_password}'",
            app = self.app_role,
            app_password = self.app_password,
            admin_password = self.admin_password,
        ))
        .await
        .map_err(|e| HarnessError::setup("cannot create the roles", e))
    }

    /// `pg_basebackup -R` of the primary into replica `i`'s directory (with
    /// a slot of its own), then starts it.
    async fn add_replica(&self, i: usize) -> Result<(), HarnessError> {
        let node = &self.replicas[i];
        let cluster = node.cluster.clone();
        let pg_basebackup = cluster.pg_ctl.with_file_name("pg_basebackup");
        let conninfo = format!(
            "host=127.0.0.1 port={} user={REPLICATION_ROLE} password={}",
            self.primary.port, self.admin_password
        );
        let (options, log) = (node.options.clone(), node.log.clone());
        tokio::task::spawn_blocking(move || {
            cluster.run(
                Command::new(&pg_basebackup)
                    .arg("-D")
                    .arg(&cluster.data)
                    .args(["-R", "-X", "stream", "-c", "fast", "-C", "-S"])
                    .arg(format!("aems_replica_{i}"))
                    .arg("-d")
                    .arg(&conninfo),
                "pg_basebackup",
            )?;
            cluster.start(&options, &log)
        })
        .await
        .map_err(|e| HarnessError::setup("the pg_basebackup task failed", e))?
    }
}

/// Creates the directories, initialises and starts the primary, and starts
/// the watchdog; the replicas are made later, from the migrated primary.
fn start_servers(replicas: usize) -> Result<ReplicatedCluster, HarnessError> {
    let bin = find_bindir()?;
    let as_postgres = running_as_root();
    let base = std::env::temp_dir().join(format!(
        "aems-test-replicas-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ));
    std::fs::create_dir_all(&base)
        .map_err(|e| HarnessError::setup(format!("cannot create {}", base.display()), e))?;
    if as_postgres {
        let (uid, gid) = postgres_user()?;
        std::os::unix::fs::chown(&base, Some(uid), Some(gid)).map_err(|e| {
            HarnessError::setup(format!("cannot give {} to postgres", base.display()), e)
        })?;
    }
    let pg_ctl = bin.join("pg_ctl");
    let names: Vec<String> = std::iter::once("primary".to_owned())
        .chain((0..replicas).map(|i| format!("replica{i}")))
        .collect();
    // The watchdog before anything starts: whatever follows, it is stopped.
    let watchdog = Plan::StopLocalSet {
        pg_ctl: pg_ctl.clone(),
        data_dirs: names.iter().map(|n| base.join(n)).collect(),
        base_dir: base.clone(),
        run_as_postgres: as_postgres,
    }
    .spawn()
    .inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&base);
    })?;
    let preload = preload_option(&bin);
    // `synchronous_commit` stays on (unlike the other test servers): with it
    // off, a commit reaches the replicas only when the WAL writer flushes,
    // up to 200 ms later, which is not what a replicated deployment measures.
    let mut nodes = Vec::new();
    for name in &names {
        let port = free_port()?;
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' \
             -c fsync=off -c max_connections=300 \
             -c wal_level=replica -c max_wal_senders=10 -c max_replication_slots=10 \
             -c hot_standby=on -c hot_standby_feedback=on{preload}",
            base.display()
        );
        nodes.push(Node {
            cluster: LocalCluster {
                pg_ctl: pg_ctl.clone(),
                data: base.join(name),
                base: base.clone(),
                as_postgres,
            },
            port,
            log: format!("{name}.log"),
            options,
        });
    }
    let primary = nodes.remove(0);
    let admin_password = primary.cluster.init(&bin)?;
    // (With the watchdog running, an error from here on still stops and
    // removes everything: on drop of the cluster, or when the process ends.)
    let cluster = ReplicatedCluster {
        primary,
        replicas: nodes,
        base,
        admin_password,
        app_role: "aems_test_app".into(),
        app_password: uuid::Uuid::new_v4().simple().to_string(),
        _watchdog: watchdog,
    };
    cluster
        .primary
        .cluster
        .start(&cluster.primary.options, &cluster.primary.log)?;
    Ok(cluster)
}

impl Drop for ReplicatedCluster {
    fn drop(&mut self) {
        for node in self.replicas.iter().chain(std::iter::once(&self.primary)) {
            if node.cluster.data.join("postmaster.pid").exists() {
                let _ = node.cluster.run(
                    Command::new(&node.cluster.pg_ctl)
                        .arg("-D")
                        .arg(&node.cluster.data)
                        .args(["-m", "immediate", "-w", "stop"]),
                    "pg_ctl stop",
                );
            }
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// What a statement run through an executor finds about its session: proof
/// of where, and under what, the executor's statements run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionFacts {
    /// `pg_is_in_recovery()`: the session is on a standby (a replica).
    pub in_recovery: bool,
    /// `current_setting('transaction_read_only')` is `on`.
    pub read_only: bool,
    /// `app.current_tenant_id`, the tenant the policies filter on.
    pub tenant: String,
    /// `current_user`: the role the statement runs as.
    pub role: String,
}

/// Runs one statement through `exec` (in its transaction, with its context)
/// and reports what it found about the session.
pub async fn session_facts<E: crate::Executor>(exec: &mut E) -> crate::Result<SessionFacts> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    use diesel_async::RunQueryDsl;
    use futures_util::FutureExt;

    let (in_recovery, read_only, tenant, role) = exec
        .run("session", |conn| {
            diesel::select(sql::<(Bool, Bool, Text, Text)>(
                "pg_is_in_recovery(), current_setting('transaction_read_only') = 'on', \
                 coalesce(current_setting('app.current_tenant_id', true), ''), \
                 current_user::text",
            ))
            .get_result::<(bool, bool, String, String)>(&mut { conn })
            .boxed()
        })
        .await?;
    Ok(SessionFacts {
        in_recovery,
        read_only,
        tenant,
        role,
    })
}
