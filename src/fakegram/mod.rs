//! A stand-in for the Telegram Bot API: an in-process HTTP server that the real
//! bot, built on teloxide, talks to instead of `api.telegram.org`.
//!
//! It plays both sides of a private chat: tests (and `faturabot demo`) act as
//! Telegram users ([`FakeTelegram::send_text`], [`FakeTelegram::press`]) and
//! watch what the bot does ([`FakeTelegram::chat`], [`FakeTelegram::calls`],
//! [`FakeTelegram::subscribe`]). It keeps Telegram's rules (button data
//! size, text length, HTML entities, "message is not modified", one answer
//! per callback query, update confirmation by offset) and answers a mistake
//! with the same 400 Telegram would send.
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

mod html;
mod methods;
mod model;
mod server;
mod state;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{broadcast, oneshot};

pub use html::html_to_plain;
pub use teloxide::types::UpdateId;

use state::Core;

/// A token for bots pointed at the fake; its id part is the fake bot's id.
/// The fake accepts any token.
pub const TOKEN: &str = "777000111:AAFakeTokenForFakegram";

/// The bot's Telegram user id, as `getMe` reports it.
pub const BOT_ID: u64 = model::BOT_ID;
/// The bot's username, as `getMe` reports it.
pub const BOT_USERNAME: &str = model::BOT_USERNAME;

/// A Telegram user talking to the bot in a private chat (chat id == user id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeUser {
    pub id: u64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl FakeUser {
    pub fn new(id: u64, first_name: impl Into<String>) -> Self {
        FakeUser {
            id,
            first_name: first_name.into(),
            username: None,
            language_code: None,
        }
    }

    /// The user's client language (`language_code`), e.g. `"tr"` or `"en"`.
    pub fn language(mut self, code: impl Into<String>) -> Self {
        self.language_code = Some(code.into());
        self
    }

    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The id of the private chat with the bot.
    pub fn chat_id(&self) -> i64 {
        i64::try_from(self.id).unwrap_or(i64::MAX)
    }
}

/// One update for [`FakeTelegram::enqueue_batch`].
#[derive(Clone, Debug)]
pub enum UpdateSpec {
    Text {
        from: FakeUser,
        text: String,
    },
    Press {
        from: FakeUser,
        message_id: i32,
        data: String,
    },
    /// A press on `message` exactly as given (a group's message, another
    /// chat's: what only someone controlling a Bot API server could
    /// send), or on an inline message when `None`.
    PressOn {
        from: FakeUser,
        message: Option<Value>,
        data: String,
    },
}

impl UpdateSpec {
    pub fn text(from: &FakeUser, text: impl Into<String>) -> Self {
        UpdateSpec::Text {
            from: from.clone(),
            text: text.into(),
        }
    }

    pub fn press(from: &FakeUser, message_id: i32, data: impl Into<String>) -> Self {
        UpdateSpec::Press {
            from: from.clone(),
            message_id,
            data: data.into(),
        }
    }
}

/// What [`FakeTelegram::enqueue_batch`] enqueued, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enqueued {
    pub update_id: UpdateId,
    /// Set for presses.
    pub callback_query_id: Option<String>,
}

/// A file part of a multipart request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    /// The parameter it was sent as (`"photo"`), resolved through teloxide's
    /// `photo=attach://<part>` indirection.
    pub field: String,
    /// The multipart part's own name (a random id with teloxide).
    pub part: String,
    /// `None` when the client sent none or an empty one (`InputFile::memory`).
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// One request the bot made, with the fake's answer.
#[derive(Clone, Debug)]
pub struct ApiCall {
    /// Position in [`FakeTelegram::calls`].
    pub seq: usize,
    /// As the bot spelled it, e.g. `"sendMessage"`.
    pub method: String,
    /// Query, JSON, urlencoded or multipart text parameters merged into one
    /// object. JSON-valued fields (`reply_markup`, ...) and ids are decoded
    /// from multipart text, so params look alike whatever the encoding.
    /// Empty when the request body could not be decoded.
    pub params: Value,
    pub files: Vec<UploadedFile>,
    /// HTTP status of the answer: 200, 400, 403, 429...
    pub status: u16,
    /// The full answer body: `{"ok":true,"result":...}` or the error.
    pub response: Value,
    /// When the request arrived (for rate checks).
    pub at: Instant,
}

