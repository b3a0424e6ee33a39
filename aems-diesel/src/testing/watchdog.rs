//! Removes what a test run created once the test process is gone.
//!
//! A small `sh` process is started with a pipe on its standard input; the test
//! process holds the other end for its whole life and never writes to it. When
//! the test process exits — normally, by a panic, or killed — the kernel closes
//! that end, the watchdog reads end-of-file and cleans up. It runs in a process
//! group of its own and ignores SIGINT/SIGTERM/SIGHUP, so a Ctrl-C aimed at
//! `cargo test` does not stop it before it has done its job.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::HarnessError;

/// What to remove.
pub(crate) enum Plan {
    /// Stop a local cluster and delete its directory.
    StopLocal {
        pg_ctl: PathBuf,
        data_dir: PathBuf,
        base_dir: PathBuf,
        run_as_postgres: bool,
    },
    /// Stop every server of a replicated cluster (those not running are
    /// skipped) and delete their common directory.
    StopLocalSet {
        pg_ctl: PathBuf,
        data_dirs: Vec<PathBuf>,
        base_dir: PathBuf,
        run_as_postgres: bool,
    },
    /// Remove a container (and its anonymous volumes).
    RemoveContainer { id: String },
    /// Drop this run's databases and login role from a server we do not own.
    DropObjects { admin_url: String, run_id: String },
    /// Stop a process we started (a bouncer) and delete its directory.
    KillProcess { pid: u32, dir: PathBuf },
}

/// The running watchdog; keep it alive for as long as the process lives.
pub(crate) struct Watchdog {
    _stdin: ChildStdin,
    _child: Child,
}

/// The variables naming a replicated cluster's data directories (a primary
/// and at most three replicas).
const DATA_DIR_VARS: [&str; 4] = ["DATA_DIR_0", "DATA_DIR_1", "DATA_DIR_2", "DATA_DIR_3"];

const PRELUDE: &str = "trap '' INT TERM HUP\nwhile read -r _; do :; done\n";

impl Plan {
    fn script(&self) -> (String, Vec<(&'static str, String)>) {
        match self {
            Plan::StopLocal {
                pg_ctl,
                data_dir,
                base_dir,
                run_as_postgres,
            } => {
                let runner = if *run_as_postgres { "runuser -u postgres -- " } else { "" };
                (
                    format!(
                        "{runner}\"$PG_CTL\" -D \"$DATA_DIR\" -m immediate -w stop >/dev/null 2>&1\n\
                         rm -rf \"$BASE_DIR\"\n"
                    ),
                    vec![
                        ("PG_CTL", pg_ctl.display().to_string()),
                        ("DATA_DIR", data_dir.display().to_string()),
                        ("BASE_DIR", base_dir.display().to_string()),
                    ],
                )
            }
            Plan::StopLocalSet {
                pg_ctl,
                data_dirs,
                base_dir,
                run_as_postgres,
            } => {
                let runner = if *run_as_postgres { "runuser -u postgres -- " } else { "" };
                let mut script = String::new();
                let mut env = vec![
                    ("PG_CTL", pg_ctl.display().to_string()),
                    ("BASE_DIR", base_dir.display().to_string()),
                ];
                // The replicas first, then the primary (listed first).
                for (i, dir) in data_dirs.iter().enumerate().rev() {
                    script.push_str(&format!(
                        "{runner}\"$PG_CTL\" -D \"$DATA_DIR_{i}\" -m immediate -w stop >/dev/null 2>&1\n"
                    ));
                    env.push((DATA_DIR_VARS[i.min(DATA_DIR_VARS.len() - 1)], dir.display().to_string()));
                }
                script.push_str("rm -rf \"$BASE_DIR\"\n");
                (script, env)
            }
            Plan::RemoveContainer { id } => (
                "if command -v docker >/dev/null 2>&1; then\n\
                   docker rm -f -v \"$CONTAINER\" >/dev/null 2>&1\n\
                 elif command -v curl >/dev/null 2>&1; then\n\
                   curl -s --unix-socket \"${DOCKER_HOST#unix://}\" -X DELETE \
                     \"http://localhost/containers/$CONTAINER?force=true&v=true\" >/dev/null 2>&1\n\
                 else\n\
                   echo \"aems testing: cannot remove container $CONTAINER (no docker or curl)\" >&2\n\
                 fi\n"
                    .to_owned(),
                vec![
                    ("CONTAINER", id.clone()),
                    (
                        "DOCKER_HOST",
                        std::env::var("DOCKER_HOST")
                            .unwrap_or_else(|_| "unix:///var/run/docker.sock".into()),
                    ),
                ],
            ),
            Plan::DropObjects { admin_url, run_id } => (
                "if command -v psql >/dev/null 2>&1; then\n\
                   psql -X -q -At -d \"$ADMIN_URL\" -c \"SELECT datname FROM pg_database \
                     WHERE datname LIKE 'aems\\_test\\_${RUN_ID}\\_%' OR datname = 'aems_template_${RUN_ID}'\" |\n\
                   while read -r db; do\n\
                     psql -X -q -d \"$ADMIN_URL\" -c \"DROP DATABASE IF EXISTS \\\"$db\\\" WITH (FORCE)\" >/dev/null 2>&1\n\
                   done\n\
                   psql -X -q -d \"$ADMIN_URL\" -c \"DROP ROLE IF EXISTS aems_test_app_${RUN_ID}\" >/dev/null 2>&1\n\
                 else\n\
                   echo \"aems testing: psql missing; drop aems_template_${RUN_ID} and role aems_test_app_${RUN_ID} by hand\" >&2\n\
                 fi\n"
                    .to_owned(),
                vec![("ADMIN_URL", admin_url.clone()), ("RUN_ID", run_id.clone())],
            ),
            Plan::KillProcess { pid, dir } => (
                "kill \"$PID\" >/dev/null 2>&1\nrm -rf \"$DIR\"\n".to_owned(),
                vec![("PID", pid.to_string()), ("DIR", dir.display().to_string())],
            ),
        }
    }

    /// Starts the watchdog.
    pub(crate) fn spawn(self) -> Result<Watchdog, HarnessError> {
        let (body, env) = self.script();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{PRELUDE}{body}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|e| HarnessError::setup("cannot start the cleanup watchdog", e))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| HarnessError::setup_msg("the watchdog has no stdin"))?;
        Ok(Watchdog {
            _stdin: stdin,
            _child: child,
        })
    }
}
