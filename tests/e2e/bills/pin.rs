//! The PIN before a saved bill's payment: after an agent's `/resetpin`,
//! Pay on a saved bill asks for a new PIN first, then goes on at that
//! bill's invoices, and the payment takes the new PIN.

use super::common;
use common::{Harness, ISKI_NAME, PIN, filled};
use faturabot::bot::callbacks::Action;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_pin_reset_a_saved_bill_chooses_a_pin_then_shows_its_invoices() {
    if common::PIN_OFF {
        return;
    }
    // Arrange: a bill of three invoices paid once and saved; the PIN reset.
    let h = Harness::start().await;
    let user = h.customer(7701, "tr");
    h.link(&user).await;
    h.pay_and_save(&user, "1000002", "₺1.234,56").await;
    let agent = h.agent();
    let done = filled("resetpin.done", &[("customer", "3488017"), ("count", "1")]);
    h.say_key(&agent, "/resetpin 3488017", done).await;
    h.expect_key(&user, "resetpin.notice").await;

    // Act: the bill's Pay; a PIN chosen; an invoice paid with it.
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, ISKI_NAME).await;
    let keypad = h
        .press_fresh(&user, &card, Action::Confirm, "pin.choose")
        .await;
    h.choose_pin(&user, &keypad, PIN).await;
    let invoices = h
        .expect_key(&user, filled("pay.choose_invoice", &[("count", "2")]))
        .await;
    let confirm = h.press_key(&user, &invoices, "₺0,10", "pay.confirm").await;
    h.pay_confirmed(&user, &confirm, "₺0,10").await;

    // Assert: that invoice paid once, after the first one.
    let payments = h.sandbox.sandbox.payments();
    assert_eq!(payments.len(), 2, "{payments:#?}");
    let tenth: Vec<_> = payments
        .iter()
        .filter(|p| p.amount.to_string() == "0.10")
        .collect();
    assert_eq!(tenth.len(), 1, "{payments:#?}");
    assert_eq!(tenth[0].subscriber_number, "1000002");
}
