//! Backups with `pg_dump`, restores with `pg_restore` (or `psql`), and the
//! retention that deletes old backups — only its own.
//!
//! * [`backup`] dumps one database to `DIR/aems_<database>_<UTC time>.dump`
//!   (pg_dump's custom format, compressed, restorable table by table) or, on
//!   request, `.sql.gz` (plain SQL, gzip: the spec's human-readable form). It
//!   writes a hidden `.partial` file and renames it only when pg_dump
//!   succeeded, so a file with a backup's name is always a whole backup; then,
//!   and only then, it deletes this database's backups older than
//!   `keep_days`. Files whose names do not follow the pattern exactly —
//!   another database's, another tool's, a `.partial` — are never touched.
//! * [`restore`] loads a backup into an empty database of a cluster that has
//!   the library's roles, in one transaction (all or nothing).
//!
//! ## Which role dumps
//!
//! Row-level security is FORCEd on every tenant table, so even their owner
//! reads only what a policy gives it — and pg_dump sets `row_security = off`,
//! which makes any table the role could only read filtered fail the dump
//! rather than silently miss rows. The role must therefore bypass row-level
//! security: a superuser, or a login role with `BYPASSRLS` that can read
//! every table (PostgreSQL's `pg_read_all_data`, or the owner's
//! privileges). [`backup`] checks this first and refuses with
//! [`BackupError::RoleSubjectToRowLevelSecurity`]. `docs/operations.md`
//! shows the `aems_backup` role to create once, as a superuser (creating a
//! `BYPASSRLS` role needs one, so the migrations cannot).
//!
//! The dump keeps owners, grants and policies (unlike the spec's
//! `--no-owner --no-privileges`, which would restore a database the
//! application's roles cannot use). Roles are cluster-wide and not in a
//! dump: the target cluster must have them (run the migrations once against
//! any database of it; see [`LIBRARY_ROLES`]).
//!
//! The PostgreSQL client programs are found in `AEMS_PG_BINDIR`, the newest
//! `/usr/lib/postgresql/*/bin`, `PATH`, then `pg_config --bindir`
//! ([`find_tool`]); pg_dump must be at least as new as the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::error::Error;

/// The roles the schema's grants and policies name; a restore needs them in
/// the target cluster.
pub const LIBRARY_ROLES: [&str; 8] = [
    "application_user",
    "aems_platform",
    "aems_app",
    "aems_audit_writer",
    "aems_search",
    "aems_monitor",
    "aems_exporter",
    "aems_exporter_definer",
];

/// The spec's retention: backups older than this many days are deleted.
pub const DEFAULT_KEEP_DAYS: u32 = 30;

/// How many of a tool's last output lines an error keeps.
const KEPT_LINES: usize = 20;

/// The form of a backup file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum BackupFormat {
    /// pg_dump's custom format (`.dump`): compressed, restored with
    /// `pg_restore`, which can pick single tables out of it.
    Custom,
    /// Plain SQL, gzip-compressed (`.sql.gz`): readable with `zcat`,
    /// restored with `psql`.
    PlainGz,
}

impl BackupFormat {
    /// The file name's ending.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Custom => ".dump",
            Self::PlainGz => ".sql.gz",
        }
    }
}

/// What [`backup`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupOptions {
    /// The directory the backup goes to (created when missing).
    pub dir: PathBuf,
    /// Its form.
    pub format: BackupFormat,
    /// Delete this database's backups older than this many days after a
    /// successful backup (`None`: keep everything). Default
    /// [`DEFAULT_KEEP_DAYS`].
    pub keep_days: Option<u32>,
    /// Where pg_dump is (`None`: [`find_tool`]'s search).
    pub bin_dir: Option<PathBuf>,
}

impl BackupOptions {
    /// Custom format into `dir`, keeping [`DEFAULT_KEEP_DAYS`] days.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            format: BackupFormat::Custom,
            keep_days: Some(DEFAULT_KEEP_DAYS),
            bin_dir: None,
        }
    }

    /// Sets [`format`](Self::format).
    pub fn format(mut self, format: BackupFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets [`keep_days`](Self::keep_days).
    pub fn keep_days(mut self, days: Option<u32>) -> Self {
        self.keep_days = days;
        self
    }

    /// Sets [`bin_dir`](Self::bin_dir).
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }
}

