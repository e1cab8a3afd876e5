//! The reminder-claims part of the contract: of runs at once (replicas, or
//! a run and its retry) exactly one checks a bill on a day, a run that
//! died is taken over once, and each reminder is claimed once ever.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tokio::task::JoinSet;

use super::{Store, bills::all};
use crate::payments::bills::{BillId, Claim, ReminderKind};

const STALE: Duration = Duration::from_secs(600);

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("a day")
}

fn at(d: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, 9, minute, 0)
        .single()
        .expect("a time")
}

/// How many of 50 claims of (`bill`, `on`) at `now` at once win.
async fn claims_won(store: &Store, bill: BillId, on: NaiveDate, now: DateTime<Utc>) -> usize {
    claims_won_with(store, bill, on, now, STALE).await
}

async fn claims_won_with(
    store: &Store,
    bill: BillId,
    on: NaiveDate,
    now: DateTime<Utc>,
    stale: Duration,
) -> usize {
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move { store.reminders.claim_check(bill, on, now, stale).await });
    }
    let claims = all(tasks).await;
    claims.into_iter().filter(|c| *c == Claim::Won).count()
}

/// 50 claims of one bill's check of one day at once: one wins. Once it is
/// checked, none does, however late; another day or bill is a claim of
/// its own.
pub(super) async fn one_check_per_day(store: Store) {
    let bill = BillId(41);
    assert_eq!(claims_won(&store, bill, day(2), at(2, 0)).await, 1);
    let later = at(2, 30);
    assert_eq!(claims_won(&store, bill, day(2), at(2, 1)).await, 0, "fresh");
    store
        .reminders
        .checked(bill, day(2))
        .await
        .expect("checked");
    assert_eq!(claims_won(&store, bill, day(2), later).await, 0, "done");
    let next_day = at(3, 0);
    assert_eq!(claims_won(&store, bill, day(3), next_day).await, 1);
    assert_eq!(claims_won(&store, BillId(42), day(2), later).await, 1);
    // Marked done twice: still done.
    let reminders = &store.reminders;
    reminders.checked(bill, day(2)).await.expect("checked");
    let again = reminders.claim_check(bill, day(2), at(5, 0), STALE).await;
    assert_eq!(again.expect("claim"), Claim::Done);
}

/// A claim older than `stale` and never marked done was a run that died:
/// of 50 claimers at once, one takes it over; the claim it made is fresh
/// again. A claim younger than `stale` is nobody's to take.
pub(super) async fn stale_checks_are_taken_once(store: Store) {
    let (bill, on) = (BillId(43), day(2));
    let reminders = &store.reminders;
    let first = reminders.claim_check(bill, on, at(2, 0), STALE).await;
    assert_eq!(first.expect("claim"), Claim::Won);
    let held = reminders.claim_check(bill, on, at(2, 9), STALE).await;
    assert_eq!(held.expect("claim"), Claim::Held, "9 minutes");
    assert_eq!(claims_won(&store, bill, on, at(2, 9)).await, 0, "9 minutes");
    assert_eq!(
        claims_won(&store, bill, on, at(2, 11)).await,
        1,
        "taken over"
    );
    assert_eq!(
        claims_won(&store, bill, on, at(2, 12)).await,
        0,
        "fresh again"
    );
    assert_eq!(claims_won(&store, bill, on, at(2, 22)).await, 1, "died too");
    reminders.checked(bill, on).await.expect("checked");
    assert_eq!(claims_won(&store, bill, on, at(2, 59)).await, 0, "done");

    // A limit too long to add to a time never takes over.
    let other = BillId(44);
    let first = reminders.claim_check(other, on, at(2, 0), STALE).await;
    assert_eq!(first.expect("claim"), Claim::Won);
    let never = claims_won_with(&store, other, on, at(2, 59), Duration::MAX).await;
    assert_eq!(never, 0);
    // One of no time takes over any unfinished claim, once a moment passed.
    let now = claims_won_with(&store, other, on, at(2, 1), Duration::ZERO).await;
    assert_eq!(now, 1);
}

