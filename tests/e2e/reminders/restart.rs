//! A crash in the middle of a run: after the restart the bills not yet
//! checked are checked that day, the checks the dead run held are taken
//! over once stale, and no customer is told twice. A reminder whose send
//! was claimed when the crash hit may be lost (at most once, by design):
//! each one missing is one claimed.

use std::{collections::BTreeMap, time::Duration};

use super::common;
use common::{Harness, Told, bounded, day, istanbul, schedule};
use faturabot::{
    fakegram::FakeUser,
    payments::bills::{ReminderKind, SavedBill},
    sandbox::NewInvoice,
};
use rust_decimal::Decimal;

const BILLS: u64 = 30;
/// Checks a run holds at once: 8 under way and the one claimed next.
const HELD: usize = 9;

/// The subscribers the sandbox's QueryInvoices was asked about, and how
/// often.
fn queried(h: &Harness) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for call in h.sandbox.sandbox.recorded() {
        if call.method != "QueryInvoices" {
            continue;
        }
        let request = &call.body["Parameters"][0]["Request"];
        if let Some(s) = request["SubscriberNumber"].as_str() {
            *seen.entry(s.to_owned()).or_default() += 1;
        }
    }
    seen
}

fn told_total(h: &Harness, seeded: &[(FakeUser, SavedBill)]) -> usize {
    seeded.iter().map(|(u, _)| h.reminders_to(u).len()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_run_tells_no_one_twice_and_the_rest_are_checked_after_the_restart() {
    // Arrange: 30 customers, each with a saved bill and one new invoice,
    // checked at 10 a second; the clock before the day's run time.
    let mut h = Harness::without_bot(Duration::from_secs(3)).await;
    h.reminders = Some(schedule(10.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let subscriber = |i: u64| format!("{}", 7_770_000 + i);
    let seeded = h.seed_reminded(7400, BILLS, subscriber).await;
    let mut numbers = Vec::new();
    for (_, bill) in &seeded {
        let number = h
            .sandbox
            .sandbox
            .add_invoice(NewInvoice {
                association: Some("ISKI".into()),
                subscriber: bill.subscriber.clone(),
                amount: Decimal::new(5000, 2),
                due_in_days: 10,
            })
            .expect("an invoice added");
        numbers.push(number);
    }

    // Act: the run time comes; after some reminders, the bot crashes.
    h.set_time(istanbul(day(0), 10, 0));
    bounded(Duration::from_secs(30), "ten reminders out", async {
        while told_total(&h, &seeded) < 10 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    h.crash().await;
    let at_crash = told_total(&h, &seeded);
    let queried_at_crash = queried(&h).len();
    assert!(
        at_crash < BILLS as usize,
        "the crash came after the run ended: {at_crash}"
    );
    h.launch().await;

    // Assert: started again the same day, the bot checks the bills the
    // dead run never got to; those it held (at most the 8 checks under
    // way and the one claimed next) wait for their claims to go stale.
    h.wait_reminder_runs(1).await;
    let after_restart = queried(&h).len();
    assert!(
        after_restart > queried_at_crash && after_restart + HELD >= BILLS as usize,
        "{queried_at_crash} bills queried before the crash, {after_restart} after the restart"
    );

    // Act: once the dead run's claims are stale, another run.
    h.set_time(istanbul(day(0), 10, 3));
    h.remind_now().await;

    // Assert: every bill queried; nobody twice; each one not told was claimed (lost to the
    // crash), and only a few were.
    assert_eq!(queried(&h).len(), BILLS as usize, "{:?}", queried(&h));
    let mut lost = Vec::new();
    for (i, (user, bill)) in seeded.iter().enumerate() {
        let told = h.reminders_to(user);
        assert!(told.len() <= 1, "told twice: {:#?}", h.transcript(user));
        if let Some((kind, _)) = told.first() {
            assert_eq!(*kind, Told::New);
            continue;
        }
        let claimed = !h
            .app()
            .store
            .reminders
            .claim_send(
                bill.id,
                &numbers[i],
                ReminderKind::New,
                h.clock.clock().now(),
            )
            .await
            .expect("the store answers");
        assert!(claimed, "bill {i} was neither told nor claimed");
        lost.push(i);
    }
    eprintln!(
        "restart: {at_crash} told before the crash, {} after, {} lost to it; \
         {queried_at_crash} bills queried before the crash, {after_restart} once back, \
         the rest once the dead run's claims were stale",
        told_total(&h, &seeded) - at_crash,
        lost.len()
    );
    assert!(
        lost.len() <= HELD,
        "more lost than a run holds at once: {lost:?}"
    );

    // Assert: every check is done: a run now queries nothing.
    let queries = h.sandbox.sandbox.calls("QueryInvoices");
    h.remind_now().await;
    assert_eq!(h.sandbox.sandbox.calls("QueryInvoices"), queries);
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
