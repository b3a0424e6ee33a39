//! `hr` tables through their repositories.

mod employees;
mod hr_metrics;
mod plans;
mod recruitment_pipeline;
// Its `Tally` and pool also count the products' round trips.
pub(crate) mod round_trips;

use aems_core::CurrencyCode;
use aems_core::hr::employees::{EmployeeStatus, EmploymentType, NewEmployee};
use aems_diesel::{Database, KeyRing};
use chrono::NaiveDate;

use crate::support::TwoTenants;

/// The key the keyed pools of these tests seal salaries with.
pub const KEY: [u8; 32] = [0x5a; 32];

/// A pool as the application role that can seal and open salaries.
pub fn keyed(t: &TwoTenants) -> Database {
    t.db.database()
        .expect("a pool")
        .with_key_ring(KeyRing::new(1, KEY))
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A valid new employee numbered `code`, hired 2024-03-01, without salary.
pub fn new_employee(code: &str) -> NewEmployee {
    NewEmployee {
        user_id: None,
        employee_code: code.parse().unwrap(),
        first_name: "Ada".parse().unwrap(),
        last_name: format!("Lovelace {code}").parse().unwrap(),
        email: format!("{}@example.com", code.to_lowercase())
            .parse()
            .unwrap(),
        phone: None,
        department: "Engineering".parse().unwrap(),
        job_title: "Engineer".parse().unwrap(),
        manager_id: None,
        hire_date: date(2024, 3, 1),
        employment_type: EmploymentType::FullTime,
        status: EmployeeStatus::Active,
        salary: None,
        salary_currency: CurrencyCode::default(),
        location: None,
        remote_work: false,
        performance_rating: None,
        last_promotion_date: None,
    }
}
