//! Every enum holds exactly the strings of the spec's `CHECK (... IN (...))` list,
//! in order, and every value round-trips through text and serde.
//!
//! The expected lists are copied from `spec/database-schema.md` by hand, on
//! purpose: a typo in either place fails here.

use aems_core::DbEnum;
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
use aems_core::risk::risk_assessments::{RiskLevel, RiskStatus};
use aems_core::sales::customers::{CompanySize, CustomerSegment, CustomerStatus};
use aems_core::sales::sales_pipeline::{DealStage, DealStatus};
use aems_core::{ErrorCode, PeriodType};

fn assert_list<E: DbEnum + serde::Serialize + serde::de::DeserializeOwned>(expected: &[&str]) {
    let actual: Vec<&str> = E::ALL.iter().map(|value| value.as_str()).collect();
    assert_eq!(actual, expected, "{}", std::any::type_name::<E>());
    for value in E::ALL {
        assert_eq!(value.as_str().parse::<E>().unwrap(), *value);
        assert_eq!(value.to_string(), value.as_str());
        let json = serde_json::to_string(value).unwrap();
        assert_eq!(json, format!("\"{}\"", value.as_str()));
        assert_eq!(serde_json::from_str::<E>(&json).unwrap(), *value);
    }
    let unknown = "not-in-the-list".parse::<E>().unwrap_err();
    assert_eq!(unknown.code, ErrorCode::UnknownValue);
    assert!(serde_json::from_str::<E>("\"NOT-IN-THE-LIST\"").is_err());
    // The database compares case-sensitively, and so do we.
    let shouted = expected[0].to_uppercase();
    if shouted != expected[0] {
        assert!(shouted.parse::<E>().is_err());
    }
}

#[test]
fn auth_enums_match_the_spec() {
    assert_list::<SubscriptionPlan>(&["basic", "professional", "enterprise"]);
    assert_list::<TenantStatus>(&["active", "inactive", "suspended"]);
    assert_list::<UserRole>(&["admin", "manager", "user", "viewer"]);
    assert_list::<UserStatus>(&["active", "inactive", "suspended", "pending"]);
    assert_list::<SessionStatus>(&["active", "expired", "revoked"]);
    assert_list::<MfaType>(&["totp", "sms", "email"]);
    assert_list::<OauthProvider>(&["google", "microsoft", "linkedin"]);
    assert_list::<OauthStatus>(&["active", "inactive", "revoked"]);
}

#[test]
fn sales_enums_match_the_spec() {
    assert_list::<PeriodType>(&["daily", "weekly", "monthly", "quarterly", "yearly"]);
    assert_list::<CompanySize>(&["1-10", "11-50", "51-200", "201-1000", "1000+"]);
    assert_list::<CustomerSegment>(&["enterprise", "mid_market", "smb", "startup"]);
    assert_list::<CustomerStatus>(&["active", "inactive", "churned", "prospect"]);
    assert_list::<DealStage>(&[
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "closed_won",
        "closed_lost",
    ]);
    assert_list::<DealStatus>(&["open", "closed_won", "closed_lost", "on_hold"]);
}

#[test]
fn finance_and_hr_enums_match_the_spec() {
    assert_list::<BudgetStatus>(&["active", "locked", "archived"]);
    assert_list::<ApprovalStatus>(&["pending", "approved", "rejected", "cancelled"]);
    assert_list::<EmploymentType>(&["full_time", "part_time", "contractor", "intern"]);
    assert_list::<EmployeeStatus>(&["active", "inactive", "terminated", "on_leave"]);
    assert_list::<RecruitmentStage>(&[
        "applied",
        "screening",
        "interview",
        "reference_check",
        "offer",
        "hired",
        "rejected",
    ]);
    assert_list::<RecruitmentStatus>(&["active", "hired", "rejected", "withdrawn"]);
}

#[test]
fn product_and_risk_enums_match_the_spec() {
    assert_list::<LifecycleStage>(&[
        "development",
        "launch",
        "growth",
        "maturity",
        "decline",
        "discontinued",
    ]);
    assert_list::<ProductStatus>(&["active", "inactive", "discontinued", "out_of_stock"]);
    assert_list::<RiskLevel>(&["low", "medium", "high", "critical"]);
    assert_list::<RiskStatus>(&["open", "mitigated", "accepted", "closed"]);
    assert_list::<ComplianceStatus>(&[
        "compliant",
        "non_compliant",
        "in_progress",
        "not_applicable",
    ]);
    assert_list::<AuditSeverity>(&["debug", "info", "warning", "error", "critical"]);
}

#[test]
fn sql_defaults_are_the_enum_defaults() {
    assert_eq!(SubscriptionPlan::default().as_str(), "enterprise");
    assert_eq!(TenantStatus::default().as_str(), "active");
    assert_eq!(UserRole::default().as_str(), "user");
    assert_eq!(UserStatus::default().as_str(), "active");
    assert_eq!(SessionStatus::default().as_str(), "active");
    assert_eq!(OauthStatus::default().as_str(), "active");
    assert_eq!(CustomerStatus::default().as_str(), "active");
    assert_eq!(DealStatus::default().as_str(), "open");
    assert_eq!(BudgetStatus::default().as_str(), "active");
    assert_eq!(ApprovalStatus::default().as_str(), "pending");
    assert_eq!(EmployeeStatus::default().as_str(), "active");
    assert_eq!(RecruitmentStatus::default().as_str(), "active");
    assert_eq!(ProductStatus::default().as_str(), "active");
    assert_eq!(RiskStatus::default().as_str(), "open");
    assert_eq!(AuditSeverity::default().as_str(), "info");
}

#[test]
fn patterns_are_the_spec_strings() {
    use aems_core::{CurrencyCode, Email, PhoneE164};
    assert_eq!(
        Email::PATTERN,
        r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
    );
    assert_eq!(PhoneE164::PATTERN, r"^\+[1-9]\d{1,14}$");
    assert_eq!(CurrencyCode::PATTERN, "^[A-Z]{3}$");
}

#[test]
fn error_codes_are_stable_strings() {
    for code in ErrorCode::ALL {
        assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), *code);
        assert_eq!(
            serde_json::to_string(code).unwrap(),
            format!("\"{}\"", code.as_str())
        );
    }
}
