//! What a dashboard shows, read as the monitoring role: sessions, statements,
//! sizes, the cache, vacuum.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::{Database, migrations};

/// Query texts are cut to this many characters in [`Session`] and
/// [`StatementStat`]: enough to recognise a statement, not a dump of its data.
const QUERY_CHARS: i32 = 500;

/// One connection as the monitoring role
/// ([`DatabaseConfig::monitor_url`](crate::DatabaseConfig::monitor_url), else
/// the pool's URL), for the statistics views. Opened per use: monitoring runs
/// every few seconds at most, and it never takes a connection from the
/// application's pool.
pub struct Monitor {
    conn: AsyncPgConnection,
    role: String,
    sees_everything: bool,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("role", &self.role)
            .field("sees_everything", &self.sees_everything)
            .finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct Identity {
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    sees_everything: bool,
}

impl Monitor {
    /// Connects as `db`'s monitoring URL (its pool URL when none is set),
    /// within the configuration's connect timeout.
    pub async fn connect(db: &Database) -> Result<Self> {
        let config = db.config();
        let url = config.monitor_url.as_deref().unwrap_or(&config.url);
        Self::connect_url_within(url, config.connect_timeout).await
    }

    /// Connects to `url` (a member of `aems_monitor` or `pg_monitor`), within 10 s.
    pub async fn connect_url(url: &str) -> Result<Self> {
        Self::connect_url_within(url, Duration::from_secs(10)).await
    }

