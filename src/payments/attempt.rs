//! The one sequence both money-moving calls share, once the ledger has
//! given this caller the claim: tell the caller, call the bank, classify
//! the answer, record it. A failure to record is logged and the bank's
//! answer still returned: it stands whether or not it was written down.

use super::{Answer, Ledger, PaymentRecord};
use crate::{bank::BankError, clock::Clock};

pub(super) async fn call_claimed<T>(
    ledger: &dyn Ledger,
    clock: &Clock,
    claimed: PaymentRecord,
    on_claimed: impl Future<Output = ()>,
    call: impl Future<Output = Result<T, BankError>>,
    classify: impl FnOnce(&Result<T, BankError>) -> Answer,
) -> (PaymentRecord, Result<T, BankError>) {
    // Claimed: nothing may stop the bank call now (a record never sent
    // would read "unknown" for ever), so the caller's own step cannot fail it.
    on_claimed.await;
    let outcome = call.await;
    let answer = classify(&outcome);
    let at = clock.now();
    let stored = ledger
        .complete(&claimed.intent, claimed.state, answer.clone(), at)
        .await;
    let record = match stored {
        Ok(Some(record)) => record,
        not_stored => {
            // The record keeps its claimed state, which the next start
            // turns into an unknown outcome for staff to settle.
            tracing::error!(
                intent = %claimed.intent,
                state = ?answer.state,
                transaction_id = ?answer.transaction_id,
                error = ?not_stored.err(),
                "the bank's answer was not recorded"
            );
            claimed.answered(&answer, at)
        }
    };
    (record, outcome)
}
