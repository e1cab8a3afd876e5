//! The PIN flows of [`Payments`]: check (each wrong one counted once),
//! choose, change, and an agent's reset. Locks and resets are audited.

use chrono::{DateTime, Utc};

use super::{Applied, Lock, Lockout, Pin, PinChange, PinError, PinProblem, PinRecord};
use crate::{
    clock::istanbul,
    payments::{AuditAction, AuditEntry, Payments, TelegramUserId},
};

/// The answer to a PIN typed before a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    Right,
    /// Counted; this many more before payments lock.
    Wrong {
        tries_left: u32,
    },
    /// Payments are locked until then: this try was the third wrong one in
    /// a row, or came while locked (and was not checked).
    Locked {
        until: DateTime<Utc>,
    },
    /// Until an agent's `/resetpin`.
    LockedUntilReset,
    /// None chosen yet, or reset: the customer chooses one first.
    NoPin,
}

/// Where a user stands before typing anything (nothing is hashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// None chosen; `was_reset` when an agent reset it since the last one
    /// was chosen, which the customer is told.
    Missing {
        was_reset: bool,
    },
    Locked {
        until: DateTime<Utc>,
    },
    LockedUntilReset,
    Set,
}

/// What became of a first PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Done,
    Refused(PinProblem),
    /// There is one: changing it takes the old one ([`Payments::change_pin`]).
    AlreadySet,
}

/// What became of `/pin`'s change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// The new PIN is refused; the old one was not checked.
    Refused(PinProblem),
    /// The old PIN was not accepted, as the check says (a wrong one counts).
    NotChanged(PinCheck),
}

/// Tries of one check against a PIN that changes under it (a reset, a
/// change in another chat) before giving up.
const CHECK_ROUNDS: usize = 3;

fn locked(lock: Lock) -> PinCheck {
    match lock {
        Lock::Until(until) => PinCheck::Locked { until },
        Lock::UntilReset => PinCheck::LockedUntilReset,
    }
}

/// Where `record` stands at `now`.
pub fn status_of(record: &PinRecord, now: DateTime<Utc>) -> PinStatus {
    match (record.lock(now), &record.hash) {
        (Some(Lock::UntilReset), _) => PinStatus::LockedUntilReset,
        (Some(Lock::Until(until)), _) => PinStatus::Locked { until },
        (None, None) => PinStatus::Missing {
            was_reset: record.reset_pending_notice,
        },
        (None, Some(_)) => PinStatus::Set,
    }
}

impl Payments {
    /// Where `user` stands: whether to ask for a new PIN (telling them of
    /// a reset), refuse (locked), or ask for the PIN.
    pub async fn pin_status(&self, user: TelegramUserId) -> Result<PinStatus, PinError> {
        let record = self.pins.get(user).await?;
        Ok(status_of(&record, self.clock.now()))
    }

    /// Checks the PIN typed before a payment. While payments are locked
    /// nothing is hashed and nothing counts; otherwise each wrong PIN is
    /// counted exactly once, even among many typed at once.
    pub async fn check_pin(&self, user: TelegramUserId, pin: &Pin) -> Result<PinCheck, PinError> {
        Ok(self.check(user, pin).await?.0)
    }

