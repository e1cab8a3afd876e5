//! What the ledger keeps: one [`PaymentRecord`] per payment attempted, with
//! its history, and the agents' [`AuditEntry`] trail.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Finding, NotCancellable, OverLimit, PaymentIntent, PaymentState, TelegramUserId, TransactionId,
    bills::BillQuery,
};
use crate::{
    bank::{Account, RequestId, SessionId},
    clock::istanbul,
    money::Amount,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    pub at: DateTime<Utc>,
    pub state: PaymentState,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// The confirmation this payment answers; the ledger key.
    pub intent: PaymentIntent,
    pub payer: TelegramUserId,
    pub chat_id: i64,
    pub account: Account,
    pub association_code: String,
    pub association_name: String,
    pub subscriber: String,
    pub invoice_number: String,
    pub amount: Amount,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub session: SessionId,
    pub request_id: RequestId,
    pub transaction_id: Option<TransactionId>,
    pub state: PaymentState,
    pub history: Vec<StateChange>,
    /// What the dialogue asked the bank, so the bill can be saved from the
    /// payment later; `None` in records older than saved bills.
    #[serde(default)]
    pub query: Option<BillQuery>,
}

impl PaymentRecord {
    /// The day of the payment in Europe/Istanbul.
    pub fn day(&self) -> NaiveDate {
        self.created_at.with_timezone(&istanbul()).date_naive()
    }

    pub fn last_note(&self) -> Option<&str> {
        self.history.last().and_then(|c| c.note.as_deref())
    }

    /// See [`PaymentState::cancellable_on`].
    pub fn cancellable_on(&self, today: NaiveDate) -> Result<(), NotCancellable> {
        self.state.cancellable_on(self.day(), today)
    }

    /// The record as it is once `answer` is applied.
    pub fn answered(mut self, answer: &Answer, at: DateTime<Utc>) -> PaymentRecord {
        self.state = answer.state;
        if answer.transaction_id.is_some() {
            self.transaction_id = answer.transaction_id;
        }
        self.history.push(StateChange {
            at,
            state: answer.state,
            note: answer.note.clone(),
        });
        self
    }
}

/// What a bank call's answer does to its payment: the state it ends in, the
/// bank's id when it gave one, and a note for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub state: PaymentState,
    pub transaction_id: Option<TransactionId>,
    pub note: Option<String>,
}

impl Answer {
    /// The claim of a cancellation, before `CancelPayment` is sent.
    pub fn cancelling() -> Answer {
        Answer {
            state: PaymentState::Cancelling,
            transaction_id: None,
            note: Some("cancelling".into()),
        }
    }

    /// What a bank call left in flight by a stopped process becomes
    /// ([`PaymentState::abandoned`]); `None` for states no call holds.
    pub fn abandoned(state: PaymentState) -> Option<Answer> {
        Some(Answer {
            state: state.abandoned()?,
            transaction_id: None,
            note: Some("process stopped during the bank call".into()),
        })
    }
}

impl PaymentRecord {
    /// The record as staff's `finding` leaves it, with the bank's id when
    /// given; `None` when the finding does not apply
    /// ([`PaymentState::settle`]).
    pub fn settled(
        &self,
        finding: Finding,
        note: String,
        at: DateTime<Utc>,
    ) -> Option<PaymentRecord> {
        let answer = Answer {
            state: self.state.settle(finding)?,
            transaction_id: finding.transaction_id(),
            note: Some(note),
        };
        Some(self.clone().answered(&answer, at))
    }
}

/// The outcome of [`Ledger::begin`](super::Ledger::begin).
#[derive(Debug)]
pub enum Begin {
    /// This caller owns the payment and must make the bank call.
    Started(PaymentRecord),
    /// The confirmation was already acted on: here is what became of it.
    Exists(PaymentRecord),
    /// Another attempt at the same invoice of the same bank customer is
    /// open (its outcome unknown, or paid): nothing was recorded.
    Blocked(PaymentRecord),
    /// The account's payments of the day would go over the daily limit:
    /// nothing was recorded.
    OverLimit(OverLimit),
}

impl PaymentRecord {
    /// What makes two attempts the same invoice: the bank customer (any
    /// Telegram user linked to the account), the institution, the invoice.
    pub fn invoice_key(&self) -> (u64, &str, &str) {
        (
            self.account.customer_no,
            &self.association_code,
            &self.invoice_number,
        )
    }
}

/// An agent's action, as the audit trail stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Invite,
    Cancel,
    CancelFailed,
    CancelUnknown,
    Settle,
    /// Three wrong PINs in a row: payments locked for 15 minutes. The
    /// "agent" is the customer.
    PinLocked,
    /// Six wrong PINs in a row: payments locked until `/resetpin`.
    PinLockedUntilReset,
    /// An agent's `/resetpin`.
    PinReset,
    /// A customer's `/unlink` of one of their accounts. The "agent" is
    /// the customer.
    Unlinked,
    /// Written by a later version: kept, not shown.
    #[serde(other)]
    Other,
}

impl AuditAction {
    /// The stored name, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Invite => "invite",
            AuditAction::Cancel => "cancel",
            AuditAction::CancelFailed => "cancel_failed",
            AuditAction::CancelUnknown => "cancel_unknown",
            AuditAction::Settle => "settle",
            AuditAction::PinLocked => "pin_locked",
            AuditAction::PinLockedUntilReset => "pin_locked_until_reset",
            AuditAction::PinReset => "pin_reset",
            AuditAction::Unlinked => "unlinked",
            AuditAction::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub agent: TelegramUserId,
    pub action: AuditAction,
    pub details: String,
    /// The payment (bank transaction id) acted on, if any.
    #[serde(default)]
    pub payment: Option<TransactionId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_keep_their_stored_names() {
        let json =
            serde_json::to_string(&[AuditAction::Invite, AuditAction::CancelFailed]).expect("json");
        assert_eq!(json, r#"["invite","cancel_failed"]"#);
        let json = serde_json::to_string(&[
            AuditAction::PinLocked,
            AuditAction::PinLockedUntilReset,
            AuditAction::PinReset,
        ])
        .expect("json");
        assert_eq!(
            json,
            r#"["pin_locked","pin_locked_until_reset","pin_reset"]"#
        );
        for action in [
            AuditAction::Invite,
            AuditAction::Cancel,
            AuditAction::CancelFailed,
            AuditAction::CancelUnknown,
            AuditAction::Settle,
            AuditAction::PinLocked,
            AuditAction::PinLockedUntilReset,
            AuditAction::PinReset,
            AuditAction::Unlinked,
        ] {
            let json = serde_json::to_string(&action).expect("json");
            assert_eq!(
                json,
                format!("\"{}\"", action.as_str()),
                "logs name it as stored"
            );
        }
        let later: AuditAction = serde_json::from_str(r#""refund""#).expect("read");
        assert_eq!(later, AuditAction::Other);
    }
}
