//! The bank fails: each failure has its message and a way on; an unknown
//! outcome is never paid again until staff settle it with `/settle`.

use crate::common;

use std::time::Duration;

use common::{
    Harness, ISKI_NAME, Key, WAIT, action_data, filled, labelled, read, to_invoices, words,
};
use faturabot::bot::callbacks::Action;

/// Each bank failure at the query ends in its own message with a way back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_failures_at_query_each_have_a_message() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1012, "tr");
    h.link(&user).await;
    // The last two are the bank's own words.
    for (number, want) in [
        (
            "1000000",
            filled("pay.no_invoices", &[("subscriber", "1000000")]),
        ),
        ("9000001", Key::from("bank.rejected")),
        ("9000002", Key::from("bank.unavailable")),
        ("9000003", Key::from("bank.timeout")),
        ("9000004", Key::from("bank.malformed")),
        ("9000005", Key::from("bank.malformed")),
        (
            "9000006",
            filled(
                "bank.refused",
                &[("reason", "Kurum sisteminde geçici bir sorun var")],
            ),
        ),
        (
            "5555555",
            filled("bank.refused", &[("reason", "Abone bulunamadı")]),
        ),
    ] {
        to_invoices(&h, &user, number).await;
        let screen = h.expect_key(&user, want).await;
        assert!(
            labelled(&screen, &user, "button.back").is_some()
                && labelled(&screen, &user, "button.cancel").is_some(),
            "{number}: {:?}",
            screen.buttons
        );
        h.press_action(&user, &screen, Action::Cancel, "cancel.done")
            .await;
    }
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
}

/// Each bank failure at the payment: a clear message; unknown outcomes are
/// never retried and say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_failures_at_payment_each_have_a_message() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1013, "tr");
    h.link(&user).await;
    for (number, want) in [
        ("9100001", Key::from("pay.refused")),
        ("9100002", Key::from("status.unknown")),
        ("9100003", Key::from("status.unknown")),
        ("9100004", Key::from("status.unknown")),
        ("9100005", Key::from("bank.not_completed")),
        (
            "9100006",
            filled("bank.rejected", &[("reason", "Fatura daha önce ödenmiş")]),
        ),
    ] {
        let invoices = to_invoices(&h, &user, number).await;
        let confirm = h
            .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
            .await;
        let unknown = want.name() == "status.unknown";
        let result = h.press_action(&user, &confirm, Action::Confirm, want).await;
        if unknown {
            assert!(
                result.buttons.is_empty(),
                "{number}: no button to pay again"
            );
        } else {
            assert!(
                labelled(&result, &user, "button.back_to_invoices").is_some(),
                "{number}: {:?}",
                result.buttons
            );
            h.press_action(&user, &result, Action::Cancel, "cancel.done")
                .await;
        }
    }
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        6,
        "one call per confirmation"
    );
}

/// After a payment whose outcome is unknown, the same invoice is not paid
/// again by the bot: staff must settle the first attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_blocks_paying_the_same_invoice_again() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1015, "tr");
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    h.press_action(&user, &confirm, Action::Confirm, "status.unknown")
        .await;

    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    h.press_action(&user, &confirm, Action::Confirm, "pay.unsettled")
        .await;
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "never a second call"
    );
}

/// Staff settle an unknown outcome with /settle; the payer is told, and
/// once it is known to be unpaid the invoice can be paid again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_settles_an_unknown_outcome_and_the_payer_is_told() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1016, "tr");
    let agent = h.agent();
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    let unknown = h
        .press_action(&user, &confirm, Action::Confirm, "status.unknown")
        .await;
    let reference = read(&user, "status.unknown", "ref", &unknown.plain());

    // A customer cannot settle, and nothing changes.
    h.say_key(
        &user,
        &format!("/settle {reference} unpaid"),
        "agent.refused",
    )
    .await;

    let listed = h.say_key(&agent, "/payments", "payments.title").await;
    assert!(listed.plain().contains(&reference), "{}", listed.plain());
    // Another payment's id is not taken over (its receipt would follow).
    let other = to_invoices(&h, &user, "1000001").await;
    let confirm = h.press_key(&user, &other, "₺29,20", "pay.confirm").await;
    let paid = h
        .press_action(&user, &confirm, Action::Confirm, "status.completed")
        .await;
    let other_id = read(&user, "status.completed", "id", &paid.plain());
    other_id.parse::<i64>().expect("an id");
    h.say_key(
        &agent,
        &format!("/settle {reference} paid {other_id}"),
        filled("settle.id_taken", &[("id", &other_id)]),
    )
    .await;
    h.say_key(
        &agent,
        &format!("/settle {reference} unpaid"),
        filled(
            "status.refused",
            &[("institution", ISKI_NAME), ("subscriber", "9100002")],
        ),
    )
    .await;
    h.expect_key(&user, "settle.payer_notice").await;
    h.say_key(
        &agent,
        &format!("/settle {reference} paid"),
        filled(
            "settle.not_unsettled",
            &[("state", &words(&agent, "state.refused"))],
        ),
    )
    .await;

    // Known unpaid: the invoice may be paid again (the sandbox fails it again).
    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    let data = action_data(&confirm, Action::Confirm);
    h.tg.press(&user, confirm.message_id, &data);
    let deadline = std::time::Instant::now() + WAIT;
    while h.sandbox.sandbox.calls("InvoicePayment") < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 2);
}
