//! Properties that must hold for every input, not just the examples.

use aems_core::finance::budget_plans::BudgetAmounts;
use aems_core::products::inventory_levels::StockLevels;
use aems_core::products::products::Pricing;
use aems_core::risk::risk_assessments::{RiskLevel, RiskRating};
use aems_core::{Email, Impact, Likelihood, Money, Money10, Percentage, TransitionError};
use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::BigInt;
use proptest::prelude::*;

const MAX_CENTS: i64 = 999_999_999_999_999; // DECIMAL(15,2): 9,999,999,999,999.99

fn money_from_cents(cents: i64) -> Money {
    Money::from_minor_units(cents).unwrap()
}

/// Rounds `numerator / denominator` (scaled by 100) to an integer, half away from
/// zero, in integer arithmetic: the reference the decimal code must agree with.
fn reference_round(numerator: i128, denominator: i128) -> i128 {
    let sign = if (numerator < 0) != (denominator < 0) {
        -1
    } else {
        1
    };
    let (n, d) = (numerator.abs(), denominator.abs());
    sign * ((2 * n + d) / (2 * d))
}

#[derive(Debug, Clone, Copy)]
enum StockOp {
    Reserve(i32),
    Release(i32),
    Fulfil(i32),
    Restock(i32),
    Adjust(i32),
}

fn stock_op() -> impl Strategy<Value = StockOp> {
    let quantity = -5..200i32;
    prop_oneof![
        quantity.clone().prop_map(StockOp::Reserve),
        quantity.clone().prop_map(StockOp::Release),
        quantity.clone().prop_map(StockOp::Fulfil),
        quantity.clone().prop_map(StockOp::Restock),
        quantity.prop_map(StockOp::Adjust),
    ]
}

