//! aems-core and the database agree: every rule of aems-core that mirrors a
//! database CHECK gives the same verdict as the CHECK itself, on a generated
//! corpus of tricky inputs (case, whitespace, unicode look-alikes, lengths at
//! and beyond the limits). The CHECK expressions are read from pg_catalog, so a
//! migration that changes one without aems-core following fails here.

use std::collections::BTreeSet;

use aems_core::auth::oauth_connections::{OauthProvider, OauthStatus};
use aems_core::auth::tenants::{SubscriptionPlan, TenantStatus};
use aems_core::auth::user_mfa::MfaType;
use aems_core::auth::user_sessions::SessionStatus;
use aems_core::auth::users::{UserRole, UserStatus};
use aems_core::finance::budget_plans::BudgetStatus;
use aems_core::finance::expense_transactions::ApprovalStatus;
use aems_core::hr::employees::{EmployeeStatus, EmploymentType};
use aems_core::hr::recruitment_pipeline::{RecruitmentStage, RecruitmentStatus};
use aems_core::products::products::{LifecycleStage, ProductStatus};
use aems_core::risk::audit_logs::AuditSeverity;
use aems_core::risk::compliance_records::ComplianceStatus;
use aems_core::risk::risk_assessments::RiskStatus;
use aems_core::sales::customers::{CompanySize, CustomerSegment, CustomerStatus};
use aems_core::sales::sales_pipeline::{DealStage, DealStatus};
use aems_core::{CurrencyCode, DbEnum, Email, PeriodType, PhoneE164, RiskLevel};
use tokio_postgres::Client;

use crate::support::{admin, test_db};

/// The CHECK `constraint`'s expression with its column replaced by `v`.
async fn check_expression(client: &Client, constraint: &str) -> String {
    let row = client
        .query_one(
            "SELECT pg_get_expr(c.conbin, c.conrelid), a.attname::text
             FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.conname = $1 AND c.conrelid = (SELECT min(conrelid::regclass::text)::regclass
                                                    FROM pg_constraint WHERE conname = $1)",
            &[&constraint],
        )
        .await
        .unwrap_or_else(|e| panic!("{constraint}: {e}"));
    let (expr, column): (String, String) = (row.get(0), row.get(1));
    let needle = format!("({column})::text");
    assert!(
        expr.contains(&needle),
        "{constraint}: unexpected expression {expr}"
    );
    expr.replace(&needle, "v")
}

/// The database's verdict on each input.
async fn database_accepts(client: &Client, constraint: &str, inputs: &[String]) -> Vec<bool> {
    let expr = check_expression(client, constraint).await;
    let rows = client
        .query(
            &format!("SELECT coalesce({expr}, true) FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n"),
            &[&inputs],
        )
        .await
        .unwrap_or_else(|e| panic!("{constraint}: {e}"));
    rows.iter().map(|r| r.get(0)).collect()
}

/// Tricky e-mail candidates: every combination of the fragments below.
fn email_corpus() -> Vec<String> {
    let locals = [
        "a",
        "A.b",
        "a+b",
        "a_b",
        "a%b",
        "a-b",
        "",
        ".",
        "..",
        "ü",
        "a b",
        "a@b",
        "\u{212A}elvin",
        "Ǆ",
        "0",
        "a\u{0}b",
        "ａ",
    ];
    let domains = [
        "b.co",
        "B.CO",
        "b-c.io",
        "b",
        "b.c",
        "b.c1",
        "ex.ample.com",
        "b..co",
        "b.cöm",
        "xn--b.com",
        ".b.co",
        "b.co.",
        "b.\u{212A}\u{212A}",
        "b.CoM",
        "b.c_m",
        "1.23",
    ];
    let seps = ["@", "@@", ""];
    let wraps = ["", " ", "\t", "\n"];
    let mut out = Vec::new();
    for l in locals {
        for s in seps {
            for d in domains {
                out.push(format!("{l}{s}{d}"));
            }
        }
    }
    let mut wrapped = Vec::new();
    for w in wraps {
        for e in out.iter().take(60) {
            wrapped.push(format!("{w}{e}{w}"));
        }
    }
    out.extend(wrapped);
    // Lengths at and beyond VARCHAR(255).
    for n in [240, 248, 249, 250, 251, 252] {
        out.push(format!("{}@example.com", "x".repeat(n)));
        out.push(format!("{}@example.com", "é".repeat(n)));
    }
    out
}