impl ApiCall {
    pub fn is_ok(&self) -> bool {
        self.status == 200
    }

    /// The error description, for failed calls.
    pub fn error(&self) -> Option<&str> {
        self.response.get("description").and_then(Value::as_str)
    }

    /// A parameter as a string (numbers are formatted).
    pub fn param_str(&self, key: &str) -> Option<String> {
        match self.params.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

/// An inline keyboard button as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

/// A bot message as the user currently sees it (edits applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotMessage {
    pub message_id: i32,
    /// The text, or the caption of a photo, exactly as the bot sent it (HTML
    /// source when `parse_mode` is HTML; see [`BotMessage::plain`]).
    pub text: String,
    pub parse_mode: Option<String>,
    /// Rows of inline keyboard buttons; empty when there is no keyboard.
    pub buttons: Vec<Vec<Button>>,
    /// `Some` for photo messages: the uploaded bytes, or empty when the photo
    /// was given by URL (the fake does not fetch it).
    pub photo: Option<Vec<u8>>,
    pub photo_url: Option<String>,
    pub edited: bool,
}

impl BotMessage {
    /// The text as the user reads it: tags stripped, entities decoded.
    pub fn plain(&self) -> String {
        match self.parse_mode.as_deref() {
            Some(mode) if mode.eq_ignore_ascii_case("html") => html_to_plain(&self.text),
            _ => self.text.clone(),
        }
    }

    /// All buttons, row by row.
    pub fn all_buttons(&self) -> impl Iterator<Item = &Button> {
        self.buttons.iter().flatten()
    }

    /// The first button whose text contains `needle`.
    pub fn button(&self, needle: &str) -> Option<&Button> {
        self.all_buttons().find(|b| b.text.contains(needle))
    }
}

/// An accepted `answerCallbackQuery`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub query_id: String,
    pub text: Option<String>,
    pub show_alert: bool,
    pub url: Option<String>,
}

/// A failure to inject with [`FakeTelegram::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FakeFailure {
    /// 429 with `parameters.retry_after`; teloxide turns it into
    /// `RequestError::RetryAfter`.
    TooManyRequests { retry_after: u32 },
    /// 400 `"Bad Request: <text>"` (the prefix is added if missing).
    BadRequest(String),
    /// 403 `"Forbidden: <text>"`, e.g. `"bot was blocked by the user"`.
    Forbidden(String),
}

/// Something the bot did that a user would see, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotEvent {
    Sent { chat_id: i64, message: BotMessage },
    Edited { chat_id: i64, message: BotMessage },
    Deleted { chat_id: i64, message_id: i32 },
    CallbackAnswered(CallbackAnswer),
    ChatAction { chat_id: i64, action: String },
}

struct Handle {
    core: Arc<Core>,
    addr: SocketAddr,
    /// Dropped with the last handle: the server then shuts down.
    _shutdown: oneshot::Sender<()>,
}

/// The fake Telegram server and the controls of its users. Cheap to clone;
/// the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeTelegram(Arc<Handle>);

impl FakeTelegram {
    /// Starts the server on `127.0.0.1` with a free port. Needs a Tokio runtime.
    pub async fn start() -> std::io::Result<FakeTelegram> {
        Self::start_at(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the server on the given address.
    pub async fn start_at(addr: SocketAddr) -> std::io::Result<FakeTelegram> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let core = Arc::new(Core::new());
        let app = server::router(core.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stop = async move {
                // Resolves when the sender is dropped.
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::warn!("fakegram server stopped: {e}");
            }
        });
        Ok(FakeTelegram(Arc::new(Handle {
            core,
            addr,
            _shutdown: shutdown,
        })))
    }

    fn core(&self) -> &Core {
        &self.0.core
    }

