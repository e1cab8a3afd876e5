//! The PIN flows: tries told, locks, resets and their audit entries, and
//! counting under concurrent tries.

use std::{
    sync::Mutex,
    time::{Duration as StdDuration, Instant},
};

use chrono::Duration;
use tokio::task::JoinSet;

use super::*;
use crate::bank::Account;

const OTHER: TelegramUserId = TelegramUserId(2602);
const CUSTOMER: u64 = 3_488_017;

fn pin(digits: &str) -> Pin {
    Pin::parse(digits).expect("six digits")
}

fn account() -> Account {
    Account {
        customer_no: CUSTOMER,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    }
}

/// A world whose clock the test moves.
fn world_now() -> (World, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(noon()));
    let read = now.clone();
    let clock = Clock::from_fn(move || *read.lock().expect("clock"));
    let w = world_with_clock(clock, Arc::new(ScriptedBank::default()));
    w.users.link(PAYER, &account());
    w.users.link(OTHER, &account());
    (w, now)
}

fn pass(now: &Mutex<DateTime<Utc>>, minutes: i64) {
    *now.lock().expect("clock") += Duration::minutes(minutes);
}

fn actions(w: &World) -> Vec<(TelegramUserId, AuditAction)> {
    let trail = w.ledger.audit_trail();
    trail.iter().map(|e| (e.agent, e.action)).collect()
}

#[tokio::test]
async fn wrong_pins_tell_the_tries_left_then_lock() {
    let (w, now) = world_now();
    let p = &w.payments;
    assert_eq!(
        p.check_pin(PAYER, &pin("482915")).await.ok(),
        Some(PinCheck::NoPin)
    );
    assert_eq!(
        p.choose_pin(PAYER, &pin("482915")).await.ok(),
        Some(Chosen::Done)
    );
    assert_eq!(p.pin_status(PAYER).await.ok(), Some(PinStatus::Set));
    let wrong = pin("135790");
    for left in [2, 1] {
        let check = p.check_pin(PAYER, &wrong).await.expect("check");
        assert_eq!(check, PinCheck::Wrong { tries_left: left });
    }
    let until = noon() + Duration::minutes(15);
    assert_eq!(
        p.check_pin(PAYER, &wrong).await.ok(),
        Some(PinCheck::Locked { until })
    );
    assert_eq!(actions(&w), [(PAYER, AuditAction::PinLocked)]);

    // Locked: even the right PIN is refused, without hashing.
    pass(&now, 14);
    let hashed = p.pin_hasher.hashes();
    let right = p.check_pin(PAYER, &pin("482915")).await.expect("check");
    assert_eq!(right, PinCheck::Locked { until });
    assert_eq!(p.pin_hasher.hashes(), hashed);
    assert_eq!(
        p.pin_status(PAYER).await.ok(),
        Some(PinStatus::Locked { until })
    );

    // 15 minutes on it unlocks; the count goes on from three.
    pass(&now, 1);
    for left in [2, 1] {
        let check = p.check_pin(PAYER, &wrong).await.expect("check");
        assert_eq!(check, PinCheck::Wrong { tries_left: left });
    }
    let sixth = p.check_pin(PAYER, &wrong).await.expect("check");
    assert_eq!(sixth, PinCheck::LockedUntilReset);
    pass(&now, 60 * 24 * 30);
    let later = p.check_pin(PAYER, &pin("482915")).await.expect("check");
    assert_eq!(later, PinCheck::LockedUntilReset);
    assert_eq!(
        actions(&w),
        [
            (PAYER, AuditAction::PinLocked),
            (PAYER, AuditAction::PinLockedUntilReset)
        ]
    );
    // The other user of the same customer has a PIN and lock of their own.
    assert_eq!(
        p.choose_pin(OTHER, &pin("482915")).await.ok(),
        Some(Chosen::Done)
    );
    assert_eq!(
        p.check_pin(OTHER, &pin("482915")).await.ok(),
        Some(PinCheck::Right)
    );
}

#[tokio::test]
async fn a_right_pin_starts_the_count_again() {
    let (w, _) = world_now();
    let p = &w.payments;
    p.choose_pin(PAYER, &pin("482915")).await.expect("choose");
    for _ in 0..2 {
        p.check_pin(PAYER, &pin("135790")).await.expect("check");
    }
    assert_eq!(
        p.check_pin(PAYER, &pin("482915")).await.ok(),
        Some(PinCheck::Right)
    );
    let check = p.check_pin(PAYER, &pin("135790")).await.expect("check");
    assert_eq!(check, PinCheck::Wrong { tries_left: 2 });
}

#[tokio::test]
async fn a_reset_clears_every_linked_users_pin_and_lock() {
    let (w, _) = world_now();
    let p = &w.payments;
    for user in [PAYER, OTHER] {
        p.choose_pin(user, &pin("482915")).await.expect("choose");
    }
    for _ in 0..6 {
        p.check_pin(PAYER, &pin("135790")).await.expect("check");
    }
    let stranger = TelegramUserId(77);
    p.choose_pin(stranger, &pin("482915"))
        .await
        .expect("choose");

    let reset = p.reset_pins(AGENT, CUSTOMER).await.expect("reset");
    assert_eq!(reset, [PAYER, OTHER]);
    for user in [PAYER, OTHER] {
        let status = p.pin_status(user).await.expect("status");
        assert_eq!(status, PinStatus::Missing { was_reset: true });
        assert_eq!(
            p.check_pin(user, &pin("482915")).await.ok(),
            Some(PinCheck::NoPin)
        );
    }
    assert_eq!(p.pin_status(stranger).await.ok(), Some(PinStatus::Set));
    let last = w.ledger.audit_trail().pop().expect("audited");
    assert_eq!((last.agent, last.action), (AGENT, AuditAction::PinReset));
    assert!(!last.details.contains("3488017"), "{}", last.details);

    // A new PIN, and the notice is gone.
    assert_eq!(
        p.choose_pin(PAYER, &pin("135790")).await.ok(),
        Some(Chosen::Done)
    );
    assert_eq!(p.pin_status(PAYER).await.ok(), Some(PinStatus::Set));
    assert_eq!(
        p.check_pin(PAYER, &pin("135790")).await.ok(),
        Some(PinCheck::Right)
    );
    let none = p.reset_pins(AGENT, 42).await.expect("reset");
    assert!(none.is_empty());
}

