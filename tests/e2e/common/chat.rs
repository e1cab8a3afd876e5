//! Talking to the bot as a user: send, press, wait for what it shows.

use faturabot::{
    bot::{
        callbacks::{Action, CallbackData},
        pin::PinMode,
    },
    fakegram::{BotMessage, Button, FakeUser},
};

use super::{Harness, Key, PIN, words};

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
        let key = key.into();
        let before = self.last_id(user);
        self.tg
            .press(user, msg.message_id, &action_data(msg, action));
        if action == Action::Confirm && self.pin == PinMode::Required && key.name() != "pin.enter" {
            return self.through_keypad(user, msg.message_id, before, key).await;
        }
        self.expect_key(user, key).await
    }

    /// After a confirm press with the PIN on: the keypad (the PIN typed)
    /// and then `key`, or `key` at once when no keypad comes (a press the
    /// bot did not take as a payment's).
    async fn through_keypad(
        &self,
        user: &FakeUser,
        confirm: i32,
        before: i32,
        key: Key<'_>,
    ) -> BotMessage {
        let keypad = Key::from("pin.enter").pieces(user);
        let wanted = key.pieces(user);
        let shows = |m: &BotMessage, pieces: &[String]| {
            let t = m.plain();
            pieces.iter().all(|p| t.contains(p.as_str()))
        };
        let found = self
            .tg
            .wait_until(self.wait, || {
                let chat = self.tg.chat(user.chat_id());
                if let Some(k) = chat
                    .iter()
                    .find(|m| m.message_id == confirm && shows(m, &keypad))
                {
                    return Some((true, k.clone()));
                }
                chat.iter()
                    .rev()
                    .find(|m| {
                        (m.message_id > before || m.message_id == confirm) && shows(m, &wanted)
                    })
                    .map(|m| (false, m.clone()))
            })
            .await;
        match found {
            Some((true, keypad)) => {
                self.type_pin(user, &keypad, PIN).await;
                self.expect_key(user, key).await
            }
            Some((false, shown)) => shown,
            None => panic!(
                "neither the keypad nor {} after the confirm press; chat: {:#?}",
                key.name(),
                self.transcript(user)
            ),
        }
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
