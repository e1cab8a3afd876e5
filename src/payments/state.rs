//! [`PaymentState`] and the rules that depend on it, in one place: what has
//! a receipt, what is unsettled, what can be cancelled, what staff may
//! settle, and what a crash leaves behind.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::TransactionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentState {
    /// Written before the bank call; the call's answer is not known yet.
    InFlight,
    Completed,
    /// The bank said no; nothing was paid.
    Refused,
    /// The call's outcome was lost (time-out, crash): must be checked by
    /// staff, never paid again on its own.
    Unknown,
    Cancelled,
    /// Completed, and an agent's `CancelPayment` is in flight: its answer
    /// is not known yet. Held by one confirmation only, so the cancellation
    /// is sent once.
    Cancelling,
    /// Completed, then a `CancelPayment` whose answer was lost (time-out,
    /// an answer that could not be read, a crash): the bank may or may not
    /// have cancelled. Staff check with the bank; asking again is safe, the
    /// bank refuses to cancel twice.
    CancelUnknown,
}

/// Every state, for tests and for exhaustive tables.
pub const ALL_STATES: [PaymentState; 7] = [
    PaymentState::InFlight,
    PaymentState::Completed,
    PaymentState::Refused,
    PaymentState::Unknown,
    PaymentState::Cancelled,
    PaymentState::Cancelling,
    PaymentState::CancelUnknown,
];

/// Why a payment cannot be cancelled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCancellable {
    AlreadyCancelled,
    /// Another cancellation holds it.
    InProgress,
    /// The bank cancels same-day payments only (Europe/Istanbul).
    NotToday,
    /// Whether it was paid at all is not known yet.
    OutcomeUnknown,
    /// It was never paid.
    NotCompleted,
}

/// What staff found out at the bank about an unsettled payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// The payment went through (with its transaction id, if known).
    Paid(Option<TransactionId>),
    /// It did not go through.
    Unpaid,
    /// The cancellation went through.
    Cancelled,
}

impl Finding {
    /// The bank's id staff give with it, if any.
    pub fn transaction_id(self) -> Option<TransactionId> {
        match self {
            Finding::Paid(id) => id,
            Finding::Unpaid | Finding::Cancelled => None,
        }
    }
}

impl PaymentState {
    /// Paid at some point: the receipt exists, whatever became of it later.
    pub fn has_receipt(self) -> bool {
        matches!(
            self,
            PaymentState::Completed
                | PaymentState::Cancelled
                | PaymentState::Cancelling
                | PaymentState::CancelUnknown
        )
    }

    /// Whether the money moved is not known: paying the same invoice
    /// again could pay it twice.
    pub fn is_unsettled(self) -> bool {
        matches!(self, PaymentState::InFlight | PaymentState::Unknown)
    }

    /// Whether this attempt holds its invoice: while it does, no other
    /// attempt at the same invoice of the same customer may begin.
    pub fn holds_invoice(self) -> bool {
        !matches!(self, PaymentState::Refused | PaymentState::Cancelled)
    }

    /// Whether this payment's amount counts toward its account's daily
    /// limit: the money moved, may have, or may still. A refused or
    /// cancelled one frees its amount.
    pub fn counts_toward_limit(self) -> bool {
        !matches!(self, PaymentState::Refused | PaymentState::Cancelled)
    }

    /// Whether a payment in this state, made on `paid_on`, may be cancelled
    /// on `today`. An unverified cancellation may be asked again: the bank
    /// refuses to cancel twice, so nothing is refunded twice.
    pub fn cancellable_on(
        self,
        paid_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), NotCancellable> {
        match self {
            PaymentState::Cancelled => Err(NotCancellable::AlreadyCancelled),
            PaymentState::Cancelling => Err(NotCancellable::InProgress),
            PaymentState::Completed | PaymentState::CancelUnknown if paid_on != today => {
                Err(NotCancellable::NotToday)
            }
            PaymentState::Completed | PaymentState::CancelUnknown => Ok(()),
            PaymentState::Unknown | PaymentState::InFlight => Err(NotCancellable::OutcomeUnknown),
            PaymentState::Refused => Err(NotCancellable::NotCompleted),
        }
    }

