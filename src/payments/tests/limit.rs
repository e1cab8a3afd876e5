//! The daily limit: what counts, what is left, the early answer on
//! confirm, and 50 payments at once that together pass it.

use std::{sync::atomic::Ordering, time::Duration};

use tokio::task::JoinSet;

use super::*;
use crate::money::Amount;

fn amount(text: &str) -> Amount {
    text.parse().expect("amount")
}

/// A world whose accounts may pay `limit` a day.
fn limited(limit: &str) -> World {
    let mut w = world();
    w.payments.daily_limit = Some(amount(limit));
    w
}

/// Invoice `F{screen}` of 29.20.
async fn pay(w: &World, screen: u64) -> PayOutcome {
    let order = order(screen, &format!("F{screen}"));
    w.payments.pay(order, async {}).await.expect("pay")
}

fn over(outcome: &PayOutcome) -> OverLimit {
    match outcome {
        PayOutcome::OverLimit(over) => *over,
        other => panic!("not over the limit: {other:?}"),
    }
}

fn pays(w: &World) -> usize {
    w.bank.pays.load(Ordering::SeqCst)
}

#[tokio::test]
async fn the_limit_itself_may_be_reached() {
    let w = limited("87.60");
    for screen in 1..=3 {
        assert!(matches!(pay(&w, screen).await, PayOutcome::Paid(_)));
    }
    let fourth = pay(&w, 4).await;
    assert_eq!(
        over(&fourth),
        OverLimit {
            limit: amount("87.60"),
            left: Amount::ZERO
        }
    );
    assert_eq!(pays(&w), 3, "the fourth never reached the bank");
    let recorded = w.ledger.for_day(noon().date_naive()).await.expect("day");
    assert_eq!(recorded.len(), 3, "nor the ledger");
}

#[tokio::test]
async fn just_under_the_limit_pays_just_over_is_told_what_is_left() {
    let w = limited("87.61");
    for screen in 1..=3 {
        assert!(matches!(pay(&w, screen).await, PayOutcome::Paid(_)));
    }
    assert_eq!(over(&pay(&w, 4).await).left, amount("0.01"));

    let w = limited("87.59");
    for screen in 1..=2 {
        assert!(matches!(pay(&w, screen).await, PayOutcome::Paid(_)));
    }
    let third = over(&pay(&w, 3).await);
    assert_eq!(
        (third.limit, third.left),
        (amount("87.59"), amount("29.19"))
    );
    assert_eq!(pays(&w), 2);
}

#[tokio::test]
async fn payments_in_flight_and_being_checked_count() {
    let w = limited("60");
    // The answer is never recorded: the payment stays in flight.
    w.ledger.fail_complete.store(true, Ordering::SeqCst);
    assert!(matches!(pay(&w, 1).await, PayOutcome::Paid(_)));
    w.ledger.fail_complete.store(false, Ordering::SeqCst);
    let kept = w.ledger.get(&order(1, "F1").intent).await.expect("get");
    assert_eq!(kept.map(|r| r.state), Some(PaymentState::InFlight));
    w.bank
        .pay_answers
        .lock()
        .expect("lock")
        .push_back(Err(timeout()));
    assert!(matches!(pay(&w, 2).await, PayOutcome::Unknown(..)));
    // 29.20 in flight, 29.20 being checked: 1.60 left.
    assert_eq!(over(&pay(&w, 3).await).left, amount("1.60"));
    assert_eq!(pays(&w), 2);
}

#[tokio::test]
async fn refused_and_cancelled_payments_free_their_amount() {
    let w = limited("58.40");
    w.bank
        .pay_answers
        .lock()
        .expect("lock")
        .push_back(Err(refusal()));
    assert!(matches!(pay(&w, 1).await, PayOutcome::Refused(..)));
    let kept = paid(&w, 2).await;
    assert!(matches!(pay(&w, 3).await, PayOutcome::Paid(_)));
    assert_eq!(over(&pay(&w, 4).await).left, Amount::ZERO);

    // Being cancelled still counts: the cancellation may not go through.
    let today = noon().date_naive();
    let account = order(1, "F1").account;
    let cancelling = w
        .ledger
        .claim_cancel(&kept.intent, PaymentState::Completed, noon());
    assert!(cancelling.await.expect("claim").is_some());
    let spent = w.ledger.spent_on(&account, today).await.expect("spent");
    assert_eq!(spent, amount("58.40"));
    let done = Answer {
        state: PaymentState::Cancelled,
        transaction_id: None,
        note: None,
    };
    let cancelled = w
        .ledger
        .complete(&kept.intent, PaymentState::Cancelling, done, noon());
    assert!(cancelled.await.expect("complete").is_some());
    assert!(matches!(pay(&w, 5).await, PayOutcome::Paid(_)));
}