    async fn connect_url_within(url: &str, timeout: Duration) -> Result<Self> {
        let mut conn = match tokio::time::timeout(timeout, AsyncPgConnection::establish(url)).await
        {
            Ok(conn) => conn.map_err(Error::Connect)?,
            Err(_) => {
                return Err(Error::Connect(diesel::ConnectionError::BadConnection(
                    format!("no answer within {timeout:?}"),
                )));
            }
        };
        // Superusers see everything anyway; anyone else through pg_monitor
        // (directly or through aems_monitor).
        let identity: Identity = sql_query(
            "SELECT current_user::text AS role,
                    (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
                    OR pg_catalog.pg_has_role(current_user, 'pg_monitor', 'USAGE') AS sees_everything",
        )
        .get_result(&mut conn)
        .await?;
        Ok(Self {
            conn,
            role: identity.role,
            sees_everything: identity.sees_everything,
        })
    }

    /// The role this connection reads as.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// Whether the role sees every session and statement (a superuser or a
    /// member of `pg_monitor`). When not, other roles' query texts and states
    /// are hidden from it and the counts below miss them.
    pub fn sees_everything(&self) -> bool {
        self.sees_everything
    }

    /// The time a trivial statement takes on this connection (one round trip).
    pub async fn round_trip(&mut self) -> Result<Duration> {
        let started = std::time::Instant::now();
        diesel_async::SimpleAsyncConnection::batch_execute(&mut self.conn, "SELECT 1").await?;
        Ok(started.elapsed())
    }

    /// Client connections to this database, counted by state and
    /// application name (the spec's "active connections" query, for every
    /// state), most first. The monitor's own connection is included; a role
    /// without `pg_monitor` sees other roles' sessions as
    /// [`SessionState::Hidden`].
    pub async fn connections(&mut self) -> Result<Vec<ConnectionCount>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Nullable<Text>)]
            state: Option<String>,
            #[diesel(sql_type = Text)]
            application_name: String,
            #[diesel(sql_type = BigInt)]
            connections: i64,
        }
        let rows: Vec<Row> = sql_query(
            "SELECT state, coalesce(application_name, '') AS application_name,
                    count(*) AS connections
             FROM pg_catalog.pg_stat_activity
             -- Without pg_monitor, another role's session shows no backend
             -- type (nor state): counted as hidden rather than left out.
             WHERE datname = current_database()
               AND (backend_type = 'client backend' OR backend_type IS NULL)
             GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        )
        .load(&mut self.conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ConnectionCount {
                state: SessionState::from_column(r.state),
                application_name: r.application_name,
                connections: r.connections,
            })
            .collect())
    }

    /// Statements running (state `active`) for longer than `over`, longest
    /// first; the monitor's own statement is never one of them.
    pub async fn long_running_queries(&mut self, over: Duration) -> Result<Vec<Session>> {
        self.sessions(
            "state = 'active' AND now() - query_start > make_interval(secs => $1)",
            "query_start",
            over,
        )
        .await
    }

    /// Sessions that have sat idle inside an open transaction (state `idle
    /// in transaction`, or its aborted form) for longer than `over`, longest
    /// first: they hold locks and keep vacuum from removing dead rows.
    pub async fn idle_in_transaction(&mut self, over: Duration) -> Result<Vec<Session>> {
        self.sessions(
            "state IN ('idle in transaction', 'idle in transaction (aborted)')
             AND now() - state_change > make_interval(secs => $1)",
            "state_change",
            over,
        )
        .await
    }

    async fn sessions(
        &mut self,
        filter: &str,
        order: &str,
        over: Duration,
    ) -> Result<Vec<Session>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            pid: i32,
            #[diesel(sql_type = Nullable<Text>)]
            role: Option<String>,
            #[diesel(sql_type = Text)]
            application_name: String,
            #[diesel(sql_type = Nullable<Text>)]
            state: Option<String>,
            #[diesel(sql_type = Nullable<Double>)]
            query_seconds: Option<f64>,
            #[diesel(sql_type = Nullable<Double>)]
            state_seconds: Option<f64>,
            #[diesel(sql_type = Nullable<Double>)]
            transaction_seconds: Option<f64>,
            #[diesel(sql_type = Nullable<Text>)]
            query: Option<String>,
        }
        let sql = format!(
            "SELECT pid, usename::text AS role, coalesce(application_name, '') AS application_name,
                    state,
                    extract(epoch FROM now() - query_start)::float8 AS query_seconds,
                    extract(epoch FROM now() - state_change)::float8 AS state_seconds,
                    extract(epoch FROM now() - xact_start)::float8 AS transaction_seconds,
                    left(query, {QUERY_CHARS}) AS query
             FROM pg_catalog.pg_stat_activity
             WHERE datname = current_database() AND backend_type = 'client backend'
               AND pid <> pg_backend_pid() AND {filter}
             ORDER BY {order}"
        );
        let rows: Vec<Row> = sql_query(sql)
            .bind::<Double, _>(over.as_secs_f64())
            .load(&mut self.conn)
            .await?;
        let seconds = |s: Option<f64>| s.map(|s| Duration::from_secs_f64(s.max(0.0)));
        Ok(rows
            .into_iter()
            .map(|r| Session {
                pid: r.pid,
                role: r.role,
                application_name: r.application_name,
                state: SessionState::from_column(r.state),
                query_duration: seconds(r.query_seconds),
                state_duration: seconds(r.state_seconds),
                transaction_duration: seconds(r.transaction_seconds),
                query: r.query,
            })
            .collect())
    }

    /// The statements of this database with the highest mean execution
    /// time, from `pg_stat_statements` (its `*_exec_time` columns), at most
    /// `limit`; or why they cannot be had.
    pub async fn slowest_statements(&mut self, limit: u32) -> Result<StatementStats> {
        #[derive(QueryableByName)]
        struct Ext {
            #[diesel(sql_type = Nullable<Text>)]
            schema: Option<String>,
            #[diesel(sql_type = Text)]
            preload: String,
        }
        let ext: Ext = sql_query(
            "SELECT (SELECT n.nspname::text FROM pg_catalog.pg_extension e
                     JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                     WHERE e.extname = 'pg_stat_statements') AS schema,
                    current_setting('shared_preload_libraries') AS preload",
        )
        .get_result(&mut self.conn)
        .await?;
        if !preloads_pg_stat_statements(&ext.preload) {
            return Ok(StatementStats::NotAvailable(NotAvailable::NotPreloaded));
        }
        let Some(schema) = ext.schema else {
            return Ok(StatementStats::NotAvailable(NotAvailable::NotInstalled));
        };
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Nullable<BigInt>)]
            queryid: Option<i64>,
            #[diesel(sql_type = Nullable<Text>)]
            query: Option<String>,
            #[diesel(sql_type = BigInt)]
            calls: i64,
            #[diesel(sql_type = BigInt)]
            rows: i64,
            #[diesel(sql_type = Double)]
            total_exec_time: f64,
            #[diesel(sql_type = Double)]
            mean_exec_time: f64,
            #[diesel(sql_type = Double)]
            stddev_exec_time: f64,
            #[diesel(sql_type = Double)]
            max_exec_time: f64,
        }
        let sql = format!(
            "SELECT queryid, left(query, {QUERY_CHARS}) AS query, calls, rows,
                    total_exec_time, mean_exec_time, stddev_exec_time, max_exec_time
             FROM \"{}\".pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
             ORDER BY mean_exec_time DESC, queryid
             LIMIT $1",
            schema.replace('"', "\"\"")
        );
        let rows: Vec<Row> = sql_query(sql)
            .bind::<BigInt, _>(i64::from(limit))
            .load(&mut self.conn)
            .await?;
        let ms = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1000.0);
        Ok(StatementStats::Available(
            rows.into_iter()
                .map(|r| StatementStat {
                    query_id: r.queryid,
                    query: r.query,
                    calls: r.calls,
                    rows: r.rows,
                    total_exec_time: ms(r.total_exec_time),
                    mean_exec_time: ms(r.mean_exec_time),
                    stddev_exec_time: ms(r.stddev_exec_time),
                    max_exec_time: ms(r.max_exec_time),
                })
                .collect(),
        ))
    }

    /// Every table, partition and materialized view outside the system
    /// schemas with its heap (with TOAST), index and total size, largest
    /// first. A partitioned table's sizes are those of all its partitions.
    pub async fn relation_sizes(&mut self) -> Result<Vec<RelationSize>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            schema: String,
            #[diesel(sql_type = Text)]
            name: String,
            #[diesel(sql_type = Bool)]
            partitioned: bool,
            #[diesel(sql_type = Bool)]
            partition: bool,
            #[diesel(sql_type = BigInt)]
            table_bytes: i64,
            #[diesel(sql_type = BigInt)]
            index_bytes: i64,
            #[diesel(sql_type = BigInt)]
            total_bytes: i64,
        }
        let rows: Vec<Row> = sql_query(
            "WITH rel AS (
                 SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name,
                        c.relkind = 'p' AS partitioned, c.relispartition AS partition
                 FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p', 'm')
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
             ), parts AS (
                 SELECT rel.oid AS root, CASE WHEN rel.partitioned THEN t.relid ELSE rel.oid END AS part
                 FROM rel LEFT JOIN LATERAL pg_catalog.pg_partition_tree(rel.oid) t ON rel.partitioned
             )
             SELECT rel.schema, rel.name, rel.partitioned, rel.partition,
                    sum(pg_catalog.pg_table_size(parts.part))::bigint AS table_bytes,
                    sum(pg_catalog.pg_indexes_size(parts.part))::bigint AS index_bytes,
                    sum(pg_catalog.pg_total_relation_size(parts.part))::bigint AS total_bytes
             FROM rel JOIN parts ON parts.root = rel.oid
             GROUP BY rel.schema, rel.name, rel.partitioned, rel.partition
             ORDER BY total_bytes DESC, rel.schema, rel.name",
        )
        .load(&mut self.conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RelationSize {
                schema: r.schema,
                name: r.name,
                partitioned: r.partitioned,
                partition: r.partition,
                table_bytes: r.table_bytes,
                index_bytes: r.index_bytes,
                total_bytes: r.total_bytes,
            })
            .collect())
    }

    /// [`relation_sizes`](Self::relation_sizes) added up per schema (each
    /// partition counted once), largest first.
    pub async fn schema_sizes(&mut self) -> Result<Vec<SchemaSize>> {
        let mut sizes: Vec<SchemaSize> = Vec::new();
        for r in self.relation_sizes().await? {
            if r.partitioned {
                continue; // its partitions are listed themselves
            }
            match sizes.iter_mut().find(|s| s.schema == r.schema) {
                Some(s) => {
                    s.tables += 1;
                    s.table_bytes += r.table_bytes;
                    s.index_bytes += r.index_bytes;
                    s.total_bytes += r.total_bytes;
                }
                None => sizes.push(SchemaSize {
                    schema: r.schema,
                    tables: 1,
                    table_bytes: r.table_bytes,
                    index_bytes: r.index_bytes,
                    total_bytes: r.total_bytes,
                }),
            }
        }
        sizes.sort_by(|a, b| {
            b.total_bytes
                .cmp(&a.total_bytes)
                .then(a.schema.cmp(&b.schema))
        });
        Ok(sizes)
    }

    /// Blocks found in shared buffers against blocks read, for the whole
    /// database and for its tables' heaps and indexes.
    pub async fn cache_hit_ratio(&mut self) -> Result<CacheHitRatio> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            db_hit: i64,
            #[diesel(sql_type = BigInt)]
            db_read: i64,
            #[diesel(sql_type = BigInt)]
            heap_hit: i64,
            #[diesel(sql_type = BigInt)]
            heap_read: i64,
            #[diesel(sql_type = BigInt)]
            idx_hit: i64,
            #[diesel(sql_type = BigInt)]
            idx_read: i64,
        }
        let r: Row = sql_query(
            "SELECT d.blks_hit AS db_hit, d.blks_read AS db_read,
                    t.heap_hit, t.heap_read, t.idx_hit, t.idx_read
             FROM pg_catalog.pg_stat_database d,
                  (SELECT coalesce(sum(heap_blks_hit), 0)::bigint AS heap_hit,
                          coalesce(sum(heap_blks_read), 0)::bigint AS heap_read,
                          coalesce(sum(idx_blks_hit), 0)::bigint AS idx_hit,
                          coalesce(sum(idx_blks_read), 0)::bigint AS idx_read
                   FROM pg_catalog.pg_statio_user_tables) t
             WHERE d.datname = current_database()",
        )
        .get_result(&mut self.conn)
        .await?;
        Ok(CacheHitRatio {
            database: BlockCounts {
                hit: r.db_hit,
                read: r.db_read,
            },
            tables: BlockCounts {
                hit: r.heap_hit,
                read: r.heap_read,
            },
            indexes: BlockCounts {
                hit: r.idx_hit,
                read: r.idx_read,
            },
        })
    }

    /// Every user table's live and dead tuples and when it was last vacuumed
    /// and analysed, by hand or by autovacuum; most dead tuples first.
    pub async fn table_maintenance(&mut self) -> Result<Vec<TableMaintenance>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            schema: String,
            #[diesel(sql_type = Text)]
            name: String,
            #[diesel(sql_type = BigInt)]
            live_tuples: i64,
            #[diesel(sql_type = BigInt)]
            dead_tuples: i64,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            last_vacuum: Option<DateTime<Utc>>,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            last_autovacuum: Option<DateTime<Utc>>,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            last_analyze: Option<DateTime<Utc>>,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            last_autoanalyze: Option<DateTime<Utc>>,
        }
        let rows: Vec<Row> = sql_query(
            "SELECT schemaname::text AS schema, relname::text AS name,
                    n_live_tup AS live_tuples, n_dead_tup AS dead_tuples,
                    last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
             FROM pg_catalog.pg_stat_user_tables
             ORDER BY n_dead_tup DESC, schemaname, relname",
        )
        .load(&mut self.conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TableMaintenance {
                schema: r.schema,
                name: r.name,
                live_tuples: r.live_tuples,
                dead_tuples: r.dead_tuples,
                last_vacuum: r.last_vacuum,
                last_autovacuum: r.last_autovacuum,
                last_analyze: r.last_analyze,
                last_autoanalyze: r.last_autoanalyze,
            })
            .collect())
    }

    /// Rows in `risk.audit_logs_default`: audit rows written for a month that
    /// had no partition yet (counted by `risk.audit_default_partition_rows()`,
    /// without reading them). Anything above zero means partition maintenance
    /// is late.
    pub async fn audit_default_partition_rows(&mut self) -> Result<i64> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let row: Row = sql_query("SELECT risk.audit_default_partition_rows() AS n")
            .get_result(&mut self.conn)
            .await?;
        Ok(row.n)
    }

    /// The embedded migrations compared with those the database records.
    pub async fn migration_state(&mut self) -> Result<MigrationState> {
        #[derive(QueryableByName)]
        struct Exists {
            #[diesel(sql_type = Bool)]
            present: bool,
        }
        #[derive(QueryableByName)]
        struct Version {
            #[diesel(sql_type = Text)]
            version: String,
        }
        let table: Exists = sql_query(
            "SELECT pg_catalog.to_regclass('public.__diesel_schema_migrations') IS NOT NULL AS present",
        )
        .get_result(&mut self.conn)
        .await?;
        let applied: Vec<String> = if table.present {
            sql_query("SELECT version::text AS version FROM public.__diesel_schema_migrations")
                .load::<Version>(&mut self.conn)
                .await?
                .into_iter()
                .map(|v| v.version)
                .collect()
        } else {
            Vec::new()
        };
        let known = migrations::known_versions();
        let mut unknown: Vec<String> = applied
            .iter()
            .filter(|v| !known.contains(v))
            .cloned()
            .collect();
        unknown.sort();
        let pending = known.into_iter().filter(|v| !applied.contains(v)).collect();
        Ok(MigrationState { pending, unknown })
    }
}

