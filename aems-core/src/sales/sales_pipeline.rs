//! `sales.sales_pipeline`: deals (opportunities) and how they move through stages.
//!
//! ## Stage rules
//!
//! ```text
//! lead → qualified → proposal → negotiation → closed_won
//!   └────────┴───────────┴───────────┴──────→ closed_lost
//! ```
//!
//! * Between open stages a deal may move forward, skipping stages, or back
//!   (qualification gets revisited when a buyer changes), one move at a time.
//! * `closed_lost` is reachable from every open stage; `closed_won` only from
//!   `proposal` or `negotiation` — a deal is won by accepting an offer, and a lead
//!   has none.
//! * Closing sets `status` to the same outcome and records `actual_close_date`,
//!   together, in one change set.
//! * A closed deal never moves again through [`Deal::move_to_stage`]; only
//!   [`Deal::reopen`] brings it back, clearing the close date.
//! * A deal `on_hold` keeps its stage and does not move until [`Deal::resume`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{DomainError, ErrorCode, FieldErrors, TransitionError};
use crate::ids::{CustomerId, DealId, TenantId, UserId};
use crate::macros::{apply_patch, db_enum};
use crate::validation::{Input, nullable, positive};
use crate::values::{LongText, Money, Percentage, Text100, Text255};

db_enum! {
    /// Where a deal is in the pipeline (`sales_pipeline.stage`).
    pub enum DealStage {
        /// First contact.
        Lead => "lead",
        /// Confirmed need and budget.
        Qualified => "qualified",
        /// An offer was sent.
        Proposal => "proposal",
        /// Terms are being agreed.
        Negotiation => "negotiation",
        /// Won (final).
        ClosedWon => "closed_won",
        /// Lost (final).
        ClosedLost => "closed_lost",
    }
}

impl DealStage {
    /// Whether the stage ends the deal.
    pub const fn is_closed(self) -> bool {
        matches!(self, Self::ClosedWon | Self::ClosedLost)
    }
}

db_enum! {
    /// A deal's state (`sales_pipeline.status`).
    pub enum DealStatus {
        /// Being worked on (the SQL default).
        Open => "open",
        /// Won; the stage is `closed_won`.
        ClosedWon => "closed_won",
        /// Lost; the stage is `closed_lost`.
        ClosedLost => "closed_lost",
        /// Paused in an open stage.
        OnHold => "on_hold",
    }
    default = Open;
}

/// A row of `sales.sales_pipeline`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deal {
    /// Primary key.
    pub id: DealId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The customer the deal is with.
    pub customer_id: CustomerId,
    /// What the deal is called.
    pub opportunity_name: Text255,
    /// Where it is in the pipeline.
    pub stage: DealStage,
    /// Expected value, greater than zero.
    pub value: Money,
    /// Chance of winning, 0–100.
    pub probability: Percentage,
    /// When it is expected to close.
    pub expected_close_date: NaiveDate,
    /// When it did close; set exactly when the deal is closed.
    pub actual_close_date: Option<NaiveDate>,
    /// The responsible sales representative.
    pub sales_rep: UserId,
    /// Where the deal came from.
    pub source: Option<Text100>,
    /// Its state.
    pub status: DealStatus,
    /// Free notes.
    pub notes: Option<LongText>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created the row.
    pub created_by: UserId,
    /// Who last changed the row.
    pub updated_by: UserId,
}

/// The columns a stage move, close, reopen, hold or resume writes — always
/// together, so stage, status and close date never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DealStageChange {
    /// New stage.
    pub stage: DealStage,
    /// New status.
    pub status: DealStatus,
    /// New close date (`None` for open deals).
    pub actual_close_date: Option<NaiveDate>,
}

impl DealStageChange {
    /// Writes the change onto a deal (what the DB layer does to the row).
    pub fn apply_to(&self, deal: &mut Deal) {
        deal.stage = self.stage;
        deal.status = self.status;
        deal.actual_close_date = self.actual_close_date;
    }
}

