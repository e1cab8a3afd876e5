//! The real binary, killed with SIGKILL mid-dialogue, resumes every user
//! where they were; and its logs never show a secret.

use crate::common;

use std::{process::Child, time::Duration};

use common::{Harness, words};
use faturabot::bot::callbacks::Action;

fn spawn(h: &Harness, log: &std::path::Path) -> Child {
    common::spawn_bot(h, &[], log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_dialogue_then_the_dialogue_continues() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let log1 = h.dir.0.with_extension("log1");
    let log2 = h.dir.0.with_extension("log2");
    let mut bot = spawn(&h, &log1);

    let user = h.customer(2001, "tr");
    h.link(&user).await;
    common::to_subscriber_prompt(&h, &user).await;

    // kill -9: no shutdown, no flush beyond what the bot already did.
    bot.kill().expect("SIGKILL");
    let _ = bot.wait();
    let mut bot = spawn(&h, &log2);

    let invoices = h.say_key(&user, "1000001", "pay.choose_invoice").await;
    let confirm = h.press_key(&user, &invoices, "₺29,20", "pay.confirm").await;
    h.press_action(&user, &confirm, Action::Confirm, "status.completed")
        .await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);

    let _ = bot.kill();
    let _ = bot.wait();
    let logs = format!(
        "{}{}",
        std::fs::read_to_string(&log1).unwrap_or_default(),
        std::fs::read_to_string(&log2).unwrap_or_default()
    );
    assert!(!logs.is_empty(), "the bot logs");
    for secret in [
        "AAFakeTokenForFakegram",
        "sub-key",
        "app-key",
        "api-key",
        "secret-key",
        "3488017",
    ] {
        assert!(!logs.contains(secret), "{secret} appears in the logs");
    }
    let _ = std::fs::remove_file(log1);
    let _ = std::fs::remove_file(log2);
}

/// SIGKILL while `InvoicePayment` is in flight: after the restart the
/// payment is "being checked", pressing confirm again pays nothing, and the
/// invoice is not paid again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_the_bank_call_leaves_an_unknown_payment_never_paid_twice() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let log = h.dir.0.with_extension("log3");
    let mut bot = spawn(&h, &log);
    let user = h.customer(2002, "tr");
    h.link(&user).await;
    // 9100003: the bank takes longer than the bot waits, and then pays.
    let invoices = common::to_invoices(&h, &user, "9100003").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    let data = common::pay_and_wait_for_the_bank(&h, &user, &confirm).await;

    bot.kill().expect("SIGKILL");
    let _ = bot.wait();
    let mut bot = spawn(&h, &log);

    // The same confirm button: the payment exists, it is not made again.
    h.tg.press(&user, confirm.message_id, &data);
    h.expect_key(&user, "status.unknown").await;
    let history = h.say_key(&user, "/history", "history.title").await;
    assert!(
        history.plain().contains(&words(&user, "state.unknown")),
        "{}",
        history.plain()
    );
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "never a second payment"
    );

    let _ = bot.kill();
    let _ = bot.wait();
    let _ = std::fs::remove_file(log);
}
