//! `hr.employees`: the people a tenant employs, and their termination.
//!
//! The salary is stored encrypted by the DB layer (a BYTEA envelope, a documented
//! deviation from the spec's `DECIMAL(12,2)`); here it is a [`Money12`] in clear,
//! after decryption.
//!
//! ## Status rules
//!
//! `active`, `inactive` and `on_leave` change freely through a patch.
//! `terminated` is reached only through [`Employee::terminate`], which records the
//! date (not before the hire date) and the reason together; a terminated employee
//! is not terminated again and their status is not patched back.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors, TransitionError};
use crate::ids::{EmployeeId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, non_negative, nullable, require_not_before};
use crate::values::{
    CurrencyCode, Email, Money12, PhoneE164, Rating, Text50, Text100, Text150, Text255,
};

db_enum! {
    /// How someone is employed (`employees.employment_type`).
    pub enum EmploymentType {
        /// Full time.
        FullTime => "full_time",
        /// Part time.
        PartTime => "part_time",
        /// External contractor.
        Contractor => "contractor",
        /// Intern.
        Intern => "intern",
    }
}

db_enum! {
    /// An employee's state (`employees.status`).
    pub enum EmployeeStatus {
        /// Working (the SQL default).
        Active => "active",
        /// Not working, still employed.
        Inactive => "inactive",
        /// Employment ended (final; see [`Employee::terminate`]).
        Terminated => "terminated",
        /// On leave.
        OnLeave => "on_leave",
    }
    default = Active;
}

/// A row of `hr.employees`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Employee {
    /// Primary key.
    pub id: EmployeeId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The employee's sign-in account, if any.
    pub user_id: Option<UserId>,
    /// The tenant's own employee number (column `employee_id`), unique per tenant.
    pub employee_code: Text50,
    /// Given name.
    pub first_name: Text100,
    /// Family name.
    pub last_name: Text100,
    /// Work address.
    pub email: Email,
    /// Work phone.
    pub phone: Option<PhoneE164>,
    /// Department.
    pub department: Text100,
    /// Job title.
    pub job_title: Text150,
    /// Line manager (another employee).
    pub manager_id: Option<EmployeeId>,
    /// First day of employment.
    pub hire_date: NaiveDate,
    /// How they are employed.
    pub employment_type: EmploymentType,
    /// Their state.
    pub status: EmployeeStatus,
    /// Salary, in clear after decryption.
    pub salary: Option<Money12>,
    /// Currency of the salary.
    pub salary_currency: CurrencyCode,
    /// Work location.
    pub location: Option<Text255>,
    /// Whether they work remotely.
    pub remote_work: bool,
    /// Last performance rating, 1–5.
    pub performance_rating: Option<Rating>,
    /// Last promotion (not before the hire date).
    pub last_promotion_date: Option<NaiveDate>,
    /// Last day of employment; set exactly when terminated.
    pub termination_date: Option<NaiveDate>,
    /// Why employment ended; set exactly when terminated.
    pub termination_reason: Option<Text255>,
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

/// The columns a termination writes, together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployeeTermination {
    /// Always [`EmployeeStatus::Terminated`].
    pub status: EmployeeStatus,
    /// The last day of employment.
    pub termination_date: NaiveDate,
    /// Why.
    pub termination_reason: Text255,
}

impl EmployeeTermination {
    /// Writes the termination onto an employee (what the DB layer does to the row).
    pub fn apply_to(&self, employee: &mut Employee) {
        employee.status = self.status;
        employee.termination_date = Some(self.termination_date);
        employee.termination_reason = Some(self.termination_reason.clone());
    }
}

impl Employee {
    /// Ends the employment on `on` for `reason` (a [`Text255`], so never empty).
    pub fn terminate(
        &self,
        on: NaiveDate,
        reason: Text255,
    ) -> Result<EmployeeTermination, TransitionError> {
        if self.status == EmployeeStatus::Terminated {
            return Err(TransitionError::Final {
                entity: "employee",
                state: EmployeeStatus::Terminated.as_str(),
            });
        }
        let mut errors = FieldErrors::new();
        require_not_before(
            &mut errors,
            "termination_date",
            on,
            "hire_date",
            self.hire_date,
        );
        errors.into_result()?;
        Ok(EmployeeTermination {
            status: EmployeeStatus::Terminated,
            termination_date: on,
            termination_reason: reason,
        })
    }

