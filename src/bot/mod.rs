//! The Telegram side.
//!
//! - [`schema`]: the one dptree tree of handlers, a pure function.
//! - [`state`]: the dialogue [`state::State`], stored in sled.
//! - [`commands`]: the `/commands` and who may use them.
//! - [`callbacks`]: what buttons carry (≤ 64 bytes).
//! - [`keyboards`]: inline keyboards.
//! - [`ctx`]: [`Ctx`], the per-update view of the user (language, agent?)
//!   with the reply helpers every handler uses.
//! - [`handlers`]: the endpoints: `general` (start, help, language, invite
//!   links), `pay` (the payment dialogue), `receipts` (receipts, history),
//!   `agent` (invite, cancel payment, today's payments).
//! - [`inflight`]: the updates being handled, for a bounded shutdown.
//! - [`launch`]: building the bot and the dispatcher from a [`crate::config::Config`].

pub mod callbacks;
pub mod commands;
pub mod ctx;
pub mod handlers;
pub mod inflight;
pub mod keyboards;
pub mod launch;
pub mod schema;
pub mod state;

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
    storage::{SledDialogues, Store},
};

pub use ctx::Ctx;
pub use schema::schema;
pub use state::State;

/// The bot as handlers use it: HTML by default, rate limits and 429
/// `retry_after` honoured by the `Throttle` adaptor.
pub type TgBot = Throttle<DefaultParseMode<teloxide::Bot>>;
pub type PayDialogue = Dialogue<State, SledDialogues>;
pub type HandlerResult = anyhow::Result<()>;

/// What every handler may reach: built once, shared by all updates.
pub struct App {
    pub i18n: I18n,
    pub store: Store,
    pub catalog: Catalog,
    pub receipts: ReceiptClient,
    pub agents: BTreeSet<u64>,
    /// From `getMe`, for invite links.
    pub bot_username: String,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// The updates in progress.
    pub in_flight: inflight::InFlight,
}

impl App {
    pub fn bank(&self) -> &BankClient {
        self.catalog.bank()
    }

    pub fn is_agent(&self, user_id: u64) -> bool {
        self.agents.contains(&user_id)
    }
}

pub type SharedApp = Arc<App>;