fn phone_corpus() -> Vec<String> {
    let mut out: Vec<String> = [
        "+1",
        "+12",
        "+123456789012345",
        "+1234567890123456",
        "+0123",
        "123456",
        "+",
        "++12",
        "+1 234",
        "+1-234",
        "+١٢٣٤",
        "+１２３",
        "＋123",
        "+12a",
        "+49 30 123",
        " +4930123 ",
        "\t+4930123\n",
        "+4930123\u{0}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in 1..=17 {
        out.push(format!("+9{}", "8".repeat(n)));
    }
    out
}

fn enum_variants<E: DbEnum>() -> Vec<String> {
    let mut out = Vec::new();
    for v in E::ALL {
        let s = v.as_str();
        out.extend([
            s.to_owned(),
            s.to_uppercase(),
            format!(" {s}"),
            format!("{s} "),
            format!("{s}\u{0}"),
            s.replace('_', "-"),
        ]);
    }
    out.extend(["".to_owned(), "unknown".to_owned(), "NULL".to_owned()]);
    out
}

/// Compares, input by input, and reports every disagreement.
fn disagreements(
    name: &str,
    inputs: &[String],
    rust: impl Fn(&str) -> bool,
    database: &[bool],
) -> Vec<String> {
    inputs
        .iter()
        .zip(database)
        .filter(|(input, db)| rust(input) != **db)
        .map(|(input, db)| {
            format!(
                "{name}: {input:?}: aems-core says {}, the database {}",
                !db, db
            )
        })
        .collect()
}

