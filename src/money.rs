//! [`Amount`]: money as a decimal, from the bank's JSON and back, untouched.
//!
//! The bank sends amounts as JSON numbers (`29.2`, `20000`). Going through
//! `f64` would be exact for these, but not for every value, so an amount is
//! read from the number's own text and written back as that text.

use std::{fmt, str::FromStr};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
use serde_json::value::RawValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a decimal amount: {0:?}")]
pub struct AmountError(String);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    pub fn new(value: Decimal) -> Self {
        Amount(value)
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// Parses a JSON number's text (`29.2`, `20000`, `1.5E3`) or a plain
    /// decimal string.
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let t = text.trim();
        let parsed = if t.contains(['e', 'E']) {
            Decimal::from_scientific(t)
        } else {
            Decimal::from_str(t)
        };
        parsed.map(Amount).map_err(|_| AmountError(t.to_owned()))
    }

    /// Two decimals, grouped: `1.234,56` for `('.', ',')`, `1,234.56` for
    /// `(',', '.')`.
    pub fn grouped(self, thousands: char, decimal_mark: char) -> String {
        let rounded = self
            .0
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let negative = rounded.is_sign_negative() && !rounded.is_zero();
        let text = format!("{:.2}", rounded.abs());
        let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::with_capacity(text.len() + text.len() / 3);
        for (i, c) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                grouped.push(thousands);
            }
            grouped.push(c);
        }
        format!(
            "{}{grouped}{decimal_mark}{frac_part}",
            if negative { "-" } else { "" }
        )
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }
}

impl fmt::Display for Amount {
    /// The plain decimal as the bank wrote it (`29.2`), for logs and wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Amount(value)
    }
}

impl Serialize for Amount {
    /// A JSON number with exactly the decimal's digits.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// Accepts a JSON number (read from its text) or a string holding one.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        let inner = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(quoted) => quoted,
            None => text,
        };
        Amount::parse(inner).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> String {
        let amount: Amount = serde_json::from_str(json).expect("parses");
        serde_json::to_string(&amount).expect("serializes")
    }

    #[test]
    fn json_numbers_round_trip_to_the_same_value() {
        for n in ["29.2", "0.1", "1234.56", "20000", "10.00", "0.10"] {
            assert_eq!(round_trip(n), n);
        }
    }

    #[test]
    fn exponent_and_string_forms_are_accepted() {
        assert_eq!(
            Amount::parse("1.5E3").unwrap(),
            Amount::parse("1500").unwrap()
        );
        let a: Amount = serde_json::from_str("\"29.2\"").unwrap();
        assert_eq!(a.to_string(), "29.2");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Amount>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Amount>("true").is_err());
        assert!(serde_json::from_str::<Amount>("{}").is_err());
    }

    #[test]
    fn grouping_per_convention() {
        let a = Amount::parse("1234.56").unwrap();
        assert_eq!(a.grouped('.', ','), "1.234,56");
        assert_eq!(a.grouped(',', '.'), "1,234.56");
        assert_eq!(
            Amount::parse("20000").unwrap().grouped(',', '.'),
            "20,000.00"
        );
        assert_eq!(Amount::parse("0.1").unwrap().grouped('.', ','), "0,10");
        assert_eq!(
            Amount::parse("1234567.891").unwrap().grouped(',', '.'),
            "1,234,567.89"
        );
        assert_eq!(Amount::parse("-5").unwrap().grouped(',', '.'), "-5.00");
    }
}
