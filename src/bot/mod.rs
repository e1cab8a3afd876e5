//! The Telegram side.
//!
//! - [`schema()`]: the one dptree tree of handlers, a pure function: every
//!   command, every dialogue state, every kind of button has its branch.
//! - [`state`]: the dialogue [`state::State`], one struct per step, and how
//!   it is stored (versioned).
//! - [`commands`]: the `/commands` and who may use them.
//! - [`callbacks`]: what buttons carry (≤ 64 bytes).
//! - [`keyboards`]: inline keyboards.
//! - [`ctx`]: [`Ctx`], the per-update view of the user (language, agent?)
//!   with the reply helpers every handler uses.
//! - [`screens`]: pure functions from what to show to HTML and buttons.
//! - [`steps`]: the dialogue's steps: store the state, show the screen.
//! - [`flows`]: what several handlers end with (the welcome, opening the
//!   dialogue, delivering a receipt), so no handler calls another.
//! - [`handlers`]: the endpoints, named `receive_*` for what they receive:
//!   `start` (start, help, language), `dialogue` (the payment steps),
//!   `confirm` (the payment itself), `receipts` (receipts, history), `agent`
//!   (staff commands), `cancel` (the agent's cancel confirmation), `unlink`
//!   (a customer's `/unlink` and its confirmation), `input` (text and
//!   presses no step expects).
//! - [`pin`]: the PIN keypad's entry, sealed in the dialogue state; `pin`
//!   in `handlers` chooses and changes a PIN, `confirm` takes it before a
//!   payment.
//! - [`saved_bills`]: `/bills`' steps, saving a paid bill, and paying a
//!   saved one (a bill's menu, a reminder's Pay); `bills` in `handlers`
//!   receives their presses and names.
//! - [`reminders`]: the daily reminder run inside `faturabot run`: each
//!   saved bill checked once a day (claimed in the database), paced, and
//!   reminders sent once per invoice, behind interactive replies.
//! - [`inflight`]: the updates being handled, for a bounded shutdown.
//! - [`launch`]: building the bot and the dispatcher from a [`crate::config::Config`].

pub mod callbacks;
pub mod commands;
pub mod ctx;
pub mod flows;
pub mod handlers;
pub mod inflight;
pub mod keyboards;
pub mod launch;
pub mod pin;
pub mod reminders;
pub mod saved_bills;
pub mod schema;
pub mod screens;
pub mod state;
pub mod steps;

use std::{collections::BTreeSet, sync::Arc};

use teloxide::{
    adaptors::{DefaultParseMode, Throttle},
    dispatching::dialogue::Dialogue,
};

use crate::{
    bank::{BankClient, Catalog, ReceiptClient},
    clock::Clock,
    i18n::I18n,
    metrics::Metrics,
    payments::{Payments, TelegramUserId},
    storage::{Dialogues, Store},
};

pub use ctx::Ctx;
pub use schema::schema;
pub use state::State;

/// The bot as handlers use it: HTML by default, rate limits and 429
/// `retry_after` honoured by the `Throttle` adaptor.
pub type TgBot = Throttle<DefaultParseMode<teloxide::Bot>>;
pub type PayDialogue = Dialogue<State, Dialogues<State>>;
pub type HandlerResult = anyhow::Result<()>;

/// What every handler may reach: built once, shared by all updates.
pub struct App {
    pub i18n: I18n,
    pub store: Store,
    /// The payment rules and flows, over the store and the bank.
    pub payments: Payments,
    pub catalog: Catalog,
    pub receipts: ReceiptClient,
    pub agents: BTreeSet<u64>,
    /// From `getMe`, for invite links.
    pub bot_username: String,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// The updates in progress.
    pub in_flight: inflight::InFlight,
    /// With `FATURABOT_PAYMENT_PIN=required`: seals the keypad's entries.
    /// `None`: payments take no PIN.
    pub pin: Option<pin::Sealer>,
    /// Asks the reminder run to start now, and counts runs.
    pub reminders: reminders::Trigger,
}

impl App {
    /// Whether command `name` is offered here: `/pin` only when payments
    /// take a PIN.
    pub fn offers(&self, name: &str) -> bool {
        name != "pin" || self.pin.is_some()
    }

    pub fn bank(&self) -> &BankClient {
        self.catalog.bank()
    }

    pub fn is_agent(&self, user: TelegramUserId) -> bool {
        self.agents.contains(&user.0)
    }
}

pub type SharedApp = Arc<App>;
