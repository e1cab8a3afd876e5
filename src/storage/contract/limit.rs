//! The daily limit part of the contract: `begin` decides it atomically,
//! so payments begun at once cannot together pass it; refused and
//! cancelled payments free their amount; another account or day is apart.

use chrono::{Duration, Utc};
use tokio::task::JoinSet;

use super::{PAYER, Store, record};
use crate::{
    money::Amount,
    payments::{Answer, Begin, OverLimit, PaymentState},
};

fn amount(text: &str) -> Amount {
    text.parse().expect("amount")
}

fn answer(state: PaymentState) -> Answer {
    Answer {
        state,
        transaction_id: None,
        note: None,
    }
}

/// 50 payments of 29.20 of one account begin at once under a limit that
/// fits 20: exactly 20 start. Then what frees an amount, and what is apart.
pub(super) async fn begins_at_once_stay_within_the_limit(store: Store) {
    let at = Utc::now();
    let limit = Some(amount("584.00"));
    let mut tasks = JoinSet::new();
    for i in 0..50 {
        let store = store.clone();
        tasks.spawn(async move {
            let r = record(&format!("limit-{i}"), &format!("L{i}"), at);
            store.ledger.begin(r, limit).await
        });
    }
    let (mut started, mut over) = (Vec::new(), 0);
    while let Some(done) = tasks.join_next().await {
        match done.expect("task").expect("begin") {
            Begin::Started(r) => started.push(r.intent),
            Begin::OverLimit(o) => {
                let want = OverLimit {
                    limit: amount("584"),
                    left: Amount::ZERO,
                };
                assert_eq!(o, want);
                over += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((started.len(), over), (20, 30), "exactly what fits");
    let ledger = &store.ledger;
    let account = record("x", "x", at).account;
    let day = record("x", "x", at).day();
    assert_eq!(
        ledger.spent_on(&account, day).await.expect("spent"),
        amount("584")
    );
    let listed = ledger.for_payer(PAYER, 0, 100).await.expect("list");
    assert_eq!(listed.len(), 20, "nothing recorded over the limit");

    // Full now; but a press recorded already, or an invoice held, is
    // told as such rather than as the limit.
    let again = ledger.begin(record("limit-x", "Lx", at), limit);
    assert!(matches!(again.await.expect("begin"), Begin::OverLimit(_)));
    let first = started[0].clone();
    let pressed = record(first.as_str(), "ignored", at);
    let pressed = ledger.begin(pressed, limit).await.expect("begin");
    assert!(matches!(pressed, Begin::Exists(r) if r.intent == first));
    let holder = ledger.get(&started[2]).await.expect("get").expect("held");
    let same_invoice = record("limit-same", &holder.invoice_number, at);
    let same_invoice = ledger.begin(same_invoice, limit).await.expect("begin");
    assert!(matches!(same_invoice, Begin::Blocked(r) if r.intent == holder.intent));

    // Refused: 29.20 free again, taken by the next one.
    let refused = ledger.complete(
        &first,
        PaymentState::InFlight,
        answer(PaymentState::Refused),
        at,
    );
    assert!(refused.await.expect("refused").is_some());
    assert_eq!(
        ledger.spent_on(&account, day).await.expect("spent"),
        amount("554.8")
    );
    let next = ledger.begin(record("limit-next", "Ln", at), limit);
    assert!(matches!(next.await.expect("begin"), Begin::Started(_)));

    // Paid, being cancelled: still counted; cancelled: free.
    let second = started[1].clone();
    let done = ledger.complete(
        &second,
        PaymentState::InFlight,
        answer(PaymentState::Completed),
        at,
    );
    assert!(done.await.expect("completed").is_some());
    let claim = ledger.claim_cancel(&second, PaymentState::Completed, at);
    assert!(claim.await.expect("claim").is_some());
    let blocked = ledger.begin(record("limit-c", "Lc", at), limit);
    assert!(matches!(blocked.await.expect("begin"), Begin::OverLimit(_)));
    let cancelled = ledger.complete(
        &second,
        PaymentState::Cancelling,
        answer(PaymentState::Cancelled),
        at,
    );
    assert!(cancelled.await.expect("cancelled").is_some());
    let freed = ledger.begin(record("limit-c", "Lc", at), limit);
    assert!(matches!(freed.await.expect("begin"), Begin::Started(_)));

    // Another account of the same customer, another day: apart.
    let mut other = record("limit-other", "Lo", at);
    other.account.suffix = 358;
    let other = ledger.begin(other, limit).await.expect("begin");
    assert!(matches!(other, Begin::Started(_)));
    let tomorrow = record("limit-tomorrow", "Lt", at + Duration::days(1));
    let tomorrow = ledger.begin(tomorrow, limit).await.expect("begin");
    assert!(matches!(tomorrow, Begin::Started(_)));
    assert_eq!(
        ledger.spent_on(&account, day).await.expect("spent"),
        amount("584")
    );
    // Without a limit nothing is refused (`migrate --from-sled`, no
    // variable set).
    let unlimited = ledger.begin(record("limit-none", "Lnone", at), None);
    assert!(matches!(unlimited.await.expect("begin"), Begin::Started(_)));
}
