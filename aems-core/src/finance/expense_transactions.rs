//! `finance.expense_transactions`: money spent, and its approval.
//!
//! ## Approval rules
//!
//! `pending → approved | rejected | cancelled`; the three outcomes are final.
//! Approving or rejecting records who decided and when, in one change set;
//! nobody decides on an expense they incurred (`employee_id`) or entered
//! (`created_by`). Cancelling (withdrawing the claim) records no decider.
//! While an expense is pending its details may be patched; afterwards they are
//! frozen, since an approval covers exactly what was approved.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors, TransitionError};
use crate::ids::{ExpenseTransactionId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, non_negative, nullable, positive};
use crate::values::{CurrencyCode, LongText, Money, Text100, Text255, Url};

db_enum! {
    /// Where an expense is in approval (`expense_transactions.approval_status`).
    pub enum ApprovalStatus {
        /// Waiting for a decision (the SQL default).
        Pending => "pending",
        /// Approved (final).
        Approved => "approved",
        /// Rejected (final).
        Rejected => "rejected",
        /// Withdrawn by the submitter (final).
        Cancelled => "cancelled",
    }
    default = Pending;
}

/// A row of `finance.expense_transactions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpenseTransaction {
    /// Primary key.
    pub id: ExpenseTransactionId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// When the money was spent.
    pub transaction_date: NaiveDate,
    /// How much, greater than zero.
    pub amount: Money,
    /// In which currency.
    pub currency: CurrencyCode,
    /// Spending category.
    pub category: Text100,
    /// Finer category.
    pub subcategory: Option<Text100>,
    /// Who was paid.
    pub vendor: Text255,
    /// What for.
    pub description: LongText,
    /// Department charged.
    pub department: Option<Text100>,
    /// The user who incurred the expense (a `users` id, per the spec).
    pub employee_id: Option<UserId>,
    /// Link to the receipt.
    pub receipt_url: Option<Url>,
    /// Tax included in `amount`.
    pub tax_amount: Money,
    /// Whether the employee gets the money back.
    pub is_reimbursable: bool,
    /// Where it is in approval.
    pub approval_status: ApprovalStatus,
    /// Who approved or rejected it.
    pub approved_by: Option<UserId>,
    /// When it was approved or rejected.
    pub approved_at: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

/// The approval columns a decision writes, together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExpenseDecision {
    /// New approval status.
    pub approval_status: ApprovalStatus,
    /// Who decided (`None` for a cancellation).
    pub approved_by: Option<UserId>,
    /// When (`None` for a cancellation).
    pub approved_at: Option<DateTime<Utc>>,
}

impl ExpenseDecision {
    /// Writes the decision onto an expense (what the DB layer does to the row).
    pub fn apply_to(&self, expense: &mut ExpenseTransaction) {
        expense.approval_status = self.approval_status;
        expense.approved_by = self.approved_by;
        expense.approved_at = self.approved_at;
    }
}

impl ExpenseTransaction {
    /// Approves a pending expense as `approver` at `at`.
    ///
    /// ```
    /// # use aems_core::finance::expense_transactions::*;
    /// # use aems_core::{TransitionError, UserId};
    /// # fn demo(expense: &ExpenseTransaction, now: chrono::DateTime<chrono::Utc>) {
    /// // The person who entered the expense cannot approve it.
    /// assert_eq!(
    ///     expense.approve(expense.created_by, now),
    ///     Err(TransitionError::SelfApproval)
    /// );
    /// # }
    /// ```
    pub fn approve(
        &self,
        approver: UserId,
        at: DateTime<Utc>,
    ) -> Result<ExpenseDecision, TransitionError> {
        self.decide(ApprovalStatus::Approved, approver, at)
    }

    /// Rejects a pending expense as `approver` at `at`.
    pub fn reject(
        &self,
        approver: UserId,
        at: DateTime<Utc>,
    ) -> Result<ExpenseDecision, TransitionError> {
        self.decide(ApprovalStatus::Rejected, approver, at)
    }

    /// Withdraws a pending expense.
    pub fn cancel(&self) -> Result<ExpenseDecision, TransitionError> {
        self.require_pending(ApprovalStatus::Cancelled)?;
        Ok(ExpenseDecision {
            approval_status: ApprovalStatus::Cancelled,
            approved_by: None,
            approved_at: None,
        })
    }

