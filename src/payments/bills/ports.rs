//! What saved bills and reminders need from storage. Exactly-once rests on
//! these being atomic in the database: [`SavedBills::save`] checks the
//! customer's count and the bill's key in the same transaction as the
//! insert; [`Reminders::claim_check`] and [`Reminders::claim_send`] are
//! inserts under a unique key (the first a conditional takeover of a
//! stale claim), so of several replicas exactly one wins.
//! [`Reminders::next_query`] paces the runs of every replica as one.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{BillEdit, BillId, ReminderKind, SavedBill};
use crate::{
    bank::Account,
    payments::{StoreError, TelegramUserId},
};

/// What [`SavedBills::save`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Saved(SavedBill),
    /// The customer had this bill (same [`SavedBill::key`]) saved already.
    Exists(SavedBill),
    /// The customer has `max` bills saved: nothing was stored.
    Full,
}

/// What [`Reminders::claim_check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This caller checks the bill.
    Won,
    /// It is checked already that day.
    Done,
    /// Another run claimed it less than `stale` ago and has not finished:
    /// look again once that claim would be stale (the run may die).
    Held,
}

/// The customers' saved bills.
#[async_trait]
pub trait SavedBills: Send + Sync {
    /// Stores `bill` unless its customer has one with the same key, or
    /// `max` already: one atomic step per customer, durable.
    async fn save(&self, bill: SavedBill, max: usize) -> Result<Stored, StoreError>;
    /// The customer's bills, oldest first.
    async fn list(&self, user: TelegramUserId) -> Result<Vec<SavedBill>, StoreError>;
    /// The customer's bill `id`; `None` for a bill of someone else.
    async fn get(&self, user: TelegramUserId, id: BillId) -> Result<Option<SavedBill>, StoreError>;
    /// The customer's bill with key `key` ([`SavedBill::key`]).
    async fn find(&self, user: TelegramUserId, key: &str) -> Result<Option<SavedBill>, StoreError>;
    /// Applies `edit` atomically; the bill as it is now, `None` if gone.
    async fn edit(
        &self,
        user: TelegramUserId,
        id: BillId,
        edit: BillEdit,
    ) -> Result<Option<SavedBill>, StoreError>;
    /// Whether it was there.
    async fn delete(&self, user: TelegramUserId, id: BillId) -> Result<bool, StoreError>;
    /// Deletes the customer's bills paid from `account` (`/unlink`); how many.
    async fn delete_account(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<u64, StoreError>;
    /// Bills with reminders on, in id order, after `after`, at most
    /// `limit`: the reminder run pages through them.
    async fn with_reminders(
        &self,
        after: Option<BillId>,
        limit: usize,
    ) -> Result<Vec<SavedBill>, StoreError>;
}

/// What the reminder run has done: durable, shared by replicas.
#[async_trait]
pub trait Reminders: Send + Sync {
    /// Claims the check of `bill` on `day`: [`Claim::Won`] when this
    /// caller checks it. A claim older than `stale`, never marked done, was
    /// a run that died: it is taken over.
    async fn claim_check(
        &self,
        bill: BillId,
        day: NaiveDate,
        now: DateTime<Utc>,
        stale: Duration,
    ) -> Result<Claim, StoreError>;
    /// Moves this run's claim of `bill` on `day`, made at `claimed_at`,
    /// to `now`: a claim waiting for its turn to query is not taken for a
    /// dead run's. `false` when it is no longer this run's (taken over as
    /// stale, or done): the caller leaves the bill alone.
    async fn renew_check(
        &self,
        bill: BillId,
        day: NaiveDate,
        claimed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The check of `bill` on `day` is over.
    async fn checked(&self, bill: BillId, day: NaiveDate) -> Result<(), StoreError>;
    /// Claims sending reminder `kind` about `invoice` of `bill`: `true`
    /// once ever per (bill, invoice, kind); the caller sends after. A crash
    /// between the two loses that reminder rather than sending it twice.
    async fn claim_send(
        &self,
        bill: BillId,
        invoice: &str,
        kind: ReminderKind,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Gives back a claim of [`Reminders::claim_send`] whose message
    /// Telegram refused (the customer blocked the bot: surely not
    /// delivered), so they are told once they can be. Nothing when not
    /// claimed.
    async fn release_send(
        &self,
        bill: BillId,
        invoice: &str,
        kind: ReminderKind,
    ) -> Result<(), StoreError>;
    /// Reserves the start of one bank query of the reminder runs, `every`
    /// after the one reserved before it by any run, of any replica:
    /// how long from now until it (zero when the last is long past). The
    /// configured rate is the bank's, so it is shared, not per process.
    async fn next_query(&self, every: Duration) -> Result<Duration, StoreError>;
    /// Forgets checks of days before `day` and sends claimed before
    /// `sent_before`; how many rows went.
    async fn prune(&self, day: NaiveDate, sent_before: DateTime<Utc>) -> Result<u64, StoreError>;
}
