//! sales: customers (the bulk path) and deals through the pipeline operations.

use std::time::{Duration, Instant};

use aems_core::UserId;
use aems_core::auth::users::UserRole;
use aems_core::sales::customers::{CompanySize, CustomerSegment, CustomerStatus, NewCustomer};
use aems_core::sales::sales_pipeline::{DealStage, NewDeal};
use chrono::{NaiveDate, TimeDelta};
use serde_json::json;

use crate::sales::SalesRepositories;

use super::auth::{phone, slugify};
use super::words::*;
use super::*;

impl TenantRun<'_> {
    /// The bulk path: customers in units of work of `bulk_batch_rows`, up to
    /// `bulk_concurrency` at once, each on its own task. Returns the
    /// customers deals may be for (from the first unit of work).
    pub(super) async fn customers(&self) -> Result<(Vec<CustomerRef>, BulkStats)> {
        let total = self.counts.customers;
        let batch_rows = self.config.bulk_batch_rows;
        let batches = total.div_ceil(batch_rows);
        let started = Instant::now();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..self.config.bulk_concurrency.min(batches) {
            let (db, ctx, next) = (self.db.clone(), self.admin_ctx(), next.clone());
            let (seed, index, as_of) = (self.config.seed, self.index, self.as_of());
            tasks.push(tokio::spawn(async move {
                let mut building = Duration::ZERO;
                let mut sample = Vec::new();
                loop {
                    let batch = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if batch >= batches {
                        break;
                    }
                    let rows = batch * batch_rows..((batch + 1) * batch_rows).min(total);
                    let build = Instant::now();
                    let news = rows
                        .map(|i| customer(seed, index, i, as_of))
                        .collect::<Result<Vec<_>>>()?;
                    building += build.elapsed();
                    let mut uow = db.unit_of_work(&ctx).await?;
                    let created = uow.customers().create_many(news).await?;
                    uow.commit().await?;
                    if batch == 0 {
                        sample = created
                            .into_iter()
                            .filter(|c| {
                                matches!(
                                    c.status,
                                    CustomerStatus::Active | CustomerStatus::Prospect
                                )
                            })
                            .map(|c| CustomerRef {
                                id: c.id,
                                name: c.company_name.into_string(),
                                segment: c.customer_segment,
                            })
                            .collect();
                    }
                }
                Ok::<_, GeneratorError>((sample, building))
            }));
        }
        let mut sample = Vec::new();
        let mut building_inputs = Duration::ZERO;
        for task in tasks {
            let (found, building) = task.await.map_err(GeneratorError::Task)??;
            if !found.is_empty() {
                sample = found;
            }
            building_inputs += building;
        }
        Ok((
            sample,
            BulkStats {
                rows: total as u64,
                batches,
                elapsed: started.elapsed(),
                building_inputs,
            },
        ))
    }

    /// Deals in every stage: created in an open stage, then moved forward,
    /// closed won (from proposal or negotiation) or lost, or put on hold
    /// through the pipeline operations.
    pub(super) async fn deals(&self, customers: &[CustomerRef]) -> Result<()> {
        if self.counts.deals == 0 || customers.is_empty() {
            return Ok(());
        }
        let mut rng = self.rng(Stream::Deals);
        let as_of = self.as_of();
        let sellers: Vec<UserId> = self
            .people
            .iter()
            .filter(|p| p.active() && p.role != UserRole::Viewer)
            .map(|p| p.id)
            .collect();
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum Plan {
            Open(DealStage),
            Moved(DealStage),
            Hold,
            Won(NaiveDate),
            Lost(NaiveDate),
        }
        let mut news = Vec::with_capacity(self.counts.deals);
        let mut plans = Vec::with_capacity(self.counts.deals);
        for _ in 0..self.counts.deals {
            let customer = rng.pick(customers);
            let target = rng.weighted(&[
                (DealStage::Lead, 18),
                (DealStage::Qualified, 15),
                (DealStage::Proposal, 12),
                (DealStage::Negotiation, 10),
                (DealStage::ClosedWon, 25),
                (DealStage::ClosedLost, 20),
            ]);
            let closed_on = minus_days(as_of, rng.range(0, 330));
            let (stage, plan, expected) = match target {
                DealStage::ClosedWon => (
                    *rng.pick(&[DealStage::Proposal, DealStage::Negotiation]),
                    Plan::Won(closed_on),
                    closed_on + TimeDelta::days(rng.range(-20, 20)),
                ),
                DealStage::ClosedLost => (
                    *rng.pick(&OPEN_STAGES),
                    Plan::Lost(closed_on),
                    closed_on + TimeDelta::days(rng.range(-10, 45)),
                ),
                open => {
                    let expected = as_of + TimeDelta::days(rng.range(7, 150));
                    if open != DealStage::Lead && rng.chance(25) {
                        (previous_stage(open), Plan::Moved(open), expected)
                    } else if rng.chance(6) {
                        (open, Plan::Hold, expected)
                    } else {
                        (open, Plan::Open(open), expected)
                    }
                }
            };
            let value_cents = match customer.segment {
                CustomerSegment::Enterprise => rng.range(5_000_000, 150_000_000),
                CustomerSegment::MidMarket => rng.range(1_500_000, 25_000_000),
                CustomerSegment::Smb => rng.range(200_000, 4_000_000),
                CustomerSegment::Startup => rng.range(100_000, 3_000_000),
            };
            let probability = match stage {
                DealStage::Lead => rng.range(5, 15),
                DealStage::Qualified => rng.range(20, 35),
                DealStage::Proposal => rng.range(40, 60),
                _ => rng.range(65, 85),
            };
            news.push(NewDeal {
                customer_id: customer.id,
                opportunity_name: text(
                    "opportunity_name",
                    format!(
                        "{} - {} {}",
                        customer.name,
                        rng.pick(PRODUCT_LINES),
                        rng.pick(DEAL_KINDS)
                    ),
                )?,
                stage,
                value: money("value", value_cents)?,
                probability: percent("probability", probability * 100)?,
                expected_close_date: expected,
                sales_rep: *rng.pick(&sellers),
                source: Some(text("source", rng.pick(DEAL_SOURCES))?),
                notes: if rng.chance(40) {
                    Some(text("notes", rng.pick(DEAL_NOTES))?)
                } else {
                    None
                },
            });
            plans.push(plan);
        }
        let mut uow = self.db.unit_of_work(&self.admin_ctx()).await?;
        let created = uow.sales_pipeline().create_many(news).await?;
        for (deal, plan) in created.iter().zip(plans) {
            let mut pipeline = uow.sales_pipeline();
            match plan {
                Plan::Open(_) => {}
                Plan::Moved(to) => {
                    pipeline.move_to_stage(deal.id, to, as_of).await?;
                }
                Plan::Hold => {
                    pipeline.put_on_hold(deal.id).await?;
                }
                Plan::Won(on) => {
                    pipeline.close_won(deal.id, on).await?;
                }
                Plan::Lost(on) => {
                    pipeline.close_lost(deal.id, on).await?;
                }
            }
        }
        uow.commit().await?;
        Ok(())
    }
}

