//! `sales.customers`: the companies a tenant sells to.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, FieldErrors};
use crate::ids::{CustomerId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, non_negative, nullable, require_not_before};
use crate::values::{Email, JsonObject, Money, PhoneE164, Text100, Text255};

db_enum! {
    /// Headcount band of a customer (`customers.company_size`).
    pub enum CompanySize {
        /// 1 to 10 people.
        Micro => "1-10",
        /// 11 to 50 people.
        Small => "11-50",
        /// 51 to 200 people.
        Medium => "51-200",
        /// 201 to 1000 people.
        Large => "201-1000",
        /// More than 1000 people.
        Enterprise => "1000+",
    }
}

db_enum! {
    /// Market segment of a customer (`customers.customer_segment`).
    pub enum CustomerSegment {
        /// Large enterprises.
        Enterprise => "enterprise",
        /// Mid-market companies.
        MidMarket => "mid_market",
        /// Small and medium businesses.
        Smb => "smb",
        /// Start-ups.
        Startup => "startup",
    }
}

db_enum! {
    /// Relationship state of a customer (`customers.status`).
    pub enum CustomerStatus {
        /// Buying (the SQL default).
        Active => "active",
        /// Not buying for now.
        Inactive => "inactive",
        /// Lost.
        Churned => "churned",
        /// Not yet buying.
        Prospect => "prospect",
    }
    default = Active;
}

/// A row of `sales.customers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    /// Primary key.
    pub id: CustomerId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The customer's name.
    pub company_name: Text255,
    /// Main contact address.
    pub contact_email: Email,
    /// Main contact phone.
    pub contact_phone: Option<PhoneE164>,
    /// Industry.
    pub industry: Option<Text100>,
    /// Headcount band.
    pub company_size: Option<CompanySize>,
    /// Sales territory.
    pub territory: Option<Text100>,
    /// Market segment.
    pub customer_segment: CustomerSegment,
    /// When the customer was won.
    pub acquisition_date: NaiveDate,
    /// Expected total revenue.
    pub lifetime_value: Money,
    /// Revenue so far.
    pub total_revenue: Money,
    /// Last purchase (not before the acquisition date).
    pub last_purchase_date: Option<NaiveDate>,
    /// Relationship state.
    pub status: CustomerStatus,
    /// Billing address, free-form.
    pub billing_address: Option<JsonObject>,
    /// Tenant-defined fields.
    pub custom_fields: Option<JsonObject>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
    /// Soft-delete time.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Customer {
    /// The customer with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &CustomerPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                company_name,
                contact_email,
                contact_phone,
                industry,
                company_size,
                territory,
                customer_segment,
                acquisition_date,
                lifetime_value,
                total_revenue,
                last_purchase_date,
                status,
                billing_address,
                custom_fields,
            ]
        );
        check_dates(&mut errors, next.acquisition_date, next.last_purchase_date);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to create a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    /// The customer's name.
    pub company_name: Text255,
    /// Main contact address.
    pub contact_email: Email,
    /// Main contact phone.
    #[serde(default)]
    pub contact_phone: Option<PhoneE164>,
    /// Industry.
    #[serde(default)]
    pub industry: Option<Text100>,
    /// Headcount band.
    #[serde(default)]
    pub company_size: Option<CompanySize>,
    /// Sales territory.
    #[serde(default)]
    pub territory: Option<Text100>,
    /// Market segment.
    pub customer_segment: CustomerSegment,
    /// When the customer was won.
    pub acquisition_date: NaiveDate,
    /// Expected total revenue (default 0, not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub lifetime_value: Money,
    /// Revenue so far (default 0, not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub total_revenue: Money,
    /// Last purchase.
    #[serde(default)]
    pub last_purchase_date: Option<NaiveDate>,
    /// Relationship state (default `active`).
    #[serde(default)]
    pub status: CustomerStatus,
    /// Billing address.
    #[serde(default)]
    pub billing_address: Option<JsonObject>,
    /// Tenant-defined fields (default `{}`).
    #[serde(default = "empty_object")]
    pub custom_fields: Option<JsonObject>,
}

fn empty_object() -> Option<JsonObject> {
    Some(JsonObject::new())
}

impl NewCustomer {
    /// A customer with the SQL defaults for everything but the required columns.
    pub fn new(
        company_name: Text255,
        contact_email: Email,
        customer_segment: CustomerSegment,
        acquisition_date: NaiveDate,
    ) -> Self {
        Self {
            company_name,
            contact_email,
            contact_phone: None,
            industry: None,
            company_size: None,
            territory: None,
            customer_segment,
            acquisition_date,
            lifetime_value: Money::zero(),
            total_revenue: Money::zero(),
            last_purchase_date: None,
            status: CustomerStatus::default(),
            billing_address: None,
            custom_fields: empty_object(),
        }
    }
}