    fn decide(
        &self,
        to: ApprovalStatus,
        approver: UserId,
        at: DateTime<Utc>,
    ) -> Result<ExpenseDecision, TransitionError> {
        self.require_pending(to)?;
        if self.employee_id == Some(approver) || self.created_by == approver {
            return Err(TransitionError::SelfApproval);
        }
        Ok(ExpenseDecision {
            approval_status: to,
            approved_by: Some(approver),
            approved_at: Some(at),
        })
    }

    fn require_pending(&self, to: ApprovalStatus) -> Result<(), TransitionError> {
        if self.approval_status == ApprovalStatus::Pending {
            Ok(())
        } else {
            Err(TransitionError::IllegalMove {
                entity: "expense",
                from: self.approval_status.as_str(),
                to: to.as_str(),
            })
        }
    }

    /// The expense with `patch` applied, or every reason it cannot be; only a
    /// pending expense may change.
    pub fn patched(&self, patch: &ExpenseTransactionPatch) -> Result<Self, DomainError> {
        let mut errors = FieldErrors::new();
        patch.collect_errors(&mut errors);
        if self.approval_status != ApprovalStatus::Pending {
            errors.push(
                "approval_status",
                ErrorCode::NotAllowed,
                format!("a {} expense cannot change", self.approval_status),
            );
            return Err(errors.into_result().expect_err("an error was just pushed"));
        }
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                transaction_date,
                amount,
                currency,
                category,
                subcategory,
                vendor,
                description,
                department,
                employee_id,
                receipt_url,
                tax_amount,
                is_reimbursable,
            ]
        );
        check_tax(&mut errors, &next.amount, &next.tax_amount);
        errors.into_result()?;
        Ok(next)
    }
}

/// Input to record an expense; it starts `pending`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewExpenseTransaction {
    /// When the money was spent.
    pub transaction_date: NaiveDate,
    /// How much, greater than zero.
    #[validate(custom(function = "positive"))]
    pub amount: Money,
    /// In which currency (default USD).
    #[serde(default)]
    pub currency: CurrencyCode,
    /// Spending category.
    pub category: Text100,
    /// Finer category.
    #[serde(default)]
    pub subcategory: Option<Text100>,
    /// Who was paid.
    pub vendor: Text255,
    /// What for.
    pub description: LongText,
    /// Department charged.
    #[serde(default)]
    pub department: Option<Text100>,
    /// The user who incurred it.
    #[serde(default)]
    pub employee_id: Option<UserId>,
    /// Link to the receipt.
    #[serde(default)]
    pub receipt_url: Option<Url>,
    /// Tax included in `amount` (default 0; not negative, not above `amount`).
    #[serde(default)]
    #[validate(custom(function = "non_negative"))]
    pub tax_amount: Money,
    /// Whether the employee gets the money back (default false).
    #[serde(default)]
    pub is_reimbursable: bool,
}

impl Input for NewExpenseTransaction {
    fn check_rules(&self, errors: &mut FieldErrors) {
        check_tax(errors, &self.amount, &self.tax_amount);
    }
}

/// Changes to a pending expense. Approval columns change only through
/// [`ExpenseTransaction::approve`], [`reject`](ExpenseTransaction::reject) and
/// [`cancel`](ExpenseTransaction::cancel).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ExpenseTransactionPatch {
    /// New date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<NaiveDate>,
    /// New amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "positive"))]
    pub amount: Option<Money>,
    /// New currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<CurrencyCode>,
    /// New category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Text100>,
    /// New subcategory; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub subcategory: Option<Option<Text100>>,
    /// New vendor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Text255>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LongText>,
    /// New department; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub department: Option<Option<Text100>>,
    /// New employee; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub employee_id: Option<Option<UserId>>,
    /// New receipt link; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub receipt_url: Option<Option<Url>>,
    /// New tax amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "non_negative"))]
    pub tax_amount: Option<Money>,
    /// New reimbursable flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_reimbursable: Option<bool>,
}

impl Input for ExpenseTransactionPatch {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if let (Some(amount), Some(tax)) = (&self.amount, &self.tax_amount) {
            check_tax(errors, amount, tax);
        }
    }
}

