//! `DatabaseConfig` from a configuration file (feature `serde`): the keys are
//! those of the environment variables, in lower case and without their
//! `AEMS_DB_` prefix, and they are checked as [`DatabaseConfig::from_env`]
//! checks the variables.

use std::time::Duration;

use serde::de::Error as _;

use super::DatabaseConfig;

/// What a file may say; everything but the URL keeps its default when absent.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    url: String,
    max_connections: Option<usize>,
    connect_timeout_ms: Option<u64>,
    acquire_timeout_ms: Option<u64>,
    statement_cache: Option<bool>,
    monitor_url: Option<String>,
    replica_urls: Option<Vec<String>>,
    max_replica_lag_ms: Option<u64>,
    replica_check_interval_ms: Option<u64>,
    read_your_writes_timeout_ms: Option<u64>,
}

/// Deserializes from a table such as (TOML; any serde format works):
///
/// ```toml
/// url = "postgres://aems_app:secret@db/aems"   # required
/// max_connections = 32                         # default 16
/// connect_timeout_ms = 10000                   # default 10000
/// acquire_timeout_ms = 30000                   # default 30000
/// statement_cache = true                       # default true
/// monitor_url = "postgres://aems_monitor:…@db/aems"  # default none (see ops)
/// replica_urls = ["postgres://aems_app:secret@replica1/aems"]  # default none
/// max_replica_lag_ms = 5000                    # default 5000
/// replica_check_interval_ms = 1000             # default 1000
/// read_your_writes_timeout_ms = 100            # default 100
/// ```
///
/// A key it does not know is refused rather than ignored (a misspelt key
/// would silently keep its default), as are a blank URL and
/// `max_connections = 0`.
impl<'de> serde::Deserialize<'de> for DatabaseConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let settings = Settings::deserialize(deserializer)?;
        if settings.url.trim().is_empty() {
            return Err(D::Error::custom("url must not be blank"));
        }
        let mut config = DatabaseConfig::new(settings.url);
        if let Some(n) = settings.max_connections {
            if n == 0 {
                return Err(D::Error::custom("max_connections must be at least 1"));
            }
            config.max_connections = n;
        }
        if let Some(ms) = settings.connect_timeout_ms {
            config.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = settings.acquire_timeout_ms {
            config.acquire_timeout = Duration::from_millis(ms);
        }
        if let Some(on) = settings.statement_cache {
            config.statement_cache = on;
        }
        config.monitor_url = settings.monitor_url.filter(|u| !u.trim().is_empty());
        if let Some(urls) = settings.replica_urls {
            if urls.iter().any(|u| u.trim().is_empty()) {
                return Err(D::Error::custom("replica_urls must not hold a blank URL"));
            }
            config.replica_urls = urls;
        }
        if let Some(ms) = settings.max_replica_lag_ms {
            config.max_replica_lag = Duration::from_millis(ms);
        }
        if let Some(ms) = settings.replica_check_interval_ms {
            config.replica_check_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = settings.read_your_writes_timeout_ms {
            config.read_your_writes_timeout = Duration::from_millis(ms);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<DatabaseConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn every_key_is_read_and_absent_ones_keep_their_default() {
        let config = parse(
            r#"{"url": "postgres://a:b@h/d", "max_connections": 3,
                "connect_timeout_ms": 1500, "acquire_timeout_ms": 250,
                "statement_cache": false}"#,
        )
        .unwrap();
        assert_eq!(config.url, "postgres://a:b@h/d");
        assert_eq!(config.max_connections, 3);
        assert_eq!(config.connect_timeout, Duration::from_millis(1500));
        assert_eq!(config.acquire_timeout, Duration::from_millis(250));
        assert!(!config.statement_cache);

        let defaults = parse(r#"{"url": "postgres://a@h/d"}"#).unwrap();
        let expected = DatabaseConfig::new("postgres://a@h/d");
        assert_eq!(defaults.max_connections, expected.max_connections);
        assert_eq!(defaults.connect_timeout, expected.connect_timeout);
        assert_eq!(defaults.acquire_timeout, expected.acquire_timeout);
        assert_eq!(defaults.statement_cache, expected.statement_cache);
    }

    #[test]
    fn unknown_keys_blank_urls_and_empty_pools_are_refused() {
        for (json, expected) in [
            (
                r#"{"url": "postgres://a@h/d", "max_conections": 3}"#,
                "max_conections",
            ),
            (r#"{"url": "  "}"#, "url must not be blank"),
            (r#"{"max_connections": 3}"#, "url"),
            (
                r#"{"url": "postgres://a@h/d", "max_connections": 0}"#,
                "at least 1",
            ),
            (
                r#"{"url": "postgres://a@h/d", "statement_cache": "maybe"}"#,
                "bool",
            ),
        ] {
            let error = parse(json).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }
}