    /// The employee with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &EmployeePatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        if patch.status.is_some() && self.status == EmployeeStatus::Terminated {
            errors.push(
                "status",
                ErrorCode::NotAllowed,
                "a terminated employee's status does not change",
            );
        }
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                user_id,
                employee_code,
                first_name,
                last_name,
                email,
                phone,
                department,
                job_title,
                manager_id,
                hire_date,
                employment_type,
                status,
                salary,
                salary_currency,
                location,
                remote_work,
                performance_rating,
                last_promotion_date,
            ]
        );
        if next.manager_id == Some(next.id) {
            errors.push(
                "manager_id",
                ErrorCode::NotAllowed,
                "an employee cannot manage themselves",
            );
        }
        check_dates(
            &mut errors,
            next.hire_date,
            next.last_promotion_date,
            next.termination_date,
        );
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to create an employee. A new employee is never `terminated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    /// The employee's sign-in account, if any.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// The tenant's employee number.
    pub employee_code: Text50,
    /// Given name.
    pub first_name: Text100,
    /// Family name.
    pub last_name: Text100,
    /// Work address.
    pub email: Email,
    /// Work phone.
    #[serde(default)]
    pub phone: Option<PhoneE164>,
    /// Department.
    pub department: Text100,
    /// Job title.
    pub job_title: Text150,
    /// Line manager.
    #[serde(default)]
    pub manager_id: Option<EmployeeId>,
    /// First day of employment.
    pub hire_date: NaiveDate,
    /// How they are employed.
    pub employment_type: EmploymentType,
    /// Status (default `active`; never `terminated`).
    #[serde(default)]
    pub status: EmployeeStatus,
    /// Salary (not negative).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub salary: Option<Money12>,
    /// Salary currency (default USD).
    #[serde(default)]
    pub salary_currency: CurrencyCode,
    /// Work location.
    #[serde(default)]
    pub location: Option<Text255>,
    /// Whether they work remotely (default false).
    #[serde(default)]
    pub remote_work: bool,
    /// Performance rating, 1–5.
    #[serde(default)]
    pub performance_rating: Option<Rating>,
    /// Last promotion.
    #[serde(default)]
    pub last_promotion_date: Option<NaiveDate>,
}

impl Input for NewEmployee {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if self.status == EmployeeStatus::Terminated {
            errors.push(
                "status",
                ErrorCode::NotAllowed,
                "a new employee cannot be terminated; use terminate()",
            );
        }
        check_dates(errors, self.hire_date, self.last_promotion_date, None);
    }
}

/// Changes to an employee. Termination columns change only through
/// [`Employee::terminate`]; a patch cannot set the status to `terminated`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct EmployeePatch {
    /// New sign-in account; `Some(None)` unlinks it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub user_id: Option<Option<UserId>>,
    /// New employee number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_code: Option<Text50>,
    /// New given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Text100>,
    /// New family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Text100>,
    /// New work address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// New phone; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub phone: Option<Option<PhoneE164>>,
    /// New department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<Text100>,
    /// New job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<Text150>,
    /// New manager; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub manager_id: Option<Option<EmployeeId>>,
    /// Corrected hire date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hire_date: Option<NaiveDate>,
    /// New employment type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employment_type: Option<EmploymentType>,
    /// New status (not `terminated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<EmployeeStatus>,
    /// New salary; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    #[validate(custom(function = "non_negative"))]
    pub salary: Option<Option<Money12>>,
    /// New salary currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salary_currency: Option<CurrencyCode>,
    /// New location; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub location: Option<Option<Text255>>,
    /// New remote flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_work: Option<bool>,
    /// New rating; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub performance_rating: Option<Option<Rating>>,
    /// New last promotion date; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub last_promotion_date: Option<Option<NaiveDate>>,
}

impl Input for EmployeePatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if self.status == Some(EmployeeStatus::Terminated) {
            errors.push(
                "status",
                ErrorCode::NotAllowed,
                "terminate through terminate(), which records date and reason",
            );
        }
    }
}

