//! What may not pay twice, or at all: double presses, restarts, forged or
//! stale buttons, other users' messages, odd input; and Telegram's 429.

use crate::common;

use std::time::Duration;

use common::{Harness, ISKI, SUBSCRIBER_FIELD, WAIT, action_data, filled, to_invoices, words};
use faturabot::{bot::callbacks::Action, fakegram::FakeFailure};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_confirm_presses_in_one_batch_pay_once() {
    let h = Harness::start().await;
    let user = h.customer(1005, "tr");
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "1000001").await;
    let confirm = h.press_key(&user, &invoices, "₺29,20", "pay.confirm").await;
    let data = action_data(&confirm, Action::Confirm);
    h.tg.enqueue_batch(vec![
        faturabot::fakegram::UpdateSpec::press(&user, confirm.message_id, data.clone()),
        faturabot::fakegram::UpdateSpec::press(&user, confirm.message_id, data.clone()),
    ]);
    h.type_pin_if_asked(&user, confirm.message_id).await;
    h.expect_key(&user, "status.completed").await;
    h.tg.wait_for_message(user.chat_id(), |m| m.photo.is_some(), WAIT)
        .await
        .expect("receipt");
    // And once more, later, after the dialogue ended.
    h.tg.press(&user, confirm.message_id, &data);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "exactly one payment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_dialogue_continues_where_it_was() {
    let mut h = Harness::start().await;
    let user = h.customer(1006, "tr");
    h.link(&user).await;
    let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
    let list = h
        .press_key(&user, &groups, "SU", "pay.choose_institution")
        .await;
    let found = h.say_key(&user, "iski", "pay.filter_some").await;
    let _ = list;
    h.press_key(
        &user,
        &found,
        ISKI,
        filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]),
    )
    .await;

    h.crash_and_restart().await;

    let invoices = h.say_key(&user, "1000001", "pay.choose_invoice").await;
    let confirm = h.press_key(&user, &invoices, "₺29,20", "pay.confirm").await;
    h.crash_and_restart().await;
    h.press_action(&user, &confirm, Action::Confirm, "status.completed")
        .await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_buttons_change_nothing() {
    let h = Harness::start().await;
    let user = h.customer(1007, "tr");
    h.link(&user).await;
    let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
    let list = h
        .press_key(&user, &groups, "SU", "pay.choose_institution")
        .await;
    let expired = words(&user, "button.expired");
    for forged in ["garbage", "s1:ok", "rc:abc", "s0:g0"] {
        let id = h.tg.press(&user, list.message_id, forged);
        let answered =
            h.tg.wait_for_call(
                "answerCallbackQuery",
                |c| c.param_str("callback_query_id").as_deref() == Some(id.as_str()),
                WAIT,
            )
            .await
            .expect("answered");
        assert!(
            answered
                .param_str("text")
                .unwrap_or_default()
                .contains(&expired),
            "{forged}"
        );
    }
    // The group button of the earlier screen is stale now.
    let stale = groups
        .button("SU")
        .and_then(|b| b.callback_data.clone())
        .expect("button");
    h.tg.press(&user, list.message_id, &stale);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Still on the institution list: typing filters.
    h.say_key(&user, "iski", "pay.filter_some").await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_429_is_honoured() {
    let h = Harness::start().await;
    let user = h.customer(1011, "tr");
    h.tg.fail_next(
        "sendMessage",
        FakeFailure::TooManyRequests { retry_after: 1 },
        1,
    );
    let started = std::time::Instant::now();
    h.say_key(&user, "/help", "help.title").await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for retry_after"
    );
    let sends = h.tg.calls_to("sendMessage");
    assert_eq!(sends.iter().filter(|c| c.status == 429).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_stored_state_is_reset_politely() {
    let mut h = Harness::start().await;
    let user = h.customer(1014, "tr");
    h.link(&user).await;
    h.crash().await;
    {
        // What an older version might have stored.
        let store = h.open_store().await;
        let old = br#"{"ChoosingPlan":{"old":1}}"#.to_vec();
        let chat = user.chat_id();
        store.dialogue_states.put(chat, old).await.expect("insert");
        store.flush().await.expect("flush");
    }
    h.launch().await;
    h.say_key(&user, "merhaba", "state.reset").await;
    // And the user is not stuck: /pay works.
    h.say_key(&user, "/pay", "pay.choose_group").await;
}

/// Only the live screen has buttons: a screen sent anew (after typed text)
/// takes them off the one before, and /cancel takes them off the last one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_live_screen_keeps_its_buttons() {
    let h = Harness::start().await;
    let user = h.customer(1017, "tr");
    h.link(&user).await;
    let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
    let list = h
        .press_key(&user, &groups, "SU", "pay.choose_institution")
        .await;
    let found = h.say_key(&user, "iski", "pay.filter_some").await;
    let buttons_of = |id: i32| {
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == id)
            .map(|m| m.buttons.len())
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + WAIT;
    while buttons_of(list.message_id) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        buttons_of(list.message_id),
        0,
        "the old list lost its buttons"
    );
    assert!(buttons_of(found.message_id) > 0, "the new list has them");

    h.say_key(&user, "/cancel", "cancel.done").await;
    let deadline = std::time::Instant::now() + WAIT;
    while buttons_of(found.message_id) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        buttons_of(found.message_id),
        0,
        "/cancel took the last buttons off"
    );
}

