use chrono::{DateTime, Utc};

use super::*;
use crate::{
    payments::AuditAction,
    storage::{fixtures, sled::SledParts},
};

fn record(intent: &str, at: DateTime<Utc>) -> PaymentRecord {
    fixtures::record(intent, 1, intent, at)
}

/// Leaked, so a call's future may borrow it (tests only).
fn intent(name: &str) -> &'static PaymentIntent {
    Box::leak(Box::new(PaymentIntent::from_raw(name)))
}

fn paid(id: i64) -> Answer {
    Answer {
        state: PaymentState::Completed,
        transaction_id: Some(TransactionId(id)),
        note: None,
    }
}

fn ledger() -> SledLedger {
    SledParts::temporary().expect("store").ledger
}

/// A crash during a payment leaves it Unknown; a crash during the
/// cancellation of a completed payment leaves the cancellation
/// unverified, not the payment.
#[tokio::test]
async fn abandoned_payments_and_cancellations_are_settled_apart() {
    let ledger = ledger();
    let at = Utc::now();
    for name in ["paying", "cancelling", "paid"] {
        assert!(matches!(
            ledger.begin(record(name, at), None).await,
            Ok(Begin::Started(_))
        ));
    }
    for (i, name) in ["cancelling", "paid"].into_iter().enumerate() {
        let done = ledger.complete(intent(name), PaymentState::InFlight, paid(7 + i as i64), at);
        assert!(done.await.expect("complete").is_some());
    }
    let claim = ledger.claim_cancel(intent("cancelling"), PaymentState::Completed, at);
    assert!(claim.await.expect("claim").is_some());

    assert_eq!(ledger.settle_abandoned(at).await.expect("settle"), 2);

    let state = async |i: &str| {
        ledger
            .get(intent(i))
            .await
            .expect("get")
            .expect("record")
            .state
    };
    assert_eq!(state("paying").await, PaymentState::Unknown);
    assert_eq!(state("cancelling").await, PaymentState::CancelUnknown);
    assert_eq!(state("paid").await, PaymentState::Completed);
}

/// The bank's answer is recorded only over the claim it answers.
#[tokio::test]
async fn an_answer_lands_only_on_its_claim() {
    let ledger = ledger();
    let at = Utc::now();
    ledger.begin(record("p", at), None).await.expect("begin");
    let wrong = ledger.complete(intent("p"), PaymentState::Cancelling, paid(1), at);
    assert!(wrong.await.expect("complete").is_none());
    let right = ledger.complete(intent("p"), PaymentState::InFlight, paid(1), at);
    assert_eq!(
        right.await.expect("complete").map(|r| r.state),
        Some(PaymentState::Completed)
    );
    let by_id = ledger
        .by_transaction(TransactionId(1))
        .await
        .expect("by id");
    assert_eq!(by_id.map(|r| r.intent), Some(intent("p").clone()));
    let missing = ledger.complete(intent("none"), PaymentState::InFlight, paid(2), at);
    assert!(missing.await.expect("complete").is_none());
}

/// A bank id given by staff finds one payment only, atomically.
#[tokio::test]
async fn settling_with_a_taken_id_changes_nothing() {
    let ledger = ledger();
    let at = Utc::now();
    for name in ["a", "b"] {
        ledger.begin(record(name, at), None).await.expect("begin");
    }
    ledger
        .complete(intent("a"), PaymentState::InFlight, paid(5), at)
        .await
        .expect("a");
    ledger.settle_abandoned(at).await.expect("b unknown");
    let taken = ledger.settle(
        intent("b"),
        Finding::Paid(Some(TransactionId(5))),
        "x".into(),
        at,
    );
    assert!(matches!(taken.await.expect("settle"), Settled::IdTaken));
    let b = ledger.get(intent("b")).await.expect("get").expect("b");
    assert_eq!((b.state, b.transaction_id), (PaymentState::Unknown, None));
    let done = ledger.settle(
        intent("b"),
        Finding::Paid(Some(TransactionId(6))),
        "x".into(),
        at,
    );
    assert!(
        matches!(done.await.expect("settle"), Settled::Done(r) if r.state == PaymentState::Completed)
    );
    let a = ledger
        .by_transaction(TransactionId(5))
        .await
        .expect("by id")
        .expect("a");
    assert_eq!(&a.intent, intent("a"));
}

