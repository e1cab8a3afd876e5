//! A new invoice of a saved bill: one reminder naming the institution, the
//! bill, the amount and the due date, with a Pay button that leads to the
//! confirmation of that invoice and pays it (the PIN typed when on); no
//! second reminder the same day, nor the next day once it is paid.

use super::common;
use common::{Harness, ISKI_NAME, Told, day, filled, istanbul, reminder_pay_data, schedule, words};
use faturabot::sandbox::NewInvoice;
use rust_decimal::Decimal;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_invoice_gets_one_reminder_whose_pay_button_pays_it() {
    // Arrange: before the day's run time, a customer pays 1000001's invoice
    // through /pay and saves the bill as "Ev suyu"; then the bank issues a
    // new one, due in 10 days.
    let mut h = Harness::without_bot(Duration::from_secs(3)).await;
    h.reminders = Some(schedule(20.0));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let user = h.customer(7301, "tr");
    h.link(&user).await;
    let paid = h.pay_new_bill(&user, "1000001", "₺29,20").await;
    h.press_save(&user, &paid, "bills.saved").await;
    h.say_key(
        &user,
        "Ev suyu",
        filled("bills.named", &[("title", "Ev suyu")]),
    )
    .await;
    let number = h
        .sandbox
        .sandbox
        .add_invoice(NewInvoice {
            association: Some("ISKI".into()),
            subscriber: "1000001".into(),
            amount: Decimal::new(12345, 2),
            due_in_days: 10,
        })
        .expect("an invoice added");

    // Act: the day's run, and another the same day.
    h.remind_now().await;
    h.remind_now().await;

    // Assert: one reminder, saying what is owed, to whom, by when.
    let told = h.reminders_to(&user);
    assert_eq!(told.len(), 1, "{:#?}", h.transcript(&user));
    let (kind, reminder) = &told[0];
    assert_eq!(*kind, Told::New);
    let says = filled(
        "reminder.new",
        &[
            ("title", "Ev suyu"),
            ("institution", ISKI_NAME),
            ("subscriber", "1000001"),
            ("amount", "₺123,45"),
            ("due", "26.03.2026"),
        ],
    );
    assert!(
        says.shown_in(&user, &reminder.plain()),
        "{}",
        reminder.plain()
    );
    let pay_label = words(&user, filled("reminder.pay", &[("amount", "₺123,45")]));
    assert!(
        reminder.all_buttons().any(|b| b.text == pay_label),
        "{pay_label:?} in {:?}",
        reminder.buttons
    );
    assert_eq!(h.reminder_metric("sent", "new_invoice"), 1);

    // Act: Pay under the reminder, then confirm (and the PIN).
    let data = reminder_pay_data(reminder).expect("a Pay button");
    h.tg.press(&user, reminder.message_id, &data);
    let confirm = h
        .expect_key(
            &user,
            filled(
                "pay.confirm",
                &[("invoice", number.as_str()), ("amount", "₺123,45")],
            ),
        )
        .await;
    assert_ne!(
        confirm.message_id, reminder.message_id,
        "the reminder stays as it was"
    );
    h.pay_confirmed(&user, &confirm, "₺123,45").await;

    // Assert: that invoice paid, once.
    let payments: Vec<_> = h
        .sandbox
        .sandbox
        .payments()
        .into_iter()
        .filter(|p| p.invoice_number == number)
        .collect();
    assert_eq!(payments.len(), 1, "{payments:#?}");
    assert_eq!(payments[0].amount, Decimal::new(12345, 2));

    // Act: the next day's run.
    h.set_time(istanbul(day(1), 8, 0));
    let queries = h.sandbox.sandbox.calls("QueryInvoices");
    h.remind_now().await;

    // Assert: the bill was checked again, and nothing more was said.
    assert_eq!(
        h.sandbox.sandbox.calls("QueryInvoices"),
        queries + 1,
        "the next day's check queried the bill"
    );
    assert_eq!(h.reminders_to(&user).len(), 1, "{:#?}", h.transcript(&user));
    assert_eq!(h.reminder_metric("sent", "new_invoice"), 1);
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
