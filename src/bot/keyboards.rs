//! Inline keyboards. Buttons say what they do in words; paging buttons
//! carry `‹` `›`.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{
    callbacks::{Action, CallbackData},
    state::Step,
};
use crate::i18n::{I18n, Lang};

pub fn button(text: impl Into<String>, data: CallbackData) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, data.encode())
}

pub fn step_button(text: impl Into<String>, step: Step, action: Action) -> InlineKeyboardButton {
    button(text, CallbackData::Dialogue(step, action))
}

/// The Back / Cancel row every dialogue screen ends with.
pub fn back_cancel(i18n: &I18n, lang: Lang, step: Step) -> Vec<InlineKeyboardButton> {
    vec![
        step_button(i18n.get(lang, "button.back"), step, Action::Back),
        step_button(i18n.get(lang, "button.cancel"), step, Action::Cancel),
    ]
}

/// `‹ Previous` / `Next ›` for page `page` of `pages`, empty when one page.
pub fn pager(
    i18n: &I18n,
    lang: Lang,
    page: usize,
    pages: usize,
    data: impl Fn(u16) -> CallbackData,
) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if page > 0 {
        row.push(button(
            i18n.get(lang, "button.prev"),
            data(clamp16(page - 1)),
        ));
    }
    if page + 1 < pages {
        row.push(button(
            i18n.get(lang, "button.next"),
            data(clamp16(page + 1)),
        ));
    }
    row
}

pub fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

pub fn markup(rows: Vec<Vec<InlineKeyboardButton>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.into_iter().filter(|r| !r.is_empty()))
}

pub fn pay_button(i18n: &I18n, lang: Lang) -> InlineKeyboardMarkup {
    markup(vec![vec![button(
        i18n.get(lang, "button.pay"),
        CallbackData::StartPayment,
    )]])
}

pub fn language_buttons() -> InlineKeyboardMarkup {
    markup(vec![vec![
        button("🇹🇷 Türkçe", CallbackData::SetLanguage(Lang::Tr)),
        button("🇬🇧 English", CallbackData::SetLanguage(Lang::En)),
    ]])
}
