//! Talking to the bot as a user: send, press, wait for what it shows.

use faturabot::{
    bot::callbacks::{Action, CallbackData},
    fakegram::{BotMessage, Button, FakeUser},
};

use super::{Harness, Key, words};

impl Harness {
    /// Sends `text` as `user` and waits for a new bot message containing
    /// `want` (a link, or "" for any).
    pub async fn say(&self, user: &FakeUser, text: &str, want: &str) -> BotMessage {
        let before = self.last_id(user);
        self.tg.send_text(user, text);
        self.wait_for(user, before, &format!("{want:?}"), |t| t.contains(want))
            .await
    }

    /// Sends `text` and waits for a new message showing `key`.
    pub async fn say_key<'a>(
        &self,
        user: &FakeUser,
        text: &str,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let before = self.last_id(user);
        self.tg.send_text(user, text);
        self.wait_shown(user, before, key.into()).await
    }

    /// Presses the button whose text contains `button` (a name from the
    /// bank, an amount) and waits for a message (new or edited) showing
    /// `key`.
    pub async fn press_key<'a>(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        button: &str,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let data = msg
            .button(button)
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("no button {button:?} in {:?}", msg.buttons));
        self.tg.press(user, msg.message_id, &data);
        self.expect_key(user, key).await
    }

    /// Presses the dialogue button of `msg` that does `action`, and waits
    /// for `key`.
    pub async fn press_action<'a>(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        action: Action,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        self.tg
            .press(user, msg.message_id, &action_data(msg, action));
        self.expect_key(user, key).await
    }

    /// Presses the button of `msg` that carries `data` (outside a
    /// dialogue: a receipt, a page, a language), and waits for `key`.
    pub async fn press_data<'a>(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        data: CallbackData,
        key: impl Into<Key<'a>>,
    ) -> BotMessage {
        let found = msg
            .all_buttons()
            .filter_map(|b| b.callback_data.clone())
            .find(|d| CallbackData::decode(d) == Some(data))
            .unwrap_or_else(|| panic!("no {data:?} button in {:?}", msg.buttons));
        self.tg.press(user, msg.message_id, &found);
        self.expect_key(user, key).await
    }

    /// Waits for a message in the user's chat showing `key`.
    pub async fn expect_key<'a>(&self, user: &FakeUser, key: impl Into<Key<'a>>) -> BotMessage {
        self.wait_shown(user, i32::MIN, key.into()).await
    }

    async fn wait_shown(&self, user: &FakeUser, after: i32, key: Key<'_>) -> BotMessage {
        let pieces = key.pieces(user);
        let what = format!("{} {pieces:?}", key.name());
        self.wait_for(user, after, &what, |t| {
            pieces.iter().all(|p| t.contains(p.as_str()))
        })
        .await
    }

    async fn wait_for(
        &self,
        user: &FakeUser,
        after: i32,
        what: &str,
        shows: impl Fn(&str) -> bool,
    ) -> BotMessage {
        self.tg
            .wait_for_message(
                user.chat_id(),
                |m| m.message_id > after && shows(&m.plain()),
                self.wait,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no message with {what} after #{after}; chat: {:#?}",
                    self.transcript(user)
                )
            })
    }

    /// The id of the newest bot message in the user's chat (0 when none).
    pub fn last_id(&self, user: &FakeUser) -> i32 {
        self.tg
            .chat(user.chat_id())
            .iter()
            .map(|m| m.message_id)
            .max()
            .unwrap_or(0)
    }

    pub fn transcript(&self, user: &FakeUser) -> Vec<String> {
        self.tg
            .chat(user.chat_id())
            .iter()
            .map(|m| {
                let buttons: Vec<String> = m.all_buttons().map(|b| b.text.clone()).collect();
                format!("#{} {} {:?}", m.message_id, m.plain(), buttons)
            })
            .collect()
    }
}

/// The callback data of the dialogue button of `msg` that does `action`.
pub fn action_data(msg: &BotMessage, action: Action) -> String {
    msg.all_buttons()
        .filter_map(|b| b.callback_data.clone())
        .find(|d| {
            matches!(CallbackData::decode(d), Some(CallbackData::Dialogue(_, a)) if a == action)
        })
        .unwrap_or_else(|| panic!("no {action:?} button in {:?}", msg.buttons))
}

/// The button of `msg` labelled with locale text `key`, exactly.
pub fn labelled<'m, 'a>(
    msg: &'m BotMessage,
    user: &FakeUser,
    key: impl Into<Key<'a>>,
) -> Option<&'m Button> {
    let label = words(user, key);
    msg.all_buttons().find(|b| b.text == label)
}
