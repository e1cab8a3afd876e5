//! After the payment, end to end: receipts (`/receipt`), `/history`, the
//! agents' commands (`/cancelpayment`, `/payments`, `/invite`), who may use
//! them, receipt-service failures, `/help` and the command menus.
//!
//! The real dispatcher and sled, the fake Telegram Bot API over HTTP, the
//! sandbox bank. Each test starts its own harness.
//!
//! - [`receipts`]: the receipt by id, to whom, when its service fails.
//! - [`history`]: `/receipt` without an id and `/history`, paged.
//! - [`cancel`]: agents cancelling payments, and when they cannot.
//! - [`agents`]: agents' commands refused to customers, `/payments`, the
//!   audit trail, `/help` and the menus.
//! - [`resetpin`]: an agent's `/resetpin`, told to every linked user.
//! - [`unlink`]: a customer's `/unlink`, its confirmation and history.

use crate::common;

use common::{Harness, WAIT, action_data, filled, read, to_invoices};
use faturabot::{
    bot::callbacks::Action,
    fakegram::{BotMessage, FakeUser},
};

mod agents;
mod cancel;
mod history;
mod receipts;
mod resetpin;
mod unlink;

/// Waits for a photo message newer than `after`.
async fn next_photo(h: &Harness, user: &FakeUser, after: i32) -> BotMessage {
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.message_id > after && m.photo.is_some(),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no new photo; chat: {:#?}", h.transcript(user)))
}

/// Sends `text` and returns the first bot message that follows.
async fn reply_to(h: &Harness, user: &FakeUser, text: &str) -> BotMessage {
    h.say(user, text, "").await
}

/// Pays the İSKİ invoice of `subscriber` whose button shows `amount`, waits
/// for the "paid" status on the confirmation message and for the receipt
/// photo that follows it. Returns the payment id shown to the payer.
async fn pay(h: &Harness, user: &FakeUser, subscriber: &str, amount: &str) -> i64 {
    let invoices = to_invoices(h, user, subscriber).await;
    let confirm = h.press_key(user, &invoices, amount, "pay.confirm").await;
    let data = action_data(&confirm, Action::Confirm);
    h.tg.press(user, confirm.message_id, &data);
    h.type_pin_if_asked(user, confirm.message_id).await;
    let paid = filled("status.completed", &[("amount", amount)]);
    let status =
        h.tg.wait_for_message(
            user.chat_id(),
            |m| m.message_id == confirm.message_id && paid.shown_in(user, &m.plain()),
            WAIT,
        )
        .await
        .unwrap_or_else(|| panic!("not paid; chat: {:#?}", h.transcript(user)));
    let id: i64 = read(user, "status.completed", "id", &status.plain())
        .parse()
        .unwrap_or_else(|_| panic!("no payment id in {:?}", status.plain()));
    let id_s = id.to_string();
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.photo.is_some() && m.plain().contains(&id_s),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no receipt photo for {id}; chat: {:#?}", h.transcript(user)));
    id
}

/// The sandbox's record of payment `id`.
fn bank_payment(h: &Harness, id: i64) -> faturabot::sandbox::PaymentRecord {
    h.sandbox
        .sandbox
        .payments()
        .into_iter()
        .find(|p| p.transaction_id as i64 == id)
        .unwrap_or_else(|| panic!("the bank made no payment {id}"))
}

/// Every request the bank and the receipt service received so far.
fn bank_requests(h: &Harness) -> usize {
    h.sandbox.sandbox.recorded().len()
}

/// The agent asks to cancel `id` and confirms once.
async fn cancel_as_agent(h: &Harness, id: i64) {
    let agent = h.agent();
    let ask = h
        .say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
        .await;
    let data = action_data(&ask, Action::Confirm);
    h.tg.press(&agent, ask.message_id, &data);
    let id_s = id.to_string();
    let cancelled = filled("status.cancelled", &[("id", &id_s)]);
    h.tg.wait_for_message(
        agent.chat_id(),
        |m| m.message_id == ask.message_id && cancelled.shown_in(&agent, &m.plain()),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("not cancelled; chat: {:#?}", h.transcript(&agent)));
}

/// The agent's final word on the cancel screen `ask` (after "Cancelling…").
async fn cancel_outcome(h: &Harness, agent: &FakeUser, ask: &BotMessage) -> BotMessage {
    let (asking, cancelling) = (
        common::Key::from("cancelpay.ask"),
        common::Key::from("cancelpay.processing"),
    );
    h.tg.wait_for_message(
        agent.chat_id(),
        |m| {
            let t = m.plain();
            m.message_id == ask.message_id
                && !asking.shown_in(agent, &t)
                && !cancelling.shown_in(agent, &t)
        },
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no outcome; chat: {:#?}", h.transcript(agent)))
}
