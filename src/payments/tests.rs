//! The flows against the in-memory doubles: every outcome, and the
//! exactly-once paths under concurrent presses.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use chrono::{DateTime, TimeZone, Utc};
use tokio::task::JoinSet;

use super::{
    double::{MemoryInvites, MemoryLedger, ScriptedBank},
    *,
};
use crate::{
    bank::{Account, BankError, Bill, SessionId},
    clock::Clock,
};

const PAYER: TelegramUserId = TelegramUserId(2601);
const AGENT: TelegramUserId = TelegramUserId(900_001);

/// Noon in Istanbul, 2 December 2026.
fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
        .single()
        .expect("time")
}

struct World {
    payments: Payments,
    ledger: Arc<MemoryLedger>,
    bank: Arc<ScriptedBank>,
}

fn world_at(at: DateTime<Utc>, bank: Arc<ScriptedBank>) -> World {
    let ledger = Arc::new(MemoryLedger::default());
    World {
        payments: Payments {
            ledger: ledger.clone(),
            invites: Arc::new(MemoryInvites::default()),
            bank: bank.clone(),
            clock: Clock::fixed(at),
        },
        ledger,
        bank,
    }
}

fn world() -> World {
    world_at(noon(), Arc::new(ScriptedBank::default()))
}

fn order(screen: u64, invoice: &str) -> PayOrder {
    PayOrder {
        intent: PaymentIntent::of_confirmation(PAYER.0 as i64, screen),
        payer: PAYER,
        chat_id: PAYER.0 as i64,
        session: SessionId::new(),
        account: Account {
            customer_no: 3488017,
            branch_code: 9142,
            suffix: 357,
            currency: "TRY".into(),
        },
        association_code: "ISKI".into(),
        association_name: "İSKİ".into(),
        subscriber: "1000001".into(),
        bill: Bill {
            raw: format!(r#"{{"InvoiceNumber":"{invoice}","PaymentAmount":29.20}}"#),
            invoice_number: invoice.into(),
            subscriber_number: "1000001".into(),
            subscriber_name: None,
            due_date: None,
            amount: "29.20".parse().expect("amount"),
            currency: "TRY".into(),
        },
    }
}

fn timeout() -> BankError {
    BankError::Timeout(Duration::from_secs(10))
}

fn refusal() -> BankError {
    BankError::Refused {
        code: "05".into(),
        message: Some("insufficient funds".into()),
    }
}

async fn paid(w: &World, screen: u64) -> PaymentRecord {
    match w
        .payments
        .pay(order(screen, &format!("F{screen}")), async {})
        .await
        .expect("pay")
    {
        PayOutcome::Paid(r) => r,
        other => panic!("{other:?}"),
    }
}

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
        assert_eq!(labels.get("completed"), Some(&1));
        // The others saw the record (in flight: blocked; or done: duplicate).
        assert_eq!(labels.values().sum::<i32>(), 100);
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
