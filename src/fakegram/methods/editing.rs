//! Changing what a chat shows: `editMessageText`, `editMessageCaption`,
//! `editMessageReplyMarkup` and `deleteMessage`.

use serde_json::{Value, json};

use super::content::{Field, format, parse_mode, reply_markup};
use super::{ApiErr, Params, chat_mut};
use crate::fakegram::BotEvent;
use crate::fakegram::model::unix_now;
use crate::fakegram::state::State;

const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply \
     markup are exactly the same as a current content and reply markup of the message";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Edit {
    Text,
    Caption,
    Markup,
}

pub(super) fn edit(
    st: &mut State,
    p: &Params,
    what: Edit,
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    if p.has("inline_message_id") {
        // Inline mode is not simulated: there are no inline messages.
        return Err(ApiErr::bad("MESSAGE_ID_INVALID"));
    }
    let raw_chat = p
        .str("chat_id")
        .ok_or_else(|| ApiErr::bad("chat_id is empty"))?;
    let chat_id = raw_chat
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiErr::bad("chat not found"))?;
    let message_id = p
        .int("message_id")?
        .ok_or_else(|| ApiErr::bad("message identifier is not specified"))?;
    let mode = parse_mode(p);
    // Validate the new content before looking at the message, as Telegram does.
    let (raw, shown) = match what {
        Edit::Text => {
            let raw = p.str("text").unwrap_or_default();
            let shown = format(&raw, mode.as_deref(), Field::EditedText)?;
            (Some(raw), Some(shown))
        }
        Edit::Caption => {
            let raw = p.str("caption").unwrap_or_default();
            let shown = format(&raw, mode.as_deref(), Field::Caption)?;
            (Some(raw), Some(shown))
        }
        Edit::Markup => (None, None),
    };
    // Leaving reply_markup out of an edit removes the keyboard, as on Telegram.
    let markup = reply_markup(p, false)?;

    let chat = chat_mut(st, chat_id)?;
    let user = chat.user.clone();
    let message = chat
        .visible_mut(message_id)
        .ok_or_else(|| ApiErr::bad("message to edit not found"))?;
    if !message.from_bot {
        return Err(ApiErr::bad("message can't be edited"));
    }
    match (what, message.photo.is_some()) {
        (Edit::Text, true) => return Err(ApiErr::bad("there is no text in the message to edit")),
        (Edit::Caption, false) => {
            return Err(ApiErr::bad("there is no caption in the message to edit"));
        }
        _ => {}
    }
    let same_content = shown.as_ref().is_none_or(|s| *s == message.shown);
    if same_content && markup == message.markup {
        return Err(ApiErr::exact(400, NOT_MODIFIED));
    }
    if let (Some(raw), Some(shown)) = (raw, shown) {
        message.raw = raw;
        message.parse_mode = mode;
        message.shown = shown;
    }
    message.markup = markup;
    message.edit_date = Some(unix_now());
    events.push(BotEvent::Edited {
        chat_id,
        message: message.to_bot_message(),
    });
    Ok(message.to_json(&user))
}

pub(super) fn delete_message(
    st: &mut State,
    p: &Params,
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    let raw_chat = p
        .str("chat_id")
        .ok_or_else(|| ApiErr::bad("chat_id is empty"))?;
    let chat_id = raw_chat
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiErr::bad("chat not found"))?;
    let message_id = p
        .int("message_id")?
        .ok_or_else(|| ApiErr::bad("message identifier is not specified"))?;
    let chat = chat_mut(st, chat_id)?;
    let message = chat
        .visible_mut(message_id)
        .ok_or_else(|| ApiErr::bad("message to delete not found"))?;
    message.deleted = true;
    let message_id = message.id;
    events.push(BotEvent::Deleted {
        chat_id,
        message_id,
    });
    Ok(json!(true))
}
