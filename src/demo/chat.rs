//! The terminal side of the conversation: typed lines become messages or
//! button presses; bot events are shown.

use std::collections::BTreeMap;

use tokio::{
    io::{AsyncWrite, AsyncWriteExt as _},
    sync::broadcast::{self, error::RecvError},
};

use super::remind::{Ended, Remind};
use super::world::{DataDir, reminder_time};
use super::{DEMO_PIN, MAX_LINE, demo_account, render};
use crate::{
    fakegram::{BotEvent, BotMessage, FakeTelegram, FakeUser},
    sandbox::MAGIC_NUMBERS,
};

/// The terminal side of the conversation.
pub(super) struct Chat<W> {
    out: W,
    /// False once the output is gone: nothing more can be shown.
    pub(super) open: bool,
    echo: bool,
    tg: FakeTelegram,
    user: FakeUser,
    pub(super) events: broadcast::Receiver<BotEvent>,
    /// False once the stand-in for Telegram is gone.
    pub(super) events_open: bool,
    /// The bot's messages as last shown, by id.
    shown: BTreeMap<i32, BotMessage>,
    /// The message whose buttons a number presses.
    current: Option<i32>,
    /// `/remindnow`, and the run it waits for.
    pub(super) remind: Remind,
}

impl<W: AsyncWrite + Unpin + Send> Chat<W> {
    pub(super) fn new(
        out: W,
        echo: bool,
        tg: FakeTelegram,
        user: FakeUser,
        events: broadcast::Receiver<BotEvent>,
        remind: Remind,
    ) -> Self {
        Chat {
            out,
            open: true,
            echo,
            tg,
            user,
            events,
            events_open: true,
            shown: BTreeMap::new(),
            current: None,
            remind,
        }
    }

    async fn write(&mut self, text: &str) {
        if !self.open {
            return;
        }
        let ok = async {
            self.out.write_all(text.as_bytes()).await?;
            self.out.flush().await
        }
        .await;
        if ok.is_err() {
            self.open = false;
        }
    }

    pub(super) async fn note(&mut self, line: &str) {
        self.write(&format!("{line}\n")).await;
    }

    pub(super) async fn intro(&mut self, data: &DataDir) {
        let account = demo_account().masked();
        let mut t = String::new();
        t.push_str(
            "faturabot demo: the real bot, a simulated bank and a stand-in for Telegram, \
             all on this machine.\n",
        );
        t.push_str(&format!(
            "You are \"{}\" (Telegram user {}), a customer whose account {account} is \
             already linked, and also bank staff.\n\n",
            self.user.first_name, self.user.id
        ));
        t.push_str("Type a message and press Enter to send it to the bot:\n");
        t.push_str(
            "  /pay        pay a bill (e.g. SU, type \"iski\", İSKİ İSTANBUL, subscriber 1000001)\n",
        );
        t.push_str(&format!(
            "  (your payment PIN is {DEMO_PIN}: at the keypad, press its digits' buttons one by one)\n"
        ));
        t.push_str(
            "  /bills      your saved bills (after a payment, press \"⭐ Save this bill\")\n",
        );
        t.push_str(&format!(
            "  /remindnow  (demo only, not sent to the bot) the daily reminder run ({} Istanbul time \
             in faturabot run) now:\n              a saved bill with no open invoice gets a new one first\n",
            reminder_time().format("%H:%M")
        ));
        t.push_str("  /history  /receipt  /pin  /language  /help  /cancel\n");
        t.push_str("  /invite 3488017 9142 357   /payments   /cancelpayment <id>   (staff)\n");
        t.push_str("  3           press button [3] of the buttons shown last\n");
        t.push_str("  \\3          send \"3\" as text instead\n");
        t.push_str("  /quit       leave (end of input, Ctrl-D, does too)\n\n");
        t.push_str("Subscriber numbers the simulated bank knows (any institution):\n");
        for (number, meaning) in MAGIC_NUMBERS {
            t.push_str(&format!("  {number}  {meaning}\n"));
        }
        if data.temporary {
            t.push_str("\nData: a temporary folder, removed at exit.\n");
        } else {
            t.push_str(&format!(
                "\nData: {} (FATURABOT_DATA_DIR, kept).\n",
                data.path.display()
            ));
        }
        t.push_str(&format!(
            "\n(Opening the invite link for account {account}: /start <token>)\n\n"
        ));
        self.write(&t).await;
    }

