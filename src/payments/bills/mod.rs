//! Saved bills: an institution and the query values a customer saved once,
//! to pay again in one tap and to be reminded of.
//!
//! - [`SavedBill`], its [`BillId`] and [`BillName`];
//! - [`remind`]: which reminder an open invoice of a saved bill warrants on
//!   a given day ([`ReminderKind`]);
//! - [`ports`]: what storage keeps of them ([`SavedBills`], [`Reminders`]);
//! - `flow`: [`Payments`](super::Payments)' `save_bill` (at most
//!   [`MAX_SAVED_BILLS`] per customer); `/unlink` deletes an account's.

mod flow;
pub mod ports;
pub mod remind;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::TelegramUserId;
use crate::bank::Account;

pub use flow::SaveOutcome;
pub use ports::{Claim, Reminders, SavedBills, Stored};
pub use remind::{ReminderKind, Reminding};

/// Most saved bills one customer keeps.
pub const MAX_SAVED_BILLS: usize = 20;

/// Most characters of a bill's name.
pub const MAX_BILL_NAME_CHARS: usize = 32;

/// A random id, within 63 bits so every backend stores it as a signed
/// 64-bit integer; printed in base 36 in buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BillId(pub u64);

impl BillId {
    pub fn new() -> Self {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[..8]);
        BillId(u64::from_le_bytes(n) >> 1)
    }
}

impl Default for BillId {
    fn default() -> Self {
        BillId::new()
    }
}

/// What a customer calls a saved bill ("Ev suyu"): one line of 1 to
/// [`MAX_BILL_NAME_CHARS`] characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillName(String);

/// Why a typed name is not a bill name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    #[error("empty")]
    Empty,
    #[error("too long")]
    TooLong,
    #[error("control characters")]
    Control,
}

impl BillName {
    pub fn parse(text: &str) -> Result<BillName, BadName> {
        let name = text.trim();
        if name.is_empty() {
            return Err(BadName::Empty);
        }
        if name.chars().count() > MAX_BILL_NAME_CHARS {
            return Err(BadName::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(BadName::Control);
        }
        Ok(BillName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One query field of a saved bill: the bank's key, its prompt, the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedField {
    pub name: String,
    pub label: String,
    pub value: String,
}

/// Where a paid bill's institution is listed and what its query was
/// filled in with: what saving it needs beyond the payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillQuery {
    pub group_code: String,
    pub group_name: String,
    pub fields: Vec<SavedField>,
}

/// A bill a customer saved: which account pays it, where the institution
/// is listed, and what its query is filled in with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedBill {
    pub id: BillId,
    pub user: TelegramUserId,
    /// The customer's private chat: where reminders go.
    pub chat_id: i64,
    pub account: Account,
    pub group_code: String,
    pub group_name: String,
    pub association_code: String,
    pub association_name: String,
    pub fields: Vec<SavedField>,
    /// The subscriber number as the bank printed it, for the list.
    pub subscriber: String,
    #[serde(default)]
    pub name: Option<BillName>,
    /// Whether the daily check writes about this bill.
    pub reminders: bool,
    pub created_at: DateTime<Utc>,
}

impl SavedBill {
    /// What makes two saved bills the same bill: the customer, the bank
    /// account, the institution and the query values. A backend keeps at
    /// most one bill per key.
    pub fn key(&self) -> String {
        bill_key(
            self.user,
            &self.account,
            &self.association_code,
            self.fields
                .iter()
                .map(|f| (f.name.as_str(), f.value.as_str())),
        )
    }

    /// The name given, else the institution's.
    pub fn title(&self) -> &str {
        match &self.name {
            Some(n) => n.as_str(),
            None => &self.association_name,
        }
    }

    /// The query field names, in order: what the bank asked when it was
    /// saved.
    pub fn field_names(&self) -> Vec<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }
}

/// [`SavedBill::key`] of a bill not built yet (is this one saved?).
pub fn bill_key<'a>(
    user: TelegramUserId,
    account: &Account,
    association_code: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut h = Sha256::new();
    // Lengths first, so no two different tuples hash the same bytes.
    let mut part = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    part(&user.0.to_string());
    part(&format!(
        "{}/{}/{}/{}",
        account.customer_no, account.branch_code, account.suffix, account.currency
    ));
    part(association_code);
    for (name, value) in fields {
        part(name);
        part(value.trim());
    }
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A change to a saved bill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillEdit {
    Rename(Option<BillName>),
    Reminders(bool),
}

impl SavedBill {
    pub fn edited(mut self, edit: &BillEdit) -> SavedBill {
        match edit {
            BillEdit::Rename(name) => self.name = name.clone(),
            BillEdit::Reminders(on) => self.reminders = *on,
        }
        self
    }
}

/// Why a saved bill cannot be queried as it was saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfit {
    /// The bank no longer lists its institution in its group.
    Unlisted,
    /// The institution asks for other query fields now.
    Changed,
}

/// Whether `bill` still fits the bank's catalog: its institution among
/// `listed` (codes of its group's institutions) and the institution's
/// query fields `fields` (names, in order) the ones it was saved with.
pub fn fits<'a>(
    bill: &SavedBill,
    mut listed: impl Iterator<Item = &'a str>,
    fields: &[&str],
) -> Result<(), Unfit> {
    if !listed.any(|code| code == bill.association_code) {
        return Err(Unfit::Unlisted);
    }
    if bill.field_names() != fields {
        return Err(Unfit::Changed);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
