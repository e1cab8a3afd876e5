//! `/unlink`: a customer removes a linked account after a confirmation;
//! the payments made from it stay in `/history`; Cancel keeps it; a second
//! press of Confirm changes nothing more. The unlink is audited.

use super::{common, pay};
use common::{Harness, Key, WAIT, action_data, filled, needle, words};
use faturabot::{bot::callbacks::Action, fakegram::FakeUser};

const FIRST: &str = "9142-•••017-357 TRY";
const SECOND: &str = "9142-•••017-358 TRY";

/// The staff's audit lines that say `user` unlinked `account`.
async fn unlinked_lines(h: &Harness, user: &FakeUser, account: &str) -> usize {
    let agent = h.agent();
    let list = h.say_key(&agent, "/payments", "payments.audit_title").await;
    let text = list.plain();
    let audit = text
        .split(needle(&agent, "payments.audit_title").as_str())
        .nth(1)
        .expect("an audit section")
        .to_owned();
    let id = user.id.to_string();
    let line = filled("audit.unlinked", &[("agent", &id), ("account", account)]);
    audit.lines().filter(|l| line.shown_in(&agent, l)).count()
}

/// The text of the answer to callback query `id`.
async fn answer_to(h: &Harness, id: &str) -> String {
    let answered =
        h.tg.wait_for_call(
            "answerCallbackQuery",
            |c| c.param_str("callback_query_id").as_deref() == Some(id),
            WAIT,
        )
        .await
        .expect("answered");
    answered.param_str("text").unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_the_last_account_leaves_the_user_unlinked_with_their_history() {
    // Arrange: a linked Turkish customer with a payment.
    let h = Harness::start().await;
    let user = h.customer(3301, "tr");
    h.link(&user).await;
    let id = pay(&h, &user, "1000001", "₺29,20").await;

    // Act
    let ask = h
        .say_key(
            &user,
            "/unlink",
            filled("unlink.ask", &[("account", FIRST)]),
        )
        .await;
    let done = h
        .press_action(
            &user,
            &ask,
            Action::Confirm,
            filled("unlink.done_last", &[("account", FIRST)]),
        )
        .await;

    // Assert: unlinked, as a new user is; the payment stays.
    assert_eq!(done.message_id, ask.message_id, "the question is answered");
    assert!(done.buttons.is_empty(), "{:?}", done.buttons);
    h.say_key(&user, "/pay", "pay.not_linked").await;
    let history = h.say_key(&user, "/history", "history.title").await;
    assert!(
        history.plain().contains(&id.to_string()),
        "{}",
        history.plain()
    );
    h.say_key(&user, "/unlink", "unlink.not_linked").await;
    assert_eq!(unlinked_lines(&h, &user, FIRST).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_keeps_the_account() {
    // Arrange: an English-speaking customer.
    let h = Harness::start().await;
    let user = h.customer(3401, "en");
    h.link(&user).await;
    let ask = h
        .say_key(
            &user,
            "/unlink",
            filled("unlink.ask", &[("account", FIRST)]),
        )
        .await;
    assert!(
        ask.plain().starts_with("Remove account"),
        "in English: {}",
        ask.plain()
    );
    let confirm = words(&user, "button.confirm_unlink");
    assert!(ask.button(&confirm).is_some(), "{:?}", ask.buttons);

    // Act: the Cancel button, then `/cancel` at a second confirmation.
    let kept = filled("unlink.kept", &[("account", FIRST)]);
    h.press_action(&user, &ask, Action::Cancel, kept.clone())
        .await;
    let again = h
        .say_key(
            &user,
            "/unlink",
            filled("unlink.ask", &[("account", FIRST)]),
        )
        .await;
    h.say_key(&user, "/cancel", kept).await;
    // The confirmation's buttons are stale now.
    let late = h.tg.press(
        &user,
        again.message_id,
        &action_data(&again, Action::Confirm),
    );

    // Assert: still linked, nothing audited.
    assert_eq!(answer_to(&h, &late).await, words(&user, "button.expired"));
    h.say_key(&user, "/pay", "pay.choose_group").await;
    assert_eq!(unlinked_lines(&h, &user, FIRST).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_tap_on_confirm_unlinks_once() {
    // Arrange: two accounts linked; the second chosen.
    let h = Harness::start().await;
    let user = h.customer(3501, "tr");
    let agent = h.agent();
    h.link(&user).await;
    h.link_account(&agent, &user, "3488017 9142 358").await;
    let choose = h.say_key(&user, "/unlink", "unlink.choose").await;
    assert!(choose.button(FIRST).is_some(), "{:?}", choose.buttons);
    let ask = h
        .press_key(
            &user,
            &choose,
            SECOND,
            filled("unlink.ask", &[("account", SECOND)]),
        )
        .await;

    // Act: Confirm twice, at once.
    let data = action_data(&ask, Action::Confirm);
    let first = h.tg.press(&user, ask.message_id, &data);
    let second = h.tg.press(&user, ask.message_id, &data);

    // Assert: removed once, the second press told it is out of date.
    h.expect_key(&user, filled("unlink.done", &[("account", SECOND)]))
        .await;
    assert_eq!(answer_to(&h, &first).await, "");
    assert_eq!(answer_to(&h, &second).await, words(&user, "button.expired"));
    let already = Key::from("unlink.already");
    let chat = h.tg.chat(user.chat_id());
    assert!(
        !chat.iter().any(|m| already.shown_in(&user, &m.plain())),
        "{:#?}",
        h.transcript(&user)
    );
    assert_eq!(unlinked_lines(&h, &user, SECOND).await, 1);
    // The first account stays, and pays as the only one.
    h.say_key(&user, "/pay", "pay.choose_group").await;
}