    /// A line typed by the person. False when the chat should end.
    pub(super) async fn typed(&mut self, raw: &str) -> bool {
        let line = raw.trim_end_matches(['\n', '\r']);
        let line = cut(line, MAX_LINE);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return true;
        }
        if trimmed.eq_ignore_ascii_case("/quit") || trimmed.eq_ignore_ascii_case("/exit") {
            return false;
        }
        if trimmed.eq_ignore_ascii_case("/remindnow") {
            if self.echo {
                self.note(&format!("you › {trimmed}")).await;
            }
            for line in self.remind.start().await {
                self.note(&line).await;
            }
            return true;
        }
        if let Some(text) = trimmed.strip_prefix('\\') {
            if text.trim().is_empty() {
                self.note("(nothing to send)").await;
            } else {
                self.send(text).await;
            }
            return true;
        }
        if trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let n: Option<usize> = trimmed.parse().ok();
            if let Some(n) = n
                && self.press(n).await
            {
                return true;
            }
            if trimmed.len() <= 2 {
                let how = match self.current_buttons() {
                    0 => "no buttons to press now".to_owned(),
                    count => format!("the buttons are numbered 1 to {count}"),
                };
                self.note(&format!(
                    "(there is no button {trimmed}: {how}; to send {trimmed} as text, type \\{trimmed})"
                ))
                .await;
                return true;
            }
        }
        self.send(trimmed).await;
        true
    }

    async fn send(&mut self, text: &str) {
        if self.echo {
            self.note(&format!("you › {text}")).await;
        }
        self.tg.send_text(&self.user, text);
    }

    fn current_buttons(&self) -> usize {
        self.current
            .and_then(|id| self.shown.get(&id))
            .map_or(0, |m| m.all_buttons().count())
    }

    /// Presses button `n` (from 1) of the current message, if there is one.
    async fn press(&mut self, n: usize) -> bool {
        let Some(message) = self.current.and_then(|id| self.shown.get(&id)) else {
            return false;
        };
        let Some(button) = n.checked_sub(1).and_then(|i| message.all_buttons().nth(i)) else {
            return false;
        };
        let (message_id, button) = (message.message_id, button.clone());
        match (&button.callback_data, &button.url) {
            (Some(data), _) => {
                self.note(&format!("you pressed [{n}] {}", button.text))
                    .await;
                self.tg.press(&self.user, message_id, data);
            }
            (None, Some(url)) => {
                self.note(&format!(
                    "([{n}] {} opens {url}, outside this demo)",
                    button.text
                ))
                .await;
            }
            (None, None) => {
                self.note(&format!("([{n}] {} does nothing here)", button.text))
                    .await;
            }
        }
        true
    }

    pub(super) async fn event(&mut self, event: Result<BotEvent, RecvError>) {
        let event = match event {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                self.note(&format!("({n} bot events were missed)")).await;
                return;
            }
            Err(RecvError::Closed) => {
                // The stand-in for Telegram is gone: nothing more will come.
                self.events_open = false;
                return;
            }
        };
        let me = self.user.chat_id();
        match event {
            BotEvent::Sent { chat_id, message } if chat_id == me => {
                self.show(message, false).await;
            }
            BotEvent::Edited { chat_id, message } if chat_id == me => {
                self.show(message, true).await;
            }
            BotEvent::Deleted {
                chat_id,
                message_id,
            } if chat_id == me => {
                self.shown.remove(&message_id);
                if self.current == Some(message_id) {
                    self.current = None;
                }
                self.note("bot deleted a message").await;
            }
            BotEvent::CallbackAnswered(answer) => {
                if let Some(text) = answer.text.filter(|t| !t.trim().is_empty()) {
                    let kind = if answer.show_alert { "alert" } else { "notice" };
                    self.note(&format!("bot ({kind}) › {text}")).await;
                }
            }
            BotEvent::ChatAction { chat_id, action } if chat_id == me => {
                let what = match action.as_str() {
                    "typing" => "typing",
                    "upload_photo" => "sending a photo",
                    other => other,
                };
                self.note(&format!("(bot is {what}…)")).await;
            }
            // Other chats (e.g. a notice to another user): not this person's.
            _ => {}
        }
    }

    /// The run `/remindnow` asked for ended (or is late).
    pub(super) async fn run_ended(&mut self, ended: Ended) {
        let report = self.remind.report(ended);
        self.note(&report).await;
    }

    async fn show(&mut self, message: BotMessage, edited: bool) {
        // An earlier screen only lost its buttons (a newer one replaced it):
        // nothing new to read, so nothing is printed.
        if edited
            && message.buttons.is_empty()
            && self
                .shown
                .get(&message.message_id)
                .is_some_and(|old| old.text == message.text)
        {
            if self.current == Some(message.message_id) {
                self.current = None;
            }
            self.shown.insert(message.message_id, message);
            return;
        }
        let t = render::message(&message, edited);

        let id = message.message_id;
        let has_buttons = !message.buttons.is_empty();
        self.shown.insert(id, message);
        if has_buttons {
            self.current = Some(id);
        } else if self.current == Some(id) {
            // Its buttons are gone: numbers press nothing until new ones show.
            self.current = None;
        }
        self.write(&t).await;
    }
}

/// At most `max` bytes of `s`, cut on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("İSKİ", 2), "İ");
        assert_eq!(cut("İSKİ", 1), "");
        assert_eq!(cut("abc", 10), "abc");
    }
}