/// Tax is part of the amount, so it cannot exceed it.
fn check_tax(errors: &mut FieldErrors, amount: &Money, tax: &Money) {
    if tax > amount && amount.is_positive() {
        errors.push(
            "tax_amount",
            ErrorCode::Inconsistent,
            "must not exceed amount",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expense() -> ExpenseTransaction {
        let now = Utc::now();
        let clerk = UserId::new();
        ExpenseTransaction {
            id: ExpenseTransactionId::new(),
            tenant_id: TenantId::new(),
            transaction_date: NaiveDate::from_ymd_opt(2025, 5, 2).unwrap(),
            amount: "120.00".parse().unwrap(),
            currency: CurrencyCode::EUR,
            category: "Travel".parse().unwrap(),
            subcategory: None,
            vendor: "Rail Co".parse().unwrap(),
            description: "Train to the client".parse().unwrap(),
            department: None,
            employee_id: Some(UserId::new()),
            receipt_url: None,
            tax_amount: "20.00".parse().unwrap(),
            is_reimbursable: true,
            approval_status: ApprovalStatus::Pending,
            approved_by: None,
            approved_at: None,
            created_at: now,
            updated_at: now,
            created_by: clerk,
            updated_by: clerk,
        }
    }

    #[test]
    fn approval_records_who_and_when() {
        let expense = expense();
        let manager = UserId::new();
        let now = Utc::now();
        let decision = expense.approve(manager, now).unwrap();
        assert_eq!(decision.approval_status, ApprovalStatus::Approved);
        assert_eq!(decision.approved_by, Some(manager));
        assert_eq!(decision.approved_at, Some(now));
    }

    #[test]
    fn nobody_decides_on_their_own_expense() {
        let expense = expense();
        let now = Utc::now();
        let employee = expense.employee_id.unwrap();
        assert_eq!(
            expense.approve(employee, now),
            Err(TransitionError::SelfApproval)
        );
        assert_eq!(
            expense.approve(expense.created_by, now),
            Err(TransitionError::SelfApproval)
        );
        assert_eq!(
            expense.reject(employee, now),
            Err(TransitionError::SelfApproval)
        );
    }

    #[test]
    fn decided_expenses_are_final() {
        let now = Utc::now();
        for status in [
            ApprovalStatus::Approved,
            ApprovalStatus::Rejected,
            ApprovalStatus::Cancelled,
        ] {
            let mut expense = expense();
            expense.approval_status = status;
            assert!(matches!(
                expense.approve(UserId::new(), now),
                Err(TransitionError::IllegalMove { .. })
            ));
            assert!(expense.reject(UserId::new(), now).is_err());
            assert!(expense.cancel().is_err());
        }
    }

    #[test]
    fn cancelling_records_no_decider() {
        let mut expense = expense();
        expense.cancel().unwrap().apply_to(&mut expense);
        assert_eq!(expense.approval_status, ApprovalStatus::Cancelled);
        assert_eq!((expense.approved_by, expense.approved_at), (None, None));
    }

    #[test]
    fn approved_expenses_cannot_be_edited() {
        let mut expense = expense();
        expense
            .approve(UserId::new(), Utc::now())
            .unwrap()
            .apply_to(&mut expense);
        let patch = ExpenseTransactionPatch {
            amount: Some("1".parse().unwrap()),
            ..Default::default()
        };
        assert!(
            expense
                .patched(&patch)
                .unwrap_err()
                .has("approval_status", ErrorCode::NotAllowed)
        );
    }

    #[test]
    fn tax_cannot_exceed_the_amount() {
        let expense = expense();
        let equal = ExpenseTransactionPatch {
            tax_amount: Some("120.00".parse().unwrap()),
            ..Default::default()
        };
        assert!(expense.patched(&equal).is_ok());
        let above = ExpenseTransactionPatch {
            tax_amount: Some("120.01".parse().unwrap()),
            ..Default::default()
        };
        assert!(
            expense
                .patched(&above)
                .unwrap_err()
                .has("tax_amount", ErrorCode::Inconsistent)
        );
    }

    #[test]
    fn amount_must_be_positive() {
        let json = r#"{"transaction_date":"2025-05-02","amount":"0","category":"Travel",
            "vendor":"Rail","description":"Ticket"}"#;
        let input: NewExpenseTransaction = serde_json::from_str(json).unwrap();
        assert_eq!(input.currency, CurrencyCode::USD);
        assert!(
            input
                .check()
                .unwrap_err()
                .has("amount", ErrorCode::OutOfRange)
        );
    }
}
