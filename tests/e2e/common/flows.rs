//! The steps many tests share: linking a customer, the way to the
//! invoices, paying while the bank holds the call, the real binary.

use std::time::Duration;

use faturabot::{
    bot::callbacks::Action,
    fakegram::{BotMessage, FakeUser},
};

use super::{Harness, ISKI, Key, PIN, SUBSCRIBER_FIELD, WAIT, action_data, filled};
use faturabot::bot::pin::PinMode;

impl Harness {
    /// Agent invites, customer opens the link: the customer is linked to
    /// account 3488017/9142/357; with the PIN on, they choose it too.
    pub async fn link(&self, customer: &FakeUser) {
        self.link_only(customer).await;
        self.choose_first_pin(customer).await;
    }

    /// Linked, and no PIN chosen yet.
    pub async fn link_only(&self, customer: &FakeUser) {
        let agent = self.agent();
        self.link_via(&agent, customer).await;
    }

    /// `link` through the given agent.
    pub async fn link_via(&self, agent: &FakeUser, customer: &FakeUser) {
        self.link_account(agent, customer, "3488017 9142 357").await;
    }

    /// `/invite <account>` by `agent`, opened by `customer`.
    pub async fn link_account(&self, agent: &FakeUser, customer: &FakeUser, account: &str) {
        let command = format!("/invite {account}");
        let invite = self.say(agent, &command, "start=").await;
        let text = invite.plain();
        let token = text
            .split("start=")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .expect("a token in the link")
            .to_owned();
        self.say_key(customer, &format!("/start {token}"), "link.done")
            .await;
    }
}

/// A Turkish customer's /pay → SU → "iski" → İSKİ İSTANBUL → `subscriber`:
/// the first message after the subscriber number (the invoices, or the
/// bank's answer).
pub async fn to_invoices(h: &Harness, user: &FakeUser, subscriber: &str) -> BotMessage {
    to_subscriber_prompt(h, user).await;
    h.say(user, subscriber, "").await
}

/// A Turkish customer's /pay → SU → "iski" → İSKİ İSTANBUL: the prompt
/// for the subscriber number.
pub async fn to_subscriber_prompt(h: &Harness, user: &FakeUser) -> BotMessage {
    let groups = h.say_key(user, "/pay", "pay.choose_group").await;
    h.press_key(user, &groups, "SU", "pay.choose_institution")
        .await;
    let found = h.say_key(user, "iski", "pay.filter_some").await;
    // `iski` finds İSKİ (and DİSKİ, TİSKİ: Turkish-aware, by substring).
    assert!(found.button(ISKI).is_some(), "{:?}", found.buttons);
    h.press_key(
        user,
        &found,
        ISKI,
        filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]),
    )
    .await
}

/// Tap `i` of a pager turned back and forth on an institution list: next
/// from page 1, previous from page 2; and the page it shows.
pub fn page_turn(i: u64) -> (Action, Key<'static>) {
    if i.is_multiple_of(2) {
        (
            Action::Page(1),
            filled("pay.choose_institution", &[("page", "2")]),
        )
    } else {
        (
            Action::Page(0),
            filled("pay.choose_institution", &[("page", "1")]),
        )
    }
}

/// Presses the pay button of `confirm` and waits until the bank has the
/// `InvoicePayment` call; returns the button's data, to press it again.
pub async fn pay_and_wait_for_the_bank(
    h: &Harness,
    user: &FakeUser,
    confirm: &BotMessage,
) -> String {
    let data = action_data(confirm, Action::Confirm);
    h.tg.press(user, confirm.message_id, &data);
    if h.pin == PinMode::Required {
        let keypad = h.expect_key(user, "pin.enter").await;
        h.type_pin(user, &keypad, PIN).await;
    }
    let deadline = std::time::Instant::now() + WAIT;
    while h.sandbox.sandbox.calls("InvoicePayment") == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "the call is in flight"
    );
    data
}

/// `faturabot run` against this harness, with `extra` variables on top
/// and its log in the file `log` (a pipe nobody reads could fill up).
pub fn spawn_bot(
    h: &Harness,
    extra: &[(&str, String)],
    log: &std::path::Path,
) -> std::process::Child {
    let file = std::fs::File::create(log).expect("log file");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_faturabot"));
    cmd.arg("run")
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(file);
    for (k, v) in h.binary_env() {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("binary starts")
}
