//! Sends: `sendMessage`, `sendPhoto` and `sendChatAction`.

use serde_json::{Value, json};

use super::content::{Field, format, parse_mode, reply_markup};
use super::files::resolve_photo;
use super::{ApiErr, Params, chat_mut, target_chat};
use crate::fakegram::model::{StoredMessage, unix_now};
use crate::fakegram::state::{ChatState, State};
use crate::fakegram::{BotEvent, UploadedFile};

pub(super) fn send_message(
    st: &mut State,
    p: &Params,
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    let chat_id = target_chat(st, p)?;
    let raw = p.str("text").unwrap_or_default();
    let mode = parse_mode(p);
    let shown = format(&raw, mode.as_deref(), Field::Text)?;
    let markup = reply_markup(p, true)?;
    let chat = chat_mut(st, chat_id)?;
    let message = StoredMessage {
        id: chat.next_id(),
        from_bot: true,
        date: unix_now(),
        edit_date: None,
        raw,
        parse_mode: mode,
        shown,
        photo: None,
        markup,
        deleted: false,
    };
    Ok(push_message(chat, chat_id, message, events))
}

fn push_message(
    chat: &mut ChatState,
    chat_id: i64,
    message: StoredMessage,
    events: &mut Vec<BotEvent>,
) -> Value {
    let json = message.to_json(&chat.user);
    events.push(BotEvent::Sent {
        chat_id,
        message: message.to_bot_message(),
    });
    chat.messages.push(message);
    json
}

pub(super) fn send_photo(
    st: &mut State,
    p: &Params,
    files: &[UploadedFile],
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    let chat_id = target_chat(st, p)?;
    let photo = resolve_photo(st, p, files)?;
    let raw = p.str("caption").unwrap_or_default();
    let mode = parse_mode(p);
    let shown = format(&raw, mode.as_deref(), Field::Caption)?;
    let markup = reply_markup(p, true)?;
    st.files
        .entry(photo.file_id.clone())
        .or_insert_with(|| photo.clone());
    let chat = chat_mut(st, chat_id)?;
    let message = StoredMessage {
        id: chat.next_id(),
        from_bot: true,
        date: unix_now(),
        edit_date: None,
        raw,
        parse_mode: mode,
        shown,
        photo: Some(photo),
        markup,
        deleted: false,
    };
    Ok(push_message(chat, chat_id, message, events))
}

const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

pub(super) fn send_chat_action(
    st: &mut State,
    p: &Params,
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    let chat_id = target_chat(st, p)?;
    let action = p.str("action").unwrap_or_default();
    if !CHAT_ACTIONS.contains(&action.as_str()) {
        return Err(ApiErr::bad("wrong parameter action in request"));
    }
    events.push(BotEvent::ChatAction { chat_id, action });
    Ok(json!(true))
}
