//! Reminders of saved bills, end to end: the daily run inside the bot
//! against the sandbox bank (its invoices added by hand, its clock moved
//! with the bot's) and the fake Telegram.
//!
//! - [`once`]: a new invoice, one reminder, its Pay button pays it; nothing
//!   more that day nor the next.
//! - [`due`]: new, then due soon, once each; due tomorrow is due soon only.
//! - [`muted`]: reminders switched off in `/bills`, and on again.
//! - [`blocked`]: a customer who blocked the bot, until they write.
//! - [`failure`]: a bank failure skips that bill for the day.
//! - [`restart`]: a crash mid-run: nobody told twice, the rest checked.
//! - [`rate`]: 200 bills at 100 queries a second while others pay.
//! - [`replicas`]: two replicas on one PostgreSQL keep to one rate.
//! - [`bench`]: 1000 bills at the default rate (ignored).

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::common;
use common::{Harness, ISKI, Key, SUBSCRIBER_FIELD, action_data, filled};
use faturabot::{
    bot::{callbacks::Action, pin::PinMode},
    fakegram::{BotMessage, FakeUser},
};

mod bench;
mod blocked;
mod due;
mod failure;
mod muted;
mod once;
mod rate;
mod replicas;
mod restart;

/// Interactive steps timed: from the update sent to the reply shown.
#[derive(Default)]
pub struct Steps(Mutex<Vec<(Instant, Duration)>>);

impl Steps {
    /// Replies to steps started within `from..=to`, shortest first.
    pub fn between(&self, from: Instant, to: Instant) -> Vec<Duration> {
        let mut v: Vec<Duration> = self
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|(_, took)| *took)
            .collect();
        v.sort();
        v
    }

    /// Does `act` and waits for a message sent after it, or `on` edited,
    /// whose text `shows`; the time it took is one sample.
    async fn step(
        &self,
        h: &Harness,
        u: &FakeUser,
        on: Option<&BotMessage>,
        what: &str,
        act: impl FnOnce(),
        shows: impl Fn(&str) -> bool,
    ) -> BotMessage {
        let before = h.last_id(u);
        let on_id = on.map(|m| m.message_id);
        let was = on_id.and_then(|id| {
            h.tg.chat(u.chat_id())
                .into_iter()
                .find(|m| m.message_id == id)
                .map(|m| m.text)
        });
        let started = Instant::now();
        act();
        let shown =
            h.tg.wait_for_message(
                u.chat_id(),
                |m| {
                    let fresh = m.message_id > before
                        || (Some(m.message_id) == on_id && Some(&m.text) != was.as_ref());
                    fresh && shows(&m.plain())
                },
                h.wait,
            )
            .await
            .unwrap_or_else(|| panic!("no {what}; chat: {:#?}", h.transcript(u)));
        self.0
            .lock()
            .expect("lock")
            .push((started, started.elapsed()));
        shown
    }

    async fn say(&self, h: &Harness, u: &FakeUser, text: &str, key: Key<'_>) -> BotMessage {
        let what = key.name();
        self.step(
            h,
            u,
            None,
            what,
            || {
                let _ = h.tg.send_text(u, text);
            },
            |t| key.shown_in(u, t),
        )
        .await
    }

    async fn press(
        &self,
        h: &Harness,
        u: &FakeUser,
        msg: &BotMessage,
        data: &str,
        key: Key<'_>,
    ) -> BotMessage {
        let what = key.name();
        self.step(
            h,
            u,
            Some(msg),
            what,
            || {
                let _ = h.tg.press(u, msg.message_id, data);
            },
            |t| key.shown_in(u, t),
        )
        .await
    }

    /// A whole payment through `/pay` of `subscriber`'s one invoice of
    /// ₺29,20 (a load-test number), every step timed; the PIN typed digit
    /// by digit when on.
    pub async fn pay(&self, h: &Harness, u: &FakeUser, subscriber: &str) {
        let data = |m: &BotMessage, label: &str| {
            m.button(label)
                .and_then(|b| b.callback_data.clone())
                .unwrap_or_else(|| panic!("no {label:?} in {:?}", m.buttons))
        };
        let groups = self.say(h, u, "/pay", "pay.choose_group".into()).await;
        let list = self
            .press(
                h,
                u,
                &groups,
                &data(&groups, "SU"),
                "pay.choose_institution".into(),
            )
            .await;
        let found = self.say(h, u, "iski", "pay.filter_some".into()).await;
        let _ = list;
        let field = filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]);
        self.press(h, u, &found, &data(&found, ISKI), field).await;
        let invoices = self
            .say(h, u, subscriber, "pay.choose_invoice".into())
            .await;
        let confirm = self
            .press(
                h,
                u,
                &invoices,
                &data(&invoices, "₺29,20"),
                "pay.confirm".into(),
            )
            .await;
        let paid = filled("status.completed", &[("amount", "₺29,20")]);
        let pay = action_data(&confirm, Action::Confirm);
        if h.pin == PinMode::Off {
            self.press(h, u, &confirm, &pay, paid).await;
            return;
        }
        let keypad = self.press(h, u, &confirm, &pay, "pin.enter".into()).await;
        let digits: Vec<char> = common::PIN.chars().collect();
        for (i, d) in digits.iter().enumerate() {
            let press = || h.press_digit(u, &keypad, *d);
            if i + 1 < digits.len() {
                let dots = format!("{}{}", "●".repeat(i + 1), "○".repeat(digits.len() - i - 1));
                self.step(h, u, Some(&keypad), "a dot", press, |t| t.contains(&dots))
                    .await;
            } else {
                self.step(h, u, Some(&keypad), "paid", press, |t| paid.shown_in(u, t))
                    .await;
            }
        }
    }
}
