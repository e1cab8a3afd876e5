//! `/remindnow`, the demo's own command: the reminder run of `faturabot run`
//! now, with something to remind about.
//!
//! It is typed at the terminal and never reaches the bot. Each saved bill of
//! the demo customer with reminders on that has no open invoice gets a new
//! one from the simulated bank, then the real run starts
//! ([`Trigger::run_now`](crate::bot::reminders::Trigger::run_now)); the
//! reminders it sends show in the chat as any message does, and the end of
//! the run is told (how many bills it checked, how many reminders it sent).

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokio::{sync::watch, time::Instant};

use super::{DEMO_USER_ID, world::reminder_time};
use crate::{
    bank::{QueryRequest, SessionId},
    bot::App,
    payments::{
        TelegramUserId,
        bills::{BillId, SavedBill},
    },
    sandbox::{NewInvoice, Sandbox},
};

/// The amount of an invoice the demo adds (TRY).
const NEW_AMOUNT: Decimal = Decimal::from_parts(6435, 0, 0, false, 2);
/// Its due date, days from today: a "new invoice" reminder (not yet "due
/// soon", which is within 3 days).
const NEW_DUE_IN_DAYS: i64 = 7;
/// A run of the demo's few bills takes seconds; this long at most is waited
/// for before saying it is late (its reminders still show when they come).
const RUN_MAX: Duration = Duration::from_secs(60);

/// What `/remindnow` needs, and the run it waits for.
pub(super) struct Remind {
    app: Arc<App>,
    sandbox: Sandbox,
    runs: watch::Receiver<u64>,
    waiting: Option<Waiting>,
    /// Bills a run asked for here has checked, and the day: a bill is
    /// checked once a day, so another run that day would not remind.
    checked: (Option<NaiveDate>, BTreeSet<BillId>),
}

/// A run asked for and not yet ended.
struct Waiting {
    /// The count of runs when it was asked for.
    after: u64,
    /// Reminders sent before it, from the metrics.
    sent_before: u64,
    deadline: Instant,
    /// The bills it is to check, and the day.
    bills: Vec<BillId>,
    day: NaiveDate,
}

/// How a run waited for ended.
pub(super) enum Ended {
    Done,
    Late,
}

impl Remind {
    pub(super) fn new(app: Arc<App>, sandbox: Sandbox) -> Remind {
        let runs = app.reminders.runs();
        Remind {
            app,
            sandbox,
            runs,
            waiting: None,
            checked: (None, BTreeSet::new()),
        }
    }

    pub(super) fn waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// Prepares and starts a run; what to tell, line by line.
    pub(super) async fn start(&mut self) -> Vec<String> {
        if self.waiting.is_some() {
            return vec!["(a reminder run is under way already: its reminders come here)".into()];
        }
        let user = TelegramUserId(DEMO_USER_ID);
        let bills = match self.app.store.bills.list(user).await {
            Ok(bills) => bills,
            Err(e) => return vec![format!("(your saved bills cannot be read just now: {e})")],
        };
        if bills.is_empty() {
            return vec![
                "(no saved bills yet: pay a bill, press \"⭐ Save this bill\" under the payment, \
                 then /remindnow)"
                    .into(),
            ];
        }
        let on: Vec<&SavedBill> = bills.iter().filter(|b| b.reminders).collect();
        if on.is_empty() {
            return vec![
                "(your saved bills all have reminders off: switch them on in /bills, then \
                 /remindnow)"
                    .into(),
            ];
        }
        let day = self.app.clock.now_istanbul().date_naive();
        if self.checked.0 != Some(day) {
            self.checked = (Some(day), BTreeSet::new());
        }
        let on: Vec<&SavedBill> = on
            .into_iter()
            .filter(|b| !self.checked.1.contains(&b.id))
            .collect();
        if on.is_empty() {
            return vec![
                "(your saved bills were checked today already, and each is checked once a day: \
                 /remindnow finds something new tomorrow, or for a bill saved now)"
                    .into(),
            ];
        }
        let mut told = Vec::new();
        for bill in &on {
            told.push(self.something_to_remind(bill).await);
        }
        let after = *self.runs.borrow_and_update();
        self.waiting = Some(Waiting {
            after,
            sent_before: self.sent(),
            deadline: Instant::now() + RUN_MAX,
            bills: on.iter().map(|b| b.id).collect(),
            day,
        });
        self.app.reminders.run_now();
        told.push(format!(
            "(the reminder run starts now, as in faturabot run each day at {} Istanbul time: every \
             saved bill with reminders on is checked, once a day)",
            reminder_time().format("%H:%M")
        ));
        told
    }

