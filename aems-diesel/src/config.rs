//! How to reach the database: a typed configuration, from code or environment.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::pg::PoolerMode;

#[cfg(feature = "serde")]
mod de;

/// Settings for [`Database`](crate::Database), from code, from the environment
/// ([`from_env`](Self::from_env)), or with feature `serde` from any
/// configuration format (keys as in `from_env`, see its `Deserialize` impl).
///
/// ```
/// use aems_diesel::DatabaseConfig;
/// use std::time::Duration;
///
/// let config = DatabaseConfig::new("postgres://aems_app:secret@localhost/aems")
///     .max_connections(32)
///     .acquire_timeout(Duration::from_secs(2))
///     // behind PgBouncer in transaction-pooling mode:
///     .statement_cache(false);
/// assert_eq!(config.max_connections, 32);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// A libpq-style URL, `postgres://user:password@host:port/database`.
    pub url: String,
    /// Most connections the pool opens.
    pub max_connections: usize,
    /// How long opening one connection may take before
    /// [`Error::PoolTimeout`](crate::Error::PoolTimeout).
    pub connect_timeout: Duration,
    /// How long to wait for a free connection before
    /// [`Error::PoolTimeout`](crate::Error::PoolTimeout).
    pub acquire_timeout: Duration,
    /// Keep prepared statements per connection (diesel's statement cache).
    /// Turn it off behind a bouncer in transaction-pooling mode, where the next
    /// transaction may run on another server connection.
    pub statement_cache: bool,
    /// Whether connections go through a transaction-pooling bouncer (detected
    /// by default; see [`PoolerMode`]).
    pub pooler: PoolerMode,
    /// Where [`ops`](crate::ops) reads the server's health: a URL as a member
    /// of `aems_monitor` (PostgreSQL's `pg_monitor`, see `docs/operations.md`).
    /// `None`: the pool's own [`url`](Self::url), whose role sees only its own
    /// sessions — health then says so
    /// ([`HealthReason::MonitorLacksPgMonitor`](crate::ops::HealthReason::MonitorLacksPgMonitor)).
    pub monitor_url: Option<String>,
    /// Streaming replicas of the same database, as URLs like [`url`](Self::url)
    /// (the same login role: roles are replicated with everything else).
    /// Empty by default: then every read runs on the primary and nothing
    /// differs from a configuration without this field. Only the explicitly
    /// read-only executors ([`Database::read`](crate::Database::read)) use them.
    pub replica_urls: Vec<String>,
    /// A replica further behind its primary than this is skipped (the primary
    /// serves its reads) until it has caught up. Default 5 s.
    pub max_replica_lag: Duration,
    /// How old a replica's last health check may be before the next read
    /// that could use it starts a new one (in a task of its own, bounded by
    /// [`connect_timeout`](Self::connect_timeout)). Default 1 s.
    pub replica_check_interval: Duration,
    /// How long a read given a [`CommitToken`](crate::CommitToken) waits for
    /// a replica to replay that commit before it reads on the primary instead.
    /// Default 100 ms.
    pub read_your_writes_timeout: Duration,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_cache", &self.statement_cache)
            .field("pooler", &self.pooler)
            .field("monitor_url", &self.monitor_url.as_deref().map(redact_url))
            .field(
                "replica_urls",
                &self
                    .replica_urls
                    .iter()
                    .map(|u| redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("max_replica_lag", &self.max_replica_lag)
            .field("replica_check_interval", &self.replica_check_interval)
            .field("read_your_writes_timeout", &self.read_your_writes_timeout)
            .finish()
    }
}

