//! [`SledBills`] and [`SledReminders`]. A customer's saved bills are one
//! value (a list of at most twenty, keyed by user id), so saving, editing
//! and deleting are each one compare-and-swap: the count and the key are
//! checked against exactly what is written over. Reminder claims are
//! inserts of absent keys (a compare-and-swap from nothing). All durable
//! through the [`Flusher`] before they return.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Flusher, blocking};
use crate::{
    bank::Account,
    payments::{
        StoreError, TelegramUserId,
        bills::{BillEdit, BillId, Claim, ReminderKind, Reminders, SavedBill, SavedBills, Stored},
    },
};

#[derive(Clone)]
pub struct SledBills {
    pub(crate) tree: sled::Tree,
    flusher: Flusher,
}

impl SledBills {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        SledBills { tree, flusher }
    }

    /// Replaces the customer's list with `change(list)` (when `Some`), by
    /// compare-and-swap, retried; returns what `change` said.
    async fn update<T: Send + 'static>(
        &self,
        user: TelegramUserId,
        change: impl Fn(&mut Vec<SavedBill>) -> (bool, T) + Send + 'static,
    ) -> Result<T, StoreError> {
        let tree = self.tree.clone();
        let key = user.0.to_be_bytes();
        let (written, out) = blocking(move || {
            loop {
                let old = tree.get(key)?;
                let mut list = decode(old.as_deref())?;
                let (write, out) = change(&mut list);
                if !write {
                    return Ok((false, out));
                }
                let new = if list.is_empty() {
                    None
                } else {
                    Some(serde_json::to_vec(&list)?)
                };
                if tree.compare_and_swap(key, old, new)?.is_ok() {
                    return Ok((true, out));
                }
            }
        })
        .await?;
        if written {
            self.flusher.durable().await?;
        }
        Ok(out)
    }

    async fn read(&self, user: TelegramUserId) -> Result<Vec<SavedBill>, StoreError> {
        let tree = self.tree.clone();
        let bytes = blocking(move || Ok(tree.get(user.0.to_be_bytes())?)).await?;
        decode(bytes.as_deref())
    }
}

fn decode(bytes: Option<&[u8]>) -> Result<Vec<SavedBill>, StoreError> {
    Ok(match bytes {
        Some(b) => serde_json::from_slice(b)?,
        None => Vec::new(),
    })
}

#[async_trait]
impl SavedBills for SledBills {
    async fn save(&self, bill: SavedBill, max: usize) -> Result<Stored, StoreError> {
        let user = bill.user;
        let key = bill.key();
        self.update(user, move |list| {
            if let Some(b) = list.iter().find(|b| b.key() == key) {
                return (false, Stored::Exists(b.clone()));
            }
            if list.len() >= max {
                return (false, Stored::Full);
            }
            list.push(bill.clone());
            (true, Stored::Saved(bill.clone()))
        })
        .await
    }

    async fn list(&self, user: TelegramUserId) -> Result<Vec<SavedBill>, StoreError> {
        self.read(user).await
    }

    async fn get(&self, user: TelegramUserId, id: BillId) -> Result<Option<SavedBill>, StoreError> {
        Ok(self.read(user).await?.into_iter().find(|b| b.id == id))
    }

    async fn find(&self, user: TelegramUserId, key: &str) -> Result<Option<SavedBill>, StoreError> {
        Ok(self.read(user).await?.into_iter().find(|b| b.key() == key))
    }

    async fn edit(
        &self,
        user: TelegramUserId,
        id: BillId,
        edit: BillEdit,
    ) -> Result<Option<SavedBill>, StoreError> {
        self.update(user, move |list| {
            match list.iter_mut().find(|b| b.id == id) {
                Some(b) => {
                    *b = b.clone().edited(&edit);
                    (true, Some(b.clone()))
                }
                None => (false, None),
            }
        })
        .await
    }

    async fn delete(&self, user: TelegramUserId, id: BillId) -> Result<bool, StoreError> {
        self.update(user, move |list| {
            let before = list.len();
            list.retain(|b| b.id != id);
            let gone = list.len() != before;
            (gone, gone)
        })
        .await
    }