proptest! {
    #[test]
    fn risk_score_is_always_likelihood_times_impact(l in 1..=5i32, i in 1..=5i32) {
        let rating = RiskRating::new(Likelihood::new(l).unwrap(), Impact::new(i).unwrap());
        let score = i32::from(rating.score().get());
        prop_assert_eq!(score, l * i);
        prop_assert!((1..=25).contains(&score));
        let expected = match score {
            1..=4 => RiskLevel::Low,
            5..=9 => RiskLevel::Medium,
            10..=16 => RiskLevel::High,
            _ => RiskLevel::Critical,
        };
        prop_assert_eq!(rating.level(), expected);
    }

    #[test]
    fn risk_factors_outside_one_to_five_are_refused(value in any::<i32>()) {
        prop_assert_eq!(Likelihood::new(value).is_ok(), (1..=5).contains(&value));
        prop_assert_eq!(Impact::new(value).is_ok(), (1..=5).contains(&value));
    }

    #[test]
    fn no_sequence_of_stock_operations_oversells(
        start_current in 0..100i32,
        start_reserved in 0..100i32,
        ops in proptest::collection::vec(stock_op(), 0..60),
    ) {
        let reserved = start_reserved.min(start_current);
        let mut stock = StockLevels::new(start_current, reserved).unwrap();
        for op in ops {
            let before = stock;
            let result = match op {
                StockOp::Reserve(q) => stock.reserve(q),
                StockOp::Release(q) => stock.release(q),
                StockOp::Fulfil(q) => stock.fulfil(q),
                StockOp::Restock(q) => stock.restock(q),
                StockOp::Adjust(q) => stock.adjust(q),
            };
            match result {
                Ok(next) => stock = next,
                Err(error) => {
                    prop_assert!(!matches!(error, TransitionError::Invalid(_)));
                    prop_assert_eq!(stock, before, "a refused operation changes nothing");
                }
            }
            prop_assert!(stock.available() >= 0);
            prop_assert!(stock.reserved() >= 0);
            prop_assert!(stock.reserved() <= stock.current());
            prop_assert_eq!(stock.available(), stock.current() - stock.reserved());
        }
    }

    #[test]
    fn reserving_succeeds_exactly_up_to_available(current in 0..1000i32, reserved in 0..1000i32, q in 1..2000i32) {
        let stock = StockLevels::new(current.max(reserved), reserved).unwrap();
        prop_assert_eq!(stock.reserve(q).is_ok(), q <= stock.available());
    }

    #[test]
    fn money_round_trips_through_text_and_json(cents in -MAX_CENTS..=MAX_CENTS) {
        let money = money_from_cents(cents);
        let text = money.to_string();
        prop_assert_eq!(&text.parse::<Money>().unwrap(), &money);
        let json = serde_json::to_string(&money).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Money>(&json).unwrap(), &money);
        // Exactly two decimals, like PostgreSQL prints DECIMAL(15,2).
        let decimals = text.split('.').nth(1).map(str::len);
        prop_assert_eq!(decimals, Some(2));
    }

    #[test]
    fn money_refuses_a_third_decimal_instead_of_rounding(cents in -MAX_CENTS..=MAX_CENTS, digit in 1..=9u8) {
        let text = format!("{}{digit}", money_from_cents(cents));
        prop_assert!(text.parse::<Money>().is_err());
    }

    #[test]
    fn money_bounds_are_exact(units in 0..10_000i64) {
        let over = BigDecimal::new(BigInt::from(MAX_CENTS) + 1 + units, 2);
        prop_assert!(Money::new(over.clone()).is_err());
        prop_assert!(Money::new(-over).is_err());
    }

    #[test]
    fn rounding_matches_half_away_from_zero(thousandths in -9_999_999_999_999i64..9_999_999_999_999) {
        let value = BigDecimal::new(BigInt::from(thousandths), 3);
        let rounded = Money::from_rounded(&value).unwrap();
        let expected = reference_round(i128::from(thousandths), 10);
        prop_assert_eq!(rounded, money_from_cents(expected as i64));
    }

    #[test]
    fn percentage_accepts_exactly_zero_to_hundred(hundredths in -20_000..20_000i64) {
        let value = BigDecimal::new(BigInt::from(hundredths), 2);
        prop_assert_eq!(Percentage::try_from(value).is_ok(), (0..=10_000).contains(&hundredths));
    }

    #[test]
    fn budget_variance_is_actual_minus_planned(
        planned in 1..=99_999_999_999i64,
        actual in 0..=99_999_999_999i64,
    ) {
        let amounts = BudgetAmounts::new(money_from_cents(planned), money_from_cents(actual)).unwrap();
        prop_assert_eq!(amounts.variance(), &money_from_cents(actual - planned));
        let expected = reference_round(i128::from(actual - planned) * 10_000, i128::from(planned));
        let expected = BigDecimal::new(BigInt::from(expected), 2);
        prop_assert_eq!(amounts.variance_percentage().as_decimal(), &expected);
    }

    #[test]
    fn profit_margin_is_rounded_and_within_zero_to_hundred(
        cost in 0..=9_999_999_998i64,
        markup in 1..=9_999_999_999i64,
    ) {
        let price = (cost + markup).min(9_999_999_999);
        prop_assume!(price > cost);
        let pricing = Pricing::new(
            Money10::from_minor_units(cost).unwrap(),
            Money10::from_minor_units(price).unwrap(),
        )
        .unwrap();
        let expected = reference_round(i128::from(price - cost) * 10_000, i128::from(price));
        let expected = BigDecimal::new(BigInt::from(expected), 2);
        prop_assert_eq!(pricing.profit_margin().as_decimal(), &expected);
        let (zero, hundred) = (BigDecimal::from(0), BigDecimal::from(100));
        let margin = pricing.profit_margin().as_decimal();
        prop_assert!(margin >= &zero && margin <= &hundred);
    }

    #[test]
    fn generated_addresses_in_the_pattern_are_accepted(
        local in "[A-Za-z0-9._%+-]{1,40}",
        domain in "[A-Za-z0-9.-]{1,40}",
        tld in "[A-Za-z]{2,10}",
    ) {
        let address = format!("{local}@{domain}.{tld}");
        let email = Email::new(&address).unwrap();
        prop_assert_eq!(email.as_str(), address.as_str());
    }

    #[test]
    fn accepted_addresses_are_ascii_and_short_enough(text in "\\PC{0,300}") {
        if let Ok(email) = Email::new(&text) {
            prop_assert!(email.as_str().is_ascii());
            prop_assert!(email.as_str().len() <= 255);
            prop_assert!(email.as_str().contains('@'));
        }
    }
}
