//! Every value type survives a serde round trip unchanged, and deserializing
//! refuses what construction refuses.

use std::fmt::Debug;

use aems_core::{
    CurrencyCode, CustomerId, Email, Impact, Likelihood, LongText, Money, Money10, Money12,
    Numeric, Percentage, PhoneE164, Rating, RiskScore, Score10, Sku, Slug, Text50, Text100,
    Text150, Text255, Url,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
    let json = serde_json::to_string(&value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(back, value, "{json}");
}

fn refused<T: DeserializeOwned + Debug>(json: &str) {
    assert!(
        serde_json::from_str::<T>(json).is_err(),
        "{} accepted {json}",
        std::any::type_name::<T>()
    );
}

#[test]
fn text_values_round_trip() {
    round_trip(Email::new("a.b+c@example.co.uk").unwrap());
    round_trip(PhoneE164::new("+442071838750").unwrap());
    round_trip(CurrencyCode::EUR);
    round_trip(Slug::new("acme-eu").unwrap());
    round_trip(Sku::new("SKU-0001").unwrap());
    round_trip(Text50::new("E-42").unwrap());
    round_trip(Text100::new("Zoë").unwrap());
    round_trip(Text150::new("Head of Things").unwrap());
    round_trip(Text255::new("Acme \"Quoted\" GmbH").unwrap());
    round_trip(LongText::new("multi\nline").unwrap());
    round_trip(Url::new("https://example.com/a?b=c").unwrap());
    round_trip(CustomerId::new());
}

#[test]
fn numeric_values_round_trip() {
    round_trip(Money::max_value());
    round_trip(Money::min_value());
    round_trip("0.01".parse::<Money10>().unwrap());
    round_trip("-12345.6".parse::<Money12>().unwrap());
    round_trip("-1.2345".parse::<Numeric<5, 4>>().unwrap());
    round_trip("100".parse::<Percentage>().unwrap());
    round_trip("4.5".parse::<Rating>().unwrap());
    round_trip("0".parse::<Score10>().unwrap());
    round_trip(Likelihood::new(3).unwrap());
    round_trip(Impact::new(5).unwrap());
    round_trip(RiskScore::of(Likelihood::MAX, Impact::MAX));
}

#[test]
fn deserializing_refuses_invalid_values() {
    refused::<Email>("\"a@b\"");
    refused::<PhoneE164>("\"+1\"");
    refused::<CurrencyCode>("\"usd\"");
    refused::<Slug>("\"Not A Slug\"");
    refused::<Text50>(&format!("\"{}\"", "x".repeat(51)));
    refused::<Text100>("\"\"");
    refused::<LongText>("\"  \"");
    refused::<Url>("\"ftp://x.org\"");
    refused::<Money>("\"0.001\"");
    refused::<Money>("0.5");
    refused::<Money10>("\"100000000\"");
    refused::<Percentage>("\"-1\"");
    refused::<Rating>("\"5.5\"");
    refused::<Score10>("\"11\"");
    refused::<Likelihood>("0");
    refused::<RiskScore>("7");
    refused::<CustomerId>("\"42\"");
}
