//! What the fake remembers: the update queue (with Telegram's confirm-by-offset
//! semantics), the chats and their messages, callback queries, recorded calls
//! and injected failures. Everything sits behind one mutex so that a call, its
//! effect on the chats and its record are seen together.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde_json::{Value, json};
use teloxide::types::UpdateId;
use tokio::sync::{broadcast, watch};

use super::html::{Entity, Formatted, utf16_len};
use super::model::{StoredMessage, StoredPhoto, inaccessible_message_json, unix_now, user_json};
use super::{ApiCall, BotEvent, CallbackAnswer, Enqueued, FakeFailure, FakeUser, UpdateSpec};

/// Shared by the public handle and the HTTP routes.
pub(crate) struct Core {
    state: Mutex<State>,
    /// Bumped when updates are enqueued: wakes long-polling `getUpdates`.
    pub updates: watch::Sender<u64>,
    /// Bumped after every recorded call: wakes `wait_for_*`.
    pub changed: watch::Sender<u64>,
    pub events: broadcast::Sender<BotEvent>,
}

impl Core {
    pub fn new() -> Self {
        Core {
            state: Mutex::new(State::default()),
            updates: watch::Sender::new(0),
            changed: watch::Sender::new(0),
            events: broadcast::Sender::new(1024),
        }
    }

    /// A panic in one test thread must not hide the state from the others.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn notify_updates(&self) {
        self.updates.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub fn notify_changed(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub fn emit(&self, events: Vec<BotEvent>) {
        for event in events {
            // No subscriber is fine.
            let _ = self.events.send(event);
        }
    }
}

pub(crate) struct Queued {
    pub update: Value,
    /// Set by `redeliver`: sent once more even though its id is below the
    /// offset the bot has already confirmed.
    pub forced: bool,
    pub kind: &'static str,
    pub query_id: Option<String>,
    /// The chat it belongs to (the sender's when none): webhook mode
    /// delivers a chat's updates one at a time, in order.
    pub lane: Option<i64>,
    /// Webhook mode: a POST of it is under way.
    pub sending: bool,
    /// Webhook mode: failed POSTs so far, and when to try again.
    pub attempts: u32,
    pub retry_at: Option<Instant>,
    /// Webhook mode: the target of its first POST; each retry takes the
    /// next one.
    pub target: Option<usize>,
}

impl Queued {
    fn new(update: Value, kind: &'static str, query_id: Option<String>) -> Queued {
        let body = &update[kind];
        let lane = body["chat"]["id"]
            .as_i64()
            .or_else(|| body["message"]["chat"]["id"].as_i64())
            .or_else(|| body["from"]["id"].as_i64());
        Queued {
            lane,
            update,
            forced: false,
            kind,
            query_id,
            sending: false,
            attempts: 0,
            retry_at: None,
            target: None,
        }
    }
}

pub(crate) struct ChatState {
    pub user: FakeUser,
    pub next_message_id: i32,
    pub messages: Vec<StoredMessage>,
    pub blocked: bool,
}

impl ChatState {
    pub fn next_id(&mut self) -> i32 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    /// A message still visible in the chat.
    pub fn visible(&self, message_id: i64) -> Option<&StoredMessage> {
        self.messages
            .iter()
            .find(|m| i64::from(m.id) == message_id && !m.deleted)
    }

    pub fn visible_mut(&mut self, message_id: i64) -> Option<&mut StoredMessage> {
        self.messages
            .iter_mut()
            .find(|m| i64::from(m.id) == message_id && !m.deleted)
    }
}

pub(crate) struct Query {
    pub answered: bool,
    pub delivered_at: Option<Instant>,
}

pub(crate) struct State {
    next_update_id: u32,
    /// Updates not yet confirmed by an offset, by id.
    pub queue: BTreeMap<u32, Queued>,
    /// Every update ever enqueued, for `redeliver`.
    history: HashMap<u32, (Value, &'static str, Option<String>)>,
    /// The last `allowed_updates` the bot asked for; `None` means all.
    pub allowed_updates: Option<Vec<String>>,
    pub calls: Vec<ApiCall>,
    pub chats: HashMap<i64, ChatState>,
    pub queries: HashMap<String, Query>,
    next_query: u64,
    /// Injected failures per lower-case method name.
    pub failures: HashMap<String, VecDeque<FakeFailure>>,
    /// Uploaded photos by file id, so the bot can send them again by id.
    pub files: HashMap<String, StoredPhoto>,
    pub next_file: u64,
    /// `setMyCommands` by (scope JSON, language code).
    pub commands: BTreeMap<(String, String), Value>,
    pub answers: Vec<CallbackAnswer>,
    /// Ticket of the newest `getUpdates`; an older one still waiting is
    /// terminated with 409, as Telegram does when a second instance polls.
    pub poller: u64,
    /// `setWebhook`'s URL and secret token; empty: none.
    pub webhook: (String, Option<String>),
    /// Where webhook POSTs go instead of the URL's own address, in turn
    /// (the load balancer in front of several replicas); empty: the URL.
    pub targets: Vec<std::net::SocketAddr>,
    pub next_target: usize,
    /// Webhook POSTs under way.
    pub sending: usize,
}

impl Default for State {
    fn default() -> Self {
        State {
            // Real update ids are large; starting high catches i32/u32 mix-ups.
            next_update_id: 800_000_001,
            queue: BTreeMap::new(),
            history: HashMap::new(),
            allowed_updates: None,
            calls: Vec::new(),
            chats: HashMap::new(),
            queries: HashMap::new(),
            next_query: 1,
            failures: HashMap::new(),
            files: HashMap::new(),
            next_file: 1,
            commands: BTreeMap::new(),
            answers: Vec::new(),
            poller: 0,
            webhook: (String::new(), None),
            targets: Vec::new(),
            next_target: 0,
            sending: 0,
        }
    }
}

impl State {
    /// Makes the user known (a private chat with the bot exists) and keeps
    /// their latest name and language.
    pub fn register(&mut self, user: &FakeUser) -> &mut ChatState {
        let chat = self
            .chats
            .entry(user.chat_id())
            .or_insert_with(|| ChatState {
                user: user.clone(),
                next_message_id: 1,
                messages: Vec::new(),
                blocked: false,
            });
        chat.user = user.clone();
        chat
    }

