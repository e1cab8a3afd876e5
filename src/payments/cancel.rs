//! An agent cancels a same-day payment: `CancelPayment` sent once, however
//! often the confirmation is pressed.

use super::{
    Answer, AuditAction, AuditEntry, NotCancellable, PaymentIntent, PaymentRecord, PaymentState,
    Payments, StoreError, TelegramUserId, attempt::call_claimed,
};
use crate::bank::{BankError, CancelRequest, RequestId};

#[derive(Debug)]
pub enum CancelOutcome {
    NotFound,
    /// The rules say no (see [`PaymentState::cancellable_on`]).
    NotCancellable(NotCancellable),
    /// Another confirmation claimed it first: nothing was sent by this one.
    Busy,
    Cancelled(PaymentRecord),
    /// The answer was lost: the bank may have cancelled.
    Unknown(PaymentRecord, BankError),
    /// The bank refused: the payment stands as it was.
    Refused(PaymentRecord, BankError),
}

impl Payments {
    /// Cancels the payment `intent` for `agent`. `on_claimed` runs when
    /// this caller owns the cancellation, before the bank call. An error
    /// means nothing was sent.
    pub async fn cancel(
        &self,
        agent: TelegramUserId,
        intent: &PaymentIntent,
        on_claimed: impl Future<Output = ()>,
    ) -> Result<CancelOutcome, StoreError> {
        let Some(record) = self.ledger.get(intent).await? else {
            return Ok(CancelOutcome::NotFound);
        };
        if let Err(why) = record.cancellable_on(self.clock.today_istanbul()) {
            return Ok(CancelOutcome::NotCancellable(why));
        }
        // One press moves the payment from the state it was seen in to
        // Cancelling; a crash while it is there leaves it CancelUnknown.
        let before = record.state;
        let Some(claimed) = self
            .ledger
            .claim_cancel(intent, before, self.clock.now())
            .await?
        else {
            return Ok(CancelOutcome::Busy);
        };
        let request = CancelRequest {
            association_code: claimed.association_code.clone(),
            subscriber_number: claimed.subscriber.clone(),
            invoice_number: claimed.invoice_number.clone(),
            payment_date: claimed.day(),
            amount: claimed.amount,
            customer_no: claimed.account.customer_no,
        };
        let session = claimed.session.clone();
        let request_id = RequestId::new();
        let call = self.bank.cancel(&session, &request_id, &request);
        let (record, outcome) = call_claimed(
            &*self.ledger,
            &self.clock,
            claimed,
            on_claimed,
            call,
            |outcome| {
                match outcome {
                    Ok(()) => Answer {
                        state: PaymentState::Cancelled,
                        transaction_id: None,
                        note: None,
                    },
                    // Not "paid", not "cancelled": unverified, and said so.
                    Err(e) if e.outcome_unknown() => Answer {
                        state: PaymentState::CancelUnknown,
                        transaction_id: None,
                        note: Some(format!("cancellation outcome unknown: {e}")),
                    },
                    Err(e) => Answer {
                        state: before,
                        transaction_id: None,
                        note: Some(format!("cancellation refused: {e}")),
                    },
                }
            },
        )
        .await;
        let (action, details) = match &outcome {
            Ok(()) => (AuditAction::Cancel, "cancelled".to_owned()),
            Err(e) if e.outcome_unknown() => {
                (AuditAction::CancelUnknown, format!("outcome unknown: {e}"))
            }
            Err(e) => (AuditAction::CancelFailed, format!("refused: {e}")),
        };
        let at = record
            .history
            .last()
            .map_or_else(|| self.clock.now(), |c| c.at);
        let entry = AuditEntry {
            at,
            agent,
            action,
            details,
            payment: record.transaction_id,
        };
        // The bank has answered: the agent is told whatever the trail says.
        if let Err(e) = self.ledger.audit(entry).await {
            tracing::error!(%intent, error = %e, "cancellation not written to the audit log");
        }
        Ok(match outcome {
            Ok(()) => CancelOutcome::Cancelled(record),
            Err(e) if e.outcome_unknown() => CancelOutcome::Unknown(record, e),
            Err(e) => CancelOutcome::Refused(record, e),
        })
    }
}
