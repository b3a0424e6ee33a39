//! Two tenants in one database that cannot see each other's rows:
//!
//! ```text
//! cargo run --example multi_tenant
//! ```
//!
//! Isolation is enforced twice: by the database (row-level security, forced
//! on every table, and composite foreign keys that only reach rows of the same
//! tenant) and by the types (no repository exists without a tenant context).

#[path = "support/mod.rs"]
mod support;

use aems::chrono::{Duration, Utc};
use aems::core::auth::tenants::NewTenant;
use aems::core::auth::users::NewUser;
use aems::core::sales::customers::{CustomerSegment, NewCustomer};
use aems::core::sales::sales_pipeline::{DealStage, NewDeal};
use aems::core::{CustomerId, Password};
use aems::db::auth::{AuthConfig, Authenticator, ClientInfo};
use aems::db::prelude::*;
use aems::db::sales::CustomerFilter;
use aems::db::{Database, DatabaseConfig, Error};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::open().await?;
    let db = &example.database;
    let auth = Authenticator::new(db.clone(), AuthConfig::default())?;
    let client = ClientInfo::new("192.0.2.1".parse()?);
    let today = Utc::now().date_naive();
    // Tenant names, slugs and e-mail addresses are unique: fresh ones per run.
    let names = support::RunNames::new();

    // Two tenants, each with its admin and its customers.
    let mut contexts = Vec::new();
    for (org, slug, admin, customers) in [
        ("Acme Robotics", "acme", "ada", ["Globex", "Initech"]),
        ("Umbrella Labs", "umbrella", "bob", ["Hooli", "Vandelay"]),
    ] {
        let (tenant, admin) = auth
            .signup(
                NewTenant::new(names.tenant(org).parse()?, names.slug(slug).parse()?),
                NewUser::new(
                    names.email(admin, slug).parse()?,
                    Password::new("tenant-Isolation-2026")?,
                    "Admin".parse()?,
                    "Person".parse()?,
                ),
                &client,
            )
            .await?;
        let ctx = Context::new(tenant.id, admin.id);
        let mut uow = db.unit_of_work(&ctx).await?;
        for name in customers {
            uow.customers()
                .create(NewCustomer::new(
                    name.parse()?,
                    format!("buyer@{}.example.com", name.to_lowercase()).parse()?,
                    CustomerSegment::Smb,
                    today,
                ))
                .await?;
        }
        uow.commit().await?;
        println!("tenant {}: {}", tenant.name, tenant.id);
        contexts.push((org, ctx));
    }
    let (acme, umbrella) = (&contexts[0].1, &contexts[1].1);

    // Each tenant lists only its own customers.
    for (org, ctx) in &contexts {
        let mut reads = db.one_shot(ctx).await?;
        let page = reads
            .customers()
            .list(&CustomerFilter::all(), PageRequest::default())
            .await?;
        let names: Vec<&str> = page.items.iter().map(|c| c.company_name.as_str()).collect();
        println!("{org} sees {names:?}");
    }

    // Acme knows the id of one of Umbrella's customers: it still cannot read,
    // change or reference it.
    let mut umbrella_reads = db.one_shot(umbrella).await?;
    let theirs: CustomerId = umbrella_reads
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(1))
        .await?
        .items[0]
        .id;
    drop(umbrella_reads);
    let mut acme_reads = db.one_shot(acme).await?;
    match acme_reads.customers().get(theirs).await {
        Err(Error::NotFound { entity }) => {
            println!("Acme reading Umbrella's customer {theirs}: not found ({entity})")
        }
        other => panic!("isolation broken: {other:?}"),
    }
    match acme_reads.customers().soft_delete(theirs).await {
        Err(Error::NotFound { .. }) => println!("Acme deleting it: not found"),
        other => panic!("isolation broken: {other:?}"),
    }
    let deal = NewDeal {
        customer_id: theirs,
        opportunity_name: "Poaching".parse()?,
        stage: DealStage::Lead,
        value: "1000.00".parse()?,
        probability: "10".parse()?,
        expected_close_date: today + Duration::days(10),
        sales_rep: acme.actor(),
        source: None,
        notes: None,
    };
    match acme_reads.sales_pipeline().create(deal).await {
        Err(Error::ForeignKeyViolation { constraint, .. }) => {
            println!("Acme opening a deal on it: refused by {constraint} (as if it did not exist)")
        }
        other => panic!("isolation broken: {other:?}"),
    }
    drop(acme_reads);

    // One pooled connection used by both tenants in turn: the context is
    // transaction-local, so nothing of one tenant's work reaches the other's.
    let single = Database::new(DatabaseConfig::new(db.config().url.clone()).max_connections(1))?;
    for round in 1..=2 {
        for (org, ctx) in &contexts {
            let mut reads = single.one_shot(ctx).await?;
            let n = reads
                .customers()
                .list(&CustomerFilter::all(), PageRequest::default())
                .await?
                .items
                .len();
            println!("round {round}, one shared connection: {org} sees {n} customers");
        }
    }
    Ok(())
}