impl DatabaseConfig {
    /// Defaults: 16 connections, 10 s to connect, 30 s to wait for a connection,
    /// statement cache on, no replicas.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            connect_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
            statement_cache: true,
            pooler: PoolerMode::Detect,
            monitor_url: None,
            replica_urls: Vec::new(),
            max_replica_lag: Duration::from_secs(5),
            replica_check_interval: Duration::from_secs(1),
            read_your_writes_timeout: Duration::from_millis(100),
        }
    }

    /// Reads the configuration from the environment:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `AEMS_DATABASE_URL` (or `DATABASE_URL`) | the URL | required |
    /// | `AEMS_DB_MAX_CONNECTIONS` | pool size | 16 |
    /// | `AEMS_DB_CONNECT_TIMEOUT_MS` | connect timeout | 10000 |
    /// | `AEMS_DB_ACQUIRE_TIMEOUT_MS` | pool wait | 30000 |
    /// | `AEMS_DB_STATEMENT_CACHE` | `true`/`false` | true |
    /// | `AEMS_DB_POOLER` | `detect`, `direct` or `transaction` (see [`PoolerMode`]) | detect |
    /// | `AEMS_MONITOR_DATABASE_URL` (or `AEMS_MIGRATION_DATABASE_URL`) | [`monitor_url`](Self::monitor_url) | none |
    /// | `AEMS_DATABASE_REPLICA_URLS` | replica URLs, comma-separated (see [`replica_urls`](Self::replica_urls)) | none |
    /// | `AEMS_DB_MAX_REPLICA_LAG_MS` | [`max_replica_lag`](Self::max_replica_lag) | 5000 |
    /// | `AEMS_DB_REPLICA_CHECK_INTERVAL_MS` | [`replica_check_interval`](Self::replica_check_interval) | 1000 |
    /// | `AEMS_DB_READ_YOUR_WRITES_TIMEOUT_MS` | [`read_your_writes_timeout`](Self::read_your_writes_timeout) | 100 |
    ///
    /// The replica list is split at commas; a piece that does not begin with
    /// `postgres://` or `postgresql://` continues the URL before it, so a
    /// multi-host URL (`postgres://u@h1:5432,h2:5432/aems`) stays whole.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), with the variables looked up by `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url = lookup("AEMS_DATABASE_URL")
            .or_else(|| lookup("DATABASE_URL"))
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("AEMS_DATABASE_URL (or DATABASE_URL) is not set".into())
            })?;
        let mut config = Self::new(url);
        if let Some(v) = lookup("AEMS_DB_MAX_CONNECTIONS") {
            config.max_connections = parse_number("AEMS_DB_MAX_CONNECTIONS", &v)?;
            if config.max_connections == 0 {
                return Err(Error::Config(
                    "AEMS_DB_MAX_CONNECTIONS must be at least 1".into(),
                ));
            }
        }
        if let Some(v) = lookup("AEMS_DB_CONNECT_TIMEOUT_MS") {
            config.connect_timeout =
                Duration::from_millis(parse_number("AEMS_DB_CONNECT_TIMEOUT_MS", &v)?);
        }
        if let Some(v) = lookup("AEMS_DB_ACQUIRE_TIMEOUT_MS") {
            config.acquire_timeout =
                Duration::from_millis(parse_number("AEMS_DB_ACQUIRE_TIMEOUT_MS", &v)?);
        }
        if let Some(v) = lookup("AEMS_DB_STATEMENT_CACHE") {
            config.statement_cache = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                other => {
                    return Err(Error::Config(format!(
                        "AEMS_DB_STATEMENT_CACHE must be true or false, not {other:?}"
                    )));
                }
            };
        }
        if let Some(v) = lookup("AEMS_DB_POOLER") {
            config.pooler = match v.trim().to_ascii_lowercase().as_str() {
                "detect" => PoolerMode::Detect,
                "direct" => PoolerMode::Direct,
                "transaction" => PoolerMode::TransactionPooler,
                other => {
                    return Err(Error::Config(format!(
                        "AEMS_DB_POOLER must be detect, direct or transaction, not {other:?}"
                    )));
                }
            };
        }
        config.monitor_url = lookup("AEMS_MONITOR_DATABASE_URL")
            .or_else(|| lookup("AEMS_MIGRATION_DATABASE_URL"))
            .filter(|u| !u.trim().is_empty());
        if let Some(v) = lookup("AEMS_DATABASE_REPLICA_URLS") {
            config.replica_urls = split_replica_urls(&v)?;
        }
        for (name, field) in [
            ("AEMS_DB_MAX_REPLICA_LAG_MS", &mut config.max_replica_lag),
            (
                "AEMS_DB_REPLICA_CHECK_INTERVAL_MS",
                &mut config.replica_check_interval,
            ),
            (
                "AEMS_DB_READ_YOUR_WRITES_TIMEOUT_MS",
                &mut config.read_your_writes_timeout,
            ),
        ] {
            if let Some(v) = lookup(name) {
                *field = Duration::from_millis(parse_number(name, &v)?);
            }
        }
        Ok(config)
    }

    /// Sets [`replica_urls`](Self::replica_urls).
    pub fn replicas<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.replica_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`max_replica_lag`](Self::max_replica_lag).
    pub fn max_replica_lag(mut self, lag: Duration) -> Self {
        self.max_replica_lag = lag;
        self
    }

    /// Sets [`replica_check_interval`](Self::replica_check_interval).
    pub fn replica_check_interval(mut self, interval: Duration) -> Self {
        self.replica_check_interval = interval;
        self
    }

    /// Sets [`read_your_writes_timeout`](Self::read_your_writes_timeout).
    pub fn read_your_writes_timeout(mut self, timeout: Duration) -> Self {
        self.read_your_writes_timeout = timeout;
        self
    }

    /// Sets [`monitor_url`](Self::monitor_url).
    pub fn monitor_url(mut self, url: impl Into<String>) -> Self {
        self.monitor_url = Some(url.into());
        self
    }

    /// Sets [`pooler`](Self::pooler).
    pub fn pooler(mut self, mode: PoolerMode) -> Self {
        self.pooler = mode;
        self
    }

    /// Sets [`max_connections`](Self::max_connections).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`acquire_timeout`](Self::acquire_timeout).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Sets [`statement_cache`](Self::statement_cache).
    pub fn statement_cache(mut self, on: bool) -> Self {
        self.statement_cache = on;
        self
    }
}

