//! A saved bill is one tap from its invoices: `/bills`, the bill, Pay, and
//! the invoices of its institution and subscriber, with no group,
//! institution or field to choose again; then confirm, PIN, paid once and a
//! receipt, as from `/pay`. Saved once: Save pressed again says so, and the
//! next payment of the bill offers no Save.

use super::common;
use common::{Harness, ISKI_NAME, Key, filled, labelled, save_data, words};
use faturabot::{bot::callbacks::Action, sandbox::FailMode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_bill_is_one_tap_from_its_invoices_and_pays_once() {
    // Arrange: one of the three invoices of 1000002 paid through /pay, the
    // bill saved and named.
    let h = Harness::start().await;
    let user = h.customer(7101, "tr");
    h.link(&user).await;
    let paid = h.pay_new_bill(&user, "1000002", "₺1.234,56").await;
    assert!(
        labelled(&paid, &user, "bills.save").is_some(),
        "{:?}",
        paid.buttons
    );
    let first_save = save_data(&paid).expect("a save button");
    h.press_save(&user, &paid, filled("bills.saved", &[("title", ISKI_NAME)]))
        .await;
    h.say_key(
        &user,
        "Ev suyu",
        filled("bills.named", &[("title", "Ev suyu")]),
    )
    .await;

    // Act: /bills, the bill, Pay; the second invoice, confirmed.
    let list = h.bills_list(&user, 1).await;
    let entry = words(
        &user,
        filled(
            "bills.entry",
            &[
                ("name", "Ev suyu"),
                ("institution", ISKI_NAME),
                ("subscriber", "1000002"),
            ],
        ),
    );
    assert!(
        list.all_buttons().any(|b| b.text == entry),
        "{entry:?} in {:?}",
        list.buttons
    );
    let card = h.open_bill(&user, &list, "Ev suyu").await;
    let shown = filled("pay.choose_invoice", &[("count", "2")]);
    let invoices = h
        .press_fresh(&user, &card, Action::Confirm, shown.clone())
        .await;
    // Back from a saved bill's invoices leads to its menu, not to a field.
    let card = h
        .press_fresh(&user, &invoices, Action::Back, "bills.card")
        .await;
    let invoices = h.press_fresh(&user, &card, Action::Confirm, shown).await;
    let steps_after_pay: Vec<String> =
        h.tg.chat(user.chat_id())
            .into_iter()
            .filter(|m| m.message_id >= card.message_id)
            .map(|m| m.plain())
            .collect();
    let confirm = h.press_key(&user, &invoices, "₺0,10", "pay.confirm").await;
    let again = h.pay_confirmed(&user, &confirm, "₺0,10").await;

    // Assert: no step of /pay in between; the saved query went to the bank.
    for key in [
        "pay.choose_group",
        "pay.choose_institution",
        "pay.enter_field",
    ] {
        let key = Key::from(key);
        assert!(
            !steps_after_pay.iter().any(|t| key.shown_in(&user, t)),
            "{} after Pay: {steps_after_pay:#?}",
            key.name()
        );
    }
    let query = h
        .sandbox
        .sandbox
        .recorded()
        .into_iter()
        .rfind(|c| c.method == "QueryInvoices")
        .expect("a query");
    let request = &query.body["Parameters"][0]["Request"];
    assert_eq!(request["AssociationCode"], "ISKI");
    assert_eq!(request["SubscriberNumber"], "1000002");
    // Each invoice paid once, and nothing else.
    let payments = h.sandbox.sandbox.payments();
    let mut numbers: Vec<&str> = payments.iter().map(|p| p.invoice_number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!((payments.len(), numbers.len()), (2, 2), "{payments:#?}");
    assert!(payments.iter().all(|p| p.subscriber_number == "1000002"));
    assert!(
        payments.iter().any(|p| p.amount.to_string() == "0.10"),
        "{payments:#?}"
    );
    // Saved already: no Save under the second payment; the first lost its
    // button, and its old button says so.
    assert!(save_data(&again).is_none(), "{:?}", again.buttons);
    assert!(labelled(&again, &user, "button.pay").is_some());
    let first_now =
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == paid.message_id)
            .expect("the first paid message");
    assert!(save_data(&first_now).is_none(), "{:?}", first_now.buttons);
    h.press_save_data(&user, paid.message_id, &first_save, "bills.already_saved")
        .await;
    h.bills_list(&user, 1).await;
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_failure_at_a_saved_bills_pay_offers_retry() {
    // Arrange: a bill of three invoices paid once and saved; the bank's
    // next query fails, and so does the client's one retry of it.
    let h = Harness::start().await;
    let user = h.customer(7102, "tr");
    h.link(&user).await;
    h.pay_and_save(&user, "1000002", "₺1.234,56").await;
    h.sandbox
        .sandbox
        .fail_next("QueryInvoices", FailMode::Http500, 2);

    // Act: Pay, then Retry.
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, ISKI_NAME).await;
    let failed = h
        .press_fresh(&user, &card, Action::Confirm, "bank.unavailable")
        .await;
    let invoices = h
        .press_fresh(
            &user,
            &failed,
            Action::Retry,
            filled("pay.choose_invoice", &[("count", "2")]),
        )
        .await;

    // Assert: the invoices once the bank answers; nothing paid meanwhile.
    assert!(invoices.button("₺0,10").is_some(), "{:?}", invoices.buttons);
    assert_eq!(h.sandbox.sandbox.payments().len(), 1);
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