#[tokio::test]
async fn a_cancellation_through_the_flow_frees_the_amount() {
    let w = limited("29.20");
    let first = paid(&w, 1).await;
    assert_eq!(over(&pay(&w, 2).await).left, Amount::ZERO);
    let cancelled = w.payments.cancel(AGENT, &first.intent, async {}).await;
    assert!(matches!(cancelled, Ok(CancelOutcome::Cancelled(_))));
    assert!(matches!(pay(&w, 3).await, PayOutcome::Paid(_)));
}

#[tokio::test]
async fn another_day_and_another_account_do_not_count() {
    let bank = Arc::new(ScriptedBank::default());
    let mut yesterday = world_at(noon() - chrono::Duration::days(1), bank);
    yesterday.payments.daily_limit = Some(amount("29.20"));
    assert!(matches!(pay(&yesterday, 1).await, PayOutcome::Paid(_)));
    let today = Payments {
        clock: Clock::fixed(noon()),
        ..yesterday.payments.clone()
    };
    let order_today = order(2, "F2");
    assert_eq!(today.allowance(&order_today).await.expect("read"), Ok(()));
    let outcome = today.pay(order_today, async {}).await.expect("pay");
    assert!(matches!(outcome, PayOutcome::Paid(_)), "{outcome:?}");

    // Another suffix of the same customer is another account.
    let mut other = order(3, "F3");
    other.account.suffix = 358;
    let outcome = today.pay(other, async {}).await.expect("pay");
    assert!(matches!(outcome, PayOutcome::Paid(_)), "{outcome:?}");
    let outcome = today.pay(order(4, "F4"), async {}).await.expect("pay");
    assert_eq!(over(&outcome).left, Amount::ZERO);
}

#[tokio::test]
async fn the_early_answer_reads_the_ledger_and_sends_nothing() {
    let w = limited("50");
    assert_eq!(
        w.payments.allowance(&order(1, "F1")).await.expect("read"),
        Ok(())
    );
    let first = paid(&w, 1).await;
    let refused = w.payments.allowance(&order(2, "F2")).await.expect("read");
    assert_eq!(
        refused,
        Err(OverLimit {
            limit: amount("50"),
            left: amount("20.80")
        })
    );
    assert_eq!(pays(&w), 1);
    // A press recorded already goes on to be told what became of it.
    let again = order(1, "F1");
    assert_eq!(again.intent, first.intent);
    assert_eq!(w.payments.allowance(&again).await.expect("read"), Ok(()));
    assert!(matches!(
        w.payments.pay(again, async {}).await.expect("pay"),
        PayOutcome::Duplicate(_)
    ));
    // Without a limit, anything goes.
    let w = world();
    paid(&w, 1).await;
    assert_eq!(
        w.payments.allowance(&order(2, "F2")).await.expect("read"),
        Ok(())
    );
}

/// 50 payments of one account at once, each 29.20, under a limit that
/// fits 20: exactly 20 are paid, the others refused before the bank.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_payments_at_once_pay_only_what_fits() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut w = world_at(noon(), ScriptedBank::slow(Duration::from_millis(20)));
        w.payments.daily_limit = Some(amount("584.00"));
        let mut presses = JoinSet::new();
        for screen in 0..50 {
            let payments = w.payments.clone();
            let order = order(screen, &format!("F{screen}"));
            presses.spawn(async move { payments.pay(order, async {}).await });
        }
        let (mut paid, mut over) = (0, 0);
        while let Some(done) = presses.join_next().await {
            match done.expect("task").expect("pay") {
                PayOutcome::Paid(_) => paid += 1,
                PayOutcome::OverLimit(o) => {
                    assert_eq!(o.left, Amount::ZERO);
                    over += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((paid, over), (20, 30));
        assert_eq!(pays(&w), 20);
        let account = order(0, "F0").account;
        let spent = w.ledger.spent_on(&account, noon().date_naive());
        assert_eq!(spent.await.expect("spent"), amount("584.00"));
    })
    .await
    .expect("no hang");
}
