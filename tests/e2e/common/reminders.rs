//! Reminders as a test drives them: one clock for the bot and the bank
//! moved day by day, a run asked for and waited on, the reminders each
//! chat got, and many saved bills of linked customers put into the
//! running bot's own store.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};
use faturabot::{
    bot::{App, callbacks::CallbackData, reminders::Schedule},
    fakegram::{ApiCall, BotMessage, FakeUser},
    i18n::Lang,
    payments::{
        TelegramUserId,
        bills::{SavedBill, Stored},
    },
    storage::Store,
};
use tokio::task::JoinSet;

use super::{AGENT_ID, Harness, Key, iski_bill, linked_account};

/// The daily time of the tests' reminder runs (Istanbul).
pub const REMINDER_AT: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => panic!("09:00"),
};

/// How long a test waits for one reminder run to end.
pub const RUN_WAIT: Duration = Duration::from_secs(60);

/// Reminders at [`REMINDER_AT`], "due soon" within 3 days, `per_second`
/// bank queries a second, and sends as fast as the harness's limits.
pub fn schedule(per_second: f64) -> Schedule {
    Schedule {
        at: REMINDER_AT,
        days_before: 3,
        per_second,
        send_rate: 1000,
    }
}

/// The tests' first day: Monday 16 March 2026.
pub fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 16).expect("a date") + chrono::Days::new(n)
}

/// `day` at `hour:minute` in Istanbul (UTC+3), as an instant.
pub fn istanbul(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = day.and_hms_opt(hour, minute, 0).expect("a time");
    faturabot::clock::istanbul()
        .from_local_datetime(&local)
        .single()
        .expect("Istanbul has no DST")
        .with_timezone(&Utc)
}

/// Which reminder a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    New,
    DueSoon,
}

/// What kind of reminder `text` (a message as shown) is, if one.
pub fn told(user: &FakeUser, text: &str) -> Option<Told> {
    if Key::from("reminder.new").shown_in(user, text) {
        Some(Told::New)
    } else if Key::from("reminder.due").shown_in(user, text) {
        Some(Told::DueSoon)
    } else {
        None
    }
}

/// The data of a reminder's Pay button.
pub fn reminder_pay_data(msg: &BotMessage) -> Option<String> {
    msg.all_buttons()
        .filter_map(|b| b.callback_data.clone())
        .find(|d| matches!(CallbackData::decode(d), Some(CallbackData::ReminderPay(..))))
}

/// Runs `body`, failing the test when it takes longer than `limit`.
pub async fn bounded<T>(limit: Duration, what: &str, body: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, body)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {limit:?}"))
}

/// Waits for every task of `tasks` (within `limit`), passing a panic on.
pub async fn join_all_within(limit: Duration, what: &str, mut tasks: tokio::task::JoinSet<()>) {
    bounded(limit, what, async {
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    })
    .await;
}

impl Harness {
    /// The running bot's [`App`]: its store, metrics and reminder trigger.
    /// Hold it only briefly: on sled a clone kept over a crash keeps the
    /// database locked.
    pub fn app(&self) -> &Arc<App> {
        self.app.as_ref().expect("the bot is running")
    }

