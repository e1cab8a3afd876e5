//! What a test hands the fake: the users who talk to the bot, the updates
//! they cause, and failures to inject.

use serde_json::Value;
use teloxide::types::UpdateId;

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

/// One update for [`FakeTelegram::enqueue_batch`](super::FakeTelegram::enqueue_batch).
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

/// What [`FakeTelegram::enqueue_batch`](super::FakeTelegram::enqueue_batch) enqueued, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enqueued {
    pub update_id: UpdateId,
    /// Set for presses.
    pub callback_query_id: Option<String>,
}

/// A failure to inject with [`FakeTelegram::fail_next`](super::FakeTelegram::fail_next).
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
