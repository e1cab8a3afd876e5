//! The daily reminder run inside `faturabot run`.
//!
//! Once a day at the configured time (Europe/Istanbul) every saved bill
//! with reminders on is queried, at most so many a second, and its
//! customer told once of a new unpaid invoice and once more when one is
//! due soon. What was checked and sent is claimed in the database, so a
//! restart or another replica never repeats it, and a run missed while
//! the bot was down happens when it comes back that day.
//!
//! - `run`: one pass over the bills;
//! - `pace`: the query rate, and sends that let interactive replies first.

mod pace;
mod run;

use std::{sync::Arc, time::Duration};

use chrono::{NaiveDate, NaiveTime};
use tokio::sync::{Notify, watch};

pub use run::{CHECK_STALE, Pass};

use crate::bot::{App, TgBot};

/// When and how fast reminders run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Time of day in Europe/Istanbul.
    pub at: NaiveTime,
    /// "Due soon" is due within this many days.
    pub days_before: u32,
    /// Most bank queries a second.
    pub per_second: f64,
    /// The process's overall send rate, of which reminders take half.
    pub send_rate: u32,
}

/// How often the scheduler looks at the clock (which tests move).
const TICK: Duration = Duration::from_secs(1);

/// Asks for a run now, and tells when runs end: for the demo's "remind
/// now" and for tests.
#[derive(Clone)]
pub struct Trigger {
    now: Arc<Notify>,
    runs: watch::Sender<u64>,
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger {
            now: Arc::new(Notify::new()),
            runs: watch::channel(0).0,
        }
    }
}

impl Trigger {
    /// A run of today's checks now, whatever the time.
    pub fn run_now(&self) {
        self.now.notify_one();
    }

    /// Runs ended so far, to wait on.
    pub fn runs(&self) -> watch::Receiver<u64> {
        self.runs.subscribe()
    }
}

/// Runs reminders for as long as the bot runs: today's at `schedule.at`
/// (at once when the bot starts later that day), a run on every
/// [`Trigger::run_now`], and again after [`CHECK_STALE`] while some bill
/// is held by a run that may have died.
pub async fn schedule(app: Arc<App>, bot: TgBot, schedule: Schedule, trigger: Trigger) {
    let mut done: Option<NaiveDate> = None;
    // When to look again at which day's checks.
    let mut again: Option<(tokio::time::Instant, NaiveDate)> = None;
    let mut asked = false;
    loop {
        let now = app.clock.now_istanbul();
        let today = now.date_naive();
        let due = now.time() >= schedule.at && done != Some(today);
        let retry = again
            .filter(|(at, _)| tokio::time::Instant::now() >= *at)
            .map(|(_, day)| day);
        if due || retry.is_some() || asked {
            // A retry past midnight is of the day it retries, not today's.
            let day = retry.filter(|_| !due && !asked).unwrap_or(today);
            let started = tokio::time::Instant::now();
            let pass = run::pass(&app, &bot, schedule, day).await;
            app.metrics.reminder_run(started.elapsed(), pass.checked);
            tracing::info!(
                checked = pass.checked,
                done = pass.done,
                held = pass.held,
                sent = pass.sent,
                took_ms = started.elapsed().as_millis() as u64,
                asked,
                "reminder run ended"
            );
            if now.time() >= schedule.at {
                done = Some(today);
            }
            // Claims held by another run may be a dead run's: look again
            // once they would be stale, as long as some are held.
            again =
                (pass.held > 0).then(|| (tokio::time::Instant::now() + CHECK_STALE + TICK, day));
            asked = false;
            prune(&app, today).await;
            trigger.runs.send_modify(|n| *n += 1);
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = trigger.now.notified() => asked = true,
        }
    }
}

/// Checks older than a week and sends older than a year are forgotten.
async fn prune(app: &App, today: NaiveDate) {
    let week_ago = today - chrono::Days::new(7);
    let year_ago = app.clock.now() - chrono::Duration::days(366);
    match app.store.reminders.prune(week_ago, year_ago).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "old reminder claims pruned"),
        Err(e) => tracing::warn!(error = %e, "old reminder claims not pruned"),
    }
}
