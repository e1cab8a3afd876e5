//! [`FakeTelegram`], the client-side handle: starts the server, acts as the
//! users and observes the bot. The state it shares with the HTTP routes is
//! in `state`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{broadcast, oneshot};

use super::state::Core;
use super::{
    ApiCall, BotEvent, BotMessage, CallbackAnswer, Enqueued, FakeFailure, FakeUser, TOKEN,
    UpdateId, UpdateSpec, delivery, model, server,
};

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
        tokio::spawn(delivery::run(Arc::downgrade(&core)));
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

    pub(super) fn core(&self) -> &Core {
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

    /// In webhook mode, POSTs go to these addresses in turn (with the
    /// webhook URL's path), like a load balancer in front of replicas; a
    /// failed POST is tried again at the next one.
    pub fn deliver_to(&self, targets: Vec<SocketAddr>) {
        self.core().lock().targets = targets;
        self.core().notify_updates();
    }

    /// In webhook mode, POSTs the update once more to every address of
    /// [`FakeTelegram::deliver_to`] (or the URL), on top of its normal
    /// delivery: one update reaching every replica. Returns false for an
    /// unknown id.
    pub fn deliver_everywhere(&self, update_id: UpdateId) -> bool {
        let Some(update) = self.core().lock().update_json(update_id) else {
            return false;
        };
        delivery::to_every_target(&self.0.core, update);
        true
    }

    /// Updates not yet confirmed (by the bot's offset, or a webhook's 2xx).
    pub fn pending_updates(&self) -> usize {
        self.core().lock().queue.len()
    }

    // ---- observing the bot ----

    /// The webhook set with `setWebhook` (URL and secret token), if any.
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        let st = self.core().lock();
        (!st.webhook.0.is_empty()).then(|| st.webhook.clone())
    }

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

    /// Waits until `check` finds something (looked at after every call the
    /// bot makes), at most `timeout`.
    pub async fn wait_until<T>(
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