/// `AEMS_DATABASE_REPLICA_URLS`: URLs separated by commas, where a piece that
/// does not start a URL belongs to the one before (multi-host URLs).
fn split_replica_urls(value: &str) -> Result<Vec<String>> {
    let starts_url = |piece: &str| {
        let lower = piece.to_ascii_lowercase();
        lower.starts_with("postgres://") || lower.starts_with("postgresql://")
    };
    let mut urls: Vec<String> = Vec::new();
    for piece in value.split(',').map(str::trim) {
        if piece.is_empty() {
            continue;
        }
        match urls.last_mut() {
            Some(last) if !starts_url(piece) => {
                last.push(',');
                last.push_str(piece);
            }
            _ if starts_url(piece) => urls.push(piece.to_owned()),
            _ => {
                return Err(Error::Config(
                    "AEMS_DATABASE_REPLICA_URLS must hold postgres:// URLs separated by commas"
                        .into(),
                ));
            }
        }
    }
    Ok(urls)
}

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("{name} must be a whole number, not {value:?}")))
}

/// What a password is replaced with.
const HIDDEN: &str = "***";

/// The connection string with every password replaced, for logs and `Debug`.
///
/// libpq takes a password in three places, and each is hidden: the user
/// information of a `postgres://` / `postgresql://` URL, its `password` and
/// `sslpassword` query parameters, and the same keys of the `key=value` form
/// (plain, quoted or escaped values). A `key=value` string that cannot be
/// parsed is not shown at all: it might hold a password where this parser does
/// not look for one.
pub(crate) fn redact_url(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        redact_uri(url)
    } else {
        redact_key_values(url)
            .unwrap_or_else(|| "[a connection string that cannot be parsed, not shown]".into())
    }
}

fn is_secret_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword")
}

fn redact_uri(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    // The query starts at the first '?'; the user information is what comes
    // before the last '@' of the authority (which ends at the first '/').
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:{HIDDEN}@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _value)) if is_secret_key(key) => format!("{key}={HIDDEN}"),
                _ => param.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// The `key=value` form (libpq's rules: whitespace around `=` allowed, values