    async fn delete_account(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<u64, StoreError> {
        let account = account.clone();
        self.update(user, move |list| {
            let before = list.len();
            list.retain(|b| b.account != account);
            let gone = (before - list.len()) as u64;
            (gone > 0, gone)
        })
        .await
    }

    /// A scan of every customer's list: reminder runs are daily and the
    /// lists small.
    async fn with_reminders(
        &self,
        after: Option<BillId>,
        limit: usize,
    ) -> Result<Vec<SavedBill>, StoreError> {
        let tree = self.tree.clone();
        blocking(move || {
            let mut found = Vec::new();
            for entry in tree.iter() {
                let (key, value) = entry?;
                match serde_json::from_slice::<Vec<SavedBill>>(&value) {
                    Ok(list) => found.extend(
                        list.into_iter()
                            .filter(|b| b.reminders && after.is_none_or(|a| b.id > a)),
                    ),
                    Err(e) => {
                        tracing::warn!(key = ?key, error = %e, "unreadable saved bills skipped")
                    }
                }
            }
            found.sort_by_key(|b| b.id);
            found.truncate(limit);
            Ok(found)
        })
        .await
    }
}

/// One bill's check of one day.
#[derive(Serialize, Deserialize)]
struct Check {
    claimed_at: DateTime<Utc>,
    done: bool,
}

#[derive(Clone)]
pub struct SledReminders {
    pub(crate) checks: sled::Tree,
    pub(crate) sends: sled::Tree,
    flusher: Flusher,
    /// The next query's start: sled is one process, so its memory is the
    /// whole deployment's pace (a restart starts it afresh, as it may).
    pace: Arc<Mutex<Option<Instant>>>,
}

impl SledReminders {
    pub fn new(checks: sled::Tree, sends: sled::Tree, flusher: Flusher) -> Self {
        SledReminders {
            checks,
            sends,
            flusher,
            pace: Arc::default(),
        }
    }
}

/// Bill id, then the day: a day's checks of one bill sort together.
fn check_key(bill: BillId, day: NaiveDate) -> Vec<u8> {
    let mut key = bill.0.to_be_bytes().to_vec();
    key.extend_from_slice(day.format("%Y-%m-%d").to_string().as_bytes());
    key
}

fn send_key(bill: BillId, invoice: &str, kind: ReminderKind) -> Vec<u8> {
    let mut key = bill.0.to_be_bytes().to_vec();
    key.extend_from_slice(kind.code().as_bytes());
    key.push(0);
    key.extend_from_slice(invoice.as_bytes());
    key
}

/// What a [`send_key`] names, for `migrate --from-sled`; `None` for a key
/// that is not one.
pub(crate) fn read_send_key(key: &[u8]) -> Option<(BillId, ReminderKind, String)> {
    let (id, rest) = key.split_at_checked(8)?;
    let bill = BillId(u64::from_be_bytes(id.try_into().ok()?));
    // The kind's code holds no zero byte; the invoice may.
    let end = rest.iter().position(|b| *b == 0)?;
    let kind = [ReminderKind::New, ReminderKind::DueSoon]
        .into_iter()
        .find(|k| k.code().as_bytes() == &rest[..end])?;
    let invoice = std::str::from_utf8(&rest[end + 1..]).ok()?;
    Some((bill, kind, invoice.to_owned()))
}

#[async_trait]
impl Reminders for SledReminders {
    async fn claim_check(
        &self,
        bill: BillId,
        day: NaiveDate,
        now: DateTime<Utc>,
        stale: Duration,
    ) -> Result<Claim, StoreError> {
        let tree = self.checks.clone();
        let key = check_key(bill, day);
        let stale = chrono::Duration::from_std(stale).unwrap_or(chrono::Duration::MAX);
        let claim = blocking(move || {
            loop {
                let old = tree.get(&key)?;
                if let Some(bytes) = &old {
                    let check: Check = serde_json::from_slice(bytes)?;
                    if check.done {
                        return Ok(Claim::Done);
                    }
                    // Taken over only when older than `stale`, as on PostgreSQL:
                    // with a `stale` of zero, claimers at one instant take it once.
                    if now - check.claimed_at <= stale {
                        return Ok(Claim::Held);
                    }
                }
                let new = serde_json::to_vec(&Check {
                    claimed_at: now,
                    done: false,
                })?;
                if tree.compare_and_swap(&key, old, Some(new))?.is_ok() {
                    return Ok(Claim::Won);
                }
            }
        })
        .await?;
        if claim == Claim::Won {
            self.flusher.durable().await?;
        }
        Ok(claim)
    }