/// Customer `i` of tenant `tenant`: a pure function of the seed, so the bulk
/// path's batching and concurrency never change a value.
fn customer(seed: u64, tenant: usize, i: usize, as_of: NaiveDate) -> Result<NewCustomer> {
    let mut rng = Rng::stream(seed, &[tenant as u64, Stream::Customers as u64, i as u64]);
    let segment = rng.weighted(&[
        (CustomerSegment::Enterprise, 10),
        (CustomerSegment::MidMarket, 25),
        (CustomerSegment::Smb, 45),
        (CustomerSegment::Startup, 20),
    ]);
    let size = match segment {
        CustomerSegment::Enterprise => *rng.pick(&[CompanySize::Large, CompanySize::Enterprise]),
        CustomerSegment::MidMarket => *rng.pick(&[CompanySize::Medium, CompanySize::Large]),
        CustomerSegment::Smb => {
            *rng.pick(&[CompanySize::Micro, CompanySize::Small, CompanySize::Medium])
        }
        CustomerSegment::Startup => *rng.pick(&[CompanySize::Micro, CompanySize::Small]),
    };
    let name = format!(
        "{} {}{}",
        rng.pick(COMPANY_PREFIXES),
        rng.pick(COMPANY_CORES),
        rng.pick(COMPANY_SUFFIXES)
    );
    let (first, last) = (rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
    let (territory, country, street_style) = *rng.pick(TERRITORIES);
    let status = rng.weighted(&[
        (CustomerStatus::Active, 62),
        (CustomerStatus::Prospect, 18),
        (CustomerStatus::Inactive, 12),
        (CustomerStatus::Churned, 8),
    ]);
    let acquired = minus_days(as_of, rng.range(0, 5 * 365));
    let lifetime = match segment {
        CustomerSegment::Enterprise => rng.range(20_000_000, 500_000_000),
        CustomerSegment::MidMarket => rng.range(5_000_000, 50_000_000),
        CustomerSegment::Smb => rng.range(500_000, 8_000_000),
        CustomerSegment::Startup => rng.range(200_000, 6_000_000),
    };
    let tenure = (as_of - acquired).num_days();
    let (revenue, last_purchase) = match status {
        CustomerStatus::Prospect => (0, None),
        CustomerStatus::Churned | CustomerStatus::Inactive => {
            let last = acquired + TimeDelta::days(rng.range(0, tenure / 2));
            (lifetime * rng.range(5, 40) / 100, Some(last))
        }
        _ => {
            let last = minus_days(as_of, rng.range(0, tenure.min(120)));
            (
                lifetime * (5 + 80 * tenure / (5 * 365)).min(90) / 100,
                Some(last),
            )
        }
    };
    let domain = slugify(&name);
    Ok(NewCustomer {
        company_name: text("company_name", &name)?,
        contact_email: text(
            "contact_email",
            format!(
                "{}.{}@{domain}.example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
        )?,
        contact_phone: if rng.chance(75) {
            Some(text("contact_phone", phone(&mut rng, country))?)
        } else {
            None
        },
        industry: Some(text("industry", rng.pick(INDUSTRIES))?),
        company_size: Some(size),
        territory: Some(text("territory", territory)?),
        customer_segment: segment,
        acquisition_date: acquired,
        lifetime_value: money("lifetime_value", lifetime)?,
        total_revenue: money("total_revenue", revenue)?,
        last_purchase_date: last_purchase,
        status,
        billing_address: if rng.chance(80) {
            Some(object(json!({
                "street": format!("{} {}", rng.range(1, 400), rng.pick(street_style)),
                "city": rng.pick(CITIES).0,
                "postal_code": format!("{:05}", rng.below(100_000)),
                "country": country,
            })))
        } else {
            None
        },
        custom_fields: Some(object(json!({
            "tier": rng.weighted(&[("gold", 15), ("silver", 35), ("bronze", 50)]),
            "source": rng.pick(&["inbound", "outbound", "partner", "event", "referral"]),
            "nps": rng.range(0, 10),
        }))),
    })
}

const OPEN_STAGES: [DealStage; 4] = [
    DealStage::Lead,
    DealStage::Qualified,
    DealStage::Proposal,
    DealStage::Negotiation,
];

fn previous_stage(stage: DealStage) -> DealStage {
    match stage {
        DealStage::Qualified => DealStage::Lead,
        DealStage::Proposal => DealStage::Qualified,
        DealStage::Negotiation => DealStage::Proposal,
        other => other,
    }
}

const PRODUCT_LINES: &[&str] = &[
    "Analytics Suite",
    "Fleet Tracker",
    "Payroll Cloud",
    "Smart Sensors",
    "Support Desk",
    "Inventory Hub",
    "Security Pack",
    "Data Platform",
    "Field Service",
    "Learning Portal",
];

const DEAL_KINDS: &[&str] = &["new business", "renewal", "expansion", "pilot", "upgrade"];

const DEAL_SOURCES: &[&str] = &[
    "Inbound", "Outbound", "Referral", "Partner", "Event", "Website",
];

const DEAL_NOTES: &[&str] = &[
    "Decision maker is the CFO; budget approved for next quarter.",
    "Competing with an incumbent vendor; price sensitive.",
    "Security review requested before contract.",
    "Champion moved teams; re-establishing contact.",
    "Wants a multi-year discount.",
    "Legal is reviewing our standard terms.",
];

#[cfg(test)]
mod tests {
    use aems_core::Input;

    use super::*;

    #[test]
    fn a_customer_is_the_same_whatever_else_was_generated() {
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let a = customer(1, 0, 17, as_of).unwrap();
        let _ = customer(1, 0, 16, as_of).unwrap();
        let b = customer(1, 0, 17, as_of).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, customer(2, 0, 17, as_of).unwrap());
        assert!(a.check().is_ok(), "{:?}", a.check());
    }
}
