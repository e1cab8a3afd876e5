//! The payment rules and flows, with no Telegram in them.
//!
//! - [`ids`]: [`PaymentIntent`], [`TransactionId`], [`TelegramUserId`].
//! - [`state`]: [`PaymentState`] and its rules (receipt, unsettled,
//!   cancellable, settle, abandoned).
//! - [`record`]: what the ledger keeps: [`PaymentRecord`], [`AuditEntry`].
//! - [`customer`]: [`UserRecord`] (linked accounts), [`Invite`] and the
//!   [`InviteKey`] a backend stores in place of its token.
//! - [`ports`]: the traits storage and the bank implement.
//! - [`limit`]: the daily limit per bank account ([`OverLimit`]).
//! - [`bills`]: saved bills and the rules of their reminders.
//! - [`pin`]: the payment PIN ([`Pin`]), its stored hash and lock
//!   ([`PinRecord`]), the hasher, and the flows `check_pin`, `choose_pin`,
//!   `change_pin`, `reset_pins`.
//! - `pay`, `cancel`, `settle`, `unlink`: the flows of [`Payments`], each
//!   returning a typed outcome; `attempt`: the claim → call → classify → record
//!   sequence payment and cancellation share.
//!
//! Handlers call [`Payments`] and render what it returns.

mod attempt;
pub mod bills;
mod cancel;
pub mod customer;
#[cfg(test)]
pub(crate) mod double;
pub mod ids;
pub mod limit;
mod pay;
pub mod pin;
pub mod ports;
pub mod record;
mod settle;
pub mod state;
#[cfg(test)]
mod tests;
mod unlink;

use std::sync::Arc;

pub use cancel::CancelOutcome;
pub use customer::{INVITE_TTL_HOURS, Invite, InviteKey, Unlinked, UserRecord};
pub use ids::{PaymentIntent, TelegramUserId, TransactionId};
pub use limit::OverLimit;
pub use pay::{PayOrder, PayOutcome};
pub use pin::{
    Changed, Chosen, PIN_LEN, Pin, PinChange, PinCheck, PinError, PinHasher, PinProblem, PinRecord,
    PinStatus,
};
pub use ports::{Bank, InviteError, Invites, Ledger, Pins, Settled, StoreError, Users};
pub use record::{Answer, AuditAction, AuditEntry, Begin, PaymentRecord, StateChange};
pub use state::{Finding, NotCancellable, PaymentState};

use crate::{clock::Clock, money::Amount};

/// The flows, over the ports they need. Cheap to clone.
#[derive(Clone)]
pub struct Payments {
    pub ledger: Arc<dyn Ledger>,
    pub invites: Arc<dyn Invites>,
    /// Linked accounts: whose PINs `/resetpin` clears, which customer
    /// numbers a PIN may not end.
    pub users: Arc<dyn Users>,
    pub pins: Arc<dyn Pins>,
    /// Saved bills: saved after a payment, deleted with their account.
    pub bills: Arc<dyn bills::SavedBills>,
    pub pin_hasher: PinHasher,
    pub bank: Arc<dyn Bank>,
    pub clock: Clock,
    /// `FATURABOT_DAILY_LIMIT`: the most one account may pay per day, in
    /// its currency; `None`, no limit.
    pub daily_limit: Option<Amount>,
}