    pub fn enqueue(&mut self, spec: UpdateSpec) -> Enqueued {
        match spec {
            UpdateSpec::Text { from, text } => {
                let date = unix_now();
                let chat = self.register(&from);
                let id = chat.next_id();
                let mut shown = Formatted::plain(&text);
                // Telegram marks a leading command (`/start`, `/pay@bot`) with a
                // bot_command entity.
                if text.starts_with('/') {
                    let word = text.split_whitespace().next().unwrap_or_default();
                    shown.entities.push(Entity {
                        kind: "bot_command",
                        offset: 0,
                        length: utf16_len(word),
                        url: None,
                    });
                }
                let message = StoredMessage {
                    id,
                    from_bot: false,
                    date,
                    edit_date: None,
                    raw: text,
                    parse_mode: None,
                    shown,
                    photo: None,
                    markup: None,
                    deleted: false,
                };
                let body = message.to_json(&from);
                chat.messages.push(message);
                let update_id = self.push_update("message", body, None);
                Enqueued {
                    update_id,
                    callback_query_id: None,
                }
            }
            UpdateSpec::Press {
                from,
                message_id,
                data,
            } => {
                let chat = self.register(&from);
                let message = match chat.visible(i64::from(message_id)) {
                    Some(m) => m.to_json(&from),
                    None => inaccessible_message_json(&from, message_id),
                };
                self.push_press(from, Some(message), data)
            }
            UpdateSpec::PressOn {
                from,
                message,
                data,
            } => {
                self.register(&from);
                self.push_press(from, message, data)
            }
        }
    }

    /// A callback query from `from` on `message` (an inline message when
    /// `None`), registered so that its answer is accepted once.
    fn push_press(&mut self, from: FakeUser, message: Option<Value>, data: String) -> Enqueued {
        let query_id = format!("{}{:06}", from.id, self.next_query);
        self.next_query += 1;
        self.queries.insert(
            query_id.clone(),
            Query {
                answered: false,
                delivered_at: None,
            },
        );
        let mut body = json!({
            "id": query_id,
            "from": user_json(&from),
            "chat_instance": format!("-{}", from.id.wrapping_mul(7919)),
            "data": data,
        });
        match message {
            Some(m) => body["message"] = m,
            None => body["inline_message_id"] = json!(format!("inline-{query_id}")),
        }
        let update_id = self.push_update("callback_query", body, Some(query_id.clone()));
        Enqueued {
            update_id,
            callback_query_id: Some(query_id),
        }
    }

    fn push_update(
        &mut self,
        kind: &'static str,
        body: Value,
        query_id: Option<String>,
    ) -> UpdateId {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let update = json!({ "update_id": id, kind: body });
        self.history
            .insert(id, (update.clone(), kind, query_id.clone()));
        self.queue.insert(id, Queued::new(update, kind, query_id));
        UpdateId(id)
    }

    /// The update with this id as it was delivered, if any ever was.
    pub fn update_json(&self, id: UpdateId) -> Option<Value> {
        self.history.get(&id.0).map(|(update, _, _)| update.clone())
    }

    pub fn redeliver(&mut self, id: UpdateId) -> bool {
        let Some((update, kind, query_id)) = self.history.get(&id.0).cloned() else {
            return false;
        };
        self.queue
            .entry(id.0)
            .or_insert_with(|| Queued::new(update, kind, query_id))
            .forced = true;
        true
    }

    /// The core of `getUpdates`: confirms what `offset` confirms, then returns
    /// up to `limit` updates, oldest first. Returned updates stay queued until
    /// a later offset confirms them, as on Telegram.
    pub fn take_updates(&mut self, offset: Option<i64>, limit: usize) -> Vec<Value> {
        match offset {
            Some(off) if off < 0 => {
                // A negative offset keeps only the last -offset updates.
                let keep = usize::try_from(off.unsigned_abs()).unwrap_or(usize::MAX);
                let drop = self.queue.len().saturating_sub(keep);
                let ids: Vec<u32> = self.queue.keys().take(drop).copied().collect();
                for id in ids {
                    self.queue.remove(&id);
                }
            }
            Some(off) => self.queue.retain(|id, q| i64::from(*id) >= off || q.forced),
            None => {}
        }
        if let Some(allowed) = &self.allowed_updates {
            // Telegram never creates updates of kinds the bot did not ask for.
            self.queue
                .retain(|_, q| allowed.iter().any(|a| a == q.kind));
        }
        let now = Instant::now();
        let mut out = Vec::new();
        for q in self.queue.values_mut().take(limit) {
            q.forced = false;
            if let Some(query) = q.query_id.as_ref().and_then(|id| self.queries.get_mut(id)) {
                query.delivered_at.get_or_insert(now);
            }
            out.push(q.update.clone());
        }
        out
    }

    pub fn take_failure(&mut self, method: &str) -> Option<FakeFailure> {
        let key = method.to_ascii_lowercase();
        let queue = self.failures.get_mut(&key)?;
        let failure = queue.pop_front();
        if queue.is_empty() {
            self.failures.remove(&key);
        }
        failure
    }
}