/// Whether a `shared_preload_libraries` value loads pg_stat_statements: a
/// list such as `'pg_stat_statements, auto_explain'`, whose names may be
/// quoted or given as paths (`$libdir/pg_stat_statements.so`).
fn preloads_pg_stat_statements(setting: &str) -> bool {
    setting.split(',').any(|lib| {
        let lib = lib.trim().trim_matches('"');
        let lib = lib.rsplit('/').next().unwrap_or(lib);
        lib.strip_suffix(".so").unwrap_or(lib) == "pg_stat_statements"
    })
}

/// The state of a session, as `pg_stat_activity` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SessionState {
    /// Running a statement.
    Active,
    /// Waiting for a command, outside a transaction.
    Idle,
    /// Inside a transaction, waiting for its next command.
    IdleInTransaction,
    /// Inside a transaction that failed, waiting for its ROLLBACK.
    IdleInTransactionAborted,
    /// Running a fast-path function call.
    FastpathFunctionCall,
    /// `track_activities` is off for this session.
    Disabled,
    /// Not shown to the monitoring role (another role's session, seen
    /// without `pg_monitor`).
    Hidden,
    /// A state this library does not know (a newer server).
    Other(String),
}

impl SessionState {
    fn from_column(state: Option<String>) -> Self {
        match state.as_deref() {
            None => Self::Hidden,
            Some("active") => Self::Active,
            Some("idle") => Self::Idle,
            Some("idle in transaction") => Self::IdleInTransaction,
            Some("idle in transaction (aborted)") => Self::IdleInTransactionAborted,
            Some("fastpath function call") => Self::FastpathFunctionCall,
            Some("disabled") => Self::Disabled,
            Some(other) => Self::Other(other.to_owned()),
        }
    }

