//! Cancelling and settling: every outcome, and one bank call per claim.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use tokio::task::JoinSet;

use super::*;

#[tokio::test]
async fn a_cancellation_is_claimed_sent_and_audited() {
    let w = world();
    let record = paid(&w, 1).await;
    let outcome = w
        .payments
        .cancel(AGENT, &record.intent, async {})
        .await
        .expect("cancel");
    let CancelOutcome::Cancelled(r) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.state, PaymentState::Cancelled);
    let states: Vec<_> = r.history.iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [
            PaymentState::InFlight,
            PaymentState::Completed,
            PaymentState::Cancelling,
            PaymentState::Cancelled
        ]
    );
    let trail = w.ledger.audit_trail();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        (trail[0].agent, trail[0].action),
        (AGENT, AuditAction::Cancel)
    );
    assert_eq!(trail[0].payment, record.transaction_id);
    // Once cancelled, never again.
    assert!(matches!(
        w.payments
            .cancel(AGENT, &record.intent, async {})
            .await
            .expect("cancel"),
        CancelOutcome::NotCancellable(NotCancellable::AlreadyCancelled)
    ));
    assert_eq!(w.bank.cancels.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_cancellation_leaves_the_payment_standing() {
    let w = world();
    let record = paid(&w, 1).await;
    w.bank
        .cancel_answers
        .lock()
        .expect("lock")
        .extend([Err(refusal()), Err(timeout())]);
    let refused = w
        .payments
        .cancel(AGENT, &record.intent, async {})
        .await
        .expect("cancel");
    let CancelOutcome::Refused(r, _) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(r.state, PaymentState::Completed);
    // A lost answer: unverified, and asking again is allowed.
    let lost = w
        .payments
        .cancel(AGENT, &record.intent, async {})
        .await
        .expect("cancel");
    let CancelOutcome::Unknown(r, _) = lost else {
        panic!("{lost:?}")
    };
    assert_eq!(r.state, PaymentState::CancelUnknown);
    assert!(matches!(
        w.payments
            .cancel(AGENT, &record.intent, async {})
            .await
            .expect("cancel"),
        CancelOutcome::Cancelled(_)
    ));
    let actions: Vec<_> = w.ledger.audit_trail().iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::CancelFailed,
            AuditAction::CancelUnknown,
            AuditAction::Cancel
        ]
    );
}

#[tokio::test]
async fn only_same_day_payments_cancel() {
    let bank = Arc::new(ScriptedBank::default());
    let yesterday = world_at(noon() - chrono::Duration::days(1), bank.clone());
    let record = paid(&yesterday, 1).await;
    let today = Payments {
        clock: Clock::fixed(noon()),
        ..yesterday.payments.clone()
    };
    assert!(matches!(
        today
            .cancel(AGENT, &record.intent, async {})
            .await
            .expect("cancel"),
        CancelOutcome::NotCancellable(NotCancellable::NotToday)
    ));
    assert!(matches!(
        today
            .cancel(AGENT, &PaymentIntent::of_confirmation(1, 1), async {})
            .await
            .expect("cancel"),
        CancelOutcome::NotFound
    ));
    assert_eq!(bank.cancels.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_agents_confirming_one_cancellation_send_it_once() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let w = world_at(noon(), ScriptedBank::slow(Duration::from_millis(20)));
        let record = paid(&w, 1).await;
        let mut presses = JoinSet::new();
        for i in 0..50 {
            let (payments, intent) = (w.payments.clone(), record.intent.clone());
            presses.spawn(async move {
                payments
                    .cancel(TelegramUserId(900_000 + i), &intent, async {})
                    .await
            });
        }
        let mut cancelled = 0;
        while let Some(done) = presses.join_next().await {
            match done.expect("task").expect("cancel") {
                CancelOutcome::Cancelled(_) => cancelled += 1,
                CancelOutcome::Busy
                | CancelOutcome::NotCancellable(
                    NotCancellable::InProgress | NotCancellable::AlreadyCancelled,
                ) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((cancelled, w.bank.cancels.load(Ordering::SeqCst)), (1, 1));
    })
    .await
    .expect("no hang");
}

#[tokio::test]
async fn staff_settle_unknown_outcomes_once_with_an_unused_id() {
    let w = world();
    w.bank
        .pay_answers
        .lock()
        .expect("lock")
        .extend([Err(timeout())]);
    let PayOutcome::Unknown(lost, _) = w.payments.pay(order(1, "F1"), async {}).await.expect("pay")
    else {
        panic!("not unknown")
    };
    let other = paid(&w, 2).await;
    let taken = other.transaction_id.expect("an id");
    let describe = |r: &PaymentRecord| format!("{}: {:?}", r.intent, r.state);

    let clash = w
        .payments
        .settle(AGENT, &lost.intent, Finding::Paid(Some(taken)), describe);
    assert!(matches!(clash.await.expect("settle"), Settled::IdTaken));
    let done = w
        .payments
        .settle(
            AGENT,
            &lost.intent,
            Finding::Paid(Some(TransactionId(555))),
            describe,
        )
        .await
        .expect("settle");
    let Settled::Done(r) = done else {
        panic!("{done:?}")
    };
    assert_eq!(
        (r.state, r.transaction_id),
        (PaymentState::Completed, Some(TransactionId(555)))
    );
    assert!(r.last_note().is_some_and(|n| n.contains("900001")));
    let again = w
        .payments
        .settle(AGENT, &lost.intent, Finding::Unpaid, describe);
    assert!(matches!(
        again.await.expect("settle"),
        Settled::NotUnsettled(_)
    ));
    let nowhere = PaymentIntent::of_confirmation(1, 9);
    let missing = w
        .payments
        .settle(AGENT, &nowhere, Finding::Unpaid, describe);
    assert!(matches!(missing.await.expect("settle"), Settled::NotFound));
    let trail = w.ledger.audit_trail();
    assert_eq!(trail.len(), 1, "only the settlement that happened");
    assert_eq!(trail[0].details, format!("{}: Completed", lost.intent));
}

#[tokio::test]
async fn an_invite_is_audited() {
    let w = world();
    let account = order(1, "F1").account;
    let token = w
        .payments
        .invite(AGENT, account.clone())
        .await
        .expect("invite");
    assert_eq!(token.len(), 32);
    let trail = w.ledger.audit_trail();
    assert_eq!(
        (trail[0].action, trail[0].details.clone()),
        (AuditAction::Invite, account.masked())
    );
}
