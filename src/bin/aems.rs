//! `aems`: operate an A-EMS database from a shell, a cron job or a container
//! health check (feature `cli`).
//!
//! ```text
//! aems migrate [--check]
//! aems health [--json]
//! aems partitions maintain
//! aems backup --dir D [--keep-days 30] [--format custom|plain-gz]
//! aems restore FILE --into URL
//! aems seed [--seed 42] [--tenants 2] [--scale small]
//! ```
//!
//! URLs come from flags or the library's environment variables. Exit codes:
//! 0 healthy (or done), 1 degraded (or, for `migrate --check`, migrations
//! pending), 2 failing or an error. See `docs/operations.md`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aems::db::ops::backup::{self, BackupFormat, BackupOptions};
use aems::db::ops::{self, HealthOptions, HealthReport, Monitor};
use aems::db::testing::generator::{GeneratorConfig, Scale, generate};
use aems::db::{Database, DatabaseConfig, KeyRing, migrations};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

/// Operate an A-EMS database: migrations, health, audit partitions,
/// backups and restores, demo data.
///
/// Exit codes: 0 healthy or done, 1 degraded (migrate --check: migrations
/// pending), 2 failing or an error.
#[derive(Debug, Parser)]
#[command(name = "aems", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the embedded migrations, as the schema owner.
    Migrate {
        /// Change nothing: list pending migrations; exit 1 when there are
        /// any, 2 when the database holds migrations this build does not know.
        #[arg(long)]
        check: bool,
        /// The schema owner's URL [default: $AEMS_MIGRATION_DATABASE_URL,
        /// else $AEMS_DATABASE_URL].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Check the database's health; exit 0 healthy, 1 degraded, 2 failing.
    Health {
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
        /// The application's URL, whose pool is checked
        /// [default: $AEMS_DATABASE_URL, else $DATABASE_URL].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The monitoring role's URL (a member of aems_monitor)
        /// [default: $AEMS_MONITOR_DATABASE_URL, else
        /// $AEMS_MIGRATION_DATABASE_URL, else the application's].
        #[arg(long, value_name = "URL")]
        monitor_url: Option<String>,
        /// A statement running longer than this many seconds is long-running.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        long_query_secs: u64,
        /// A session idle in a transaction longer than this many seconds is
        /// reported.
        #[arg(long, value_name = "SECONDS", default_value_t = 300)]
        idle_in_transaction_secs: u64,
    },
    /// The audit trail's monthly partitions.
    Partitions {
        #[command(subcommand)]
        action: PartitionsCommand,
    },
    /// Dump the database with pg_dump into a directory, then delete this
    /// database's backups there older than --keep-days (only files named
    /// aems_<database>_<UTC time>.dump / .sql.gz).
    Backup {
        /// The directory backups go to.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Delete this database's backups older than this many days (0 keeps
        /// only the new one).
        #[arg(long, value_name = "DAYS", default_value_t = backup::DEFAULT_KEEP_DAYS)]
        keep_days: u32,
        /// Keep every backup (no retention).
        #[arg(long, conflicts_with = "keep_days")]
        keep_all: bool,
        /// custom: pg_dump's compressed format, for pg_restore; plain-gz:
        /// plain SQL, gzip-compressed.
        #[arg(long, value_enum, default_value_t = Format::Custom)]
        format: Format,
        /// A role that bypasses row-level security (a superuser or
        /// aems_backup; see docs/operations.md) [default:
        /// $AEMS_BACKUP_DATABASE_URL, else $AEMS_MIGRATION_DATABASE_URL].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into an empty database (in one transaction).
    Restore {
        /// A file `aems backup` wrote (.dump or .sql.gz).
        file: PathBuf,
        /// The empty target database, as a superuser.
        #[arg(long, value_name = "URL")]
        into: String,
    },
    /// Fill the database with deterministic demo data through the library
    /// (the test generator); needs AEMS_KEYS for the encrypted columns.
    Seed {
        /// The application's URL [default: $AEMS_DATABASE_URL].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The schema owner's URL [default: $AEMS_MIGRATION_DATABASE_URL,
        /// else the application's].
        #[arg(long, value_name = "URL")]
        owner_url: Option<String>,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// How many tenants.
        #[arg(long, default_value_t = 2)]
        tenants: usize,
        /// tiny, small, medium or large.
        #[arg(long, default_value = "small")]
        scale: Scale,
        /// Cheap password hashes (throwaway data only).
        #[arg(long)]
        fast_hashes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PartitionsCommand {
    /// Create the months ahead, move rows out of the default partition, and
    /// drop months past the retention (run daily, as the schema owner).
    Maintain {
        /// The schema owner's URL [default: $AEMS_MIGRATION_DATABASE_URL,
        /// else $AEMS_DATABASE_URL].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Months to create ahead of the current one.
        #[arg(long, default_value_t = 3)]
        months_ahead: u32,
        /// Months of audit trail to keep.
        #[arg(long, default_value_t = 24)]
        retention_months: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// pg_dump's custom format (.dump).
    Custom,
    /// Plain SQL, gzip-compressed (.sql.gz).
    PlainGz,
}

type Failure = Box<dyn std::error::Error>;

/// The first of `flag` and the variables that is set and not blank.
fn url(flag: Option<String>, vars: &[&str]) -> Result<String, Failure> {
    flag.into_iter()
        .chain(vars.iter().filter_map(|v| std::env::var(v).ok()))
        .find(|u| !u.trim().is_empty())
        .ok_or_else(|| format!("no database URL: pass --url or set {}", vars.join(" or ")).into())
}

/// A spinner on standard error while long work runs; hidden when standard
/// output is not a terminal (cron, CI, a health check).
fn spinner(message: &str) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("a valid template"),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("aems: {}", chain(e.as_ref()));
            ExitCode::from(2)
        }
    }
}

async fn run(command: Command) -> Result<u8, Failure> {
    const OWNER: &[&str] = &["AEMS_MIGRATION_DATABASE_URL", "AEMS_DATABASE_URL"];
    match command {
        Command::Migrate { check, url: flag } => {
            let owner = url(flag, OWNER)?;
            if check {
                let state = Monitor::connect_url(&owner)
                    .await?
                    .migration_state()
                    .await?;
                for v in &state.unknown {
                    println!("unknown to this build: {v}");
                }
                for v in &state.pending {
                    println!("pending: {v}");
                }
                if !state.unknown.is_empty() {
                    return Ok(2);
                }
                if state.pending.is_empty() {
                    println!(
                        "up to date ({} migrations)",
                        migrations::known_versions().len()
                    );
                    return Ok(0);
                }
                return Ok(1);
            }
            let bar = spinner("migrating…");
            let report = migrations::run(&owner).await;
            bar.finish_and_clear();
            let report = report?;
            println!("{} migration(s) applied", report.applied.len());
            for v in &report.applied {
                println!("  {v}");
            }
            Ok(0)
        }
        Command::Health {
            json,
            url: flag,
            monitor_url,
            long_query_secs,
            idle_in_transaction_secs,
        } => {
            let app = url(flag, &["AEMS_DATABASE_URL", "DATABASE_URL"])?;
            let mut config = DatabaseConfig::from_lookup(|name| match name {
                "AEMS_DATABASE_URL" => Some(app.clone()),
                other => std::env::var(other).ok(),
            })?
            .max_connections(1);
            let monitor = monitor_url
                .or_else(|| config.monitor_url.clone())
                .unwrap_or_else(|| app.clone());
            config = config.monitor_url(monitor);
            let db = Database::new(config)?;
            let options = HealthOptions::default()
                .long_query(Duration::from_secs(long_query_secs))
                .idle_in_transaction(Duration::from_secs(idle_in_transaction_secs));
            let report = ops::health_with(&db, options).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_health(&report);
            }
            Ok(report.status.exit_code() as u8)
        }
        Command::Partitions {
            action:
                PartitionsCommand::Maintain {
                    url: flag,
                    months_ahead,
                    retention_months,
                },
        } => {
            let owner = url(flag, OWNER)?;
            let report =
                aems::db::audit::partitions::maintain(&owner, months_ahead, retention_months)
                    .await?;
            println!(
                "created {} partition(s) ahead, moved {} row(s) out of the default partition, dropped {} old partition(s)",
                report.created_ahead,
                report
                    .moved_from_default
                    .iter()
                    .map(|(_, n)| n)
                    .sum::<i64>(),
                report.dropped
            );
            Ok(0)
        }
        Command::Backup {
            dir,
            keep_days,
            keep_all,
            format,
            url: flag,
            json,
        } => {
            let source = url(
                flag,
                &["AEMS_BACKUP_DATABASE_URL", "AEMS_MIGRATION_DATABASE_URL"],
            )?;
            let options = BackupOptions::new(dir)
                .format(match format {
                    Format::Custom => BackupFormat::Custom,
                    Format::PlainGz => BackupFormat::PlainGz,
                })
                .keep_days((!keep_all).then_some(keep_days));
            let bar = spinner("pg_dump…");
            let lines = bar.clone();
            let report = backup::backup(&source, &options, move |line| {
                lines.set_message(line.to_owned())
            })
            .await;
            bar.finish_and_clear();
            let report = report?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "backed up {} to {} ({} bytes, {:.1} s)",
                    report.database,
                    report.path.display(),
                    report.bytes,
                    report.took.as_secs_f64()
                );
                for old in &report.removed {
                    println!("  removed {}", old.display());
                }
            }
            Ok(0)
        }
        Command::Restore { file, into } => {
            let bar = spinner("restoring…");
            let lines = bar.clone();
            let report = backup::restore(&file, &into, None, move |line| {
                lines.set_message(line.to_owned())
            })
            .await;
            bar.finish_and_clear();
            let report = report?;
            println!(
                "restored {} into {} ({:.1} s)",
                report.path.display(),
                report.database,
                report.took.as_secs_f64()
            );
            Ok(0)
        }
        Command::Seed {
            url: flag,
            owner_url,
            seed,
            tenants,
            scale,
            fast_hashes,
        } => {
            let app = url(flag, &["AEMS_DATABASE_URL"])?;
            let owner = owner_url
                .or_else(|| std::env::var("AEMS_MIGRATION_DATABASE_URL").ok())
                .unwrap_or_else(|| app.clone());
            let keys = KeyRing::from_env()?.ok_or(
                "AEMS_KEYS is not set: the demo data has encrypted columns (see KeyRing::from_env)",
            )?;
            let db = Database::connect(DatabaseConfig::new(app))
                .await?
                .with_key_ring(keys);
            let mut config = GeneratorConfig::new(seed, tenants, scale);
            if fast_hashes {
                config = config.fast_hashes();
            }
            let bar = spinner(&format!("generating {tenants} tenant(s) at scale {scale}…"));
            let report = generate(&db, &owner, &config).await;
            bar.finish_and_clear();
            println!("{}", report?);
            Ok(0)
        }
    }
}

fn print_health(report: &HealthReport) {
    println!("{}", report.status);
    for reason in &report.reasons {
        println!("  {}: {reason}", reason.status());
    }
    match report.round_trip {
        Some(rt) => println!("round trip: {:.2} ms", rt.as_secs_f64() * 1000.0),
        None => println!("round trip: none (no pooled connection)"),
    }
    if let Some(role) = &report.monitor_role {
        println!("read as: {role}");
    }
    for s in &report.long_running_queries {
        println!(
            "  long-running pid {} ({}): {:.0} s: {}",
            s.pid,
            s.application_name,
            s.query_duration.unwrap_or_default().as_secs_f64(),
            s.query.as_deref().unwrap_or("")
        );
    }
    for s in &report.idle_in_transaction {
        println!(
            "  idle in transaction pid {} ({}): {:.0} s",
            s.pid,
            s.application_name,
            s.state_duration.unwrap_or_default().as_secs_f64()
        );
    }
}