    /// PostgreSQL's own name for the state (`"hidden"` when it was not shown).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
            Self::IdleInTransaction => "idle in transaction",
            Self::IdleInTransactionAborted => "idle in transaction (aborted)",
            Self::FastpathFunctionCall => "fastpath function call",
            Self::Disabled => "disabled",
            Self::Hidden => "hidden",
            Self::Other(s) => s,
        }
    }
}

/// Connections in one state from one application
/// ([`Monitor::connections`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ConnectionCount {
    /// Their state.
    pub state: SessionState,
    /// Their `application_name` (empty when unset).
    pub application_name: String,
    /// How many.
    pub connections: i64,
}

/// One session of interest ([`Monitor::long_running_queries`],
/// [`Monitor::idle_in_transaction`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Session {
    /// Its server process id (for `pg_cancel_backend` / `pg_terminate_backend`).
    pub pid: i32,
    /// The role it logged in as.
    pub role: Option<String>,
    /// Its `application_name`.
    pub application_name: String,
    /// Its state.
    pub state: SessionState,
    /// Since its current (or last) statement started.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration::option", rename = "query_duration_ms")
    )]
    pub query_duration: Option<Duration>,
    /// Since its state last changed.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration::option", rename = "state_duration_ms")
    )]
    pub state_duration: Option<Duration>,
    /// Since its transaction began (`None` outside a transaction).
    #[cfg_attr(
        feature = "serde",
        serde(
            with = "super::serde_duration::option",
            rename = "transaction_duration_ms"
        )
    )]
    pub transaction_duration: Option<Duration>,
    /// The start of its statement's text (hidden without `pg_monitor`).
    pub query: Option<String>,
}

