//! The identifiers a payment is known by, each parsed and printed in one
//! place. All are stored as the plain JSON value they wrap.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The confirmation screen a payment answers, and the ledger's key:
/// `<chat id>-<screen id in 16 hex digits>`. Derived, never random, so a
/// press is matched to its payment even after the dialogue moved on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentIntent(String);

impl PaymentIntent {
    /// The intent of confirmation screen `screen` in chat `chat_id`.
    pub fn of_confirmation(chat_id: i64, screen: u64) -> Self {
        PaymentIntent(format!("{chat_id}-{screen:016x}"))
    }

    /// A reference typed by staff (`/settle`): the shape this bot writes,
    /// nothing else.
    pub fn parse(text: &str) -> Option<Self> {
        let (chat, screen) = text.rsplit_once('-')?;
        let digits = chat.strip_prefix('-').unwrap_or(chat);
        let chat_ok =
            !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit());
        let screen_ok = screen.len() == 16 && screen.bytes().all(|b| b.is_ascii_hexdigit());
        (chat_ok && screen_ok).then(|| PaymentIntent(text.to_ascii_lowercase()))
    }

    /// For records written by other code paths (tests, load generators).
    pub fn from_raw(text: impl Into<String>) -> Self {
        PaymentIntent(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentIntent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The bank's `TransactionId` of a completed payment: what receipts and
/// cancellations are asked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransactionId(pub i64);

impl TransactionId {
    /// As typed in a command: digits, optionally after `#`.
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.trim().trim_start_matches('#');
        digits.parse().ok().map(TransactionId)
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A Telegram user: a payer, a customer, an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TelegramUserId(pub u64);

impl fmt::Display for TelegramUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_prints_as_it_parses() {
        let intent = PaymentIntent::of_confirmation(123456, 0xff00ff);
        assert_eq!(intent.as_str(), "123456-0000000000ff00ff");
        assert_eq!(PaymentIntent::parse(intent.as_str()), Some(intent.clone()));
        assert_eq!(
            PaymentIntent::parse("123456-0000000000FF00FF"),
            Some(intent),
            "staff may type the hex digits in capitals"
        );
        let group = PaymentIntent::of_confirmation(-1001, 1);
        assert_eq!(PaymentIntent::parse(group.as_str()), Some(group));
    }

    #[test]
    fn anything_else_is_no_intent() {
        for bad in [
            "",
            "-",
            "123456",
            "123456-",
            "-00000000000000ff",
            "x-00000000000000ff",
            "123456-ff",
            "123456-0000000000ff00ffff",
            "123456-0000000000ff00fg",
            "1-2-00000000000000ff",
            "+5-00000000000000ff",
        ] {
            assert_eq!(PaymentIntent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn transaction_ids_are_typed_with_or_without_a_hash() {
        assert_eq!(TransactionId::parse("#100234"), Some(TransactionId(100234)));
        assert_eq!(TransactionId::parse(" 7 "), Some(TransactionId(7)));
        assert_eq!(TransactionId::parse("x7"), None);
    }

    #[test]
    fn ids_are_stored_as_plain_values() {
        let json = serde_json::to_string(&(
            PaymentIntent::of_confirmation(5, 1),
            TransactionId(9),
            TelegramUserId(3),
        ))
        .expect("json");
        assert_eq!(json, r#"["5-0000000000000001",9,3]"#);
    }
}
