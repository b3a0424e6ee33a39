//! The history of one customer through several changes, as the database
//! recorded it:
//!
//! ```text
//! cargo run --example audit_trail
//! ```
//!
//! Two users change the customer from two addresses; the trail shows who,
//! when, from where, and exactly which values changed — including the soft
//! delete and the restore. Nothing here writes to the trail by hand: the
//! database's triggers do, from the context each unit of work carries.

#[path = "support/mod.rs"]
mod support;

use aems::chrono::Utc;
use aems::core::auth::tenants::NewTenant;
use aems::core::auth::users::{NewUser, UserRole};
use aems::core::sales::customers::{CustomerPatch, CustomerSegment, CustomerStatus, NewCustomer};
use aems::core::{Password, UserSessionId};
use aems::db::auth::{AuthConfig, Authenticator, ClientInfo};
use aems::db::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::open().await?;
    let db = &example.database;
    let auth = Authenticator::new(db.clone(), AuthConfig::default())?;
    // Tenant names, slugs and e-mail addresses are unique: fresh ones per run.
    let names = support::RunNames::new();
    let (tenant, ada) = auth
        .signup(
            NewTenant::new(
                names.tenant("Audit Demo GmbH").parse()?,
                names.slug("audit-demo").parse()?,
            ),
            NewUser::new(
                names.email("ada", "audit").parse()?,
                Password::new("trail-Of-changes-26")?,
                "Ada".parse()?,
                "Admin".parse()?,
            ),
            &ClientInfo::new("198.51.100.1".parse()?),
        )
        .await?;
    let office = Context::new(tenant.id, ada.id)
        .with_ip("198.51.100.20".parse()?)
        .with_user_agent("crm-web/4.2")
        .with_session(UserSessionId::new());
    let mut uow = db.unit_of_work(&office).await?;
    let mut sales = NewUser::new(
        names.email("sam", "audit").parse()?,
        Password::new("field-Sales-rep-26")?,
        "Sam".parse()?,
        "Seller".parse()?,
    );
    sales.role = UserRole::User;
    let sam = uow.users().create(sales, auth.passwords()).await?;
    uow.commit().await?;
    let road = Context::new(tenant.id, sam.id)
        .with_ip("203.0.113.77".parse()?)
        .with_user_agent("crm-mobile/1.9");

    // The customer's life: created at the office, changed on the road,
    // deleted by mistake, restored.
    let mut at_office = db.one_shot(&office).await?;
    let c = at_office
        .customers()
        .create(NewCustomer::new(
            "Initech".parse()?,
            "buyer@initech.example.com".parse()?,
            CustomerSegment::Startup,
            Utc::now().date_naive(),
        ))
        .await?;
    drop(at_office);
    let mut on_road = db.one_shot(&road).await?;
    let c = on_road
        .customers()
        .update(
            c.id,
            c.updated_at,
            &CustomerPatch {
                customer_segment: Some(CustomerSegment::MidMarket),
                territory: Some(Some("EMEA".parse()?)),
                contact_phone: Some(Some("+4930123456".parse()?)),
                ..CustomerPatch::default()
            },
        )
        .await?;
    let c = on_road
        .customers()
        .update(
            c.id,
            c.updated_at,
            &CustomerPatch {
                status: Some(CustomerStatus::Inactive),
                ..CustomerPatch::default()
            },
        )
        .await?;
    drop(on_road);
    let mut at_office = db.one_shot(&office).await?;
    at_office.customers().soft_delete(c.id).await?;
    at_office.customers().restore(c.id).await?;

    // The history, oldest first.
    let history = at_office
        .audit()
        .history("customers", c.id.into_uuid(), 50)
        .await?;
    println!("\nhistory of customer {} ({}):", c.company_name, c.id);
    for entry in history.items.iter().rev() {
        let who = match entry.user_id {
            Some(u) if u == ada.id => "Ada",
            Some(u) if u == sam.id => "Sam",
            _ => "-",
        };
        println!(
            "\n  {} {:<11} by {who} from {} ({}), severity {}",
            entry.timestamp.format("%Y-%m-%d %H:%M:%S%.3f"),
            entry.action.as_str(),
            entry
                .ip_address
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            entry.user_agent.as_ref().map(|u| u.as_str()).unwrap_or("-"),
            entry.severity
        );
        match (&entry.old_values, &entry.new_values) {
            (Some(old), Some(new)) => {
                for (column, value) in new {
                    println!(
                        "      {column}: {} → {value}",
                        old.get(column).cloned().unwrap_or_default()
                    );
                }
            }
            (None, Some(new)) => println!(
                "      created: {} <{}>, {}",
                new["company_name"], new["contact_email"], new["customer_segment"]
            ),
            _ => {}
        }
    }
    Ok(())
}
