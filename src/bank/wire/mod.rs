//! The bank's JSON, read tolerantly and written exactly.
//!
//! Quirks of the real service that this module absorbs:
//! - `$type` keys on every object (ignored);
//! - `AsociationCollectionGroups` (sic; `AssociationCollectionGroups` is
//!   accepted too) is a map that also holds a `"$type"` entry, not a group;
//! - the screen definition sits at `Data.Response` or `Data.Response.Response`;
//! - `PaymentInputMappings` may repeat an entry;
//! - bill items are kept verbatim ([`Bill::raw`]) so that the payment sends
//!   back exactly what the query returned, fields unknown to us included.
//!
//! Here the envelope and [`parse`]; the answers of the catalog methods are in
//! `catalog`, those of invoice queries, payments and cancellations in
//! `payment`.

mod catalog;
mod payment;
#[cfg(test)]
mod tests;

use serde::Deserialize;
use serde_json::{Value, value::RawValue};

use super::BankError;

pub use catalog::{
    Association, AssociationsData, Group, GroupMap, GroupsData, QueryField, ScreenDefinition,
    parse_screen,
};
pub use payment::{Account, Bill, InvoicesData, InvoicesResponse, TransactionData, parse_invoices};

/// The outer envelope of every answer.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "Data")]
    pub data: Option<Box<RawValue>>,
    #[serde(rename = "Error")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "Code", default)]
    pub code: Option<Value>,
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
}

impl Envelope {
    /// The `Data` of a successful answer, or the error it carries.
    pub fn into_data(self) -> Result<Box<RawValue>, BankError> {
        if let Some(err) = self.error {
            let code = match err.code {
                Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
                Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
                _ => -1,
            };
            return Err(BankError::Rejected {
                code,
                description: err.description.unwrap_or_default(),
            });
        }
        match self.data {
            Some(data) if data.get() != "null" => Ok(data),
            _ => Err(BankError::malformed("neither Data nor Error in the answer")),
        }
    }
}

pub fn parse<'a, T: Deserialize<'a>>(what: &str, text: &'a str) -> Result<T, BankError> {
    serde_json::from_str(text)
        .map_err(|e| BankError::malformed(format!("{what}: {}", redacted(&e))))
}

/// serde_json's message without the value it quotes: `invalid type: string
/// "…", expected u64` would carry a subscriber's name or a customer number
/// from the body into logs and the ledger's notes.
fn redacted(e: &serde_json::Error) -> String {
    let message = e.to_string();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let kind = rest.split([' ', ',']).next().unwrap_or_default();
            let expected = rest.rfind(", expected").map_or("", |i| &rest[i..]);
            return format!("{prefix}{kind}{expected}");
        }
    }
    message
}