#[tokio::test]
async fn email_phone_and_currency_rules_agree_with_the_database_on_a_tricky_corpus() {
    let db = test_db().await;
    let client = admin(&db).await;
    let mut problems = Vec::new();

    // aems-core trims, the database stores what it is given: the value aems-core
    // keeps is what must pass the CHECK. NUL cannot be sent as text at all, so it
    // is compared as the database would see it without (aems-core refuses it).
    let emails = email_corpus();
    let stored: Vec<String> = emails
        .iter()
        .map(|e| e.trim().replace('\0', "\u{fffd}"))
        .collect();
    for constraint in [
        "chk_users_email_format",
        "chk_customers_contact_email_format",
        "chk_employees_email_format",
        "chk_recruitment_pipeline_candidate_email_format",
    ] {
        let verdicts = database_accepts(&client, constraint, &stored).await;
        // VARCHAR(255) refuses longer values with its own error.
        let verdicts: Vec<bool> = verdicts
            .iter()
            .zip(&stored)
            .map(|(ok, v)| *ok && !v.is_empty() && v.chars().count() <= Email::MAX_CHARS)
            .collect();
        problems.extend(disagreements(
            constraint,
            &emails,
            |s| Email::new(s).is_ok(),
            &verdicts,
        ));
    }

    let phones = phone_corpus();
    let stored: Vec<String> = phones
        .iter()
        .map(|p| p.trim().replace('\0', "\u{fffd}"))
        .collect();
    for constraint in [
        "chk_customers_contact_phone_format",
        "chk_employees_phone_format",
        "chk_recruitment_pipeline_candidate_phone_format",
    ] {
        let verdicts = database_accepts(&client, constraint, &stored).await;
        let verdicts: Vec<bool> = verdicts
            .iter()
            .zip(&stored)
            .map(|(ok, v)| *ok && !v.is_empty())
            .collect();
        problems.extend(disagreements(
            constraint,
            &phones,
            |s| PhoneE164::new(s).is_ok(),
            &verdicts,
        ));
    }

    let currencies: Vec<String> = [
        "USD", "usd", "Usd", "US", "USDD", "U$D", "ÉUR", "EUR ", " EUR", "123", "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // CurrencyCode does not trim: the value is compared as given.
    let verdicts = database_accepts(
        &client,
        "chk_expense_transactions_currency_format",
        &currencies,
    )
    .await;
    problems.extend(disagreements(
        "chk_expense_transactions_currency_format",
        &currencies,
        |s| s.parse::<CurrencyCode>().is_ok(),
        &verdicts,
    ));

    assert!(
        problems.is_empty(),
        "{} disagreement(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(emails.len() > 800, "the corpus shrank: {}", emails.len());
}

/// A CHECK ... IN list's constraint, its enum's strings, the inputs to try,
/// and the enum's verdict on an input.
type EnumCase = (
    &'static str,
    Vec<&'static str>,
    Vec<String>,
    fn(&str) -> bool,
);

/// Every CHECK ... IN list and the aems-core enum that mirrors it.
fn enums() -> Vec<EnumCase> {
    fn entry<E: DbEnum>(constraint: &'static str) -> EnumCase {
        (
            constraint,
            E::ALL.iter().map(|v| v.as_str()).collect(),
            enum_variants::<E>(),
            |s| s.parse::<E>().is_ok(),
        )
    }
    vec![
        entry::<SubscriptionPlan>("chk_tenants_subscription_plan_valid"),
        entry::<TenantStatus>("chk_tenants_status_valid"),
        entry::<UserRole>("chk_users_role_valid"),
        entry::<UserStatus>("chk_users_status_valid"),
        entry::<SessionStatus>("chk_user_sessions_status_valid"),
        entry::<MfaType>("chk_user_mfa_mfa_type_valid"),
        entry::<OauthProvider>("chk_oauth_connections_provider_valid"),
        entry::<OauthStatus>("chk_oauth_connections_status_valid"),
        entry::<PeriodType>("chk_sales_metrics_period_type_valid"),
        entry::<PeriodType>("chk_finance_metrics_period_type_valid"),
        entry::<PeriodType>("chk_hr_metrics_period_type_valid"),
        entry::<PeriodType>("chk_product_performance_period_type_valid"),
        entry::<CompanySize>("chk_customers_company_size_valid"),
        entry::<CustomerSegment>("chk_customers_customer_segment_valid"),
        entry::<CustomerStatus>("chk_customers_status_valid"),
        entry::<DealStage>("chk_sales_pipeline_stage_valid"),
        entry::<DealStatus>("chk_sales_pipeline_status_valid"),
        entry::<BudgetStatus>("chk_budget_plans_status_valid"),
        entry::<ApprovalStatus>("chk_expense_transactions_approval_status_valid"),
        entry::<EmploymentType>("chk_employees_employment_type_valid"),
        entry::<EmployeeStatus>("chk_employees_status_valid"),
        entry::<RecruitmentStage>("chk_recruitment_pipeline_stage_valid"),
        entry::<RecruitmentStatus>("chk_recruitment_pipeline_status_valid"),
        entry::<LifecycleStage>("chk_products_lifecycle_stage_valid"),
        entry::<ProductStatus>("chk_products_status_valid"),
        entry::<RiskLevel>("chk_risk_assessments_risk_level_valid"),
        entry::<RiskStatus>("chk_risk_assessments_status_valid"),
        entry::<ComplianceStatus>("chk_compliance_records_compliance_status_valid"),
        entry::<AuditSeverity>("chk_audit_logs_severity_valid"),
    ]
}

#[tokio::test]
async fn every_enum_holds_exactly_the_strings_of_its_check_list() {
    let db = test_db().await;
    let client = admin(&db).await;
    let listed: BTreeSet<String> = client
        .query(
            "SELECT DISTINCT conname::text FROM pg_constraint
             WHERE contype = 'c' AND pg_get_constraintdef(oid) LIKE '%= ANY ((ARRAY[%'
               AND connamespace::regnamespace::text IN ('auth','sales','finance','hr','products','risk')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let table = enums();
    let covered: BTreeSet<String> = table.iter().map(|(c, ..)| c.to_string()).collect();
    assert_eq!(
        covered, listed,
        "a CHECK ... IN list without its enum (or the reverse)"
    );

    let mut problems = Vec::new();
    for (constraint, values, variants, rust) in table {
        let stored: Vec<String> = variants
            .iter()
            .map(|v| v.replace('\0', "\u{fffd}"))
            .collect();
        let verdicts = database_accepts(&client, constraint, &stored).await;
        problems.extend(disagreements(constraint, &variants, rust, &verdicts));
        // Each enum value is accepted, and nothing else of the list is missing.
        let all: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let accepted = database_accepts(&client, constraint, &all).await;
        for (v, ok) in values.iter().zip(accepted) {
            if !ok {
                problems.push(format!(
                    "{constraint}: the database refuses the enum value {v:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
