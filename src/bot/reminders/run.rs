//! One reminder run: every saved bill with reminders on, each checked by
//! exactly one run a day (claimed in the database before the query), each
//! reminder sent once (claimed before it is sent).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::NaiveDate;
use teloxide::{
    ApiError, RequestError,
    payloads::SendMessageSetters as _,
    prelude::Requester as _,
    types::{ChatId, ReplyMarkup},
};
use tokio::task::JoinSet;

use super::{
    Schedule,
    pace::{Rate, SendTurn},
};
use crate::{
    bank::{QueryRequest, SessionId},
    bot::{App, TgBot, screens::Texts, screens::bills::reminder, state::Invoice},
    i18n::Lang,
    payments::{
        TelegramUserId,
        bills::{Claim, ReminderKind, SavedBill, fits, remind::reminding},
    },
};

/// Bills read from storage at a time.
const PAGE: usize = 200;
/// Checks in progress at once (each already paced to its start).
const AT_ONCE: usize = 8;
/// A check claimed this long ago and never finished was a run that died:
/// a later pass takes it over.
pub const CHECK_STALE: Duration = Duration::from_secs(120);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Bills this pass checked.
    pub checked: u64,
    /// Bills checked already that day.
    pub done: u64,
    /// Bills another run is checking (or was, when it died): to look at
    /// again once their claims would be stale.
    pub held: u64,
    /// Reminders sent.
    pub sent: u64,
}

/// What every check shares.
struct Checker {
    app: Arc<App>,
    bot: TgBot,
    schedule: Schedule,
    day: NaiveDate,
    turn: SendTurn,
    /// Each customer written to in this run: sends to one customer go one
    /// at a time, and once Telegram says they blocked the bot (`true`), the
    /// checks of their other bills, already under way, send no more.
    chats: Mutex<HashMap<TelegramUserId, Arc<tokio::sync::Mutex<bool>>>>,
}

/// Checks every saved bill with reminders on that no run has checked on
/// `day`. Bank queries start at most `schedule.per_second` a second, of
/// every run of every replica together.
pub async fn pass(app: &Arc<App>, bot: &TgBot, schedule: Schedule, day: NaiveDate) -> Pass {
    let checker = Arc::new(Checker {
        app: app.clone(),
        bot: bot.clone(),
        schedule,
        day,
        turn: SendTurn::new(app.in_flight.clone(), schedule.send_rate),
        chats: Mutex::default(),
    });
    let mut rate = Rate::per_second(schedule.per_second);
    let every = rate.every();
    let mut tasks = JoinSet::new();
    let mut after = None;
    let mut pass = Pass::default();
    loop {
        let page = match app.store.bills.with_reminders(after, PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "reminder run stopped: saved bills unreadable");
                break;
            }
        };
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for bill in page {
            let claimed_at = app.clock.now();
            let mut claim = app
                .store
                .reminders
                .claim_check(bill.id, day, claimed_at, CHECK_STALE)
                .await;
            if let Ok(Claim::Won) = claim {
                while tasks.len() >= AT_ONCE {
                    if let Some(done) = tasks.join_next().await {
                        pass.sent += done.unwrap_or(0);
                    }
                }
                // Paced after the claim (bills checked already cost nothing)
                // and before the query; a run that dies holds few claims.
                pace(app, &mut rate, every).await;
                // The claim dates from before the waits: made fresh, so that
                // another run does not take it for a dead one's meanwhile
                // (taken over already: that run's now).
                claim = app
                    .store
                    .reminders
                    .renew_check(bill.id, day, claimed_at, app.clock.now())
                    .await
                    .map(|mine| if mine { Claim::Won } else { Claim::Held });
            }
            match claim {
                Ok(Claim::Won) => {}
                Ok(Claim::Done) => {
                    pass.done += 1;
                    continue;
                }
                Ok(Claim::Held) => {
                    pass.held += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(bill = bill.id.0, error = %e, "reminder check not claimed");
                    app.metrics.reminder("failed", "store");
                    continue;
                }
            }
            pass.checked += 1;
            let checker = checker.clone();
            tasks.spawn(async move { checker.check(bill).await });
        }
    }
    while let Some(done) = tasks.join_next().await {
        pass.sent += done.unwrap_or(0);
    }
    pass
}

/// Waits for this query's start, reserved in the database so that the runs
/// of every replica together keep to the rate. Should the database not
/// answer, this run keeps to it alone.
async fn pace(app: &App, rate: &mut Rate, every: Duration) {
    match app.store.reminders.next_query(every).await {
        Ok(wait) => tokio::time::sleep(wait).await,
        Err(e) => {
            tracing::warn!(error = %e, "reminder pace not shared: paced by this run alone");
            rate.wait().await;
        }
    }
}

impl Checker {
    /// Checks one claimed bill; how many reminders went out. Whatever
    /// happens, the bill is done for the day: one bank failure skips it
    /// until tomorrow.
    async fn check(&self, bill: SavedBill) -> u64 {
        let sent = self.remind(&bill).await;
        if let Err(e) = self.app.store.reminders.checked(bill.id, self.day).await {
            tracing::warn!(bill = bill.id.0, error = %e, "reminder check not marked done");
        }
        sent
    }