impl Deal {
    /// Moves the deal to `to`; closing stages record `on` as the close date.
    ///
    /// ```
    /// # use aems_core::sales::sales_pipeline::*;
    /// # fn demo(deal: &Deal, today: chrono::NaiveDate) -> Result<(), aems_core::TransitionError> {
    /// let change = deal.move_to_stage(DealStage::ClosedWon, today)?;
    /// assert_eq!(change.status, DealStatus::ClosedWon);
    /// assert_eq!(change.actual_close_date, Some(today));
    /// # Ok(()) }
    /// ```
    pub fn move_to_stage(
        &self,
        to: DealStage,
        on: NaiveDate,
    ) -> Result<DealStageChange, TransitionError> {
        if self.stage.is_closed() {
            return Err(TransitionError::Final {
                entity: "deal",
                state: self.stage.as_str(),
            });
        }
        if self.status == DealStatus::OnHold {
            return Err(TransitionError::Final {
                entity: "deal",
                state: DealStatus::OnHold.as_str(),
            });
        }
        let legal = match to {
            _ if to == self.stage => false,
            DealStage::ClosedWon => {
                matches!(self.stage, DealStage::Proposal | DealStage::Negotiation)
            }
            _ => true,
        };
        if !legal {
            return Err(self.illegal(to));
        }
        Ok(match to {
            DealStage::ClosedWon => self.closing(to, DealStatus::ClosedWon, on),
            DealStage::ClosedLost => self.closing(to, DealStatus::ClosedLost, on),
            _ => DealStageChange {
                stage: to,
                status: DealStatus::Open,
                actual_close_date: None,
            },
        })
    }

    /// Brings a closed deal back to an open stage, clearing its close date.
    pub fn reopen(&self, to: DealStage) -> Result<DealStageChange, TransitionError> {
        if !self.stage.is_closed() || to.is_closed() {
            return Err(self.illegal(to));
        }
        Ok(DealStageChange {
            stage: to,
            status: DealStatus::Open,
            actual_close_date: None,
        })
    }

    /// Pauses an open deal in its stage.
    pub fn put_on_hold(&self) -> Result<DealStageChange, TransitionError> {
        if self.status != DealStatus::Open {
            return Err(self.illegal_status(DealStatus::OnHold));
        }
        Ok(DealStageChange {
            status: DealStatus::OnHold,
            ..self.current()
        })
    }

    /// Resumes a paused deal in its stage.
    pub fn resume(&self) -> Result<DealStageChange, TransitionError> {
        if self.status != DealStatus::OnHold {
            return Err(self.illegal_status(DealStatus::Open));
        }
        Ok(DealStageChange {
            status: DealStatus::Open,
            ..self.current()
        })
    }

    /// The deal with `patch` applied, or every reason it cannot be.
    pub fn patched(&self, patch: &DealPatch) -> Result<Self, DomainError> {
        patch.check()?;
        let mut next = self.clone();
        apply_patch!(
            next,
            patch,
            [
                customer_id,
                opportunity_name,
                value,
                probability,
                expected_close_date,
                sales_rep,
                source,
                notes,
            ]
        );
        Ok(next)
    }

    fn current(&self) -> DealStageChange {
        DealStageChange {
            stage: self.stage,
            status: self.status,
            actual_close_date: self.actual_close_date,
        }
    }

    fn closing(&self, stage: DealStage, status: DealStatus, on: NaiveDate) -> DealStageChange {
        DealStageChange {
            stage,
            status,
            actual_close_date: Some(on),
        }
    }

    fn illegal(&self, to: DealStage) -> TransitionError {
        TransitionError::IllegalMove {
            entity: "deal",
            from: self.stage.as_str(),
            to: to.as_str(),
        }
    }

    fn illegal_status(&self, to: DealStatus) -> TransitionError {
        TransitionError::IllegalMove {
            entity: "deal",
            from: self.status.as_str(),
            to: to.as_str(),
        }
    }
}

/// Input to create a deal. New deals start open, in an open stage; closing is a
/// transition, never typed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewDeal {
    /// The customer.
    pub customer_id: CustomerId,
    /// What the deal is called.
    pub opportunity_name: Text255,
    /// Starting stage (an open one).
    pub stage: DealStage,
    /// Expected value, greater than zero.
    #[validate(custom(function = "positive"))]
    pub value: Money,
    /// Chance of winning, 0–100.
    pub probability: Percentage,
    /// When it is expected to close.
    pub expected_close_date: NaiveDate,
    /// The responsible sales representative.
    pub sales_rep: UserId,
    /// Where the deal came from.
    #[serde(default)]
    pub source: Option<Text100>,
    /// Free notes.
    #[serde(default)]
    pub notes: Option<LongText>,
}

impl Input for NewDeal {
    fn check_rules(&self, errors: &mut FieldErrors) {
        if self.stage.is_closed() {
            errors.push(
                "stage",
                ErrorCode::NotAllowed,
                "a new deal starts in an open stage; close it with a stage move",
            );
        }
    }
}

/// Changes to a deal's details. Stage, status and close date change only through
/// the transitions of [`Deal`]; a patch naming them is refused when read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct DealPatch {
    /// New customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opportunity_name: Option<Text255>,
    /// New value, greater than zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "positive"))]
    pub value: Option<Money>,
    /// New probability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<Percentage>,
    /// New expected close date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_close_date: Option<NaiveDate>,
    /// New sales representative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_rep: Option<UserId>,
    /// New source; `Some(None)` clears it.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub source: Option<Option<Text100>>,
    /// New notes; `Some(None)` clears them.
    #[serde(skip_serializing_if = "Option::is_none", with = "nullable")]
    pub notes: Option<Option<LongText>>,
}