    async fn renew_check(
        &self,
        bill: BillId,
        day: NaiveDate,
        claimed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tree = self.checks.clone();
        let key = check_key(bill, day);
        // Not flushed: lost in a crash, the claim only goes stale sooner,
        // and the run that made it is gone then anyway.
        blocking(move || {
            loop {
                let Some(old) = tree.get(&key)? else {
                    return Ok(false);
                };
                let check: Check = serde_json::from_slice(&old)?;
                if check.done || check.claimed_at != claimed_at {
                    return Ok(false);
                }
                let new = serde_json::to_vec(&Check {
                    claimed_at: now,
                    done: false,
                })?;
                if tree.compare_and_swap(&key, Some(old), Some(new))?.is_ok() {
                    return Ok(true);
                }
            }
        })
        .await
    }

    async fn checked(&self, bill: BillId, day: NaiveDate) -> Result<(), StoreError> {
        let tree = self.checks.clone();
        let key = check_key(bill, day);
        blocking(move || {
            let claimed_at = match tree.get(&key)? {
                Some(bytes) => serde_json::from_slice::<Check>(&bytes)?.claimed_at,
                None => Utc::now(),
            };
            let done = serde_json::to_vec(&Check {
                claimed_at,
                done: true,
            })?;
            tree.insert(&key, done)?;
            Ok(())
        })
        .await?;
        self.flusher.durable().await
    }

    async fn claim_send(
        &self,
        bill: BillId,
        invoice: &str,
        kind: ReminderKind,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tree = self.sends.clone();
        let key = send_key(bill, invoice, kind);
        let won = blocking(move || {
            let at = serde_json::to_vec(&now)?;
            Ok(tree
                .compare_and_swap(&key, None as Option<&[u8]>, Some(at))?
                .is_ok())
        })
        .await?;
        if won {
            self.flusher.durable().await?;
        }
        Ok(won)
    }

    async fn release_send(
        &self,
        bill: BillId,
        invoice: &str,
        kind: ReminderKind,
    ) -> Result<(), StoreError> {
        let tree = self.sends.clone();
        let key = send_key(bill, invoice, kind);
        let removed = blocking(move || Ok(tree.remove(key)?.is_some())).await?;
        if removed {
            self.flusher.durable().await?;
        }
        Ok(())
    }

    async fn next_query(&self, every: Duration) -> Result<Duration, StoreError> {
        let now = Instant::now();
        // Held for two additions: never across an await.
        let mut next = self.pace.lock().unwrap_or_else(|p| p.into_inner());
        let start = next.map_or(now, |at| at.max(now));
        *next = Some(start + every);
        Ok(start - now)
    }

    async fn prune(&self, day: NaiveDate, sent_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let (checks, sends) = (self.checks.clone(), self.sends.clone());
        let day = day.format("%Y-%m-%d").to_string();
        blocking(move || {
            let mut gone = 0;
            for entry in checks.iter() {
                let (key, _) = entry?;
                let old = key.get(8..).is_some_and(|d| d < day.as_bytes());
                if old && checks.remove(&key)?.is_some() {
                    gone += 1;
                }
            }
            for entry in sends.iter() {
                let (key, value) = entry?;
                let at: Option<DateTime<Utc>> = serde_json::from_slice(&value).ok();
                if at.is_some_and(|at| at < sent_before) && sends.remove(&key)?.is_some() {
                    gone += 1;
                }
            }
            Ok(gone)
        })
        .await
    }
}
