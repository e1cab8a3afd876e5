//! The daily limit's running totals: per (account, Istanbul day), the sum
//! of what counts toward the limit. sled transactions cannot scan, so
//! `begin` reads and raises one key in its transaction instead of summing
//! records, and a change that frees an amount lowers it in its own.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::SledLedger;
use crate::{
    bank::Account,
    money::Amount,
    payments::{PaymentRecord, StoreError, limit},
};

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Customer, branch and suffix (big-endian), then the day as text.
pub(super) fn key(account: &Account, day: NaiveDate) -> Vec<u8> {
    let mut key = account.customer_no.to_be_bytes().to_vec();
    key.extend_from_slice(&account.branch_code.to_be_bytes());
    key.extend_from_slice(&account.suffix.to_be_bytes());
    key.extend_from_slice(day.format("%Y-%m-%d").to_string().as_bytes());
    key
}

fn decode(bytes: Option<sled::IVec>) -> Result<Amount, StoreError> {
    let Some(bytes) = bytes else {
        return Ok(Amount::ZERO);
    };
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| StoreError::Backend("a daily total does not decode".into()))
}

fn encode(total: Amount) -> Vec<u8> {
    total.to_string().into_bytes()
}

pub(super) fn read(spent: &TransactionalTree, key: &[u8]) -> TxResult<Amount> {
    decode(spent.get(key)?).map_err(ConflictableTransactionError::Abort)
}

pub(super) fn write(spent: &TransactionalTree, key: &[u8], total: Amount) -> TxResult<()> {
    spent.insert(key, encode(total))?;
    Ok(())
}

pub(super) fn read_now(spent: &sled::Tree, key: &[u8]) -> Result<Amount, StoreError> {
    decode(spent.get(key)?)
}

/// `record` no longer counts: its amount comes off its day's total.
pub(super) fn release(spent: &TransactionalTree, record: &PaymentRecord) -> TxResult<()> {
    let key = key(&record.account, record.day());
    let total = read(spent, &key)?;
    let less = total.value().saturating_sub(record.amount.value());
    // Never below zero, whatever an older build left.
    write(
        spent,
        &key,
        Amount::new(less.max(rust_decimal::Decimal::ZERO)),
    )
}

impl SledLedger {
    /// Databases written before the totals get them built once, from the
    /// records (a record that does not decode counts nothing).
    pub(super) fn with_spent_index(self) -> SledLedger {
        if self.spent.is_empty() && !self.payments.is_empty() {
            let mut totals: BTreeMap<Vec<u8>, Amount> = BTreeMap::new();
            for (_, bytes) in self.payments.iter().flatten() {
                if let Ok(record) = serde_json::from_slice::<PaymentRecord>(&bytes)
                    && record.state.counts_toward_limit()
                {
                    let total = totals
                        .entry(key(&record.account, record.day()))
                        .or_default();
                    *total = limit::plus(*total, record.amount);
                }
            }
            for (key, total) in totals {
                let _ = self.spent.insert(key, encode(total));
            }
        }
        self
    }
}