/// single-quoted or not, `\` escapes the next character), re-written with each
/// secret value hidden; `None` when it is not well formed.
fn redact_key_values(text: &str) -> Option<String> {
    let mut chars = text.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if key.is_empty() || chars.next() != Some('=') {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next()?);
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push(if is_secret_key(&key) {
            format!("{key}={HIDDEN}")
        } else if value.is_empty()
            || value
                .chars()
                .any(|c| c.is_whitespace() || c == '\'' || c == '\\')
        {
            let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
            format!("{key}='{escaped}'")
        } else {
            format!("{key}={value}")
        });
    }
    Some(pairs.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_overrides_every_default() {
        let config = DatabaseConfig::from_lookup(env(&[
            ("AEMS_DATABASE_URL", "postgres://a@h/d"),
            ("AEMS_DB_MAX_CONNECTIONS", "3"),
            ("AEMS_DB_CONNECT_TIMEOUT_MS", "1500"),
            ("AEMS_DB_ACQUIRE_TIMEOUT_MS", "250"),
            ("AEMS_DB_STATEMENT_CACHE", "off"),
        ]))
        .unwrap();
        assert_eq!(config.url, "postgres://a@h/d");
        assert_eq!(config.max_connections, 3);
        assert_eq!(config.connect_timeout, Duration::from_millis(1500));
        assert_eq!(config.acquire_timeout, Duration::from_millis(250));
        assert!(!config.statement_cache);
    }

    #[test]
    fn replica_urls_and_their_bounds_come_from_the_environment() {
        let config = DatabaseConfig::from_lookup(env(&[
            ("AEMS_DATABASE_URL", "postgres://a@h/d"),
            (
                "AEMS_DATABASE_REPLICA_URLS",
                "postgres://a:s@r1/d, postgresql://a@r2:1,r3:2/d,,",
            ),
            ("AEMS_DB_MAX_REPLICA_LAG_MS", "250"),
            ("AEMS_DB_REPLICA_CHECK_INTERVAL_MS", "20"),
            ("AEMS_DB_READ_YOUR_WRITES_TIMEOUT_MS", "7"),
        ]))
        .unwrap();
        assert_eq!(
            config.replica_urls,
            ["postgres://a:s@r1/d", "postgresql://a@r2:1,r3:2/d"]
        );
        assert_eq!(config.max_replica_lag, Duration::from_millis(250));
        assert_eq!(config.replica_check_interval, Duration::from_millis(20));
        assert_eq!(config.read_your_writes_timeout, Duration::from_millis(7));
        assert!(!format!("{config:?}").contains(":s@"), "{config:?}");

        let none = DatabaseConfig::from_lookup(env(&[("AEMS_DATABASE_URL", "postgres://a@h/d")]));
        assert!(none.unwrap().replica_urls.is_empty());
        let bad = DatabaseConfig::from_lookup(env(&[
            ("AEMS_DATABASE_URL", "postgres://a@h/d"),
            ("AEMS_DATABASE_REPLICA_URLS", "r1:5432"),
        ]))
        .unwrap_err();
        assert!(matches!(bad, Error::Config(m) if m.contains("AEMS_DATABASE_REPLICA_URLS")));
    }

    #[test]
    fn database_url_is_the_fallback_and_a_missing_url_is_a_config_error() {
        let config = DatabaseConfig::from_lookup(env(&[("DATABASE_URL", "postgres://x@y/z")]));
        assert_eq!(config.unwrap().url, "postgres://x@y/z");
        let missing = DatabaseConfig::from_lookup(env(&[])).unwrap_err();
        assert!(matches!(missing, Error::Config(m) if m.contains("AEMS_DATABASE_URL")));
    }

    #[test]
    fn malformed_numbers_and_flags_are_refused_with_their_name() {
        for (name, value) in [
            ("AEMS_DB_MAX_CONNECTIONS", "many"),
            ("AEMS_DB_MAX_CONNECTIONS", "0"),
            ("AEMS_DB_CONNECT_TIMEOUT_MS", "-1"),
            ("AEMS_DB_STATEMENT_CACHE", "maybe"),
        ] {
            let err = DatabaseConfig::from_lookup(env(&[
                ("AEMS_DATABASE_URL", "postgres://a@h/d"),
                (name, value),
            ]))
            .unwrap_err();
            assert!(
                matches!(&err, Error::Config(m) if m.contains(name)),
                "{name}={value}: {err}"
            );
        }
    }

    #[test]
    fn the_monitor_url_comes_from_its_variable_else_the_migration_url() {
        let url = ("AEMS_DATABASE_URL", "postgres://a@h/d");
        let both = DatabaseConfig::from_lookup(env(&[
            url,
            ("AEMS_MONITOR_DATABASE_URL", "postgres://mon@h/d"),
            ("AEMS_MIGRATION_DATABASE_URL", "postgres://owner@h/d"),
        ]))
        .unwrap();
        assert_eq!(both.monitor_url.as_deref(), Some("postgres://mon@h/d"));
        let owner = DatabaseConfig::from_lookup(env(&[
            url,
            ("AEMS_MIGRATION_DATABASE_URL", "postgres://owner@h/d"),
        ]))
        .unwrap();
        assert_eq!(owner.monitor_url.as_deref(), Some("postgres://owner@h/d"));
        let none = DatabaseConfig::from_lookup(env(&[url])).unwrap();
        assert_eq!(none.monitor_url, None);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let config = DatabaseConfig::new("postgres://app:hunter2@db:5432/aems")
            .monitor_url("postgres://mon:hunter3@db/aems");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("hunter3"), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/aems"), "{shown}");
    }

    /// Every form libpq accepts a password in: the URL's user information, a
    /// `password` (or `sslpassword`) query parameter, and the `key=value`
    /// form with plain, quoted and escaped values.
    #[test]
    fn redaction_hides_the_password_in_every_form_a_connection_string_takes() {
        for (url, shown) in [
            (
                "postgres://app:hunter2@db:5432/aems",
                "postgres://app:***@db:5432/aems",
            ),
            (
                "postgresql://app:hunter2@db/aems?sslmode=require",
                "postgresql://app:***@db/aems?sslmode=require",
            ),
            (
                "postgres://app:hun%40ter2@db1:5432,db2:5433/aems",
                "postgres://app:***@db1:5432,db2:5433/aems",
            ),
            (
                "postgres://app@db/aems?password=hunter2",
                "postgres://app@db/aems?password=***",
            ),
            (
                "postgres://db/aems?user=app&PASSWORD=hunter2&application_name=x",
                "postgres://db/aems?user=app&PASSWORD=***&application_name=x",
            ),
            (
                "postgres://app@db/aems?sslpassword=hunter2&sslmode=verify-full",
                "postgres://app@db/aems?sslpassword=***&sslmode=verify-full",
            ),
            (
                "host=db user=app password=hunter2 dbname=aems",
                "host=db user=app password=*** dbname=aems",
            ),
            (
                "host=db password = 'hunter 2' dbname=aems",
                "host=db password=*** dbname=aems",
            ),
            (r"password='it\'s hunter2' host=db", "password=*** host=db"),
            (r"password=hun\ ter2 host=db", "password=*** host=db"),
            ("sslpassword=hunter2 host=db", "sslpassword=*** host=db"),
            ("postgres://app@db/aems", "postgres://app@db/aems"),
            ("host=db user=app", "host=db user=app"),
        ] {
            let redacted = redact_url(url);
            assert_eq!(redacted, shown, "{url}");
            assert!(!redacted.contains("hunter"), "{url} -> {redacted}");
        }
        // What cannot be parsed is not shown at all.
        for broken in ["password='hunter2", "host=db password", "= hunter2"] {
            let redacted = redact_url(broken);
            assert!(!redacted.contains("hunter"), "{broken} -> {redacted}");
        }
    }
}
