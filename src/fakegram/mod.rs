//! A stand-in for the Telegram Bot API: an in-process HTTP server that the real
//! bot, built on teloxide, talks to instead of `api.telegram.org`.
//!
//! It plays both sides of a private chat: tests (and `faturabot demo`) act as
//! Telegram users ([`FakeTelegram::send_text`], [`FakeTelegram::press`]) and
//! watch what the bot does ([`FakeTelegram::chat`], [`FakeTelegram::calls`],
//! [`FakeTelegram::subscribe`]). It keeps Telegram's rules (button data
//! size, text length, HTML entities, "message is not modified", one answer
//! per callback query, update confirmation by offset) and answers a mistake
//! with the same 400 Telegram would send. Once a webhook is set, updates
//! are POSTed to it with its secret token until a 2xx confirms each.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use faturabot::fakegram::{FakeTelegram, FakeUser};
//! let tg = FakeTelegram::start().await?;
//! let bot = teloxide::Bot::new(faturabot::fakegram::TOKEN).set_api_url(tg.api_url());
//! let ayse = FakeUser::new(1001, "Ayşe").language("tr");
//! tg.send_text(&ayse, "/start");
//! // ... run the bot's dispatcher with `bot`, then:
//! let _reply = tg.wait_for_message(ayse.chat_id(), |m| !m.buttons.is_empty(),
//!     std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! - `handle`: [`FakeTelegram`], the handle tests hold: start, act, observe.
//! - `input`: what tests hand it ([`FakeUser`], [`UpdateSpec`], [`FakeFailure`]).
//! - `observed`: what they read back ([`ApiCall`], [`BotMessage`], [`BotEvent`]).
//! - `server`: the HTTP routes, request decoding and `getUpdates` long polls.
//! - `delivery`: webhook mode: updates POSTed to the registered URL.
//! - `methods`: the Bot API methods and Telegram's checks, by kind.
//! - `state`: the shared state behind one mutex: update queue, chats, calls.
//! - `model`: the JSON of Telegram's objects and the stored messages.
//! - `html`: Telegram's HTML parse mode, as strict as the real server.
//! - `tests`: the fake driven by a real teloxide `Bot`, by topic.

mod delivery;
mod handle;
pub(crate) mod html;
mod input;
mod methods;
mod model;
mod observed;
mod server;
mod state;
#[cfg(test)]
mod tests;

pub use handle::FakeTelegram;
pub use html::html_to_plain;
pub use input::{Enqueued, FakeFailure, FakeUser, UpdateSpec};
pub use observed::{ApiCall, BotEvent, BotMessage, Button, CallbackAnswer, UploadedFile};
pub use teloxide::types::UpdateId;

/// A token for bots pointed at the fake; its id part is the fake bot's id.
/// The fake accepts any token.
pub const TOKEN: &str = "777000111:AAFakeTokenForFakegram";

/// The bot's Telegram user id, as `getMe` reports it.
pub const BOT_ID: u64 = model::BOT_ID;
/// The bot's username, as `getMe` reports it.
pub const BOT_USERNAME: &str = model::BOT_USERNAME;
