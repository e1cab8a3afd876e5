//! What a message may carry, checked as Telegram checks it: the text or
//! caption in its parse mode, within length limits, and the inline keyboard.

use serde_json::{Value, json};

use super::{ApiErr, Params};
use crate::fakegram::html::{Formatted, parse_html};

pub(crate) const MAX_TEXT: usize = 4096;
pub(crate) const MAX_CAPTION: usize = 1024;
const MAX_CALLBACK_DATA: usize = 64;
const MAX_BUTTONS: usize = 100;
const TEXT_BUTTONS: &str = "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Text,
    EditedText,
    Caption,
}

/// Parses a text or caption in its parse mode and applies Telegram's limits.
pub(super) fn format(
    raw: &str,
    parse_mode: Option<&str>,
    field: Field,
) -> Result<Formatted, ApiErr> {
    let shown = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None => Formatted::plain(raw),
        Some("html") => {
            parse_html(raw).map_err(|e| ApiErr::bad(format!("can't parse entities: {e}")))?
        }
        // Not used by faturabot; counted raw, which can only overcount.
        Some("markdown" | "markdownv2") => Formatted::plain(raw),
        Some(_) => return Err(ApiErr::bad("unsupported parse_mode")),
    }
    .trimmed();
    let len = shown.len_utf16();
    match field {
        Field::Text | Field::EditedText if shown.text.is_empty() => {
            Err(ApiErr::bad("message text is empty"))
        }
        Field::Text if len > MAX_TEXT => Err(ApiErr::bad("message is too long")),
        // Telegram's wording differs for edits.
        Field::EditedText if len > MAX_TEXT => Err(ApiErr::bad("MESSAGE_TOO_LONG")),
        Field::Caption if len > MAX_CAPTION => Err(ApiErr::bad("message caption is too long")),
        _ => Ok(shown),
    }
}

pub(super) fn parse_mode(p: &Params) -> Option<String> {
    p.str("parse_mode").filter(|m| !m.trim().is_empty())
}

/// Buttons that do something; a button with none of these is refused.
const BUTTON_ACTIONS: &[&str] = &[
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

/// Validates `reply_markup` and returns the inline keyboard the message will
/// carry. Reply keyboards are accepted on sends but are not part of a message.
pub(super) fn reply_markup(
    p: &Params,
    allow_reply_keyboard: bool,
) -> Result<Option<Value>, ApiErr> {
    let Some(markup) = p.json("reply_markup")? else {
        return Ok(None);
    };
    let Some(obj) = markup.as_object() else {
        return Err(ApiErr::bad("can't parse reply keyboard markup JSON object"));
    };
    let Some(keyboard) = obj.get("inline_keyboard") else {
        let reply_kind = ["keyboard", "remove_keyboard", "force_reply"]
            .iter()
            .any(|k| obj.contains_key(*k));
        return match (reply_kind, allow_reply_keyboard) {
            (true, true) => Ok(None),
            (true, false) => Err(ApiErr::bad("inline keyboard expected")),
            (false, _) => Err(ApiErr::bad("can't parse reply keyboard markup JSON object")),
        };
    };
    let rows = keyboard.as_array().ok_or_else(|| {
        ApiErr::bad(
            "can't parse inline keyboard markup: field \"inline_keyboard\" must be an Array",
        )
    })?;
    let mut kept = Vec::new();
    let mut total = 0;
    for row in rows {
        let buttons = row.as_array().ok_or_else(|| {
            ApiErr::bad("can't parse inline keyboard markup: rows must be Arrays")
        })?;
        for button in buttons {
            check_button(button)?;
        }
        total += buttons.len();
        if !buttons.is_empty() {
            kept.push(row.clone());
        }
    }
    if total > MAX_BUTTONS {
        return Err(ApiErr::bad("reply markup is too long"));
    }
    // An empty keyboard is no keyboard.
    Ok((!kept.is_empty()).then(|| json!({ "inline_keyboard": kept })))
}

fn check_button(button: &Value) -> Result<(), ApiErr> {
    let text = button.get("text").and_then(Value::as_str).ok_or_else(|| {
        ApiErr::bad("can't parse inline keyboard button: Field \"text\" must be of type String")
    })?;
    if text.trim().is_empty() {
        return Err(ApiErr::bad("BUTTON_TEXT_INVALID"));
    }
    if let Some(data) = button.get("callback_data") {
        let data = data.as_str().ok_or_else(|| {
            ApiErr::bad(
                "can't parse inline keyboard button: Field \"callback_data\" must be of type String",
            )
        })?;
        // The limit is in bytes, not characters.
        if data.is_empty() || data.len() > MAX_CALLBACK_DATA {
            return Err(ApiErr::bad("BUTTON_DATA_INVALID"));
        }
    }
    if let Some(url) = button.get("url") {
        let ok = url
            .as_str()
            .and_then(|u| url::Url::parse(u).ok())
            .is_some_and(|u| matches!(u.scheme(), "http" | "https" | "tg"));
        if !ok {
            return Err(ApiErr::bad("BUTTON_URL_INVALID"));
        }
    }
    if !BUTTON_ACTIONS.iter().any(|k| button.get(*k).is_some()) {
        return Err(ApiErr::exact(400, TEXT_BUTTONS));
    }
    Ok(())
}