impl Input for DealPatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use DealStage::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
    }

    fn deal_at(stage: DealStage) -> Deal {
        let now = Utc::now();
        let user = UserId::new();
        let closed = stage.is_closed();
        Deal {
            id: DealId::new(),
            tenant_id: TenantId::new(),
            customer_id: CustomerId::new(),
            opportunity_name: "Big one".parse().unwrap(),
            stage,
            value: "1000".parse().unwrap(),
            probability: "50".parse().unwrap(),
            expected_close_date: today(),
            actual_close_date: closed.then(today),
            sales_rep: user,
            source: None,
            status: match stage {
                ClosedWon => DealStatus::ClosedWon,
                ClosedLost => DealStatus::ClosedLost,
                _ => DealStatus::Open,
            },
            notes: None,
            created_at: now,
            updated_at: now,
            created_by: user,
            updated_by: user,
        }
    }

    #[test]
    fn open_stages_move_forward_and_back() {
        assert!(deal_at(Lead).move_to_stage(Negotiation, today()).is_ok());
        let back = deal_at(Proposal).move_to_stage(Qualified, today()).unwrap();
        assert_eq!(
            (back.stage, back.status, back.actual_close_date),
            (Qualified, DealStatus::Open, None)
        );
    }

    #[test]
    fn winning_needs_an_offer() {
        for from in [Lead, Qualified] {
            assert!(matches!(
                deal_at(from).move_to_stage(ClosedWon, today()),
                Err(TransitionError::IllegalMove { .. })
            ));
        }
        for from in [Proposal, Negotiation] {
            let change = deal_at(from).move_to_stage(ClosedWon, today()).unwrap();
            assert_eq!(change.status, DealStatus::ClosedWon);
            assert_eq!(change.actual_close_date, Some(today()));
        }
    }

    #[test]
    fn losing_is_possible_from_every_open_stage() {
        for from in [Lead, Qualified, Proposal, Negotiation] {
            let change = deal_at(from).move_to_stage(ClosedLost, today()).unwrap();
            assert_eq!(change.status, DealStatus::ClosedLost);
            assert_eq!(change.actual_close_date, Some(today()));
        }
    }

    #[test]
    fn a_closed_deal_does_not_move_but_can_be_reopened() {
        for closed in [ClosedWon, ClosedLost] {
            let deal = deal_at(closed);
            for to in DealStage::ALL {
                assert!(deal.move_to_stage(*to, today()).is_err());
            }
            let mut reopened = deal.clone();
            deal.reopen(Negotiation).unwrap().apply_to(&mut reopened);
            assert_eq!(reopened.status, DealStatus::Open);
            assert_eq!(reopened.actual_close_date, None);
            assert!(deal.reopen(ClosedLost).is_err());
        }
        assert!(deal_at(Lead).reopen(Qualified).is_err());
    }

    #[test]
    fn moving_to_the_same_stage_is_refused() {
        assert!(deal_at(Proposal).move_to_stage(Proposal, today()).is_err());
    }

    #[test]
    fn a_deal_on_hold_waits_for_resume() {
        let mut deal = deal_at(Proposal);
        deal.put_on_hold().unwrap().apply_to(&mut deal);
        assert_eq!((deal.stage, deal.status), (Proposal, DealStatus::OnHold));
        assert!(deal.move_to_stage(Negotiation, today()).is_err());
        assert!(deal.put_on_hold().is_err());
        deal.resume().unwrap().apply_to(&mut deal);
        assert!(deal.move_to_stage(Negotiation, today()).is_ok());
        assert!(deal.resume().is_err());
    }

    #[test]
    fn new_deals_must_be_open_and_worth_something() {
        let deal = deal_at(Lead);
        let mut input = NewDeal {
            customer_id: deal.customer_id,
            opportunity_name: deal.opportunity_name.clone(),
            stage: ClosedWon,
            value: Money::zero(),
            probability: deal.probability.clone(),
            expected_close_date: today(),
            sales_rep: deal.sales_rep,
            source: None,
            notes: None,
        };
        let error = input.check().unwrap_err();
        assert!(error.has("stage", ErrorCode::NotAllowed));
        assert!(error.has("value", ErrorCode::OutOfRange));
        input.stage = Lead;
        input.value = "0.01".parse().unwrap();
        assert!(input.check().is_ok());
    }

    #[test]
    fn a_patch_cannot_name_the_stage() {
        assert!(serde_json::from_str::<DealPatch>(r#"{"stage":"closed_won"}"#).is_err());
    }
}