/// A backup that [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct BackupReport {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Its form.
    pub format: BackupFormat,
    /// The database dumped.
    pub database: String,
    /// When the dump started (the time in the file's name).
    pub taken_at: DateTime<Utc>,
    /// How long it took.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration", rename = "took_ms")
    )]
    pub took: Duration,
    /// Older backups the retention deleted.
    pub removed: Vec<PathBuf>,
}

/// A restore that [`restore`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RestoreReport {
    /// The backup restored.
    pub path: PathBuf,
    /// The database restored into.
    pub database: String,
    /// How long it took.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration", rename = "took_ms")
    )]
    pub took: Duration,
}

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// A PostgreSQL client program is nowhere to be found.
    #[error(
        "{tool} not found ({searched}); install the PostgreSQL client programs or set AEMS_PG_BINDIR"
    )]
    ToolNotFound {
        /// The program.
        tool: &'static str,
        /// Where it was looked for.
        searched: String,
    },
    /// A PostgreSQL client program failed.
    #[error("{tool} failed ({status}): {output}")]
    ToolFailed {
        /// The program.
        tool: &'static str,
        /// Its exit status.
        status: String,
        /// Its last lines of output (errors included).
        output: String,
    },
    /// The role would only see some tenants' rows (see the module's
    /// "Which role dumps").
    #[error(
        "role {role} is subject to row-level security and cannot dump every tenant: \
         back up as a superuser or a BYPASSRLS role that can read every table (docs/operations.md, aems_backup)"
    )]
    RoleSubjectToRowLevelSecurity {
        /// The role.
        role: String,
    },
    /// The target cluster lacks roles the backup's grants and policies name.
    #[error(
        "the target cluster lacks the role(s) {}: run the migrations once against any database of it first",
        roles.join(", ")
    )]
    MissingRoles {
        /// The missing roles.
        roles: Vec<String>,
    },
    /// The target database already holds tables: a restore goes into an
    /// empty database only.
    #[error(
        "database {database} is not empty ({tables} table(s)): restore into a new, empty database"
    )]
    TargetNotEmpty {
        /// The database.
        database: String,
        /// How many tables it holds.
        tables: i64,
    },
    /// A file that is not named like a backup of this library.
    #[error("{} is not an aems backup (aems_<database>_<YYYYMMDDTHHMMSSZ>.dump or .sql.gz)", path.display())]
    NotABackup {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Connecting to or querying the database failed.
    #[error(transparent)]
    Database(#[from] Error),
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BackupError + 'a {
    move |source| BackupError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// The name of `database`'s backup taken at `at`:
/// `aems_<database>_<YYYYMMDDTHHMMSSZ>` and the format's extension; characters
/// other than letters, digits, `-` and `_` in the database's name become `-`.
pub fn backup_file_name(database: &str, format: BackupFormat, at: DateTime<Utc>) -> String {
    format!(
        "{}{}{}",
        prefix(database),
        at.format("%Y%m%dT%H%M%SZ"),
        format.extension()
    )
}

fn prefix(database: &str) -> String {
    let safe: String = database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("aems_{safe}_")
}

/// The time and format of a file named by [`backup_file_name`] for
/// `database`; `None` for any other name.
pub fn parse_backup_file_name(
    database: &str,
    file_name: &str,
) -> Option<(DateTime<Utc>, BackupFormat)> {
    let rest = file_name.strip_prefix(&prefix(database))?;
    let (stamp, format) = [BackupFormat::Custom, BackupFormat::PlainGz]
        .into_iter()
        .find_map(|f| rest.strip_suffix(f.extension()).map(|s| (s, f)))?;
    if stamp.len() != 16 {
        return None;
    }
    let at = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok()?;
    Some((at.and_utc(), format))
}

/// Deletes `database`'s backups in `dir` taken more than `keep_days` days
/// before `now` (by the time in their names), and returns them. Nothing else
/// in `dir` is touched.
pub fn remove_expired(
    dir: &Path,
    database: &str,
    keep_days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<PathBuf>, BackupError> {
    remove_expired_sparing(dir, database, keep_days, now, None)
}

/// [`remove_expired`], never deleting `spare` (the backup just written,
/// even with `keep_days = 0`).
fn remove_expired_sparing(
    dir: &Path,
    database: &str,
    keep_days: u32,
    now: DateTime<Utc>,
    spare: Option<&Path>,
) -> Result<Vec<PathBuf>, BackupError> {
    let cutoff = now - TimeDelta::days(i64::from(keep_days));
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("read", dir))? {
        let entry = entry.map_err(io("read", dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some((at, _)) = parse_backup_file_name(database, &name) else {
            continue;
        };
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        let path = entry.path();
        if is_file && at < cutoff && Some(path.as_path()) != spare {
            std::fs::remove_file(&path).map_err(io("remove", &path))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Where the PostgreSQL client program `tool` (`pg_dump`, `pg_restore`,
/// `psql`) is: `dir` when given, then `AEMS_PG_BINDIR`, the newest
/// `/usr/lib/postgresql/*/bin` (Debian's; newer than what `PATH` may hold),
/// `PATH`, then `pg_config --bindir`.
pub fn find_tool(tool: &'static str, dir: Option<&Path>) -> Result<PathBuf, BackupError> {
    let mut searched = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = dir {
        candidates.push(dir.to_owned());
    }
    if let Some(dir) = std::env::var_os("AEMS_PG_BINDIR").filter(|d| !d.is_empty()) {
        candidates.push(dir.into());
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    debian.sort();
    candidates.extend(debian.into_iter().rev().map(|(_, p)| p));
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    for dir in candidates {
        let path = dir.join(tool);
        if path.is_file() {
            return Ok(path);
        }
        searched.push(dir.display().to_string());
    }
    Err(BackupError::ToolNotFound {
        tool,
        searched: searched.join(", "),
    })
}

/// A `postgres://` URL without its password, and the password (decoded),
/// so that it travels in `PGPASSWORD` rather than on a command line other
/// users can read. Other forms are returned as they are.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(s: &str) -> String {
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

/// A client program for `url`: the URL (without its password) as
/// `--dbname`, the password in the environment.
fn command(tool: &Path, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut command = Command::new(tool);
    command.arg(format!("--dbname={url}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs `child` to its end, handing each line of its standard error to
/// `progress` and keeping the last ones for an error.
fn wait_reporting(
    tool: &'static str,
    mut child: std::process::Child,
    progress: &mut dyn FnMut(&str),
) -> Result<(), BackupError> {
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut last: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        progress(&line);
        if last.len() == KEPT_LINES {
            last.pop_front();
        }
        last.push_back(line);
    }
    let status = child.wait().map_err(|source| BackupError::Io {
        action: "wait for",
        path: PathBuf::from(tool),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        // --verbose lines are progress; the error is among the last lines.
        Err(BackupError::ToolFailed {
            tool,
            status: status.to_string(),
            output: last.into_iter().collect::<Vec<_>>().join("\n"),
        })
    }
}

async fn connect(url: &str) -> Result<AsyncPgConnection, BackupError> {
    Ok(AsyncPgConnection::establish(url)
        .await
        .map_err(Error::Connect)?)
}

#[derive(QueryableByName)]
struct Dumper {
    #[diesel(sql_type = Text)]
    database: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    bypasses_rls: bool,
}

/// Dumps the database at `url` (a role that bypasses row-level security;
/// see the module) into `options.dir`, then applies the retention.
/// `progress` receives pg_dump's progress lines as they come.
pub async fn backup(
    url: &str,
    options: &BackupOptions,
    mut progress: impl FnMut(&str) + Send + 'static,
) -> Result<BackupReport, BackupError> {
    let pg_dump = find_tool("pg_dump", options.bin_dir.as_deref())?;
    let mut conn = connect(url).await?;
    let dumper: Dumper = sql_query(
        "SELECT current_database()::text AS database, current_user::text AS role,
                rolsuper OR rolbypassrls AS bypasses_rls
         FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .get_result(&mut conn)
    .await
    .map_err(Error::from)?;
    drop(conn);
    if !dumper.bypasses_rls {
        return Err(BackupError::RoleSubjectToRowLevelSecurity { role: dumper.role });
    }
    std::fs::create_dir_all(&options.dir).map_err(io("create", &options.dir))?;
    let taken_at = Utc::now();
    let name = backup_file_name(&dumper.database, options.format, taken_at);
    let path = options.dir.join(&name);
    if path.exists() {
        return Err(BackupError::Io {
            action: "create (it exists already)",
            path,
            source: std::io::ErrorKind::AlreadyExists.into(),
        });
    }
    let partial = options.dir.join(format!(".{name}.partial"));
    let url = url.to_owned();
    let format = options.format;
    let database = dumper.database;
    let keep_days = options.keep_days;
    let dir = options.dir.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut dump = command(&pg_dump, &url);
        dump.arg("--verbose")
            .arg(format!("--file={}", partial.display()));
        match format {
            BackupFormat::Custom => dump.arg("--format=custom"),
            BackupFormat::PlainGz => dump.args(["--format=plain", "--compress=6"]),
        };
        let child = dump.spawn().map_err(io("run", &pg_dump))?;
        if let Err(e) = wait_reporting("pg_dump", child, &mut progress) {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, &path).map_err(io("rename", &partial))?;
        let took = started.elapsed();
        let bytes = std::fs::metadata(&path).map_err(io("read", &path))?.len();
        let removed = match keep_days {
            Some(days) => remove_expired_sparing(&dir, &database, days, Utc::now(), Some(&path))?,
            None => Vec::new(),
        };
        Ok(BackupReport {
            path,
            bytes,
            format,
            database,
            taken_at,
            took,
            removed,
        })
    })
    .await
    .map_err(|e| BackupError::Io {
        action: "run the backup task for",
        path: options.dir.clone(),
        source: std::io::Error::other(e.to_string()),
    })?
}

#[derive(QueryableByName)]
struct Target {
    #[diesel(sql_type = Text)]
    database: String,
    #[diesel(sql_type = BigInt)]
    tables: i64,
}

#[derive(QueryableByName)]
struct RoleName {
    #[diesel(sql_type = Text)]
    role: String,
}

/// Restores the backup at `file` (named as [`backup`] names them; the
/// ending picks the tool) into the empty database at `into_url`, in one
/// transaction, then grants `CONNECT` on it to `aems_app`,
/// `aems_monitor` and `aems_exporter` again (a dump holds no database-level grants). The role
/// should be a superuser: the backup creates extensions
/// (`pg_stat_statements` among them) and objects owned by the schema owner.
/// `progress` receives the tool's progress lines.
pub async fn restore(
    file: &Path,
    into_url: &str,
    bin_dir: Option<&Path>,
    mut progress: impl FnMut(&str) + Send + 'static,
) -> Result<RestoreReport, BackupError> {
    let name =
        file.file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| BackupError::NotABackup {
                path: file.to_owned(),
            })?;
    let format = if name.starts_with("aems_") && name.ends_with(BackupFormat::Custom.extension()) {
        BackupFormat::Custom
    } else if name.starts_with("aems_") && name.ends_with(BackupFormat::PlainGz.extension()) {
        BackupFormat::PlainGz
    } else {
        return Err(BackupError::NotABackup {
            path: file.to_owned(),
        });
    };
    std::fs::metadata(file).map_err(io("read", file))?;
    let tool = match format {
        BackupFormat::Custom => find_tool("pg_restore", bin_dir)?,
        BackupFormat::PlainGz => find_tool("psql", bin_dir)?,
    };

    let mut conn = connect(into_url).await?;
    let target: Target = sql_query(
        "SELECT current_database()::text AS database,
                (SELECT count(*) FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p')
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg\\_toast%') AS tables",
    )
    .get_result(&mut conn)
    .await
    .map_err(Error::from)?;
    if target.tables > 0 {
        return Err(BackupError::TargetNotEmpty {
            database: target.database,
            tables: target.tables,
        });
    }
    let present: Vec<RoleName> =
        sql_query("SELECT rolname::text AS role FROM pg_catalog.pg_roles WHERE rolname = ANY($1)")
            .bind::<diesel::sql_types::Array<Text>, _>(LIBRARY_ROLES.map(str::to_owned).to_vec())
            .load(&mut conn)
            .await
            .map_err(Error::from)?;
    let missing: Vec<String> = LIBRARY_ROLES
        .iter()
        .filter(|r| !present.iter().any(|p| p.role == **r))
        .map(|r| r.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(BackupError::MissingRoles { roles: missing });
    }
    drop(conn);

    let file = file.to_owned();
    let url = into_url.to_owned();
    let database = target.database;
    let report = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        match format {
            BackupFormat::Custom => {
                let mut cmd = command(&tool, &url);
                cmd.args(["--exit-on-error", "--single-transaction", "--verbose"])
                    .arg(&file);
                let child = cmd.spawn().map_err(io("run", &tool))?;
                wait_reporting("pg_restore", child, &mut progress)?;
            }
            BackupFormat::PlainGz => {
                let mut cmd = command(&tool, &url);
                cmd.args([
                    "--no-psqlrc",
                    "--quiet",
                    "--single-transaction",
                    "--set=ON_ERROR_STOP=1",
                    "--file=-",
                ])
                .stdin(Stdio::piped());
                let mut child = cmd.spawn().map_err(io("run", &tool))?;
                let mut stdin = child.stdin.take().expect("stdin is piped");
                let source = std::fs::File::open(&file).map_err(io("open", &file))?;
                let feeder_file = file.clone();
                // Fed from a thread of its own, so psql's output never fills
                // its pipe while we block writing.
                let feeder = std::thread::spawn(move || -> Result<(), BackupError> {
                    let mut gz = flate2::read::GzDecoder::new(source);
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = gz.read(&mut buf).map_err(io("decompress", &feeder_file))?;
                        if n == 0 {
                            return Ok(());
                        }
                        // psql stops reading after an error: its own
                        // message says why, not the broken pipe.
                        if stdin.write_all(&buf[..n]).is_err() {
                            return Ok(());
                        }
                    }
                });
                let waited = wait_reporting("psql", child, &mut progress);
                let fed = feeder.join().unwrap_or(Ok(()));
                waited?;
                fed?;
            }
        }
        Ok::<_, BackupError>(RestoreReport {
            path: file,
            database,
            took: started.elapsed(),
        })
    })
    .await
    .map_err(|e| BackupError::Io {
        action: "run the restore task for",
        path: PathBuf::from(into_url.split('@').next_back().unwrap_or("")),
        source: std::io::Error::other(e.to_string()),
    })??;
    // A dump holds no database-level grants (pg_dump writes them only with
    // --create): give the login roles their CONNECT again, as the
    // migrations did.
    let mut conn = connect(into_url).await?;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut conn,
        "DO $$ BEGIN
             EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO aems_app, aems_monitor, aems_exporter',
                                       pg_catalog.current_database());
         END $$",
    )
    .await
    .map_err(Error::from)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_round_trip_and_foreign_names_are_not_backups() {
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 15, 4, 5).unwrap();
        let name = backup_file_name("aems", BackupFormat::Custom, at);
        assert_eq!(name, "aems_aems_20261202T150405Z.dump");
        assert_eq!(
            parse_backup_file_name("aems", &name),
            Some((at, BackupFormat::Custom))
        );
        let gz = backup_file_name("my db", BackupFormat::PlainGz, at);
        assert_eq!(gz, "aems_my-db_20261202T150405Z.sql.gz");
        assert_eq!(
            parse_backup_file_name("my db", &gz),
            Some((at, BackupFormat::PlainGz))
        );
        for foreign in [
            "aems_other_20261202T150405Z.dump",
            "aems_aems_20261202T150405Z.dump.partial",
            ".aems_aems_20261202T150405Z.dump.partial",
            "aems_aems_20261202T150405Z.sql",
            "aems_aems_2026120.dump",
            "aems_aems_20261302T150405Z.dump",
            "notes.txt",
        ] {
            assert_eq!(parse_backup_file_name("aems", foreign), None, "{foreign}");
        }
    }

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://owner:p%40ss@db:5432/aems?sslmode=disable"),
            (
                "postgres://owner@db:5432/aems?sslmode=disable".to_owned(),
                Some("p@ss".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://owner@db/aems"),
            ("postgres://owner@db/aems".to_owned(), None)
        );
        assert_eq!(
            split_password("host=db user=x"),
            ("host=db user=x".to_owned(), None)
        );
    }
}
