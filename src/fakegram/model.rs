//! The JSON of the Telegram objects the fake hands out (users, chats, messages,
//! photo sizes), and the messages it keeps per chat to build them from.
//!
//! Shapes follow the Bot API closely enough for teloxide's `Message`, `User`,
//! `Chat`, `CallbackQuery` and `Update` to deserialize them; the tests check it.

use std::sync::Arc;

use serde_json::{Value, json};

use super::html::{Entity, Formatted};
use super::{BotMessage, Button, FakeUser};

/// The bot every `FakeTelegram` pretends to be.
pub(crate) const BOT_ID: u64 = 777_000_111;
pub(crate) const BOT_USERNAME: &str = "faturabot_test_bot";
pub(crate) const BOT_FIRST_NAME: &str = "faturabot";

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn user_json(u: &FakeUser) -> Value {
    let mut v = json!({ "id": u.id, "is_bot": false, "first_name": u.first_name });
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    if let Some(code) = &u.language_code {
        v["language_code"] = json!(code);
    }
    v
}

pub(crate) fn bot_user_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
    })
}

/// The answer to `getMe`: a `User` plus the bot-only flags teloxide's `Me` requires.
pub(crate) fn me_json() -> Value {
    let mut v = bot_user_json();
    v["can_join_groups"] = json!(true);
    v["can_read_all_group_messages"] = json!(false);
    v["supports_inline_queries"] = json!(false);
    v["can_connect_to_business"] = json!(false);
    v["has_main_web_app"] = json!(false);
    v
}

/// A private chat: its id is the user's id.
pub(crate) fn chat_json(u: &FakeUser) -> Value {
    let mut v = json!({ "id": u.id, "type": "private", "first_name": u.first_name });
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    v
}

pub(crate) fn entities_json(entities: &[Entity]) -> Value {
    Value::Array(
        entities
            .iter()
            .map(|e| {
                let mut v = json!({ "type": e.kind, "offset": e.offset, "length": e.length });
                if let Some(url) = &e.url {
                    v["url"] = json!(url);
                }
                v
            })
            .collect(),
    )
}

#[derive(Clone, Debug)]
pub(crate) struct StoredPhoto {
    pub file_id: String,
    pub file_unique_id: String,
    pub width: u32,
    pub height: u32,
    /// Known for uploads (and for file ids of uploads); not for URLs, which the
    /// fake does not fetch.
    pub bytes: Option<Arc<Vec<u8>>>,
    pub url: Option<String>,
}

impl StoredPhoto {
    fn sizes_json(&self) -> Value {
        let mut size = json!({
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
        });
        if let Some(bytes) = &self.bytes {
            size["file_size"] = json!(bytes.len());
        }
        json!([size])
    }
}

/// A message in a chat, as Telegram currently shows it.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    pub id: i32,
    pub from_bot: bool,
    pub date: i64,
    pub edit_date: Option<i64>,
    /// Text or caption exactly as sent (HTML source in HTML mode).
    pub raw: String,
    pub parse_mode: Option<String>,
    /// What the user sees: entities parsed out, white space trimmed.
    pub shown: Formatted,
    pub photo: Option<StoredPhoto>,
    /// The inline keyboard (`{"inline_keyboard": [...]}`), if any. Other
    /// keyboards are not part of a message.
    pub markup: Option<Value>,
    pub deleted: bool,
}

impl StoredMessage {
    /// The `Message` object. `chat_user` is the other side of the private chat.
    pub fn to_json(&self, chat_user: &FakeUser) -> Value {
        let from = if self.from_bot {
            bot_user_json()
        } else {
            user_json(chat_user)
        };
        let mut v = json!({
            "message_id": self.id,
            "from": from,
            "chat": chat_json(chat_user),
            "date": self.date,
        });
        if let Some(edit_date) = self.edit_date {
            v["edit_date"] = json!(edit_date);
        }
        match &self.photo {
            Some(photo) => {
                v["photo"] = photo.sizes_json();
                if !self.shown.text.is_empty() {
                    v["caption"] = json!(self.shown.text);
                    if !self.shown.entities.is_empty() {
                        v["caption_entities"] = entities_json(&self.shown.entities);
                    }
                }
            }
            None => {
                v["text"] = json!(self.shown.text);
                if !self.shown.entities.is_empty() {
                    v["entities"] = entities_json(&self.shown.entities);
                }
            }
        }
        if let Some(markup) = &self.markup {
            v["reply_markup"] = markup.clone();
        }
        v
    }

    pub fn to_bot_message(&self) -> BotMessage {
        BotMessage {
            message_id: self.id,
            text: self.raw.clone(),
            parse_mode: self.parse_mode.clone(),
            buttons: buttons_of(self.markup.as_ref()),
            photo: self.photo.as_ref().map(|p| {
                p.bytes
                    .as_ref()
                    .map(|b| b.as_ref().clone())
                    .unwrap_or_default()
            }),
            photo_url: self.photo.as_ref().and_then(|p| p.url.clone()),
            edited: self.edit_date.is_some(),
        }
    }
}

/// The message object of a message the bot can no longer see (deleted or
/// unknown), as `callback_query.message` carries it: `date` 0 marks it.
pub(crate) fn inaccessible_message_json(chat_user: &FakeUser, message_id: i32) -> Value {
    json!({ "chat": chat_json(chat_user), "message_id": message_id, "date": 0 })
}

pub(crate) fn buttons_of(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let rows = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    rows.iter()
        .map(|row| {
            row.as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|b| Button {
                    text: b
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    callback_data: b
                        .get("callback_data")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    url: b.get("url").and_then(Value::as_str).map(str::to_owned),
                })
                .collect()
        })
        .collect()
}

/// Width and height of a PNG, from its IHDR chunk.
pub(crate) fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.get(12..16) != Some(b"IHDR") {
        return None;
    }
    let w = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// Whether the bytes look like an image Telegram would accept as a photo.
pub(crate) fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF8")
        || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
        || bytes.starts_with(b"BM")
}