/// Why [`Monitor::slowest_statements`] has nothing to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum NotAvailable {
    /// The server does not load `pg_stat_statements`
    /// (`shared_preload_libraries`; a restart is needed to change it).
    NotPreloaded,
    /// It is loaded, but the extension does not exist in this database
    /// (`CREATE EXTENSION pg_stat_statements`, as the owner; the migrations do
    /// it when the server loads it).
    NotInstalled,
}

/// What [`Monitor::slowest_statements`] found.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "status", content = "statements", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum StatementStats {
    /// The statements, slowest on average first.
    Available(Vec<StatementStat>),
    /// Why there are none to show.
    NotAvailable(NotAvailable),
}

/// One normalised statement's execution statistics (`pg_stat_statements`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct StatementStat {
    /// `queryid`, stable for a statement's shape.
    pub query_id: Option<i64>,
    /// The start of its normalised text (`$1` for each constant).
    pub query: Option<String>,
    /// Times it ran.
    pub calls: i64,
    /// Rows it returned or touched, in total.
    pub rows: i64,
    /// Time spent executing it, in total.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration", rename = "total_exec_time_ms")
    )]
    pub total_exec_time: Duration,
    /// Mean execution time.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration", rename = "mean_exec_time_ms")
    )]
    pub mean_exec_time: Duration,
    /// Standard deviation of the execution time.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration", rename = "stddev_exec_time_ms")
    )]
    pub stddev_exec_time: Duration,
    /// Longest execution.
    #[cfg_attr(
        feature = "serde",
        serde(with = "super::serde_duration", rename = "max_exec_time_ms")
    )]
    pub max_exec_time: Duration,
}