    async fn remind(&self, bill: &SavedBill) -> u64 {
        let app = &self.app;
        let metrics = &app.metrics;
        let user = match app.store.users.get(bill.user).await {
            Ok(user) => user,
            Err(e) => {
                tracing::warn!(bill = bill.id.0, error = %e, "reminder skipped: user unreadable");
                metrics.reminder("failed", "store");
                return 0;
            }
        };
        if user.blocked || *self.chat(bill.user).lock().await {
            metrics.reminder("skipped", "blocked");
            return 0;
        }
        if !user.accounts.contains(&bill.account) {
            metrics.reminder("skipped", "unlinked");
            return 0;
        }
        let session = SessionId::new();
        let bank_failed = |e: &dyn std::fmt::Display| {
            tracing::warn!(bill = bill.id.0, error = %e, "reminder skipped for today: the bank's catalog failed");
            metrics.reminder("failed", "bank");
        };
        let listed = match app.catalog.associations(&session, &bill.group_code).await {
            Ok(listed) => listed,
            Err(e) => {
                bank_failed(&e);
                return 0;
            }
        };
        // Before the screen: the bank refuses one of an institution it dropped.
        if !listed.iter().any(|a| a.code == bill.association_code) {
            tracing::info!(
                bill = bill.id.0,
                "reminder skipped: the institution is no longer listed"
            );
            metrics.reminder("skipped", "unfit");
            return 0;
        }
        let screen = match app.catalog.screen(&session, &bill.association_code).await {
            Ok(screen) => screen,
            Err(e) => {
                bank_failed(&e);
                return 0;
            }
        };
        let names: Vec<&str> = screen
            .query_fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        if let Err(unfit) = fits(bill, listed.iter().map(|a| a.code.as_str()), &names) {
            tracing::info!(
                bill = bill.id.0,
                ?unfit,
                "reminder skipped: the saved bill no longer fits"
            );
            metrics.reminder("skipped", "unfit");
            return 0;
        }
        let query = QueryRequest {
            association_code: bill.association_code.clone(),
            fields: bill
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
            customer_no: bill.account.customer_no,
        };
        let open = match app.bank().query_invoices(&session, &query).await {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(bill = bill.id.0, error = %e, "reminder skipped for today: the bank's query failed");
                metrics.reminder("failed", "bank");
                return 0;
            }
        };
        let lang = user.preferred_lang().unwrap_or(Lang::Tr);
        let mut sent = 0;
        for invoice in open.into_iter().map(Invoice::from) {
            match self.tell(bill, &invoice, lang).await {
                Told::Sent => sent += 1,
                Told::Before => {}
                Told::Blocked => break,
            }
        }
        sent
    }

    /// The reminder `invoice` warrants, unless it was sent before.
    async fn tell(&self, bill: &SavedBill, invoice: &Invoice, lang: Lang) -> Told {
        let app = &self.app;
        let metrics = &app.metrics;
        let r = reminding(invoice.due_day(), self.day, self.schedule.days_before);
        let reminders = &app.store.reminders;
        let now = app.clock.now();
        match reminders
            .claim_send(bill.id, &invoice.number, r.send, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Told::Before,
            Err(e) => {
                tracing::warn!(bill = bill.id.0, error = %e, "reminder not claimed");
                metrics.reminder("failed", "store");
                return Told::Before;
            }
        }
        // The claims this call won: only those may be given back.
        let mut won = vec![r.send];
        if let Some(also) = r.also {
            // Told "due soon" first: no separate "new" later.
            match reminders
                .claim_send(bill.id, &invoice.number, also, now)
                .await
            {
                Ok(true) => won.push(also),
                Ok(false) => {}
                Err(e) => tracing::warn!(bill = bill.id.0, error = %e, "reminder not claimed"),
            }
        }
        let screen = reminder(Texts::new(&app.i18n, lang), bill, invoice, r.send);
        self.turn.wait().await;
        let chat = self.chat(bill.user);
        let mut blocked = chat.lock().await;
        if *blocked {
            metrics.reminder("skipped", "blocked");
            self.give_back(bill, invoice, &won).await;
            return Told::Blocked;
        }
        let mut req = self.bot.send_message(ChatId(bill.chat_id), screen.html);
        if let Some(keyboard) = screen.keyboard {
            req = req.reply_markup(ReplyMarkup::InlineKeyboard(keyboard));
        }
        match req.await {
            Ok(_) => {
                metrics.reminder("sent", r.send.label());
                Told::Sent
            }
            Err(RequestError::Api(
                ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound,
            )) => {
                tracing::info!(
                    user = bill.user.0,
                    "reminder refused: the user blocked the bot"
                );
                metrics.reminder("failed", "blocked");
                *blocked = true;
                if let Err(e) = app.store.users.set_blocked(bill.user, true).await {
                    tracing::warn!(user = bill.user.0, error = %e, "could not mark the user blocked");
                }
                // Surely not delivered: told once they write to the bot again.
                self.give_back(bill, invoice, &won).await;
                Told::Blocked
            }
            Err(e) => {
                tracing::warn!(bill = bill.id.0, error = %e, "reminder not sent");
                metrics.reminder("failed", "telegram");
                Told::Before
            }
        }
    }
}

impl Checker {
    /// `user`'s place in this run's sends.
    fn chat(&self, user: TelegramUserId) -> Arc<tokio::sync::Mutex<bool>> {
        let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
        chats.entry(user).or_default().clone()
    }

    /// Gives back the claims of reminders surely not delivered.
    async fn give_back(&self, bill: &SavedBill, invoice: &Invoice, won: &[ReminderKind]) {
        for kind in won {
            let released = self
                .app
                .store
                .reminders
                .release_send(bill.id, &invoice.number, *kind)
                .await;
            if let Err(e) = released {
                tracing::warn!(bill = bill.id.0, error = %e, "refused reminder's claim kept");
            }
        }
    }
}

enum Told {
    Sent,
    /// Sent before, by this run or another (or not sendable now).
    Before,
    /// The customer blocked the bot: nothing more to them.
    Blocked,
}
