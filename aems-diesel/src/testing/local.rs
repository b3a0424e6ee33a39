//! A throwaway cluster from the local PostgreSQL binaries.
//!
//! Needs nothing but the server binaries (`initdb`, `pg_ctl`, `postgres`): no
//! Docker engine, no running server. `initdb` refuses to run as root, so when
//! the tests run as root the cluster belongs to the `postgres` user and every
//! server command runs through `runuser -u postgres`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::watchdog::Plan;
use super::{HarnessError, StartedServer};

pub(super) const SUPERUSER: &str = "postgres";

/// Starts a cluster listening on 127.0.0.1 only, with a random superuser password.
pub(crate) async fn start(run_id: &str) -> Result<StartedServer, HarnessError> {
    let run_id = run_id.to_owned();
    tokio::task::spawn_blocking(move || start_blocking(&run_id))
        .await
        .map_err(|e| HarnessError::setup("the local cluster task failed", e))?
}

fn start_blocking(run_id: &str) -> Result<StartedServer, HarnessError> {
    let bin = find_bindir()?;
    let as_postgres = running_as_root();
    let base = std::env::temp_dir().join(format!("aems-test-pg-{run_id}"));
    std::fs::create_dir_all(&base)
        .map_err(|e| HarnessError::setup(format!("cannot create {}", base.display()), e))?;
    let cluster = LocalCluster {
        pg_ctl: bin.join("pg_ctl"),
        data: base.join("data"),
        base,
        as_postgres,
    };
    match cluster.init_and_start(&bin) {
        Ok(address) => Ok(StartedServer {
            admin: address,
            maintenance_db: "postgres".into(),
            keep: Vec::new(),
            watchdog: Plan::StopLocal {
                pg_ctl: cluster.pg_ctl.clone(),
                data_dir: cluster.data.clone(),
                base_dir: cluster.base.clone(),
                run_as_postgres: cluster.as_postgres,
            },
        }),
        Err(why) => {
            cluster.remove();
            Err(why)
        }
    }
}

/// A cluster directory and how to run its server commands (shared with the
/// replicated clusters of `testing::replicas`).
#[derive(Clone)]
pub(super) struct LocalCluster {
    pub(super) pg_ctl: PathBuf,
    pub(super) data: PathBuf,
    pub(super) base: PathBuf,
    pub(super) as_postgres: bool,
}

impl LocalCluster {
    fn init_and_start(&self, bin: &Path) -> Result<super::ServerAddress, HarnessError> {
        let password = self.init(bin)?;
        let preload = preload_option(bin);
        // A port chosen by the kernel may be taken again before the server binds
        // it; try a few.
        let mut last_error = HarnessError::setup_msg("pg_ctl start was not tried");
        for _ in 0..3 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections=300{preload}",
                self.base.display()
            );
            match self.start(&options, "server.log") {
                Ok(()) => {
                    return Ok(super::ServerAddress {
                        host: "127.0.0.1".into(),
                        port,
                        user: SUPERUSER.into(),
                        password,
                    });
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// `pg_ctl start -w` with `options`, logging to `log` in the base directory.
    pub(super) fn start(&self, options: &str, log: &str) -> Result<(), HarnessError> {
        self.run(
            Command::new(&self.pg_ctl)
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(self.base.join(log))
                .args(["-w", "-t", "60", "-o", options, "start"]),
            "pg_ctl start",
        )
    }

    /// Runs `initdb` for a superuser `postgres` with a random password, which
    /// it returns.
    pub(super) fn init(&self, bin: &Path) -> Result<String, HarnessError> {
        if self.as_postgres {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(&self.base, Some(uid), Some(gid)).map_err(|e| {
                HarnessError::setup(
                    format!("cannot give {} to postgres", self.base.display()),
                    e,
                )
            })?;
        }
        let password = uuid::Uuid::new_v4().simple().to_string();
        let pwfile = self.base.join("pwfile");
        std::fs::write(&pwfile, &password)
            .map_err(|e| HarnessError::setup("cannot write the password file", e))?;
        if self.as_postgres {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid))
                .map_err(|e| HarnessError::setup("cannot give the password file to postgres", e))?;
        }
        self.run(
            Command::new(bin.join("initdb"))
                .arg("-D")
                .arg(&self.data)
                .args([
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "-N",
                ])
                .arg(format!("--pwfile={}", pwfile.display())),
            "initdb",
        )?;
        let _ = std::fs::remove_file(&pwfile);
        Ok(password)
    }

    /// Runs a server command, as the postgres user when we are root.
    pub(super) fn run(&self, command: &mut Command, what: &str) -> Result<(), HarnessError> {
        let output = if self.as_postgres {
            let program = command.get_program().to_owned();
            let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args)
                .current_dir(&self.base)
                .output()
        } else {
            command.current_dir(&self.base).output()
        }
        .map_err(|e| HarnessError::setup(format!("cannot run {what}"), e))?;
        if output.status.success() {
            Ok(())
        } else {
            // Every server log of the base directory (one per node for the
            // replicated clusters).
            let mut logs: Vec<PathBuf> = std::fs::read_dir(&self.base)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect();
            logs.sort();
            let log: String = logs
                .iter()
                .map(|p| {
                    format!(
                        "[{}]\n{}",
                        p.display(),
                        std::fs::read_to_string(p).unwrap_or_default()
                    )
                })
                .collect();
            Err(HarnessError::setup_msg(format!(
                "{what} failed ({}): {}{}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim(),
                String::from_utf8_lossy(&output.stdout).trim(),
                if log.is_empty() {
                    String::new()
                } else {
                    format!("\nserver log:\n{log}")
                }
            )))
        }
    }

    fn remove(&self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = self.run(
                Command::new(&self.pg_ctl).arg("-D").arg(&self.data).args([
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]),
                "pg_ctl stop",
            );
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// ` -c shared_preload_libraries=pg_stat_statements` when the binaries have
/// it (as the spec's servers do), else nothing.
pub(super) fn preload_option(bin: &Path) -> &'static str {
    if bin
        .parent()
        .map(|p| p.join("lib/pg_stat_statements.so").exists())
        .unwrap_or(false)
    {
        " -c shared_preload_libraries=pg_stat_statements"
    } else {
        ""
    }
}

/// Where `initdb`, `pg_ctl` and `postgres` live: `PATH`, then `pg_config
/// --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
pub(super) fn find_bindir() -> Result<PathBuf, HarnessError> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_all(&dir) {
                // Debian links the binaries into /usr/local/bin; the real
                // directory also holds `../lib` with the extensions.
                let real = std::fs::canonicalize(dir.join("initdb"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .filter(|d| has_all(d));
                return Ok(real.unwrap_or(dir));
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_all(&dir) {
            return Ok(dir);
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_all(&bin).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin).ok_or_else(|| {
        HarnessError::setup_msg(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH, through \
             pg_config --bindir, or under /usr/lib/postgresql/*/bin",
        )
    })
}

pub(super) fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub(super) fn postgres_user() -> Result<(u32, u32), HarnessError> {
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| HarnessError::setup("cannot read /etc/passwd", e))?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"postgres") && fields.len() > 3)
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
        .ok_or_else(|| {
            HarnessError::setup_msg(
                "running as root, but there is no postgres user to run the server as",
            )
        })
}

pub(super) fn free_port() -> Result<u16, HarnessError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| HarnessError::setup("cannot find a free port", e))
}