/// 50 claims of one reminder at once: one is sent. The other kind, another
/// invoice or another bill is a reminder of its own; a claim won is won
/// for good.
pub(super) async fn one_send_per_reminder(store: Store) {
    let now = at(2, 0);
    let claims = |bill: BillId, invoice: &'static str, kind: ReminderKind| {
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let store = store.clone();
            tasks.spawn(async move { store.reminders.claim_send(bill, invoice, kind, now).await });
        }
        async move { all(tasks).await.into_iter().filter(|won| *won).count() }
    };
    let (bill, other) = (BillId(45), BillId(46));
    assert_eq!(claims(bill, "F1", ReminderKind::New).await, 1);
    assert_eq!(claims(bill, "F1", ReminderKind::New).await, 0, "once ever");
    assert_eq!(
        claims(bill, "F1", ReminderKind::DueSoon).await,
        1,
        "the other kind"
    );
    assert_eq!(claims(bill, "F1", ReminderKind::DueSoon).await, 0);
    assert_eq!(
        claims(bill, "F2", ReminderKind::New).await,
        1,
        "another invoice"
    );
    assert_eq!(
        claims(other, "F1", ReminderKind::New).await,
        1,
        "another bill"
    );
    // Invoice numbers are the bank's text: prefixes and odd bytes are apart.
    assert_eq!(claims(bill, "F", ReminderKind::New).await, 1);
    assert_eq!(claims(bill, "F10", ReminderKind::New).await, 1);
    assert_eq!(claims(bill, "", ReminderKind::New).await, 1);
    assert_eq!(claims(bill, "Ş-1", ReminderKind::DueSoon).await, 1);
    let late = store
        .reminders
        .claim_send(bill, "F1", ReminderKind::New, at(9, 0));
    assert!(!late.await.expect("claim"));
    // Given back (Telegram refused it): claimable once more, by one of many;
    // the other kind stays claimed, and a release of nothing is nothing.
    let reminders = &store.reminders;
    reminders
        .release_send(bill, "F1", ReminderKind::New)
        .await
        .expect("release");
    assert_eq!(claims(bill, "F1", ReminderKind::New).await, 1, "given back");
    assert_eq!(claims(bill, "F1", ReminderKind::DueSoon).await, 0);
    reminders
        .release_send(other, "never", ReminderKind::New)
        .await
        .expect("release of nothing");
}

/// Pruning forgets checks of days before the one given and sends claimed
/// before the time given, nothing else, once though run at once.
pub(super) async fn prune_forgets_the_old_only(store: Store) {
    let (bill, reminders) = (BillId(47), &store.reminders);
    for d in [1, 2, 3, 4] {
        let claimed = reminders.claim_check(bill, day(d), at(d, 0), STALE).await;
        assert_eq!(claimed.expect("claim"), Claim::Won);
    }
    reminders.checked(bill, day(1)).await.expect("checked");
    reminders.checked(bill, day(3)).await.expect("checked");
    let sends = [("old", at(1, 0)), ("older", at(1, 5)), ("new", at(3, 0))];
    for (invoice, when) in sends {
        let kind = ReminderKind::New;
        let claimed = reminders.claim_send(bill, invoice, kind, when).await;
        assert!(claimed.expect("claim"));
    }
    // Days 1 and 2 and the two sends of day 1.
    let mut tasks = JoinSet::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.spawn(async move { store.reminders.prune(day(3), at(2, 0)).await });
    }
    let gone: u64 = all(tasks).await.into_iter().sum();
    assert_eq!(gone, 4, "each row once");
    let again = reminders.prune(day(3), at(2, 0)).await.expect("prune");
    assert_eq!(again, 0);

    let now = at(4, 30);
    let after = [
        (1, Claim::Won),
        (2, Claim::Won),
        (3, Claim::Done),
        (4, Claim::Held),
    ];
    for (d, expected) in after {
        let claim = reminders.claim_check(bill, day(d), now, Duration::from_secs(86_400 * 9));
        assert_eq!(claim.await.expect("claim"), expected, "day {d}");
    }
    for (invoice, claimable) in [("old", true), ("older", true), ("new", false)] {
        let claim = reminders.claim_send(bill, invoice, ReminderKind::New, now);
        assert_eq!(claim.await.expect("claim"), claimable, "{invoice}");
    }
}

