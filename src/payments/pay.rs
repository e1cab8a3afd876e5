//! Paying one invoice, exactly once per confirmation.

use super::{
    Answer, Begin, OverLimit, PaymentIntent, PaymentRecord, PaymentState, Payments, StateChange,
    StoreError, TelegramUserId, attempt::call_claimed, bills::BillQuery,
};
use crate::bank::{Account, BankError, Bill, PaymentRequest, RequestId, SessionId};

/// A confirmed payment, as the dialogue collected it.
#[derive(Debug, Clone)]
pub struct PayOrder {
    pub intent: PaymentIntent,
    pub payer: TelegramUserId,
    pub chat_id: i64,
    pub session: SessionId,
    pub account: Account,
    pub association_code: String,
    pub association_name: String,
    pub subscriber: String,
    /// Sent back to the bank exactly as it was received.
    pub bill: Bill,
    /// What the dialogue queried, kept so the bill can be saved.
    pub query: Option<BillQuery>,
}

/// What became of a confirmation.
#[derive(Debug)]
pub enum PayOutcome {
    /// Another attempt at this invoice holds it (its outcome unknown, or
    /// paid), maybe by another user of the same account: nothing was sent.
    Blocked(PaymentRecord),
    /// This confirmation was acted on before: nothing was sent.
    Duplicate(PaymentRecord),
    /// It would take the account's payments of the day over the daily
    /// limit: nothing was recorded or sent.
    OverLimit(OverLimit),
    Paid(PaymentRecord),
    /// The answer was lost: it may or may not have been paid.
    Unknown(PaymentRecord, BankError),
    /// The bank said no; nothing was paid.
    Refused(PaymentRecord, BankError),
}

impl PayOutcome {
    /// For metrics: what the press led to.
    pub fn label(&self) -> &'static str {
        match self {
            PayOutcome::Blocked(_) => "blocked",
            PayOutcome::Duplicate(_) => "duplicate",
            PayOutcome::OverLimit(_) => "over_limit",
            PayOutcome::Paid(_) => "completed",
            PayOutcome::Unknown(..) => "unknown",
            PayOutcome::Refused(..) => "refused",
        }
    }
}

impl Payments {
    /// Records the payment, then sends it to the bank once. `on_claimed`
    /// runs when this caller owns the payment, before the bank call. An
    /// error means nothing was sent.
    pub async fn pay(
        &self,
        order: PayOrder,
        on_claimed: impl Future<Output = ()>,
    ) -> Result<PayOutcome, StoreError> {
        let now = self.clock.now();
        let intent = order.intent.clone();
        let record = PaymentRecord {
            query: order.query,
            intent: order.intent,
            payer: order.payer,
            chat_id: order.chat_id,
            account: order.account.clone(),
            association_code: order.association_code.clone(),
            association_name: order.association_name,
            subscriber: order.subscriber,
            invoice_number: order.bill.invoice_number.clone(),
            amount: order.bill.amount,
            currency: order.bill.currency.clone(),
            created_at: now,
            session: order.session.clone(),
            request_id: RequestId::new(),
            transaction_id: None,
            state: PaymentState::InFlight,
            history: vec![StateChange {
                at: now,
                state: PaymentState::InFlight,
                note: None,
            }],
        };
        let record = match self.ledger.begin(record, self.daily_limit).await? {
            Begin::Started(record) => record,
            Begin::Exists(existing) => return Ok(PayOutcome::Duplicate(existing)),
            Begin::Blocked(earlier) => return Ok(PayOutcome::Blocked(earlier)),
            Begin::OverLimit(over) => {
                tracing::info!(%intent, %over, "payment over the daily limit");
                return Ok(PayOutcome::OverLimit(over));
            }
        };
        let request = PaymentRequest {
            association_code: order.association_code,
            bill: order.bill,
            account: order.account,
        };
        let request_id = record.request_id.clone();
        let call = self.bank.pay(&order.session, &request_id, &request);
        let (record, outcome) = call_claimed(
            &*self.ledger,
            &self.clock,
            record,
            on_claimed,
            call,
            |outcome| match outcome {
                Ok(id) => Answer {
                    state: PaymentState::Completed,
                    transaction_id: *id,
                    note: None,
                },
                Err(e) => Answer {
                    state: if e.outcome_unknown() {
                        PaymentState::Unknown
                    } else {
                        PaymentState::Refused
                    },
                    transaction_id: None,
                    note: Some(e.to_string()),
                },
            },
        )
        .await;
        Ok(match outcome {
            Ok(id) => {
                tracing::info!(%intent, transaction_id = ?id, "payment completed");
                PayOutcome::Paid(record)
            }
            Err(e) if e.outcome_unknown() => {
                tracing::error!(%intent, error = %e, "payment outcome unknown");
                PayOutcome::Unknown(record, e)
            }
            Err(e) => {
                tracing::warn!(%intent, error = %e, "payment refused");
                PayOutcome::Refused(record, e)
            }
        })
    }
}