/// One table's (or materialized view's) size on disk ([`Monitor::relation_sizes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RelationSize {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// A partitioned table: the sizes are its partitions' together.
    pub partitioned: bool,
    /// A partition of a partitioned table (also counted in its parent).
    pub partition: bool,
    /// The heap with its TOAST table and maps (`pg_table_size`).
    pub table_bytes: i64,
    /// All its indexes (`pg_indexes_size`).
    pub index_bytes: i64,
    /// Both (`pg_total_relation_size`).
    pub total_bytes: i64,
}

/// One schema's tables together ([`Monitor::schema_sizes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SchemaSize {
    /// The schema.
    pub schema: String,
    /// Tables, partitions and materialized views counted.
    pub tables: usize,
    /// Their heaps.
    pub table_bytes: i64,
    /// Their indexes.
    pub index_bytes: i64,
    /// Both.
    pub total_bytes: i64,
}

/// Blocks found in shared buffers (`hit`) and read from the operating
/// system (`read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct BlockCounts {
    /// Found in shared buffers.
    pub hit: i64,
    /// Read from outside them.
    pub read: i64,
}

impl BlockCounts {
    /// `hit / (hit + read)`, between 0 and 1; `None` before any block was needed.
    pub fn ratio(&self) -> Option<f64> {
        let total = self.hit + self.read;
        (total > 0).then(|| self.hit as f64 / total as f64)
    }
}

/// The cache hit ratio ([`Monitor::cache_hit_ratio`]); below 0.99 on a
/// busy database usually means `shared_buffers` is too small for the hot set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CacheHitRatio {
    /// Every block of the database (`pg_stat_database`).
    pub database: BlockCounts,
    /// The user tables' heaps (`pg_statio_user_tables`).
    pub tables: BlockCounts,
    /// The user tables' indexes.
    pub indexes: BlockCounts,
}

/// One table's tuples and vacuum history ([`Monitor::table_maintenance`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TableMaintenance {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Live tuples (an estimate the statistics keep).
    pub live_tuples: i64,
    /// Dead tuples waiting for vacuum.
    pub dead_tuples: i64,
    /// The last `VACUUM` by hand.
    pub last_vacuum: Option<DateTime<Utc>>,
    /// The last autovacuum.
    pub last_autovacuum: Option<DateTime<Utc>>,
    /// The last `ANALYZE` by hand.
    pub last_analyze: Option<DateTime<Utc>>,
    /// The last autoanalyze.
    pub last_autoanalyze: Option<DateTime<Utc>>,
}

impl TableMaintenance {
    /// The later of the last vacuum and the last autovacuum.
    pub fn last_vacuumed(&self) -> Option<DateTime<Utc>> {
        self.last_vacuum.max(self.last_autovacuum)
    }
}

/// The embedded migrations against the database's record of them
/// ([`Monitor::migration_state`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MigrationState {
    /// Embedded in this build, not applied to the database: run the migrations.
    pub pending: Vec<String>,
    /// Applied to the database, unknown to this build: the database was
    /// migrated by a newer build (this one refuses to migrate it).
    pub unknown: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preload_setting_is_read_by_library_name() {
        for loaded in [
            "pg_stat_statements",
            "auto_explain, pg_stat_statements",
            "\"pg_stat_statements\"",
            "$libdir/pg_stat_statements.so",
            " pg_stat_statements ,auto_explain",
        ] {
            assert!(preloads_pg_stat_statements(loaded), "{loaded}");
        }
        for not_loaded in [
            "",
            "auto_explain",
            "pg_stat_statements_extra",
            "my_pg_stat_statements",
        ] {
            assert!(!preloads_pg_stat_statements(not_loaded), "{not_loaded}");
        }
    }
}
