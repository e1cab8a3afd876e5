//! One bank failure: that bill is skipped for the day (counted as failed),
//! the run goes on to the others, and the next day's run checks it again.

use std::time::Duration;

use super::common;
use common::{Harness, day, istanbul, schedule};
use faturabot::sandbox::FailMode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_failure_skips_that_bill_for_the_day_and_the_run_goes_on() {
    // Arrange: three bills with an invoice each; the bank's next
    // QueryInvoices fails.
    let mut h = Harness::without_bot(Duration::from_secs(3)).await;
    h.reminders = Some(schedule(20.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let seeded = h
        .seed_reminded(7800, 3, |i| (1_200_001 + i).to_string())
        .await;
    h.sandbox
        .sandbox
        .fail_next("QueryInvoices", FailMode::ErrorEnvelope, 1);

    // Act: the day's run, and another the same day.
    h.remind_now().await;
    h.remind_now().await;

    // Assert: the first bill queried got nothing; the two others one
    // reminder each; the failure counted.
    let first = h
        .sandbox
        .sandbox
        .recorded()
        .into_iter()
        .find(|c| c.method == "QueryInvoices")
        .expect("a query");
    let failed = first.body["Parameters"][0]["Request"]["SubscriberNumber"]
        .as_str()
        .expect("a subscriber")
        .to_owned();
    for (user, bill) in &seeded {
        let want = usize::from(bill.subscriber != failed);
        assert_eq!(
            h.reminders_to(user).len(),
            want,
            "{}: {:#?}",
            bill.subscriber,
            h.transcript(user)
        );
    }
    assert_eq!(
        h.sandbox.sandbox.calls("QueryInvoices"),
        3,
        "skipped for the day"
    );
    assert_eq!(h.reminder_metric("failed", "bank"), 1);
    assert_eq!(h.reminder_metric("sent", "new_invoice"), 2);

    // Act: the next day's run.
    h.set_time(istanbul(day(1), 8, 0));
    h.remind_now().await;

    // Assert: the skipped bill checked and told; nobody twice.
    for (user, bill) in &seeded {
        assert_eq!(
            h.reminders_to(user).len(),
            1,
            "{}: {:#?}",
            bill.subscriber,
            h.transcript(user)
        );
    }
    assert_eq!(h.reminder_metric("sent", "new_invoice"), 3);
}