    /// The check, and the hash a right PIN matched.
    async fn check(
        &self,
        user: TelegramUserId,
        pin: &Pin,
    ) -> Result<(PinCheck, Option<String>), PinError> {
        for _ in 0..CHECK_ROUNDS {
            let record = self.pins.get(user).await?;
            if let Some(lock) = record.lock(self.clock.now()) {
                return Ok((locked(lock), None));
            }
            let Some(hash) = record.hash else {
                return Ok((PinCheck::NoPin, None));
            };
            let right = self.pin_hasher.verify(pin, &hash).await?;
            let (checked, at) = (hash.clone(), self.clock.now());
            let change = if right {
                PinChange::Right { checked, at }
            } else {
                PinChange::Wrong { checked, at }
            };
            let before = self.pins.update(user, change.clone()).await?;
            let check = match before.apply(&change).1 {
                // Changed or reset meanwhile: check against what is there now.
                Applied::Stale => continue,
                Applied::Done => return Ok((PinCheck::Right, Some(hash))),
                Applied::Locked(lock) => locked(lock),
                Applied::Wrong(Lockout::TriesLeft(tries_left)) => PinCheck::Wrong { tries_left },
                Applied::Wrong(Lockout::LockedUntil(until)) => {
                    let time = until.with_timezone(&istanbul()).format("%H:%M");
                    let details = format!("3 wrong PINs in a row: payments locked until {time}");
                    self.audit_pin(user, AuditAction::PinLocked, details, at)
                        .await?;
                    PinCheck::Locked { until }
                }
                Applied::Wrong(Lockout::LockedUntilReset) => {
                    let details = "6 wrong PINs in a row: payments locked until /resetpin";
                    self.audit_pin(user, AuditAction::PinLockedUntilReset, details.into(), at)
                        .await?;
                    PinCheck::LockedUntilReset
                }
            };
            return Ok((check, None));
        }
        Err(PinError::Raced)
    }

    /// A first PIN, or the first after a reset: refused when trivial (the
    /// end of a customer number linked to `user` included).
    pub async fn choose_pin(&self, user: TelegramUserId, pin: &Pin) -> Result<Chosen, PinError> {
        if let Err(problem) = self.refuse_trivial(user, pin).await? {
            return Ok(Chosen::Refused(problem));
        }
        if self.pins.get(user).await?.hash.is_some() {
            return Ok(Chosen::AlreadySet);
        }
        let change = PinChange::Choose {
            hash: self.pin_hasher.hash(pin).await?,
        };
        let before = self.pins.update(user, change.clone()).await?;
        Ok(match before.apply(&change).1 {
            Applied::Done => Chosen::Done,
            _ => Chosen::AlreadySet,
        })
    }

    /// `/pin`: the old PIN (checked, and counted when wrong, as before a
    /// payment), then the new one.
    pub async fn change_pin(
        &self,
        user: TelegramUserId,
        old: &Pin,
        new: &Pin,
    ) -> Result<Changed, PinError> {
        if let Err(problem) = self.refuse_trivial(user, new).await? {
            return Ok(Changed::Refused(problem));
        }
        let (check, checked) = self.check(user, old).await?;
        let Some(checked) = checked else {
            return Ok(Changed::NotChanged(check));
        };
        let change = PinChange::Change {
            checked,
            hash: self.pin_hasher.hash(new).await?,
        };
        let before = self.pins.update(user, change.clone()).await?;
        match before.apply(&change).1 {
            Applied::Done => Ok(Changed::Done),
            _ => Err(PinError::Raced),
        }
    }

    /// `/resetpin <customer_no>`: no PIN and no lock for every Telegram
    /// user linked to the customer; each chooses a new one before the next
    /// payment and is told why. Returns them, to be told now as well.
    pub async fn reset_pins(
        &self,
        agent: TelegramUserId,
        customer_no: u64,
    ) -> Result<Vec<TelegramUserId>, PinError> {
        let users = self.users.linked_to(customer_no).await?;
        for user in &users {
            self.pins.update(*user, PinChange::Reset).await?;
        }
        let no = customer_no.to_string();
        let tail = &no[no.len().saturating_sub(3)..];
        let details = format!("customer •••{tail}: {} Telegram user(s)", users.len());
        self.audit_pin(agent, AuditAction::PinReset, details, self.clock.now())
            .await?;
        Ok(users)
    }

    async fn refuse_trivial(
        &self,
        user: TelegramUserId,
        pin: &Pin,
    ) -> Result<Result<(), PinProblem>, PinError> {
        let linked: Vec<u64> = (self.users.get(user).await?.accounts.iter())
            .map(|a| a.customer_no)
            .collect();
        Ok(pin.refuse_trivial(&linked))
    }

    async fn audit_pin(
        &self,
        who: TelegramUserId,
        action: AuditAction,
        details: String,
        at: DateTime<Utc>,
    ) -> Result<(), PinError> {
        let entry = AuditEntry {
            at,
            agent: who,
            action,
            details,
            payment: None,
        };
        Ok(self.ledger.audit(entry).await?)
    }
}