/// Text that looks like a command (another bot's, or none of ours) is
/// never a field value, and invisible formatting characters are refused:
/// neither reaches the bank.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_invisible_characters_never_reach_the_bank() {
    let h = Harness::start().await;
    let user = h.customer(1101, "tr");
    h.link(&user).await;
    common::to_subscriber_prompt(&h, &user).await;
    for text in ["/cancel@otherbot", "/unknowncmd 123"] {
        h.say_key(&user, text, "input.unknown_command").await;
    }
    for text in ["\u{200B}", "1000\u{202E}001", "\u{FEFF}1000001"] {
        h.say_key(&user, text, "input.invisible").await;
    }
    assert_eq!(h.sandbox.sandbox.calls("QueryInvoices"), 0);
    // The dialogue is still at the field: a real value works.
    h.say_key(&user, "1000001", "pay.choose_invoice").await;
    assert_eq!(h.sandbox.sandbox.calls("QueryInvoices"), 1);
}

/// Every callback query is answered, also on a group's message and on an
/// inline message, which the bot does not serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_the_bot_does_not_serve_are_answered_too() {
    let h = Harness::start().await;
    let user = h.customer(1102, "en");
    let group_message = serde_json::json!({
        "message_id": 7, "date": 1_700_000_000,
        "chat": {"id": -100_555, "type": "supergroup", "title": "Aile"},
        "text": "x"
    });
    let in_group = h.tg.press_on(&user, Some(group_message), "1:pay");
    let inline = h.tg.press_on(&user, None, "1:pay");
    let expired = words(&user, "button.expired");
    for id in [in_group, inline] {
        let answered =
            h.tg.wait_for_call(
                "answerCallbackQuery",
                |c| c.param_str("callback_query_id").as_deref() == Some(id.as_str()),
                WAIT,
            )
            .await
            .expect("answered");
        assert_eq!(
            answered.param_str("text").as_deref(),
            Some(expired.as_str())
        );
    }
    assert!(h.tg.chat(user.chat_id()).is_empty(), "nothing else happens");
}

/// A press that carries another user's message (only a forged update can)
/// is expired: it pays nothing from the victim's account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_on_another_users_chat_pays_nothing() {
    let h = Harness::start().await;
    let victim = h.customer(1103, "tr");
    let attacker = h.customer(1104, "tr");
    h.link(&victim).await;
    h.link(&attacker).await;
    let invoices = to_invoices(&h, &victim, "1000001").await;
    let confirm = h
        .press_key(&victim, &invoices, "₺29,20", "pay.confirm")
        .await;
    let data = action_data(&confirm, Action::Confirm);
    let victims_message =
        h.tg.message_json(&victim, confirm.message_id)
            .expect("the victim's confirmation");
    let id = h.tg.press_on(&attacker, Some(victims_message), &data);
    let answered =
        h.tg.wait_for_call(
            "answerCallbackQuery",
            |c| c.param_str("callback_query_id").as_deref() == Some(id.as_str()),
            WAIT,
        )
        .await
        .expect("answered");
    assert_eq!(
        answered.param_str("text").as_deref(),
        Some(words(&attacker, "button.expired").as_str())
    );
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
    // The victim's own press still pays, once.
    h.press_action(&victim, &confirm, Action::Confirm, "status.completed")
        .await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
}

/// Two people linked to one account (a couple, a shop's two clerks) open
/// the same invoice and both press Pay: the bank is asked once; the second
/// is told the invoice is already paid from this account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_pays_an_invoice_once_whoever_presses() {
    let h = Harness::start().await;
    let (first, second) = (h.customer(1111, "tr"), h.customer(1112, "en"));
    h.link(&first).await;
    h.link(&second).await;
    let confirm_first = {
        let invoices = to_invoices(&h, &first, "1000001").await;
        h.press_key(&first, &invoices, "₺29,20", "pay.confirm")
            .await
    };
    let confirm_second = {
        let invoices = to_invoices(&h, &second, "1000001").await;
        h.press_key(&second, &invoices, "TRY 29.20", "pay.confirm")
            .await
    };
    h.press_action(&first, &confirm_first, Action::Confirm, "status.completed")
        .await;
    h.press_action(
        &second,
        &confirm_second,
        Action::Confirm,
        "pay.already_paid",
    )
    .await;
    let paid = h.sandbox.sandbox.payments();
    assert_eq!(paid.len(), 1, "{paid:?}");
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
