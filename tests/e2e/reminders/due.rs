//! "Due soon": an invoice first seen five days before its due date is
//! new, and is due soon once within the configured three days, one
//! message each; one first seen due tomorrow gets one "due soon" and no
//! "new".

use std::time::Duration;

use super::common;
use common::{Harness, ISKI_NAME, Told, day, filled, istanbul, schedule};
use faturabot::sandbox::NewInvoice;
use rust_decimal::Decimal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_is_new_then_due_soon_once_each_and_one_due_tomorrow_is_due_soon_only() {
    // Arrange: two customers; 7550001's bill has one invoice due in 5
    // days (on 21 March); 1000004's bank issues one each day, due the day
    // after.
    let mut h = Harness::without_bot(Duration::from_secs(3)).await;
    h.reminders = Some(schedule(20.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let subscribers = ["7550001", "1000004"];
    let seeded = h
        .seed_reminded(7500, 2, |i| subscribers[i as usize].to_owned())
        .await;
    let (far, soon) = (&seeded[0].0, &seeded[1].0);
    h.sandbox
        .sandbox
        .add_invoice(NewInvoice {
            association: Some("ISKI".into()),
            subscriber: "7550001".into(),
            amount: Decimal::new(8790, 2),
            due_in_days: 5,
        })
        .expect("an invoice added");

    // Act: the run of day 0.
    h.remind_now().await;

    // Assert: due in 5 days is new; due tomorrow is due soon, and only
    // that.
    let told = h.reminders_to(far);
    assert_eq!(kinds(&told), [Told::New], "{:#?}", h.transcript(far));
    let new = filled(
        "reminder.new",
        &[
            ("institution", ISKI_NAME),
            ("subscriber", "7550001"),
            ("amount", "₺87,90"),
            ("due", "21.03.2026"),
        ],
    );
    assert!(
        new.shown_in(far, &told[0].1.plain()),
        "{}",
        told[0].1.plain()
    );
    let told = h.reminders_to(soon);
    assert_eq!(kinds(&told), [Told::DueSoon], "{:#?}", h.transcript(soon));
    let due = filled(
        "reminder.due",
        &[
            ("subscriber", "1000004"),
            ("amount", "₺41,50"),
            ("due", "17.03.2026"),
        ],
    );
    assert!(
        due.shown_in(soon, &told[0].1.plain()),
        "{}",
        told[0].1.plain()
    );

    // Act: day 1 (due in 4 days), day 3 (in 2) and day 4 (in 1).
    for d in [1, 3, 4] {
        h.set_time(istanbul(day(d), 8, 0));
        h.remind_now().await;
        let n = h.reminders_to(far).len();
        let want = if d < 3 { 1 } else { 2 };
        assert_eq!(n, want, "day {d}: {:#?}", h.transcript(far));
    }

    // Assert: one "due soon" for 21 March's invoice, on day 3; each day's
    // invoice of 1000004 due soon once, never new.
    let told = h.reminders_to(far);
    assert_eq!(kinds(&told), [Told::New, Told::DueSoon]);
    let due = filled(
        "reminder.due",
        &[
            ("institution", ISKI_NAME),
            ("amount", "₺87,90"),
            ("due", "21.03.2026"),
        ],
    );
    assert!(
        due.shown_in(far, &told[1].1.plain()),
        "{}",
        told[1].1.plain()
    );
    let told = h.reminders_to(soon);
    assert_eq!(
        kinds(&told),
        [Told::DueSoon; 4],
        "{:#?}",
        h.transcript(soon)
    );
    for (i, d) in [17, 18, 20, 21].iter().enumerate() {
        let date = format!("{d}.03.2026");
        let due = filled("reminder.due", &[("due", date.as_str())]);
        assert!(
            due.shown_in(soon, &told[i].1.plain()),
            "{}",
            told[i].1.plain()
        );
    }
    assert_eq!(h.reminder_metric("sent", "new_invoice"), 1);
    assert_eq!(h.reminder_metric("sent", "due_soon"), 5);
}

fn kinds(told: &[(Told, faturabot::fakegram::BotMessage)]) -> Vec<Told> {
    told.iter().map(|(t, _)| *t).collect()
}
