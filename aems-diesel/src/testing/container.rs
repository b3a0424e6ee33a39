//! A PostgreSQL container through testcontainers.
//!
//! The image is `AEMS_TEST_PG_IMAGE` (`name:tag`), default the official
//! `postgres:15-alpine`. Any image whose entrypoint behaves like the official
//! one works, such as the one `scripts/build-pg-image.sh` builds from Debian
//! packages where no registry is reachable. A failed pull or a missing engine
//! is reported, and the harness falls through to the next backend.

use std::time::Duration;

use testcontainers::ImageExt;
use testcontainers::runners::AsyncRunner;
use testcontainers_modules::postgres::Postgres;

use super::watchdog::Plan;
use super::{HarnessError, ServerAddress, StartedServer};

/// The image used when `AEMS_TEST_PG_IMAGE` is not set.
pub const DEFAULT_IMAGE: &str = "postgres:15-alpine";

pub(crate) async fn start(run_id: &str) -> Result<StartedServer, HarnessError> {
    let image = std::env::var("AEMS_TEST_PG_IMAGE")
        .ok()
        .filter(|i| !i.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
    let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
    let password = uuid::Uuid::new_v4().simple().to_string();
    let container = Postgres::default()
        .with_password(&password)
        .with_name(name)
        .with_tag(tag)
        .with_label("aems.test.run", run_id)
        .with_cmd([
            "postgres",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
            "-c",
            "shared_preload_libraries=pg_stat_statements",
        ])
        .with_startup_timeout(Duration::from_secs(120))
        .start()
        .await
        .map_err(|e| HarnessError::setup(format!("image {image}"), e))?;
    let id = container.id().to_owned();
    let host = match container.get_host().await {
        Ok(h) => h.to_string(),
        Err(e) => {
            let _ = container.rm().await;
            return Err(HarnessError::setup(format!("container {id}: no host"), e));
        }
    };
    let port = match container.get_host_port_ipv4(5432).await {
        Ok(p) => p,
        Err(e) => {
            let _ = container.rm().await;
            return Err(HarnessError::setup(
                format!("container {id}: port 5432 not published"),
                e,
            ));
        }
    };
    Ok(StartedServer {
        admin: ServerAddress {
            host: if host == "localhost" {
                "127.0.0.1".into()
            } else {
                host
            },
            port,
            user: "postgres".into(),
            password,
        },
        maintenance_db: "postgres".into(),
        keep: vec![Box::new(container)],
        watchdog: Plan::RemoveContainer { id },
    })
}