#[tokio::test]
async fn choosing_refuses_trivial_pins_and_a_second_choice() {
    let (w, _) = world_now();
    let p = &w.payments;
    let refused = |problem| Some(Chosen::Refused(problem));
    let end_of_customer = p.choose_pin(PAYER, &pin("488017")).await.ok();
    assert_eq!(end_of_customer, refused(PinProblem::CustomerNumber));
    let run = p.choose_pin(PAYER, &pin("123456")).await.ok();
    assert_eq!(run, refused(PinProblem::Ascending));
    assert_eq!(
        p.pin_status(PAYER).await.ok(),
        Some(PinStatus::Missing { was_reset: false })
    );
    assert_eq!(
        p.choose_pin(PAYER, &pin("482915")).await.ok(),
        Some(Chosen::Done)
    );
    let again = p.choose_pin(PAYER, &pin("135790")).await.ok();
    assert_eq!(
        again,
        Some(Chosen::AlreadySet),
        "changing takes the old PIN"
    );
    assert_eq!(
        p.check_pin(PAYER, &pin("482915")).await.ok(),
        Some(PinCheck::Right)
    );
}

#[tokio::test]
async fn changing_takes_the_old_pin_and_a_wrong_one_counts() {
    let (w, _) = world_now();
    let p = &w.payments;
    p.choose_pin(PAYER, &pin("482915")).await.expect("choose");
    let (old, new) = (pin("482915"), pin("135790"));
    let wrong_old = p.change_pin(PAYER, &new, &new).await.expect("change");
    assert_eq!(
        wrong_old,
        Changed::NotChanged(PinCheck::Wrong { tries_left: 2 })
    );
    let trivial = p
        .change_pin(PAYER, &old, &pin("999999"))
        .await
        .expect("change");
    assert_eq!(trivial, Changed::Refused(PinProblem::AllOneDigit));
    assert_eq!(
        p.change_pin(PAYER, &old, &new).await.ok(),
        Some(Changed::Done)
    );
    assert_eq!(p.check_pin(PAYER, &new).await.ok(), Some(PinCheck::Right));
    let check = p.check_pin(PAYER, &old).await.expect("check");
    assert_eq!(
        check,
        PinCheck::Wrong { tries_left: 2 },
        "a new PIN starts afresh"
    );
}

/// 50 wrong PINs typed at once: two counted with tries left, one locks
/// (one audit entry), the rest find it locked; 15 minutes on, 50 more:
/// two counted, one locks until reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_at_once_count_once_each() {
    let (w, now) = world_now();
    w.payments
        .choose_pin(PAYER, &pin("482915"))
        .await
        .expect("choose");
    for (round, lock) in [
        (0, AuditAction::PinLocked),
        (1, AuditAction::PinLockedUntilReset),
    ] {
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let p = w.payments.clone();
            tasks.spawn(async move { p.check_pin(PAYER, &pin("135790")).await });
        }
        let mut wrong = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done.expect("task").expect("check") {
                PinCheck::Wrong { tries_left } => wrong.push(tries_left),
                PinCheck::Locked { .. } | PinCheck::LockedUntilReset => {}
                other => panic!("{other:?}"),
            }
        }
        wrong.sort();
        assert_eq!(wrong, [1, 2], "round {round}");
        let locks = actions(&w).iter().filter(|(_, a)| *a == lock).count();
        assert_eq!(locks, 1, "round {round}");
        let stored = w.payments.pins.get(PAYER).await.expect("get");
        assert_eq!(stored.wrong_in_row, 3 * (round + 1));
        pass(&now, 15);
    }
    let stored = w.payments.pins.get(PAYER).await.expect("get");
    assert!(stored.locked_for_good);
}

/// 300 customers type their PIN at once: all are answered in time, and
/// never more hashes run than there are cores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_checks_at_once() {
    let (mut w, _) = world_now();
    let params = argon2::Params::new(4096, 1, 1, None).expect("params");
    w.payments.pin_hasher = PinHasher::with_params(params);
    let hash = w
        .payments
        .pin_hasher
        .hash(&pin("482915"))
        .await
        .expect("hash");
    for user in 0..300 {
        let record = PinRecord::default().with_pin(hash.clone());
        w.pins
            .records
            .lock()
            .expect("lock")
            .insert(TelegramUserId(user), record);
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for user in 0..300 {
        let p = w.payments.clone();
        tasks.spawn(async move { p.check_pin(TelegramUserId(user), &pin("482915")).await });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.expect("task").ok(), Some(PinCheck::Right));
    }
    let took = started.elapsed();
    assert!(took < StdDuration::from_secs(30), "{took:?}");
    let hasher = &w.payments.pin_hasher;
    assert!(hasher.peak() <= hasher.slots(), "{} at once", hasher.peak());
    assert_eq!(hasher.hashes(), 301);
}