    /// A new invoice for `bill` unless it has an open one; what was done.
    async fn something_to_remind(&self, bill: &SavedBill) -> String {
        let title = bill.title();
        let query = QueryRequest {
            association_code: bill.association_code.clone(),
            fields: bill
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
            customer_no: bill.account.customer_no,
        };
        let open = self
            .app
            .bank()
            .query_invoices(&SessionId::new(), &query)
            .await;
        match open {
            Ok(open) if !open.is_empty() => {
                format!(
                    "({title}: {} open invoice(s) at the bank already)",
                    open.len()
                )
            }
            Ok(_) => {
                let subscriber = bill
                    .fields
                    .iter()
                    .find(|f| f.name == "SubscriberNumber")
                    .map_or(bill.subscriber.clone(), |f| f.value.clone());
                let added = self.sandbox.add_invoice(NewInvoice {
                    association: Some(bill.association_code.clone()),
                    subscriber,
                    amount: NEW_AMOUNT,
                    due_in_days: NEW_DUE_IN_DAYS,
                });
                match added {
                    Ok(number) => format!(
                        "(the simulated bank issues a new invoice for {title}: no {number}, \
                         TRY {NEW_AMOUNT}, due in {NEW_DUE_IN_DAYS} days)"
                    ),
                    Err(e) => format!("({title}: no invoice could be added: {e})"),
                }
            }
            Err(e) => format!("({title}: the bank's query failed ({e}); the run will try too)"),
        }
    }

    /// Waits for the run asked for to end, or for its deadline. Pending
    /// for ever when none is.
    pub(super) async fn ended(&mut self) -> Ended {
        let Some(w) = &self.waiting else {
            return std::future::pending().await;
        };
        let (after, deadline) = (w.after, w.deadline);
        let done = self.runs.wait_for(|n| *n > after);
        match tokio::time::timeout_at(deadline, done).await {
            Ok(Ok(_)) => Ended::Done,
            // The run is gone (the bot stopped), or late.
            Ok(Err(_)) | Err(_) => Ended::Late,
        }
    }

    /// What to tell once [`Remind::ended`] said so.
    pub(super) fn report(&mut self, ended: Ended) -> String {
        let Some(w) = self.waiting.take() else {
            return String::new();
        };
        match ended {
            Ended::Late => format!(
                "(the reminder run has not ended after {} s; its reminders will show when they \
                 come)",
                RUN_MAX.as_secs()
            ),
            Ended::Done => {
                let text = self.metrics();
                let checked = gauge(&text, "faturabot_reminder_run_bills").unwrap_or(0);
                let sent = sent_in(&text).saturating_sub(w.sent_before);
                // All checked now, or (none) before: done for the day. A
                // part checked leaves it unknown which.
                if (checked == 0 || checked >= w.bills.len() as u64)
                    && self.checked.0 == Some(w.day)
                {
                    self.checked.1.extend(w.bills);
                }
                let mut t = format!(
                    "(the reminder run ended: {checked} saved bill(s) checked, {sent} reminder(s) \
                     sent"
                );
                if checked == 0 {
                    t.push_str(
                        "; each bill is checked once a day, and yours were checked today \
                         already: /remindnow finds something new tomorrow",
                    );
                } else if sent > 0 {
                    t.push_str("; press a reminder's Pay button to pay it");
                }
                t.push(')');
                t
            }
        }
    }

    fn metrics(&self) -> String {
        self.app.metrics.render(&self.app.catalog.stats)
    }

    fn sent(&self) -> u64 {
        sent_in(&self.metrics())
    }
}

/// A gauge's value in the Prometheus text.
fn gauge(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .find_map(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
}

/// Reminders sent so far, of any kind, in the Prometheus text.
fn sent_in(text: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with("faturabot_reminders_total{outcome=\"sent\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_from_the_metrics_text() {
        let text = "# HELP faturabot_reminder_run_bills x\n\
                    faturabot_reminder_run_bills 3\n\
                    faturabot_reminder_run_bills_other 9\n\
                    faturabot_reminders_total{outcome=\"sent\",why=\"new\"} 2\n\
                    faturabot_reminders_total{outcome=\"sent\",why=\"due_soon\"} 1\n\
                    faturabot_reminders_total{outcome=\"skipped\",why=\"blocked\"} 5\n";
        assert_eq!(gauge(text, "faturabot_reminder_run_bills"), Some(3));
        assert_eq!(gauge(text, "faturabot_nothing"), None);
        assert_eq!(sent_in(text), 3);
    }

    #[test]
    fn the_added_amount_is_a_plain_price() {
        assert_eq!(NEW_AMOUNT.to_string(), "64.35");
    }
}