/// Promotions and termination cannot precede the hire date.
fn check_dates(
    errors: &mut FieldErrors,
    hire: NaiveDate,
    promotion: Option<NaiveDate>,
    termination: Option<NaiveDate>,
) {
    if let Some(promotion) = promotion {
        require_not_before(errors, "last_promotion_date", promotion, "hire_date", hire);
    }
    if let Some(termination) = termination {
        require_not_before(errors, "termination_date", termination, "hire_date", hire);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn employee() -> Employee {
        let now = Utc::now();
        let user = UserId::new();
        Employee {
            id: EmployeeId::new(),
            tenant_id: TenantId::new(),
            user_id: None,
            employee_code: "E-001".parse().unwrap(),
            first_name: "Grace".parse().unwrap(),
            last_name: "Hopper".parse().unwrap(),
            email: "grace@example.com".parse().unwrap(),
            phone: None,
            department: "Engineering".parse().unwrap(),
            job_title: "Rear Admiral".parse().unwrap(),
            manager_id: None,
            hire_date: date(2020, 1, 15),
            employment_type: EmploymentType::FullTime,
            status: EmployeeStatus::Active,
            salary: Some("85000.00".parse().unwrap()),
            salary_currency: CurrencyCode::USD,
            location: None,
            remote_work: false,
            performance_rating: None,
            last_promotion_date: None,
            termination_date: None,
            termination_reason: None,
            created_at: now,
            updated_at: now,
            created_by: user,
            updated_by: user,
            deleted_at: None,
        }
    }

    #[test]
    fn termination_records_date_and_reason_together() {
        let mut employee = employee();
        let change = employee
            .terminate(date(2025, 6, 30), "Retired".parse().unwrap())
            .unwrap();
        change.apply_to(&mut employee);
        assert_eq!(employee.status, EmployeeStatus::Terminated);
        assert_eq!(employee.termination_date, Some(date(2025, 6, 30)));
        assert_eq!(
            employee.termination_reason.as_ref().unwrap().as_str(),
            "Retired"
        );
    }

    #[test]
    fn termination_on_the_hire_date_is_allowed_the_day_before_is_not() {
        let employee = employee();
        assert!(
            employee
                .terminate(date(2020, 1, 15), "No show".parse().unwrap())
                .is_ok()
        );
        let error = employee
            .terminate(date(2020, 1, 14), "No show".parse().unwrap())
            .unwrap_err();
        match error {
            TransitionError::Invalid(error) => {
                assert!(error.has("termination_date", ErrorCode::DateOrder))
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_terminated_employee_is_not_terminated_again_nor_revived_by_patch() {
        let mut employee = employee();
        employee
            .terminate(date(2025, 1, 1), "Left".parse().unwrap())
            .unwrap()
            .apply_to(&mut employee);
        assert!(matches!(
            employee.terminate(date(2025, 2, 1), "Again".parse().unwrap()),
            Err(TransitionError::Final { .. })
        ));
        let revive = EmployeePatch {
            status: Some(EmployeeStatus::Active),
            ..Default::default()
        };
        assert!(
            employee
                .patched(&revive)
                .unwrap_err()
                .has("status", ErrorCode::NotAllowed)
        );
    }

    #[test]
    fn patch_cannot_terminate() {
        let patch = EmployeePatch {
            status: Some(EmployeeStatus::Terminated),
            ..Default::default()
        };
        assert!(
            patch
                .check()
                .unwrap_err()
                .has("status", ErrorCode::NotAllowed)
        );
        assert!(
            serde_json::from_str::<EmployeePatch>(r#"{"termination_date":"2025-01-01"}"#).is_err()
        );
    }

    #[test]
    fn an_employee_cannot_manage_themselves() {
        let employee = employee();
        let patch = EmployeePatch {
            manager_id: Some(Some(employee.id)),
            ..Default::default()
        };
        assert!(
            employee
                .patched(&patch)
                .unwrap_err()
                .has("manager_id", ErrorCode::NotAllowed)
        );
    }

    #[test]
    fn moving_the_hire_date_after_a_promotion_is_refused() {
        let mut employee = employee();
        employee.last_promotion_date = Some(date(2022, 1, 1));
        let patch = EmployeePatch {
            hire_date: Some(date(2023, 1, 1)),
            ..Default::default()
        };
        assert!(
            employee
                .patched(&patch)
                .unwrap_err()
                .has("last_promotion_date", ErrorCode::DateOrder)
        );
    }

    #[test]
    fn salary_must_not_be_negative() {
        let patch = EmployeePatch {
            salary: Some(Some("-1".parse().unwrap())),
            ..Default::default()
        };
        assert!(
            patch
                .check()
                .unwrap_err()
                .has("salary", ErrorCode::OutOfRange)
        );
        let clear = EmployeePatch {
            salary: Some(None),
            ..Default::default()
        };
        assert_eq!(employee().patched(&clear).unwrap().salary, None);
    }
}
