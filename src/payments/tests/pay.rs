//! Paying: every outcome, and one payment per confirmation.

use std::{sync::atomic::Ordering, time::Duration};

use tokio::task::JoinSet;

use super::*;

#[tokio::test]
async fn a_payment_is_recorded_then_paid() {
    let w = world();
    let record = paid(&w, 1).await;
    assert_eq!(record.state, PaymentState::Completed);
    assert_eq!(record.transaction_id, Some(TransactionId(100_000)));
    let stored = w.ledger.get(&record.intent).await.expect("get");
    assert_eq!(stored, Some(record));
    let states: Vec<_> = w
        .ledger
        .get(&PaymentIntent::of_confirmation(2601, 1))
        .await
        .expect("get")
        .expect("record")
        .history
        .iter()
        .map(|c| c.state)
        .collect();
    assert_eq!(states, [PaymentState::InFlight, PaymentState::Completed]);
}

#[tokio::test]
async fn on_claimed_runs_after_the_record_before_the_bank() {
    let w = world();
    let ledger = w.ledger.clone();
    let bank = w.bank.clone();
    let intent = order(1, "F1").intent;
    let seen = w
        .payments
        .pay(order(1, "F1"), async move {
            let record = ledger.get(&intent).await.expect("get").expect("recorded");
            assert_eq!(record.state, PaymentState::InFlight);
            assert_eq!(bank.pays.load(Ordering::SeqCst), 0, "not sent yet");
        })
        .await
        .expect("pay");
    assert!(matches!(seen, PayOutcome::Paid(_)));
}

#[tokio::test]
async fn refusals_and_lost_answers_are_told_apart() {
    let w = world();
    w.bank
        .pay_answers
        .lock()
        .expect("lock")
        .extend([Err(refusal()), Err(timeout())]);
    let refused = w.payments.pay(order(1, "F1"), async {}).await.expect("pay");
    let PayOutcome::Refused(r, e) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!((r.state, e), (PaymentState::Refused, refusal()));
    assert!(
        r.last_note()
            .is_some_and(|n| n.contains("insufficient funds"))
    );

    let lost = w.payments.pay(order(2, "F1"), async {}).await.expect("pay");
    let PayOutcome::Unknown(r, _) = lost else {
        panic!("{lost:?}")
    };
    assert_eq!(r.state, PaymentState::Unknown);

    // The unknown one blocks paying that invoice again; nothing is sent.
    let again = w.payments.pay(order(3, "F1"), async {}).await.expect("pay");
    assert!(
        matches!(&again, PayOutcome::Blocked(b) if b.intent == r.intent),
        "{again:?}"
    );
    assert_eq!(w.bank.pays.load(Ordering::SeqCst), 2);
    // Another invoice is not blocked.
    assert!(matches!(
        w.payments.pay(order(4, "F2"), async {}).await.expect("pay"),
        PayOutcome::Paid(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_presses_of_one_confirmation_pay_once() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let w = world_at(noon(), ScriptedBank::slow(Duration::from_millis(20)));
        let mut presses = JoinSet::new();
        for _ in 0..100 {
            let payments = w.payments.clone();
            presses.spawn(async move { payments.pay(order(7, "F1"), async {}).await });
        }
        let mut labels = std::collections::BTreeMap::new();
        while let Some(done) = presses.join_next().await {
            let outcome = done.expect("task").expect("pay");
            *labels.entry(outcome.label()).or_insert(0) += 1;
        }
        assert_eq!(w.bank.pays.load(Ordering::SeqCst), 1);
        assert_eq!(labels.remove("completed"), Some(1));
        // The others saw the record: in flight (blocked) or done (duplicate).
        let (blocked, duplicate) = (labels.remove("blocked"), labels.remove("duplicate"));
        assert_eq!(blocked.unwrap_or(0) + duplicate.unwrap_or(0), 99);
        assert!(labels.is_empty(), "nothing refused or unknown: {labels:?}");
    })
    .await
    .expect("no hang");
}

#[tokio::test]
async fn an_answer_that_cannot_be_recorded_is_still_told() {
    let w = world();
    w.ledger.fail_complete.store(true, Ordering::SeqCst);
    let outcome = w.payments.pay(order(1, "F1"), async {}).await.expect("pay");
    let PayOutcome::Paid(told) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(told.state, PaymentState::Completed);
    assert_eq!(told.transaction_id, Some(TransactionId(100_000)));
    // The ledger keeps the claim, which a restart turns into "unknown".
    let kept = w
        .ledger
        .get(&told.intent)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(kept.state, PaymentState::InFlight);
    assert_eq!(w.ledger.settle_abandoned(noon()).await.expect("settle"), 1);
    let after = w
        .ledger
        .get(&told.intent)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(after.state, PaymentState::Unknown);
}