    /// The URL to give teloxide: `Bot::new(token).set_api_url(tg.api_url())`,
    /// or `TELOXIDE_API_URL` for `Bot::from_env`. It is the bare origin
    /// (`http://127.0.0.1:PORT/`): teloxide appends `bot{token}/{method}`.
    pub fn api_url(&self) -> reqwest::Url {
        let text = format!("http://{}/", self.0.addr);
        // A socket address always forms a valid URL.
        reqwest::Url::parse(&text).unwrap_or_else(|e| unreachable!("{text}: {e}"))
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.0.addr
    }

    /// A teloxide bot with [`TOKEN`] pointed at this fake.
    pub fn bot(&self) -> teloxide::Bot {
        teloxide::Bot::new(TOKEN).set_api_url(self.api_url())
    }

    /// The routes, sharing this fake's state, to serve elsewhere too. Serve
    /// them at the root of an origin: teloxide's URL joining drops any path.
    pub fn router(&self) -> axum::Router {
        server::router(self.0.core.clone())
    }

    // ---- acting as users ----

    /// Makes the user known without sending anything, so the bot may write
    /// to them (sends to unknown chats fail with "chat not found").
    pub fn register(&self, user: &FakeUser) {
        self.core().lock().register(user);
    }

    /// Whether the user has blocked the bot: sends then fail with 403
    /// "Forbidden: bot was blocked by the user".
    pub fn set_blocked(&self, user: &FakeUser, blocked: bool) {
        self.core().lock().register(user).blocked = blocked;
    }

    /// The user sends a text message. Texts starting with `/` carry a
    /// `bot_command` entity, as Telegram adds.
    pub fn send_text(&self, from: &FakeUser, text: &str) -> UpdateId {
        self.enqueue_batch(vec![UpdateSpec::text(from, text)])
            .pop()
            .map(|e| e.update_id)
            .unwrap_or(UpdateId(0))
    }

    /// The user presses a button of message `message_id` with callback `data`.
    /// The query carries the message as currently shown (or, if it is gone, an
    /// inaccessible-message stub). The data is not checked against the
    /// message's buttons, so stale or forged data can be tested; see
    /// [`FakeTelegram::press_button`] for a checked press. Returns the
    /// callback query id.
    pub fn press(&self, from: &FakeUser, message_id: i32, data: &str) -> String {
        self.enqueue_batch(vec![UpdateSpec::press(from, message_id, data)])
            .pop()
            .and_then(|e| e.callback_query_id)
            .unwrap_or_default()
    }

    /// A press as described by [`UpdateSpec::PressOn`]; returns the
    /// callback query id.
    pub fn press_on(&self, from: &FakeUser, message: Option<Value>, data: &str) -> String {
        self.enqueue_batch(vec![UpdateSpec::PressOn {
            from: from.clone(),
            message,
            data: data.to_owned(),
        }])
        .pop()
        .and_then(|e| e.callback_query_id)
        .unwrap_or_default()
    }

    /// The message `message_id` of `owner`'s chat as Telegram shows it in
    /// updates, for [`FakeTelegram::press_on`].
    pub fn message_json(&self, owner: &FakeUser, message_id: i32) -> Option<Value> {
        let mut st = self.core().lock();
        let chat = st.register(owner);
        chat.visible(i64::from(message_id))
            .map(|m| m.to_json(owner))
    }

    /// Presses the button whose text contains `button_text` on the shown
    /// message, as a user can. `None` if there is no such callback button.
    pub fn press_button(
        &self,
        from: &FakeUser,
        message_id: i32,
        button_text: &str,
    ) -> Option<String> {
        let message = self
            .chat(from.chat_id())
            .into_iter()
            .find(|m| m.message_id == message_id)?;
        let data = message.button(button_text)?.callback_data.clone()?;
        Some(self.press(from, message_id, &data))
    }

    /// Enqueues several updates at once: a waiting `getUpdates` returns them
    /// all in one response (e.g. a double tap on a button).
    pub fn enqueue_batch(&self, updates: Vec<UpdateSpec>) -> Vec<Enqueued> {
        let enqueued = {
            let mut st = self.core().lock();
            updates.into_iter().map(|spec| st.enqueue(spec)).collect()
        };
        self.core().notify_updates();
        enqueued
    }

