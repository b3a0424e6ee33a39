//! How to reach the database: a typed configuration, from code or environment.

use std::time::Duration;

use crate::error::{Error, Result};

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
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long to wait for a free connection before [`Error::Pool`].
    pub acquire_timeout: Duration,
    /// Keep prepared statements per connection (diesel's statement cache).
    /// Turn it off behind a bouncer in transaction-pooling mode, where the next
    /// transaction may run on another server connection.
    pub statement_cache: bool,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_cache", &self.statement_cache)
            .finish()
    }
}

impl DatabaseConfig {
    /// Defaults: 16 connections, 10 s to connect, 30 s to wait for a connection,
    /// statement cache on.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            connect_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
            statement_cache: true,
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
        Ok(config)
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

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("{name} must be a whole number, not {value:?}")))
}

/// The URL with its password replaced, for logs and `Debug`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
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
    fn debug_never_shows_the_password() {
        let config = DatabaseConfig::new("postgres://app:hunter2@db:5432/aems");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/aems"), "{shown}");
    }
}
