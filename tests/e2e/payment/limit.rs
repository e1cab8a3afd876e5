//! The daily limit (`FATURABOT_DAILY_LIMIT`): a payment that would take
//! the account over it is refused on the confirm press, before any bank
//! call, with the limit and what is left in the customer's language; the
//! dialogue goes on from there. Per account, whichever user pays.

use crate::common;

use std::time::Duration;

use common::{Harness, WAIT, filled, to_invoices};
use faturabot::bot::callbacks::Action;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_over_the_daily_limit_is_refused_before_the_bank() {
    let mut h = Harness::without_bot(Duration::from_secs(2)).await;
    h.daily_limit = Some("50".parse().expect("amount"));
    h.launch().await;
    let calls = || h.sandbox.sandbox.calls("InvoicePayment");

    // 29.20 of 50 paid.
    let turkish = h.customer(1301, "tr");
    h.link(&turkish).await;
    let invoices = to_invoices(&h, &turkish, "1000001").await;
    let confirm = h
        .press_key(&turkish, &invoices, "₺29,20", "pay.confirm")
        .await;
    h.press_action(&turkish, &confirm, Action::Confirm, "status.completed")
        .await;
    h.tg.wait_for_message(turkish.chat_id(), |m| m.photo.is_some(), WAIT)
        .await
        .expect("receipt");
    assert_eq!(calls(), 1);

    // 1,234.56 more does not fit: refused on the press, 20.80 left.
    let invoices = to_invoices(&h, &turkish, "1000002").await;
    let confirm = h
        .press_key(&turkish, &invoices, "₺1.234,56", "pay.confirm")
        .await;
    let refused = h
        .press_action(
            &turkish,
            &confirm,
            Action::Confirm,
            filled("pay.over_limit", &[("limit", "₺50,00"), ("left", "₺20,80")]),
        )
        .await;
    assert_eq!(calls(), 1, "no bank call");
    // Back to the invoices; 0.10 fits.
    let invoices = h
        .press_action(&turkish, &refused, Action::Back, "pay.choose_invoice")
        .await;
    let confirm = h
        .press_key(&turkish, &invoices, "₺0,10", "pay.confirm")
        .await;
    // Its own status: the chat shows the first one's too.
    let paid = filled("status.completed", &[("amount", "₺0,10")]);
    h.press_action(&turkish, &confirm, Action::Confirm, paid)
        .await;
    assert_eq!(calls(), 2);

    // Another Telegram user of the same account shares its day: in
    // English, 20.70 left.
    let english = h.customer(1302, "en");
    h.link(&english).await;
    let invoices = to_invoices(&h, &english, "1000002").await;
    let confirm = h
        .press_key(&english, &invoices, "TRY 1,234.56", "pay.confirm")
        .await;
    let refused = h
        .press_action(
            &english,
            &confirm,
            Action::Confirm,
            filled(
                "pay.over_limit",
                &[("limit", "TRY 50.00"), ("left", "TRY 20.70")],
            ),
        )
        .await;
    assert_eq!(calls(), 2, "no bank call");
    // The refusal has the dialogue's way out.
    h.press_action(&english, &refused, Action::Cancel, "cancel.done")
        .await;
    assert_eq!(calls(), 2);
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