    /// The state staff's `finding` moves this one to; `None` when the
    /// finding does not apply (the outcome is already known).
    pub fn settle(self, finding: Finding) -> Option<PaymentState> {
        match (self, finding) {
            (PaymentState::Unknown | PaymentState::CancelUnknown, Finding::Paid(_)) => {
                Some(PaymentState::Completed)
            }
            (PaymentState::Unknown, Finding::Unpaid) => Some(PaymentState::Refused),
            (PaymentState::CancelUnknown, Finding::Cancelled) => Some(PaymentState::Cancelled),
            _ => None,
        }
    }

    /// What a bank call left in flight by a process that stopped becomes:
    /// a payment's outcome is unknown, and so is a cancellation's (the
    /// payment itself stands). `None` for states no call holds.
    pub fn abandoned(self) -> Option<PaymentState> {
        match self {
            PaymentState::InFlight => Some(PaymentState::Unknown),
            PaymentState::Cancelling => Some(PaymentState::CancelUnknown),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PaymentState::*, *};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("a day")
    }

    #[test]
    fn receipts_exist_once_paid() {
        let with: Vec<_> = ALL_STATES.into_iter().filter(|s| s.has_receipt()).collect();
        assert_eq!(with, [Completed, Cancelled, Cancelling, CancelUnknown]);
    }

    #[test]
    fn unsettled_means_the_money_may_have_moved_unseen() {
        let unsettled: Vec<_> = ALL_STATES
            .into_iter()
            .filter(|s| s.is_unsettled())
            .collect();
        assert_eq!(unsettled, [InFlight, Unknown]);
    }

    #[test]
    fn an_invoice_is_free_again_only_when_nothing_was_paid() {
        let free: Vec<_> = ALL_STATES
            .into_iter()
            .filter(|s| !s.holds_invoice())
            .collect();
        assert_eq!(free, [Refused, Cancelled]);
    }

    #[test]
    fn only_refused_and_cancelled_payments_free_their_amount() {
        let free: Vec<_> = ALL_STATES
            .into_iter()
            .filter(|s| !s.counts_toward_limit())
            .collect();
        assert_eq!(free, [Refused, Cancelled]);
    }

    #[test]
    fn only_todays_completed_payments_cancel() {
        let today = day(2);
        let rule = |s: PaymentState, paid| s.cancellable_on(paid, today);
        assert_eq!(rule(Completed, today), Ok(()));
        assert_eq!(rule(CancelUnknown, today), Ok(()), "asking again is safe");
        assert_eq!(rule(Completed, day(1)), Err(NotCancellable::NotToday));
        assert_eq!(rule(CancelUnknown, day(1)), Err(NotCancellable::NotToday));
        assert_eq!(
            rule(Cancelled, today),
            Err(NotCancellable::AlreadyCancelled)
        );
        assert_eq!(rule(Cancelling, today), Err(NotCancellable::InProgress));
        assert_eq!(rule(Unknown, today), Err(NotCancellable::OutcomeUnknown));
        assert_eq!(rule(InFlight, today), Err(NotCancellable::OutcomeUnknown));
        assert_eq!(rule(Refused, today), Err(NotCancellable::NotCompleted));
    }

    #[test]
    fn staff_settle_only_what_is_unknown() {
        let paid = Finding::Paid(Some(TransactionId(7)));
        for state in ALL_STATES {
            let expected = match state {
                Unknown | CancelUnknown => Some(Completed),
                _ => None,
            };
            assert_eq!(state.settle(paid), expected, "{state:?} paid");
            assert_eq!(state.settle(Finding::Paid(None)), expected);
        }
        let unpaid: Vec<_> = ALL_STATES
            .into_iter()
            .filter_map(|s| s.settle(Finding::Unpaid).map(|to| (s, to)))
            .collect();
        assert_eq!(unpaid, [(Unknown, Refused)]);
        let cancelled: Vec<_> = ALL_STATES
            .into_iter()
            .filter_map(|s| s.settle(Finding::Cancelled).map(|to| (s, to)))
            .collect();
        assert_eq!(cancelled, [(CancelUnknown, Cancelled)]);
    }

    #[test]
    fn a_crash_leaves_unknown_outcomes_never_paid_ones() {
        let left: Vec<_> = ALL_STATES
            .into_iter()
            .filter_map(|s| s.abandoned().map(|to| (s, to)))
            .collect();
        assert_eq!(left, [(InFlight, Unknown), (Cancelling, CancelUnknown)]);
    }
}