    /// Sends an update again with the same `update_id`, as Telegram does when
    /// the bot died before confirming it. It is delivered once more even if the
    /// bot's offset is already past it. Returns false for an unknown id.
    pub fn redeliver(&self, update_id: UpdateId) -> bool {
        let found = self.core().lock().redeliver(update_id);
        self.core().notify_updates();
        found
    }

    /// Updates not yet confirmed by the bot's offset.
    pub fn pending_updates(&self) -> usize {
        self.core().lock().queue.len()
    }

    // ---- observing the bot ----

    /// Every request so far, in order (a long poll is recorded when it ends;
    /// one abandoned by the client is not recorded).
    pub fn calls(&self) -> Vec<ApiCall> {
        self.core().lock().calls.clone()
    }

    /// Calls of one method (case-insensitive), including failed ones.
    pub fn calls_to(&self, method: &str) -> Vec<ApiCall> {
        let st = self.core().lock();
        st.calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// How many calls of the method (case-insensitive) were made.
    pub fn count(&self, method: &str) -> usize {
        let st = self.core().lock();
        st.calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .count()
    }

    /// The bot's messages in the chat as currently shown: edits applied,
    /// deleted ones removed, oldest first.
    pub fn chat(&self, chat_id: i64) -> Vec<BotMessage> {
        let st = self.core().lock();
        st.chats
            .get(&chat_id)
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| m.from_bot && !m.deleted)
                    .map(model::StoredMessage::to_bot_message)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The newest bot message shown in the chat.
    pub fn last_message(&self, chat_id: i64) -> Option<BotMessage> {
        self.chat(chat_id).pop()
    }

    /// Waits until a shown bot message in the chat satisfies `pred`; returns
    /// the newest such message, or `None` after `timeout`.
    pub async fn wait_for_message(
        &self,
        chat_id: i64,
        pred: impl Fn(&BotMessage) -> bool,
        timeout: Duration,
    ) -> Option<BotMessage> {
        self.wait_until(timeout, || {
            self.chat(chat_id).into_iter().rev().find(|m| pred(m))
        })
        .await
    }

    /// Waits until a call of `method` (case-insensitive) satisfies `pred`;
    /// returns the earliest such call, or `None` after `timeout`. To wait for a
    /// new call only, check `call.seq` against `calls().len()` taken before.
    pub async fn wait_for_call(
        &self,
        method: &str,
        pred: impl Fn(&ApiCall) -> bool,
        timeout: Duration,
    ) -> Option<ApiCall> {
        self.wait_until(timeout, || {
            let st = self.core().lock();
            st.calls
                .iter()
                .find(|c| c.method.eq_ignore_ascii_case(method) && pred(c))
                .cloned()
        })
        .await
    }

    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.core().changed.subscribe();
        loop {
            changed.borrow_and_update();
            if let Some(found) = check() {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                _ => return check(),
            }
        }
    }

    /// Accepted `answerCallbackQuery` calls, in order. Refused ones (second
    /// answers, unknown ids) are only in [`FakeTelegram::calls`].
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.core().lock().answers.clone()
    }

    /// The commands set with `setMyCommands` for the default scope and the
    /// language (`None`: no language_code), as (command, description).
    pub fn my_commands(&self, language_code: Option<&str>) -> Vec<(String, String)> {
        let key = (
            r#"{"type":"default"}"#.to_owned(),
            language_code.unwrap_or_default().to_owned(),
        );
        let st = self.core().lock();
        st.commands
            .get(&key)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|c| {
                        let field = |k: &str| {
                            c.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned()
                        };
                        (field("command"), field("description"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The next `times` calls of `method` (case-insensitive) fail with
    /// `failure` and have no effect. Queued failures are used in order.
    pub fn fail_next(&self, method: &str, failure: FakeFailure, times: u32) {
        let mut st = self.core().lock();
        let queue = st.failures.entry(method.to_ascii_lowercase()).or_default();
        queue.extend(std::iter::repeat_n(failure, times as usize));
    }

    /// A stream of what the bot sends, edits, deletes and answers, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<BotEvent> {
        self.core().events.subscribe()
    }
}
