//! Screens: pure functions from texts, language and what to show to the
//! HTML and the buttons. No Telegram calls, no storage: handlers fetch,
//! call these, and send what they return.
//!
//! - [`bills`]: saved bills (`/bills`, a bill's menu) and reminders.
//! - [`dialogue`]: the payment dialogue's steps.
//! - [`payment`]: a payment's status, its receipt, the bank's errors.
//! - [`lists`]: `/history` and the agents' `/payments`.
//! - [`staff`]: cancellation, settlement, invite and PIN-reset texts.
//! - [`pin`]: the PIN keypad.
//! - [`unlink`]: `/unlink`'s choice and confirmation.

pub mod bills;
pub mod dialogue;
pub mod lists;
pub mod payment;
pub mod pin;
pub mod staff;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bills;
pub mod unlink;

use teloxide::types::InlineKeyboardMarkup;

use crate::{
    i18n::{I18n, Lang},
    money::Amount,
    text,
};

/// Telegram's limits.
pub const MAX_TEXT_CHARS: usize = 4096;
pub const MAX_CAPTION_CHARS: usize = 1024;

/// The texts in one language.
#[derive(Clone, Copy)]
pub struct Texts<'a> {
    pub i18n: &'a I18n,
    pub lang: Lang,
}

impl<'a> Texts<'a> {
    pub fn new(i18n: &'a I18n, lang: Lang) -> Self {
        Texts { i18n, lang }
    }

    pub fn t(&self, key: &'a str) -> &'a str {
        self.i18n.get(self.lang, key)
    }

    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.i18n.fmt(self.lang, key, args)
    }

    pub fn money(&self, amount: Amount, currency: &str) -> String {
        self.i18n.money(self.lang, amount, currency)
    }
}

/// What one message shows: HTML within Telegram's limit, and its buttons.
#[derive(Clone, Debug, PartialEq)]
pub struct Screen {
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

impl Screen {
    pub fn new(html: impl Into<String>, keyboard: Option<InlineKeyboardMarkup>) -> Screen {
        Screen {
            html: text::truncate_html(&html.into(), MAX_TEXT_CHARS),
            keyboard,
        }
    }

    pub fn text(html: impl Into<String>) -> Screen {
        Screen::new(html, None)
    }
}

/// `banner` above `text`, when there is one.
pub fn with_banner(banner: Option<&str>, text: &str) -> String {
    match banner {
        Some(b) => format!("{b}\n\n{text}"),
        None => text.to_owned(),
    }
}
