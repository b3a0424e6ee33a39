//! `risk` tables through their repositories.

mod compliance_records;
mod risk_assessments;

use aems_core::EmployeeId;
use uuid::Uuid;

use crate::fixture::Seeded;
use crate::support::{TwoTenants, admin};

/// Runs `sql` as the administrator (bypassing row-level security and the
/// library), in one transaction carrying `who`'s tenant and actor for the
/// audit trail, in UTC. Panics with the database's message when it fails.
pub async fn as_admin(t: &TwoTenants, who: &Seeded, sql: &str) {
    try_as_admin(t, who, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
}

/// [`as_admin`], returning the database's refusal instead of panicking.
pub async fn try_as_admin(
    t: &TwoTenants,
    who: &Seeded,
    sql: &str,
) -> Result<(), tokio_postgres::Error> {
    let client = admin(&t.db).await;
    let result = client
        .batch_execute(&format!(
            "BEGIN;
             SET LOCAL TIME ZONE 'UTC';
             SELECT set_config('app.current_tenant_id', '{}', true),
                    set_config('app.current_user_id', '{}', true);
             {sql}
             COMMIT;",
            who.tenant, who.user
        ))
        .await;
    if result.is_err() {
        client.batch_execute("ROLLBACK").await.unwrap();
    }
    result
}

/// A further employee of `who`'s tenant.
pub async fn add_employee(t: &TwoTenants, who: &Seeded, label: &str) -> EmployeeId {
    let id = Uuid::now_v7();
    as_admin(
        t,
        who,
        &format!(
            "INSERT INTO hr.employees (id, tenant_id, employee_id, first_name, last_name, email,
                    department, job_title, hire_date, employment_type, created_by, updated_by)
                VALUES ('{id}', '{tenant}', 'E-{label}', 'Emmy', '{label}', '{label}@staff.example.com',
                    'Risk', 'Analyst', '2024-02-01', 'full_time', '{user}', '{user}');",
            tenant = who.tenant,
            user = who.user
        ),
    )
    .await;
    EmployeeId::from_uuid(id)
}

/// The constraint a refused statement named.
pub fn constraint_of(error: &tokio_postgres::Error) -> Option<&str> {
    error.as_db_error().and_then(|e| e.constraint())
}
