//! A tour of the A-EMS data layer, top to bottom:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no database configured it starts a throwaway PostgreSQL (see
//! `examples/support`), so it runs on a machine with nothing installed but the
//! PostgreSQL server binaries (or a Docker engine).

#[path = "support/mod.rs"]
mod support;

use aems::core::sales::customers::{CustomerSegment, NewCustomer};
use aems::core::{TenantId, UserId};
use aems::db::audit::AuditFilter;
use aems::db::prelude::*;
use aems::db::sales::CustomerFilter;
use chrono::NaiveDate;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::open().await?;
    let db = &example.database;

    // A tenant and its first admin. (Signup through the auth module replaces
    // this once it lands; until then the example writes them as the owner.)
    let (tenant, admin) = (TenantId::new(), UserId::new());
    seed_tenant(&example.owner_url, tenant, admin).await?;
    let ctx = Context::new(tenant, admin).with_user_agent("quickstart");
    println!("\ntenant {tenant}, admin {admin}");

    // Customers, created in one unit of work: BEGIN and the tenant context
    // travel with the first INSERT; COMMIT is the only extra round trip.
    let mut uow = db.unit_of_work(&ctx).await?;
    for (name, segment) in [
        ("Globex Corporation", CustomerSegment::Enterprise),
        ("Initech", CustomerSegment::MidMarket),
        ("Hooli Pharmacy", CustomerSegment::Smb),
    ] {
        let created = uow
            .customers()
            .create(NewCustomer::new(
                name.parse()?,
                format!(
                    "buyer@{}.example.com",
                    name.split(' ').next().unwrap().to_lowercase()
                )
                .parse()?,
                segment,
                NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            ))
            .await?;
        println!(
            "created customer {} ({})",
            created.company_name, created.customer_segment
        );
    }
    uow.commit().await?;

    // A page of them, and a filtered full-text search: one round trip each.
    let mut one_shot = db.one_shot(&ctx).await?;
    let page = one_shot
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(2))
        .await?;
    println!(
        "\nfirst page ({} of them, more: {}):",
        page.items.len(),
        page.next.is_some()
    );
    for c in &page.items {
        println!("  {} <{}>", c.company_name, c.contact_email);
    }
    let found = one_shot
        .customers()
        .list(
            &CustomerFilter::all().search("pharmacies"),
            PageRequest::default(),
        )
        .await?;
    println!(
        "search \"pharmacies\": {:?}",
        found
            .items
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>()
    );

    // What the database recorded, with who and from where.
    let trail = one_shot.audit().list(&AuditFilter::all(), None, 10).await?;
    println!("\naudit trail (newest first):");
    for entry in trail.items {
        println!(
            "  {} {} {} by {}",
            entry.timestamp.format("%H:%M:%S%.3f"),
            entry.action,
            entry.entity_type,
            entry.user_id.map(|u| u.to_string()).unwrap_or_default()
        );
    }
    Ok(())
}

/// Writes a tenant and its admin as the schema owner (a superuser for the
/// throwaway server), with the context the audit trail requires.
async fn seed_tenant(
    owner_url: &str,
    tenant: TenantId,
    admin: UserId,
) -> Result<(), Box<dyn std::error::Error>> {
    let (client, connection) = tokio_postgres::connect(owner_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "BEGIN;
             SELECT set_config('app.current_tenant_id', '{tenant}', true),
                    set_config('app.current_user_id', '{admin}', true);
             INSERT INTO auth.tenants (id, name, slug) VALUES ('{tenant}', 'Quickstart Ltd', 'quickstart-{tenant}');
             INSERT INTO auth.users (id, tenant_id, email, password_hash, first_name, last_name, role)
                 VALUES ('{admin}', '{tenant}', 'admin-{tenant}@quickstart.example.com', 'not-a-login', 'Ada', 'Admin', 'admin');
             COMMIT;"
        ))
        .await?;
    Ok(())
}
