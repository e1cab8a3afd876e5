//! The PIN keypad, as a customer uses it: digit buttons pressed one by
//! one, each press waited for (its dot) before the next.

use faturabot::{
    bot::{callbacks::Action, pin::PinMode},
    fakegram::{BotMessage, FakeUser},
};

use super::{Harness, action_data};

/// The PIN the tests choose: not trivial, not the end of a customer number.
pub const PIN: &str = "482915";

impl Harness {
    /// The keypad message as it is shown now.
    fn shown(&self, user: &FakeUser, message_id: i32) -> BotMessage {
        self.tg
            .chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == message_id)
            .unwrap_or_else(|| panic!("keypad #{message_id} is gone"))
    }

    /// Presses the digit button `digit` of the keypad as shown now.
    pub fn press_digit(&self, user: &FakeUser, keypad: &BotMessage, digit: char) {
        let now = self.shown(user, keypad.message_id);
        let data = now
            .all_buttons()
            .find(|b| b.text == digit.to_string())
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("no key {digit} in {:?}", now.buttons));
        self.tg.press(user, keypad.message_id, &data);
    }

    /// Types `digits` on `keypad`; after each digit but the last, waits
    /// until the keypad shows one dot more.
    pub async fn type_pin(&self, user: &FakeUser, keypad: &BotMessage, digits: &str) {
        let n = digits.chars().count();
        for (i, d) in digits.chars().enumerate() {
            self.press_digit(user, keypad, d);
            if i + 1 < n {
                let dots = format!("{}{}", "●".repeat(i + 1), "○".repeat(6 - i - 1));
                self.tg
                    .wait_for_message(
                        user.chat_id(),
                        |m| m.message_id == keypad.message_id && m.plain().contains(&dots),
                        self.wait,
                    )
                    .await
                    .unwrap_or_else(|| panic!("keypad shows {dots}: {:?}", self.transcript(user)));
            }
        }
    }

    /// On a keypad asking for a new PIN: `digits`, then `digits` again;
    /// returns the message saying it is set.
    pub async fn choose_pin(
        &self,
        user: &FakeUser,
        keypad: &BotMessage,
        digits: &str,
    ) -> BotMessage {
        self.type_pin(user, keypad, digits).await;
        let repeat = self.expect_key(user, "pin.repeat").await;
        self.type_pin(user, &repeat, digits).await;
        self.expect_key(user, "pin.chosen").await
    }

    /// With the PIN on, a customer just linked chooses [`PIN`] (`/pin`), as
    /// the first payment would ask; nothing with it off.
    pub async fn choose_first_pin(&self, user: &FakeUser) {
        if self.pin != PinMode::Required {
            return;
        }
        let keypad = self.say_key(user, "/pin", "pin.choose").await;
        self.choose_pin(user, &keypad, PIN).await;
    }

    /// Confirmation `message_id` once it has become the payment's keypad.
    async fn keypad_of(&self, user: &FakeUser, message_id: i32) -> BotMessage {
        let pieces = super::Key::from("pin.enter").pieces(user);
        self.tg
            .wait_for_message(
                user.chat_id(),
                |m| {
                    m.message_id == message_id
                        && pieces.iter().all(|p| m.plain().contains(p.as_str()))
                },
                self.wait,
            )
            .await
            .unwrap_or_else(|| panic!("no keypad: {:#?}", self.transcript(user)))
    }

    /// With the PIN on: waits for confirmation `message_id` to become the
    /// keypad and types [`PIN`]; nothing with it off.
    pub async fn type_pin_if_asked(&self, user: &FakeUser, message_id: i32) {
        if self.pin != PinMode::Required {
            return;
        }
        let keypad = self.keypad_of(user, message_id).await;
        self.type_pin(user, &keypad, PIN).await;
    }

    /// The keypad of confirmation `message_id`, once shown, with [`PIN`]
    /// typed but its last digit.
    pub async fn type_pin_if_asked_but_the_last(&self, user: &FakeUser, message_id: i32) {
        let keypad = self.keypad_of(user, message_id).await;
        self.type_pin(user, &keypad, &PIN[..5]).await;
        self.tg
            .wait_for_message(
                user.chat_id(),
                |m| m.message_id == message_id && m.plain().contains("●●●●●○"),
                self.wait,
            )
            .await
            .unwrap_or_else(|| panic!("five dots: {:#?}", self.transcript(user)));
    }

    /// The data of the key of [`PIN`]'s last digit on keypad `message_id`.
    pub fn last_digit_data(&self, user: &FakeUser, message_id: i32) -> String {
        let last = PIN.chars().last().unwrap_or('5').to_string();
        self.shown(user, message_id)
            .all_buttons()
            .find(|b| b.text == last)
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("no key {last}"))
    }

    /// `/pay` for a customer without a PIN: chooses [`PIN`] first; returns
    /// the groups the dialogue then opens with.
    pub async fn choose_pin_at_first_payment(&self, user: &FakeUser) -> BotMessage {
        let keypad = self.say_key(user, "/pay", "pin.choose").await;
        self.choose_pin(user, &keypad, PIN).await;
        self.expect_key(user, "pay.choose_group").await
    }

    /// Presses pay on `confirm`, then types `digits` on the keypad; returns
    /// the first message showing `key` after it.
    pub async fn pay_with_pin<'a>(
        &self,
        user: &FakeUser,
        confirm: &BotMessage,
        digits: &str,
        key: impl Into<super::Key<'a>>,
    ) -> BotMessage {
        let keypad = self
            .press_action(user, confirm, Action::Confirm, "pin.enter")
            .await;
        self.type_pin(user, &keypad, digits).await;
        self.expect_key(user, key).await
    }
}

/// The confirm button's data of a confirmation screen.
pub fn confirm_data(confirm: &BotMessage) -> String {
    action_data(confirm, Action::Confirm)
}
