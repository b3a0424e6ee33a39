//! `finance` tables through their repositories.

mod budget_plans;
mod expense_transactions;
mod finance_metrics;
mod round_trips;

use aems_diesel::Context;
use uuid::Uuid;

use crate::support::{TwoTenants, admin};

/// Adds a user to tenant A (written as the administrator) and returns a
/// context acting as them.
pub async fn another_user_of_a(t: &TwoTenants, label: &str) -> Context {
    let (tenant, user) = (t.a.tenant, Uuid::now_v7());
    admin(&t.db)
        .await
        .batch_execute(&format!(
            "BEGIN;
             SELECT set_config('app.current_tenant_id', '{tenant}', true),
                    set_config('app.current_user_id', '{admin}', true);
             INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name)
             VALUES ('{user}', '{tenant}', '{label}@a.example.com', 'not-a-real-hash', 'Bo', '{label}');
             COMMIT;",
            admin = t.a.user
        ))
        .await
        .unwrap_or_else(|e| panic!("adding user {label} failed: {e}"));
    Context::new(
        aems_core::TenantId::from_uuid(tenant),
        aems_core::UserId::from_uuid(user),
    )
}

/// Returns once a session of this test's database is blocked waiting for a
/// lock: a concurrent unit of work has queued behind a row lock. Polls the
/// server (each poll a round trip) rather than sleeping.
pub async fn until_a_session_waits_for_a_lock(t: &TwoTenants) {
    let admin = admin(&t.db).await;
    for _ in 0..10_000 {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND usename = $1
                   AND wait_event_type = 'Lock'",
                &[&t.db.app_role()],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("no session ever waited for the lock");
}