impl Input for NewCustomer {
    fn check_rules(&self, errors: &mut FieldErrors) {
        check_dates(errors, self.acquisition_date, self.last_purchase_date);
    }
}

/// Changes to a customer; `Some(None)` sets a nullable column to NULL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerPatch {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<Text255>,
    /// New contact address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<Email>,
    /// New contact phone.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub contact_phone: Option<Option<PhoneE164>>,
    /// New industry.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub industry: Option<Option<Text100>>,
    /// New headcount band.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub company_size: Option<Option<CompanySize>>,
    /// New territory.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub territory: Option<Option<Text100>>,
    /// New segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_segment: Option<CustomerSegment>,
    /// New acquisition date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquisition_date: Option<NaiveDate>,
    /// New lifetime value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub lifetime_value: Option<Money>,
    /// New revenue so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub total_revenue: Option<Money>,
    /// New last purchase date.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub last_purchase_date: Option<Option<NaiveDate>>,
    /// New relationship state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CustomerStatus>,
    /// New billing address.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub billing_address: Option<Option<JsonObject>>,
    /// New tenant-defined fields.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub custom_fields: Option<Option<JsonObject>>,
}

impl Input for CustomerPatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let (Some(acquired), Some(Some(last))) = (self.acquisition_date, self.last_purchase_date)
        {
            check_dates(errors, acquired, Some(last));
        }
    }
}

/// A purchase cannot precede the customer's acquisition.
fn check_dates(errors: &mut FieldErrors, acquisition: NaiveDate, last_purchase: Option<NaiveDate>) {
    if let Some(last) = last_purchase {
        require_not_before(
            errors,
            "last_purchase_date",
            last,
            "acquisition_date",
            acquisition,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn input() -> NewCustomer {
        NewCustomer::new(
            "Acme".parse().unwrap(),
            "buyer@acme.example".parse().unwrap(),
            CustomerSegment::Smb,
            date(2025, 3, 1),
        )
    }

    #[test]
    fn company_size_uses_the_odd_database_strings() {
        assert_eq!(CompanySize::Enterprise.as_str(), "1000+");
        assert_eq!(
            "201-1000".parse::<CompanySize>().unwrap(),
            CompanySize::Large
        );
        assert_eq!(
            serde_json::to_string(&CompanySize::Micro).unwrap(),
            "\"1-10\""
        );
    }

    #[test]
    fn last_purchase_on_the_acquisition_day_is_fine_the_day_before_is_not() {
        let mut customer = input();
        customer.last_purchase_date = Some(date(2025, 3, 1));
        assert!(customer.check().is_ok());
        customer.last_purchase_date = Some(date(2025, 2, 28));
        assert!(
            customer
                .check()
                .unwrap_err()
                .has("last_purchase_date", ErrorCode::DateOrder)
        );
    }

    #[test]
    fn all_failures_are_reported_together() {
        let mut customer = input();
        customer.lifetime_value = "-1".parse().unwrap();
        customer.total_revenue = "-1".parse().unwrap();
        customer.last_purchase_date = Some(date(2020, 1, 1));
        let error = customer.check().unwrap_err();
        let fields: Vec<&str> = error.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["last_purchase_date", "lifetime_value", "total_revenue"]
        );
    }

    #[test]
    fn patch_errors_and_errors_against_the_row_are_reported_together() {
        let input = input();
        let now = Utc::now();
        let user = UserId::new();
        let customer = Customer {
            id: CustomerId::new(),
            tenant_id: TenantId::new(),
            company_name: input.company_name,
            contact_email: input.contact_email,
            contact_phone: None,
            industry: None,
            company_size: None,
            territory: None,
            customer_segment: input.customer_segment,
            acquisition_date: input.acquisition_date,
            lifetime_value: Money::zero(),
            total_revenue: Money::zero(),
            last_purchase_date: None,
            status: CustomerStatus::Active,
            billing_address: None,
            custom_fields: None,
            created_at: now,
            updated_at: now,
            created_by: user,
            updated_by: user,
            deleted_at: None,
        };
        let patch = CustomerPatch {
            lifetime_value: Some("-5".parse().unwrap()),
            last_purchase_date: Some(Some(date(2020, 1, 1))),
            ..CustomerPatch::default()
        };
        let error = customer.patched(&patch).unwrap_err();
        assert!(error.has("lifetime_value", ErrorCode::OutOfRange));
        assert!(error.has("last_purchase_date", ErrorCode::DateOrder));
    }

    #[test]
    fn json_input_gets_the_sql_defaults() {
        let json = r#"{"company_name":"Acme","contact_email":"a@acme.example",
            "customer_segment":"mid_market","acquisition_date":"2025-03-01"}"#;
        let customer: NewCustomer = serde_json::from_str(json).unwrap();
        assert_eq!(customer.status, CustomerStatus::Active);
        assert_eq!(customer.custom_fields, Some(JsonObject::new()));
        assert!(customer.lifetime_value.is_zero());
    }
}
