//! What a test reads back: the recorded calls, the bot's messages as shown,
//! callback answers and the stream of events.

use std::time::Instant;

use serde_json::Value;

use super::html_to_plain;

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
    /// Position in [`FakeTelegram::calls`](super::FakeTelegram::calls).
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

/// Something the bot did that a user would see, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotEvent {
    Sent { chat_id: i64, message: BotMessage },
    Edited { chat_id: i64, message: BotMessage },
    Deleted { chat_id: i64, message_id: i32 },
    CallbackAnswered(CallbackAnswer),
    ChatAction { chat_id: i64, action: String },
}
