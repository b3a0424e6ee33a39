//! A tour of the A-EMS data layer, top to bottom:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! A tenant and its admin, customers (a page and a full-text search), a deal
//! closed through the pipeline, an expense approved by someone else, stock
//! reserved, a risk assessed and reassessed — then the audit trail the
//! database wrote for all of it, and the executive dashboard.
//!
//! With no database configured it starts a throwaway PostgreSQL (see
//! `examples/support`), so it runs on a machine with nothing installed but the
//! PostgreSQL server binaries (or a Docker engine). Each run signs up a tenant
//! of its own (`Quickstart Ltd (run …)`), so it can run again on the same
//! database.

#[path = "support/mod.rs"]
mod support;

use aems::chrono::{Datelike, Duration, Utc};
use aems::core::auth::tenants::NewTenant;
use aems::core::auth::users::{NewUser, User, UserRole};
use aems::core::finance::expense_transactions::NewExpenseTransaction;
use aems::core::finance::finance_metrics::NewFinanceMetric;
use aems::core::hr::employees::{EmployeeStatus, EmploymentType, NewEmployee};
use aems::core::products::inventory_levels::NewInventoryLevel;
use aems::core::products::products::{LifecycleStage, NewProduct, ProductStatus};
use aems::core::risk::risk_assessments::{NewRiskAssessment, Reassessment, RiskStatus};
use aems::core::sales::customers::{CustomerSegment, NewCustomer};
use aems::core::sales::sales_metrics::NewSalesMetric;
use aems::core::sales::sales_pipeline::{DealStage, NewDeal};
use aems::core::{CurrencyCode, Impact, Likelihood, Password, PeriodType};
use aems::db::audit::AuditFilter;
use aems::db::auth::{AuthConfig, Authenticator, ClientInfo};
use aems::db::prelude::*;
use aems::db::risk::RevisedPlans;
use aems::db::sales::CustomerFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let example = support::open().await?;
    let db = &example.database;
    let today = Utc::now().date_naive();
    // Tenant names, slugs and e-mail addresses are unique: fresh ones per run.
    let names = support::RunNames::new();
    let (ada_email, grace_email) = (
        names.email("ada", "quickstart"),
        names.email("grace", "quickstart"),
    );

    // 1. Signup: the tenant and its first admin, in one transaction.
    let auth = Authenticator::new(db.clone(), AuthConfig::default())?;
    let client = ClientInfo::new("203.0.113.10".parse()?).with_user_agent("quickstart");
    let (tenant, admin) = auth
        .signup(
            NewTenant::new(
                names.tenant("Quickstart Ltd").parse()?,
                names.slug("quickstart").parse()?,
            ),
            NewUser::new(
                ada_email.parse()?,
                Password::new("quickstart-Tour-2026")?,
                "Ada".parse()?,
                "Admin".parse()?,
            ),
            &client,
        )
        .await?;
    println!(
        "\n1. signed up tenant {:?} ({}) with admin {}",
        tenant.name.as_str(),
        tenant.id,
        admin.email
    );
    // Everything tenant-scoped runs under a context: tenant, acting user, client.
    let ctx = Context::new(tenant.id, admin.id)
        .with_ip("203.0.113.10".parse()?)
        .with_user_agent("quickstart");

    // A second user, so someone other than the submitter approves expenses.
    let mut uow = db.unit_of_work(&ctx).await?;
    let mut finance = NewUser::new(
        grace_email.parse()?,
        Password::new("ledger-Checks-4-all")?,
        "Grace".parse()?,
        "Finance".parse()?,
    );
    finance.role = UserRole::Manager;
    let approver = uow.users().create(finance, auth.passwords()).await?;
    uow.commit().await?;

    // 2. Customers, created in one unit of work: BEGIN and the context travel
    //    with the first INSERT; COMMIT is the only extra round trip.
    let mut uow = db.unit_of_work(&ctx).await?;
    let mut customers = Vec::new();
    for (name, segment, revenue) in [
        (
            "Globex Corporation",
            CustomerSegment::Enterprise,
            "120000.00",
        ),
        ("Initech", CustomerSegment::MidMarket, "35500.00"),
        ("Hooli Pharmacy", CustomerSegment::Smb, "8200.50"),
    ] {
        let email = format!(
            "buyer@{}.example.com",
            name.split(' ').next().unwrap_or(name).to_lowercase()
        );
        let mut input = NewCustomer::new(
            name.parse()?,
            email.parse()?,
            segment,
            today - Duration::days(30),
        );
        input.total_revenue = revenue.parse()?;
        customers.push(uow.customers().create(input).await?);
    }
    uow.commit().await?;
    // A page and a full-text search: one round trip each.
    let mut reads = db.one_shot(&ctx).await?;
    let page = reads
        .customers()
        .list(&CustomerFilter::all(), PageRequest::first(2))
        .await?;
    println!(
        "\n2. customers, first page of 2 (more: {}):",
        page.next.is_some()
    );
    for c in &page.items {
        println!(
            "   {} <{}> {}",
            c.company_name, c.contact_email, c.customer_segment
        );
    }
    let found = reads
        .customers()
        .list(
            &CustomerFilter::all().search("pharmacies"),
            PageRequest::default(),
        )
        .await?;
    println!(
        "   search \"pharmacies\": {:?}",
        found
            .items
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>()
    );
    drop(reads);

    // 3. A deal, moved through the pipeline and won: stage, status and close
    //    date change together, under a row lock, in one unit of work.
    let mut uow = db.unit_of_work(&ctx).await?;
    let deal = uow
        .sales_pipeline()
        .create(NewDeal {
            customer_id: customers[0].id,
            opportunity_name: "Globex fleet renewal".parse()?,
            stage: DealStage::Lead,
            value: "48000.00".parse()?,
            probability: "20".parse()?,
            expected_close_date: today + Duration::days(30),
            sales_rep: admin.id,
            source: Some("referral".parse()?),
            notes: None,
        })
        .await?;
    for stage in [
        DealStage::Qualified,
        DealStage::Proposal,
        DealStage::Negotiation,
    ] {
        uow.sales_pipeline()
            .move_to_stage(deal.id, stage, today)
            .await?;
    }
    let won = uow.sales_pipeline().close_won(deal.id, today).await?;
    uow.commit().await?;
    println!(
        "\n3. deal {:?}: {} / {}, closed on {:?}",
        won.opportunity_name.as_str(),
        won.stage,
        won.status,
        won.actual_close_date
    );

    // 4. An expense: entered by the admin, approved by finance (nobody approves
    //    their own expense).
    let mut uow = db.unit_of_work(&ctx).await?;
    let expense = uow
        .expense_transactions()
        .create(NewExpenseTransaction {
            transaction_date: today,
            amount: "342.80".parse()?,
            currency: CurrencyCode::default(),
            category: "Travel".parse()?,
            subcategory: None,
            vendor: "Rail Co".parse()?,
            description: "Train to Globex".parse()?,
            department: Some("Sales".parse()?),
            employee_id: Some(admin.id),
            receipt_url: None,
            tax_amount: "0".parse()?,
            is_reimbursable: true,
        })
        .await?;
    uow.commit().await?;
    let mut uow = db.unit_of_work(&ctx).await?;
    let own = uow.expense_transactions().approve(expense.id).await;
    uow.rollback().await?;
    println!(
        "\n4. the admin approving their own expense: {}",
        own.err().map(|e| e.to_string()).unwrap_or_default()
    );
    let approver_ctx = Context::new(tenant.id, approver.id).with_user_agent("quickstart");
    let mut uow = db.unit_of_work(&approver_ctx).await?;
    let approved = uow.expense_transactions().approve(expense.id).await?;
    uow.commit().await?;
    println!(
        "   approved by {} ({}) at {}: {} {}",
        approver.email,
        approved
            .approved_by
            .map(|u| u.to_string())
            .unwrap_or_default(),
        approved
            .approved_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        approved.amount,
        approved.currency
    );

    // 5. Stock: a product with 20 units; 8 reserved. A reservation is one
    //    conditional UPDATE, so concurrent ones can never oversell.
    let mut uow = db.unit_of_work(&ctx).await?;
    let product = uow
        .products()
        .create(NewProduct {
            sku: "WID-1".parse()?,
            name: "Widget".parse()?,
            description: Some("A very useful widget".parse()?),
            category: "Tools".parse()?,
            subcategory: None,
            brand: None,
            unit_cost: "6.00".parse()?,
            selling_price: "10.00".parse()?,
            weight: None,
            dimensions: None,
            lifecycle_stage: LifecycleStage::Growth,
            launch_date: None,
            discontinue_date: None,
            supplier_info: None,
            status: ProductStatus::Active,
        })
        .await?;
    let level = uow
        .inventory_levels()
        .create(NewInventoryLevel {
            product_id: product.id,
            warehouse_location: "Berlin".parse()?,
            current_stock: 20,
            reserved_stock: 0,
            reorder_level: 5,
            max_stock_level: 100,
            last_restock_date: None,
            last_stock_take: None,
            stock_value: "120.00".parse()?,
            turnover_rate: "0".parse()?,
        })
        .await?;
    let level = uow.inventory_levels().reserve(level.id, 8).await?;
    let too_many = uow.inventory_levels().reserve(level.id, 50).await;
    uow.commit().await?;
    println!(
        "\n5. {} (margin {}%): current {}, reserved {}, available {}; reserving 50 more: {}",
        product.name,
        product.pricing.profit_margin(),
        level.stock.current(),
        level.stock.reserved(),
        level.stock.available(),
        too_many.err().map(|e| e.to_string()).unwrap_or_default()
    );

    // 6. A risk: score and level are derived from likelihood × impact, and
    //    the database refuses any row where they are not.
    let mut uow = db.unit_of_work(&ctx).await?;
    let owner = uow
        .employees()
        .create(NewEmployee {
            user_id: Some(admin.id),
            employee_code: "E-1".parse()?,
            first_name: "Ada".parse()?,
            last_name: "Admin".parse()?,
            email: ada_email.parse()?,
            phone: None,
            department: "Operations".parse()?,
            job_title: "COO".parse()?,
            manager_id: None,
            hire_date: today - Duration::days(400),
            employment_type: EmploymentType::FullTime,
            status: EmployeeStatus::Active,
            salary: None,
            salary_currency: CurrencyCode::default(),
            location: None,
            remote_work: false,
            performance_rating: None,
            last_promotion_date: None,
        })
        .await?;
    let risk = uow
        .risk_assessments()
        .create(NewRiskAssessment {
            risk_name: "Single supplier for widgets".parse()?,
            risk_category: "Supply chain".parse()?,
            description: "All widgets come from one factory".parse()?,
            likelihood: Likelihood::new(3)?,
            impact: Impact::new(4)?,
            owner_id: owner.id,
            status: RiskStatus::Open,
            mitigation_plan: None,
            contingency_plan: None,
            last_review_date: None,
            next_review_date: today + Duration::days(30),
        })
        .await?;
    let reassessed = uow
        .risk_assessments()
        .reassess(
            risk.id,
            Reassessment {
                likelihood: Likelihood::new(2)?,
                impact: Impact::new(4)?,
                reviewed_on: today,
                next_review_date: today + Duration::days(90),
            },
            RevisedPlans::unchanged(),
        )
        .await?;
    uow.commit().await?;
    println!(
        "\n6. risk {:?}: {} × {} = {} ({}), reassessed to {} ({}), next review {}",
        risk.risk_name.as_str(),
        risk.rating.likelihood,
        risk.rating.impact,
        risk.rating.score(),
        risk.rating.level(),
        reassessed.rating.score(),
        reassessed.rating.level(),
        reassessed.next_review_date
    );

    // 7. What the database recorded, with who and from where.
    let mut reads = db.one_shot(&ctx).await?;
    let trail = reads.audit().list(&AuditFilter::all(), None, 12).await?;
    println!("\n7. audit trail, newest first (12 of them):");
    for entry in trail.items {
        println!(
            "   {} {:<12} {:<22} by {:<7} from {}",
            entry.timestamp.format("%H:%M:%S%.3f"),
            entry.action.as_str(),
            entry.entity_type.as_str(),
            entry
                .user_id
                .map(|u| who(u, &admin, &approver))
                .unwrap_or("-"),
            entry
                .ip_address
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "-".into()),
        );
    }

    // 8. The executive dashboard over the last 90 days of monthly metrics
    //    (two months recorded here; an upsert replaces a month's figures),
    //    and the customer segments.
    drop(reads);
    let mut uow = db.unit_of_work(&ctx).await?;
    for (months_ago, revenue, win_rate, profit, cash) in [
        (1, "41000.00", "45.00", "6100.00", "3900.00"),
        (0, "48000.00", "50.00", "7300.00", "4400.00"),
    ] {
        let month = (today - Duration::days(30 * months_ago))
            .with_day(1)
            .expect("a first day");
        let mut sales = NewSalesMetric::new(month, PeriodType::Monthly);
        sales.total_revenue = revenue.parse()?;
        sales.win_rate = win_rate.parse()?;
        sales.deals_closed = 1;
        uow.sales_metrics().upsert(sales).await?;
        let mut finance = NewFinanceMetric::new(month, PeriodType::Monthly);
        finance.total_revenue = revenue.parse()?;
        finance.net_profit = profit.parse()?;
        finance.cash_flow = cash.parse()?;
        uow.finance_metrics().upsert(finance).await?;
    }
    uow.commit().await?;
    let mut reads = db.one_shot(&ctx).await?;
    let s = reads.analytics().executive_summary().await?;
    let shown = |d: Option<aems::bigdecimal::BigDecimal>| {
        d.map(|d| d.round(2).to_string())
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "\n8. executive summary: sales revenue {} (average win rate {}% over {} months), net profit {}, average cash flow {}",
        shown(s.sales_total_revenue),
        shown(s.sales_avg_win_rate),
        s.sales_periods,
        shown(s.finance_total_net_profit),
        shown(s.finance_avg_cash_flow)
    );
    for segment in reads.analytics().customer_segments().await? {
        println!(
            "   segment {:<11} {} customer(s), revenue {}",
            segment.segment.to_string(),
            segment.customer_count,
            segment.revenue.round(2)
        );
    }
    Ok(())
}

/// Names the tour's two users in the trail.
fn who(user: aems::core::UserId, admin: &User, approver: &User) -> &'static str {
    if user == admin.id {
        "Ada"
    } else if user == approver.id {
        "Grace"
    } else {
        "someone"
    }
}
