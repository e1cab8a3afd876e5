//! [`PinRecord`]: what is kept per Telegram user, and the lock rules as
//! pure functions on it. The backends only apply a [`PinChange`] under
//! their row lock or compare-and-swap; what it does is decided here.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Wrong PINs in a row that lock payments for [`LOCK_MINUTES`].
pub const WRONG_TO_LOCK: u32 = 3;
/// Wrong PINs in a row that lock payments until an agent's `/resetpin`.
pub const WRONG_TO_LOCK_FOR_GOOD: u32 = 6;
pub const LOCK_MINUTES: i64 = 15;

/// One Telegram user's PIN and lock. A user never seen reads as the
/// default: no PIN, no lock.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinRecord {
    /// The argon2id PHC string; `None` until one is chosen, and after a
    /// reset.
    #[serde(default)]
    pub hash: Option<String>,
    /// Wrong PINs since the last right one (or since the PIN was set).
    #[serde(default)]
    pub wrong_in_row: u32,
    #[serde(default)]
    pub locked_until: Option<DateTime<Utc>>,
    /// Until an agent's `/resetpin`.
    #[serde(default)]
    pub locked_for_good: bool,
    /// Reset by an agent, and no new PIN chosen since: the customer is told
    /// so when asked to choose one.
    #[serde(default)]
    pub reset_pending_notice: bool,
}

/// Why payments are refused now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Until(DateTime<Utc>),
    UntilReset,
}

/// What a wrong PIN that counted did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    /// Not locked (yet): this many wrong ones before the next lock.
    TriesLeft(u32),
    /// This one was the third in a row.
    LockedUntil(DateTime<Utc>),
    /// This one was the sixth in a row.
    LockedUntilReset,
}

/// A change of one user's record, applied atomically by the backend
/// ([`Pins::update`](crate::payments::Pins::update)). Those that follow a
/// check name the hash `checked`, so a PIN changed or reset in the
/// meantime is never counted against.
#[derive(Clone, PartialEq, Eq)]
pub enum PinChange {
    /// The PIN typed at `at` did not match `checked`.
    Wrong { checked: String, at: DateTime<Utc> },
    /// The PIN typed at `at` matched `checked`.
    Right { checked: String, at: DateTime<Utc> },
    /// A first PIN (or the first after a reset): only while there is none.
    Choose { hash: String },
    /// A new PIN after the old one, `checked`, was typed right.
    Change { checked: String, hash: String },
    /// An agent's `/resetpin`: no PIN, no lock, the customer to be told.
    Reset,
}

/// What applying a [`PinChange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// Nothing: the PIN is no longer the one checked (or, for
    /// [`PinChange::Choose`], there is one already).
    Stale,
    /// Nothing: payments are locked; the try does not count.
    Locked(Lock),
    /// A wrong PIN counted.
    Wrong(Lockout),
}

impl PinRecord {
    /// The lock in force at `now`, if any.
    pub fn lock(&self, now: DateTime<Utc>) -> Option<Lock> {
        if self.locked_for_good {
            return Some(Lock::UntilReset);
        }
        self.locked_until
            .filter(|until| *until > now)
            .map(Lock::Until)
    }

    /// Wrong PINs still allowed before the next lock.
    pub fn tries_left(&self) -> u32 {
        let next = if self.wrong_in_row < WRONG_TO_LOCK {
            WRONG_TO_LOCK
        } else {
            WRONG_TO_LOCK_FOR_GOOD
        };
        next.saturating_sub(self.wrong_in_row)
    }

    /// A wrong PIN at `at`: counted, and the third and sixth in a row
    /// lock. One typed while locked changes nothing. The count goes on
    /// after a 15-minute lock ends; only a right PIN or a reset clears it.
    pub fn after_wrong(&self, at: DateTime<Utc>) -> (PinRecord, Applied) {
        if let Some(lock) = self.lock(at) {
            return (self.clone(), Applied::Locked(lock));
        }
        let mut next = self.clone();
        next.wrong_in_row = self.wrong_in_row.saturating_add(1);
        let lockout = if next.wrong_in_row >= WRONG_TO_LOCK_FOR_GOOD {
            next.locked_for_good = true;
            next.locked_until = None;
            Lockout::LockedUntilReset
        } else if next.wrong_in_row == WRONG_TO_LOCK {
            let until = at + Duration::minutes(LOCK_MINUTES);
            next.locked_until = Some(until);
            Lockout::LockedUntil(until)
        } else {
            Lockout::TriesLeft(next.tries_left())
        };
        (next, Applied::Wrong(lockout))
    }

    /// A right PIN at `at`: the count starts again. Refused while locked.
    pub fn after_right(&self, at: DateTime<Utc>) -> (PinRecord, Applied) {
        if let Some(lock) = self.lock(at) {
            return (self.clone(), Applied::Locked(lock));
        }
        let next = PinRecord {
            wrong_in_row: 0,
            locked_until: None,
            ..self.clone()
        };
        (next, Applied::Done)
    }

    /// A new PIN: the count, the lock and the reset notice are gone.
    pub fn with_pin(&self, hash: String) -> PinRecord {
        PinRecord {
            hash: Some(hash),
            ..PinRecord::default()
        }
    }

    /// After an agent's `/resetpin`.
    pub fn reset(&self) -> PinRecord {
        PinRecord {
            reset_pending_notice: true,
            ..PinRecord::default()
        }
    }

    /// `change` applied to this record: the record after it, and what it
    /// did. Pure, so a backend's compare-and-swap may run it again.
    pub fn apply(&self, change: &PinChange) -> (PinRecord, Applied) {
        let is = |checked: &String| self.hash.as_ref() == Some(checked);
        match change {
            PinChange::Wrong { checked, at } if is(checked) => self.after_wrong(*at),
            PinChange::Right { checked, at } if is(checked) => self.after_right(*at),
            PinChange::Choose { hash } if self.hash.is_none() => {
                (self.with_pin(hash.clone()), Applied::Done)
            }
            PinChange::Change { checked, hash } if is(checked) => {
                (self.with_pin(hash.clone()), Applied::Done)
            }
            PinChange::Reset => (self.reset(), Applied::Done),
            _ => (self.clone(), Applied::Stale),
        }
    }
}

/// The hash is not the PIN, but it is what an attacker would brute-force
/// offline: logs only say whether there is one.
impl fmt::Debug for PinRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinRecord")
            .field("hash", &self.hash.as_ref().map(|_| "…"))
            .field("wrong_in_row", &self.wrong_in_row)
            .field("locked_until", &self.locked_until)
            .field("locked_for_good", &self.locked_for_good)
            .field("reset_pending_notice", &self.reset_pending_notice)
            .finish()
    }
}

/// Names the change only: no hash reaches a log.
impl fmt::Debug for PinChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinChange::Wrong { .. } => "PinChange::Wrong",
            PinChange::Right { .. } => "PinChange::Right",
            PinChange::Choose { .. } => "PinChange::Choose",
            PinChange::Change { .. } => "PinChange::Change",
            PinChange::Reset => "PinChange::Reset",
        })
    }
}