/// A record that no longer decodes is reported, never overwritten or
/// removed; a new one is listed by payer and by day as soon as it exists.
#[tokio::test]
async fn records_are_indexed_at_once_and_never_lost_to_a_decode_error() {
    let ledger = ledger();
    let at = Utc::now();
    let r = record("listed", at);
    let day = r.day();
    assert!(matches!(ledger.begin(r, None).await, Ok(Begin::Started(_))));
    assert!(matches!(
        ledger.begin(record("listed", at), None).await,
        Ok(Begin::Exists(_))
    ));
    let payer = TelegramUserId(1);
    assert_eq!(
        ledger.for_payer(payer, 0, 10).await.expect("payer").len(),
        1
    );
    assert_eq!(ledger.for_day(day).await.expect("day").len(), 1);

    ledger
        .payments
        .insert("garbled", &b"{not json"[..])
        .expect("insert");
    let change = ledger.complete(intent("garbled"), PaymentState::InFlight, paid(1), at);
    assert!(change.await.is_err());
    assert_eq!(
        ledger.payments.get("garbled").expect("get").as_deref(),
        Some(&b"{not json"[..])
    );
    let by_id = ledger
        .by_transaction(TransactionId(1))
        .await
        .expect("by tx");
    assert!(by_id.is_none());
}

#[tokio::test]
async fn audit_since_gives_the_newest_entries_of_the_period_oldest_first() {
    let ledger = ledger();
    let now = Utc::now();
    for (i, hours_ago) in [30, 2, 1, 0].into_iter().enumerate() {
        ledger
            .audit(AuditEntry {
                at: now - chrono::Duration::hours(hours_ago),
                agent: TelegramUserId(9),
                action: AuditAction::Invite,
                details: format!("#{i}"),
                payment: None,
            })
            .await
            .expect("audit");
    }
    let since = now - chrono::Duration::hours(24);
    let details = |v: Vec<AuditEntry>| v.into_iter().map(|e| e.details).collect::<Vec<_>>();
    assert_eq!(
        details(ledger.audit_since(since, 10).await.expect("read")),
        ["#1", "#2", "#3"]
    );
    assert_eq!(
        details(ledger.audit_since(since, 2).await.expect("read")),
        ["#2", "#3"]
    );
}

/// A database written before the daily totals gets them from its
/// records: what counts, per account and day; refused ones not.
#[tokio::test]
async fn daily_totals_are_built_for_an_older_database() {
    let old = ledger();
    let at = Utc::now();
    for name in ["a", "b", "refused"] {
        old.begin(record(name, at), None).await.expect("begin");
    }
    let refused = Answer {
        state: PaymentState::Refused,
        transaction_id: None,
        note: None,
    };
    let done = old.complete(intent("refused"), PaymentState::InFlight, refused, at);
    assert!(done.await.expect("refused").is_some());
    let (account, day) = (record("a", at).account, record("a", at).day());
    assert_eq!(
        old.spent_on(&account, day).await.expect("spent"),
        "58.4".parse().expect("amount")
    );
    old.spent.clear().expect("clear");
    assert_eq!(
        old.spent_on(&account, day).await.expect("spent"),
        Amount::ZERO
    );

    let opened = SledLedger::new(&old.db, old.flusher.clone()).expect("open");
    assert_eq!(
        opened.spent_on(&account, day).await.expect("spent"),
        "58.4".parse().expect("amount")
    );
    let limit = Some("58.4".parse().expect("amount"));
    let over = opened.begin(record("c", at), limit).await.expect("begin");
    assert!(matches!(over, Begin::OverLimit(_)));
}
