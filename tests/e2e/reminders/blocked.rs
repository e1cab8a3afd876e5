//! A customer who blocked the bot: one attempt (Telegram answers 403),
//! then none on the next day's run; once they write to the bot again, the
//! next run tells them of the invoice they were never told of. With
//! several bills, one attempt a run, not one a bill.

use std::time::Duration;

use super::common;
use common::{Harness, Told, day, filled, iski_bill, istanbul, schedule};
use faturabot::{
    payments::{TelegramUserId, bills::Stored},
    sandbox::NewInvoice,
};
use rust_decimal::Decimal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_customer_is_tried_once_and_again_only_after_writing() {
    // Arrange: a saved bill with one new invoice, due in 10 days; its
    // customer has blocked the bot.
    let mut h = Harness::without_bot(Duration::from_secs(3)).await;
    h.reminders = Some(schedule(20.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let seeded = h.seed_reminded(7700, 1, |_| "7770701".into()).await;
    let user = &seeded[0].0;
    h.sandbox
        .sandbox
        .add_invoice(NewInvoice {
            association: Some("ISKI".into()),
            subscriber: "7770701".into(),
            amount: Decimal::new(3310, 2),
            due_in_days: 10,
        })
        .expect("an invoice added");
    h.tg.set_blocked(user, true);

    // Act: day 0's run.
    h.remind_now().await;

    // Assert: one attempt, refused; the customer is marked blocked.
    let attempts = h.reminder_attempts(user);
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!(attempts[0].status, 403);
    let record = h.app().store.users.get(TelegramUserId(user.id)).await;
    assert!(record.expect("the record").blocked);
    assert_eq!(h.reminder_metric("failed", "blocked"), 1);

    // Act: day 1's run.
    h.set_time(istanbul(day(1), 8, 0));
    h.remind_now().await;

    // Assert: not tried.
    assert_eq!(h.reminder_attempts(user).len(), 1);
    assert_eq!(h.reminder_metric("skipped", "blocked"), 1);

    // Act: they unblock the bot and write to it; day 2's run.
    h.tg.set_blocked(user, false);
    h.say(user, "merhaba", "").await;
    h.set_time(istanbul(day(2), 8, 0));
    h.remind_now().await;

    // Assert: written to again, of the invoice they were never told of.
    let attempts = h.reminder_attempts(user);
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[1].status, 200);
    let told = h.reminders_to(user);
    assert_eq!(told.len(), 1, "{:#?}", h.transcript(user));
    assert_eq!(told[0].0, Told::New);
    let new = filled(
        "reminder.new",
        &[("amount", "₺33,10"), ("due", "26.03.2026")],
    );
    assert!(
        new.shown_in(user, &told[0].1.plain()),
        "{}",
        told[0].1.plain()
    );

    // Act: day 3's run.
    h.set_time(istanbul(day(3), 8, 0));
    h.remind_now().await;

    // Assert: told once is once.
    assert_eq!(h.reminders_to(user).len(), 1, "{:#?}", h.transcript(user));
    let record = h.app().store.users.get(TelegramUserId(user.id)).await;
    assert!(!record.expect("the record").blocked);
}

/// A customer with three saved bills, each with an invoice, who blocked
/// the bot: the bank answers slowly, so the three checks are under way at
/// once; the first reminder refused, the others are not tried. Once the
/// customer writes again, the next run tells them of all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_customer_with_three_bills_is_tried_once_in_a_run() {
    // Arrange: three bills of one customer; each bank call takes 300 ms
    // and the checks start 50 ms apart.
    let mut h =
        Harness::with_bank_latency(Duration::from_secs(5), Duration::from_millis(300)).await;
    h.reminders = Some(schedule(20.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let seeded = h.seed_reminded(7710, 1, |_| "1231001".into()).await;
    let user = &seeded[0].0;
    for subscriber in ["1231002", "1231003"] {
        let saved = h
            .app()
            .store
            .bills
            .save(iski_bill(user, subscriber), 20)
            .await;
        assert!(matches!(saved, Ok(Stored::Saved(_))), "{saved:?}");
    }
    h.tg.set_blocked(user, true);

    // Act: day 0's run.
    h.remind_now().await;

    // Assert: one attempt, refused; the other two not tried.
    let attempts = h.reminder_attempts(user);
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!(attempts[0].status, 403);
    assert_eq!(h.reminder_metric("failed", "blocked"), 1);
    assert_eq!(h.reminder_metric("skipped", "blocked"), 2);

    // Act: they unblock the bot and write to it; day 1's run.
    h.tg.set_blocked(user, false);
    h.say(user, "merhaba", "").await;
    h.set_time(istanbul(day(1), 8, 0));
    h.remind_now().await;

    // Assert: told of each of the three invoices, once.
    let told = h.reminders_to(user);
    assert_eq!(told.len(), 3, "{:#?}", h.transcript(user));
    assert_eq!(h.reminder_attempts(user).len(), 4);
}
