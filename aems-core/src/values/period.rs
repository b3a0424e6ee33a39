//! [`PeriodType`], shared by the metrics tables.

use crate::macros::db_enum;

db_enum! {
    /// The period a metrics row covers (`period_type` of `sales_metrics`,
    /// `finance_metrics`, `hr_metrics`, `product_performance`).
    pub enum PeriodType {
        /// One day.
        Daily => "daily",
        /// One week.
        Weekly => "weekly",
        /// One month.
        Monthly => "monthly",
        /// One quarter.
        Quarterly => "quarterly",
        /// One year.
        Yearly => "yearly",
    }
}