    /// Sets the bot's clock and the bank's to `at` (one clock: the bank's
    /// "today" moves with the bot's).
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.sandbox.sandbox.set_clock(self.clock.clock());
    }

    /// Reminder runs ended so far in this process of the bot.
    pub fn reminder_runs(&self) -> u64 {
        *self.app().reminders.runs().borrow()
    }

    /// Waits until this bot has ended `n` reminder runs.
    pub async fn wait_reminder_runs(&self, n: u64) {
        let mut runs = self.app().reminders.runs();
        bounded(RUN_WAIT, "a reminder run", runs.wait_for(|r| *r >= n))
            .await
            .expect("the reminder run is alive");
    }

    /// Asks for a reminder run now and waits for it to end (no other run
    /// may be under way: the clock is before [`REMINDER_AT`], or today's
    /// run is over).
    pub async fn remind_now(&self) {
        let before = self.reminder_runs();
        self.app().reminders.run_now();
        self.wait_reminder_runs(before + 1).await;
    }

    /// The reminders shown in `user`'s chat, oldest first.
    pub fn reminders_to(&self, user: &FakeUser) -> Vec<(Told, BotMessage)> {
        self.tg
            .chat(user.chat_id())
            .into_iter()
            .filter_map(|m| told(user, &m.plain()).map(|t| (t, m)))
            .collect()
    }

    /// Every `sendMessage` of a reminder to `user` the bot attempted,
    /// refused ones (403) included.
    pub fn reminder_attempts(&self, user: &FakeUser) -> Vec<ApiCall> {
        let chat = user.chat_id().to_string();
        self.tg
            .calls_to("sendMessage")
            .into_iter()
            .filter(|c| c.param_str("chat_id").as_deref() == Some(chat.as_str()))
            .filter(|c| {
                let text = c.param_str("text").unwrap_or_default();
                let text = faturabot::fakegram::html_to_plain(&text);
                told(user, &text).is_some()
            })
            .collect()
    }

    /// The running bot's `faturabot_reminders_total{outcome, why}`.
    pub fn reminder_metric(&self, outcome: &str, why: &str) -> u64 {
        let app = self.app();
        let text = app.metrics.render(&app.catalog.stats);
        let series = format!("faturabot_reminders_total{{outcome=\"{outcome}\",why=\"{why}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(series.as_str()))
            .map_or(0, |n| n.trim().parse().expect("a count"))
    }

    /// Customers `first..first + n` linked to [`linked_account`] (no PIN
    /// chosen) and known to the fake Telegram, each with İSKİ's bill of
    /// `subscriber(i)` saved, reminders on: written straight into the
    /// running bot's store, at once.
    pub async fn seed_reminded(
        &self,
        first: u64,
        n: u64,
        subscriber: impl Fn(u64) -> String,
    ) -> Vec<(FakeUser, SavedBill)> {
        let store = self.app().store.clone();
        self.seed_reminded_in(&store, first, n, subscriber).await
    }

    /// [`Harness::seed_reminded`] into `store` (the bot's, or one opened
    /// while no bot runs).
    pub async fn seed_reminded_in(
        &self,
        store: &Store,
        first: u64,
        n: u64,
        subscriber: impl Fn(u64) -> String,
    ) -> Vec<(FakeUser, SavedBill)> {
        let seeded: Vec<(FakeUser, SavedBill)> = (0..n)
            .map(|i| {
                let user = self.customer(first + i, "tr");
                let bill = iski_bill(&user, &subscriber(i));
                (user, bill)
            })
            .collect();
        let now = self.clock.clock().now();
        // A few hundred at a time: each is made durable before it returns.
        for chunk in seeded.chunks(200) {
            let mut tasks = JoinSet::new();
            for (user, bill) in chunk.iter().cloned() {
                let store = store.clone();
                tasks.spawn(async move {
                    link_in(&store, &user, now).await;
                    let stored = store.bills.save(bill, usize::MAX).await.expect("saved");
                    assert!(matches!(stored, Stored::Saved(_)), "{stored:?}");
                });
            }
            while let Some(done) = tasks.join_next().await {
                if let Err(e) = done {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
        seeded
    }
}

/// Links `user` to [`linked_account`] through an invite, in `store`.
pub async fn link_in(store: &Store, user: &FakeUser, now: DateTime<Utc>) {
    let token = store
        .invites
        .create(linked_account(), TelegramUserId(AGENT_ID), now)
        .await
        .expect("invite");
    store
        .invites
        .redeem(&token, TelegramUserId(user.id), Lang::Tr, now)
        .await
        .expect("linked");
}