/// 30 query starts reserved at once, as by the runs of several replicas,
/// one every 40 ms: they come one after another at that pace, never
/// together; after a pause the next one is at once.
pub(super) async fn queries_keep_one_pace(store: Store) {
    const N: usize = 30;
    let every = Duration::from_millis(40);
    let mut tasks = JoinSet::new();
    for _ in 0..N {
        let store = store.clone();
        tasks.spawn(async move {
            let wait = store.reminders.next_query(every).await?;
            tokio::time::sleep(wait).await;
            Ok::<_, crate::payments::StoreError>(tokio::time::Instant::now())
        });
    }
    let mut starts = all(tasks).await;
    starts.sort();
    let span = starts[N - 1] - starts[0];
    // Each start is its reply's time late: a few milliseconds either way.
    assert!(
        span + Duration::from_millis(30) >= every * (N as u32 - 1),
        "{N} starts within {span:?}"
    );
    for (i, first) in starts.iter().enumerate() {
        let window = starts[i..]
            .iter()
            .take_while(|t| **t - *first < every * 10)
            .count();
        assert!(window <= 11, "{window} starts within {:?}", every * 10);
    }
    tokio::time::sleep(every * 2).await;
    let wait = store.reminders.next_query(every).await.expect("pace");
    assert!(wait < every / 2, "after a pause: {wait:?}");
}

/// A claim renewed by its run stays that run's for `stale` from the
/// renewal; a stale one taken over cannot be renewed by the run that lost
/// it; 50 renewals of one claim at once (a run and its ghosts): one wins.
pub(super) async fn a_renewed_claim_stays_its_runs(store: Store) {
    let (bill, on) = (BillId(45), day(2));
    let reminders = &store.reminders;
    let first = reminders.claim_check(bill, on, at(2, 0), STALE).await;
    assert_eq!(first.expect("claim"), Claim::Won);
    let renewed = reminders.renew_check(bill, on, at(2, 0), at(2, 5)).await;
    assert!(renewed.expect("renew"));
    let again = reminders.renew_check(bill, on, at(2, 0), at(2, 6)).await;
    assert!(
        !again.expect("renew"),
        "the old time is no longer the claim's"
    );
    assert_eq!(claims_won(&store, bill, on, at(2, 11)).await, 0, "fresh");
    assert_eq!(claims_won(&store, bill, on, at(2, 16)).await, 1, "stale");
    let lost = reminders.renew_check(bill, on, at(2, 5), at(2, 17)).await;
    assert!(!lost.expect("renew"), "taken over");

    let mut tasks = JoinSet::new();
    for s in 0..50 {
        let store = store.clone();
        let now = at(2, 16) + chrono::Duration::seconds(s + 1);
        tasks.spawn(async move { store.reminders.renew_check(bill, on, at(2, 16), now).await });
    }
    let won = all(tasks).await.into_iter().filter(|w| *w).count();
    assert_eq!(won, 1, "renewals at once");
    reminders.checked(bill, on).await.expect("checked");
    let done = reminders.renew_check(bill, on, at(2, 16), at(2, 30)).await;
    assert!(!done.expect("renew"), "done");
    let never = reminders
        .renew_check(BillId(46), on, at(2, 0), at(2, 1))
        .await;
    assert!(!never.expect("renew"), "never claimed");
}
