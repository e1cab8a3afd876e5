//! Reminders switched off in a bill's menu (`/bills`): that bill is not
//! even queried, while the customer's other bill is reminded of; switched
//! on again, the next day's run tells of it.

use std::time::Duration;

use super::common;
use common::{Harness, ISKI_NAME, day, filled, istanbul, schedule, words};
use faturabot::{bot::callbacks::Action, sandbox::NewInvoice};
use rust_decimal::Decimal;

/// How often the bank was asked about `subscriber`.
fn queries_of(h: &Harness, subscriber: &str) -> usize {
    h.sandbox
        .sandbox
        .recorded()
        .iter()
        .filter(|c| c.method == "QueryInvoices")
        .filter(|c| c.body["Parameters"][0]["Request"]["SubscriberNumber"] == subscriber)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bill_with_reminders_off_gets_none_and_on_again_it_does() {
    // Arrange: a customer saves 1000001 through /pay and switches its
    // reminders off in its menu; they have a second bill, 7560001, with
    // reminders on. Both get a new invoice.
    let mut h = Harness::without_bot(Duration::from_secs(3)).await;
    h.reminders = Some(schedule(20.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let user = h.customer(7601, "tr");
    h.link(&user).await;
    h.pay_and_save(&user, "1000001", "₺29,20").await;
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, ISKI_NAME).await;
    let off = words(&user, "bills.reminders_off");
    let muted = filled("bills.card", &[("reminders", off.as_str())]);
    let card = h.press_fresh(&user, &card, Action::Toggle, muted).await;
    h.app()
        .store
        .bills
        .save(common::iski_bill(&user, "7560001"), usize::MAX)
        .await
        .expect("saved");
    for subscriber in ["1000001", "7560001"] {
        h.sandbox
            .sandbox
            .add_invoice(NewInvoice {
                association: Some("ISKI".into()),
                subscriber: subscriber.into(),
                amount: Decimal::new(6400, 2),
                due_in_days: 10,
            })
            .expect("an invoice added");
    }
    let before = queries_of(&h, "1000001");

    // Act: the day's run.
    h.remind_now().await;

    // Assert: the muted bill was not queried; only the other one told.
    assert_eq!(
        queries_of(&h, "1000001"),
        before,
        "a muted bill is not queried"
    );
    assert_eq!(queries_of(&h, "7560001"), 1);
    let told = h.reminders_to(&user);
    assert_eq!(told.len(), 1, "{:#?}", h.transcript(&user));
    let other = filled("reminder.new", &[("subscriber", "7560001")]);
    assert!(
        other.shown_in(&user, &told[0].1.plain()),
        "{}",
        told[0].1.plain()
    );

    // Act: reminders on again; the next day's run.
    let on = words(&user, "bills.reminders_on");
    let unmuted = filled("bills.card", &[("reminders", on.as_str())]);
    h.press_fresh(&user, &card, Action::Toggle, unmuted).await;
    h.set_time(istanbul(day(1), 8, 0));
    h.remind_now().await;

    // Assert: now 1000001's invoice is told of, once.
    let told = h.reminders_to(&user);
    assert_eq!(told.len(), 2, "{:#?}", h.transcript(&user));
    let this = filled(
        "reminder.new",
        &[("subscriber", "1000001"), ("amount", "₺64,00")],
    );
    assert!(
        this.shown_in(&user, &told[1].1.plain()),
        "{}",
        told[1].1.plain()
    );
}
