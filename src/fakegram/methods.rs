//! The Bot API methods the fake implements, applied to its state, with the
//! checks real Telegram makes (button data size, text length, HTML entities,
//! "message is not modified", unknown messages and queries). Error
//! descriptions are Telegram's own wording, so teloxide maps them to the same
//! `ApiError` variants it would in production.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::html::{Formatted, parse_html, utf16_len};
use super::model::{StoredMessage, StoredPhoto, looks_like_image, me_json, png_size, unix_now};
use super::state::{ChatState, State};
use super::{BotEvent, CallbackAnswer, FakeFailure, UploadedFile};

pub(crate) const MAX_TEXT: usize = 4096;
pub(crate) const MAX_CAPTION: usize = 1024;
const MAX_CALLBACK_DATA: usize = 64;
const MAX_BUTTONS: usize = 100;
const MAX_ANSWER_TEXT: usize = 200;
/// After this, Telegram refuses to accept an answer to a callback query.
const QUERY_ANSWER_WINDOW: Duration = Duration::from_secs(15);

const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply \
     markup are exactly the same as a current content and reply markup of the message";
const INVALID_QUERY: &str =
    "Bad Request: query is too old and response timeout expired or query id is invalid";
const TEXT_BUTTONS: &str = "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard";

/// A Telegram error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiErr {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
}

impl ApiErr {
    pub fn bad(msg: impl std::fmt::Display) -> Self {
        ApiErr {
            code: 400,
            description: format!("Bad Request: {msg}"),
            retry_after: None,
        }
    }

    fn exact(code: u16, description: &str) -> Self {
        ApiErr {
            code,
            description: description.to_owned(),
            retry_after: None,
        }
    }

    /// What an older `getUpdates` gets when a newer one starts.
    pub fn conflict() -> Self {
        ApiErr::exact(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot \
             instance is running",
        )
    }

    pub fn not_found() -> Self {
        ApiErr::exact(404, "Not Found")
    }

    pub fn json(&self) -> Value {
        let mut v =
            json!({ "ok": false, "error_code": self.code, "description": self.description });
        if let Some(secs) = self.retry_after {
            v["parameters"] = json!({ "retry_after": secs });
        }
        v
    }
}

impl From<FakeFailure> for ApiErr {
    fn from(f: FakeFailure) -> Self {
        match f {
            FakeFailure::TooManyRequests { retry_after } => ApiErr {
                code: 429,
                description: format!("Too Many Requests: retry after {retry_after}"),
                retry_after: Some(retry_after),
            },
            FakeFailure::BadRequest(msg) => match msg.strip_prefix("Bad Request: ") {
                Some(_) => ApiErr::exact(400, &msg),
                None => ApiErr::bad(msg),
            },
            FakeFailure::Forbidden(msg) => match msg.strip_prefix("Forbidden: ") {
                Some(_) => ApiErr::exact(403, &msg),
                None => ApiErr::exact(403, &format!("Forbidden: {msg}")),
            },
        }
    }
}

/// Request parameters, read as leniently as Telegram reads them (numbers may
/// come as strings, JSON objects as JSON-encoded strings).
pub(crate) struct Params<'a>(pub &'a Map<String, Value>);

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiErr> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let n = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.map(Some)
            .ok_or_else(|| ApiErr::bad(format!("invalid {key} specified")))
    }

    pub fn flag(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
            _ => false,
        }
    }

    pub fn json(&self, key: &str) -> Result<Option<Value>, ApiErr> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiErr::bad(format!("can't parse {key} JSON object"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }
}

/// Runs one method (anything but `getUpdates`). Unknown methods succeed with
/// `true`, so a bot using something the fake does not model still runs.
pub(crate) fn call(
    st: &mut State,
    method: &str,
    p: &Params,
    files: &[UploadedFile],
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    match method.to_ascii_lowercase().as_str() {
        "getme" => Ok(me_json()),
        "getwebhookinfo" => Ok(json!({
            "url": "",
            "has_custom_certificate": false,
            "pending_update_count": st.queue.len(),
        })),
        "deletewebhook" => {
            if p.flag("drop_pending_updates") {
                st.queue.clear();
            }
            Ok(json!(true))
        }
        "setmycommands" => set_my_commands(st, p),
        "getmycommands" => {
            let key = commands_key(p)?;
            Ok(st.commands.get(&key).cloned().unwrap_or_else(|| json!([])))
        }
        "deletemycommands" => {
            let key = commands_key(p)?;
            st.commands.remove(&key);
            Ok(json!(true))
        }
        "sendmessage" => send_message(st, p, events),
        "sendphoto" => send_photo(st, p, files, events),
        "editmessagetext" => edit(st, p, Edit::Text, events),
        "editmessagecaption" => edit(st, p, Edit::Caption, events),
        "editmessagereplymarkup" => edit(st, p, Edit::Markup, events),
        "deletemessage" => delete_message(st, p, events),
        "answercallbackquery" => answer_callback_query(st, p, events),
        "sendchataction" => send_chat_action(st, p, events),
        _ => Ok(json!(true)),
    }
}

/// The chat a send goes to; it must be a user who has talked to the bot.
fn target_chat(st: &State, p: &Params) -> Result<i64, ApiErr> {
    let raw = p
        .str("chat_id")
        .ok_or_else(|| ApiErr::bad("chat_id is empty"))?;
    // "@channelname" and unknown ids alike: the fake has only private chats.
    let id = raw
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiErr::bad("chat not found"))?;
    let chat = st
        .chats
        .get(&id)
        .ok_or_else(|| ApiErr::bad("chat not found"))?;
    if chat.blocked {
        return Err(ApiErr::exact(403, "Forbidden: bot was blocked by the user"));
    }
    Ok(id)
}

fn chat_mut(st: &mut State, id: i64) -> Result<&mut ChatState, ApiErr> {
    st.chats
        .get_mut(&id)
        .ok_or_else(|| ApiErr::bad("chat not found"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Text,
    EditedText,
    Caption,
}

/// Parses a text or caption in its parse mode and applies Telegram's limits.
fn format(raw: &str, parse_mode: Option<&str>, field: Field) -> Result<Formatted, ApiErr> {
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

fn parse_mode(p: &Params) -> Option<String> {
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
fn reply_markup(p: &Params, allow_reply_keyboard: bool) -> Result<Option<Value>, ApiErr> {
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

fn send_message(st: &mut State, p: &Params, events: &mut Vec<BotEvent>) -> Result<Value, ApiErr> {
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

fn send_photo(
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

/// The photo of a `sendPhoto`: an uploaded file (teloxide sends
/// `photo=attach://<part>`; the server resolved that to field "photo"), an
/// HTTP URL, or the file id of an earlier upload.
fn resolve_photo(
    st: &mut State,
    p: &Params,
    files: &[UploadedFile],
) -> Result<StoredPhoto, ApiErr> {
    let n = st.next_file;
    let new_ids = || (format!("AgACAgIAAxkDAAIB{n:010}"), format!("AQAD{n:06}"));
    if let Some(upload) = files.iter().find(|f| f.field == "photo") {
        if upload.bytes.is_empty() || !looks_like_image(&upload.bytes) {
            return Err(ApiErr::bad("IMAGE_PROCESS_FAILED"));
        }
        st.next_file += 1;
        let (file_id, file_unique_id) = new_ids();
        let (width, height) = png_size(&upload.bytes).unwrap_or((0, 0));
        return Ok(StoredPhoto {
            file_id,
            file_unique_id,
            width,
            height,
            bytes: Some(std::sync::Arc::new(upload.bytes.clone())),
            url: None,
        });
    }
    let reference = p
        .str("photo")
        .ok_or_else(|| ApiErr::bad("there is no photo in the request"))?;
    if reference.starts_with("attach://") {
        return Err(ApiErr::bad("there is no photo in the request"));
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        st.next_file += 1;
        let (file_id, file_unique_id) = new_ids();
        return Ok(StoredPhoto {
            file_id,
            file_unique_id,
            width: 0,
            height: 0,
            bytes: None,
            url: Some(reference),
        });
    }
    st.files
        .get(&reference)
        .cloned()
        .ok_or_else(|| ApiErr::exact(400, "Bad Request: wrong file identifier/HTTP URL specified"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    Text,
    Caption,
    Markup,
}

fn edit(
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

fn delete_message(st: &mut State, p: &Params, events: &mut Vec<BotEvent>) -> Result<Value, ApiErr> {
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

fn answer_callback_query(
    st: &mut State,
    p: &Params,
    events: &mut Vec<BotEvent>,
) -> Result<Value, ApiErr> {
    let query_id = p.str("callback_query_id").unwrap_or_default();
    let text = p.str("text").filter(|t| !t.is_empty());
    if text
        .as_deref()
        .is_some_and(|t| utf16_len(t) > MAX_ANSWER_TEXT)
    {
        return Err(ApiErr::bad("MESSAGE_TOO_LONG"));
    }
    let query = st
        .queries
        .get_mut(&query_id)
        .ok_or_else(|| ApiErr::exact(400, INVALID_QUERY))?;
    // A query is answered once; after the answer window it is gone too.
    let expired = query
        .delivered_at
        .is_some_and(|t| t.elapsed() > QUERY_ANSWER_WINDOW);
    if query.answered || expired {
        return Err(ApiErr::exact(400, INVALID_QUERY));
    }
    query.answered = true;
    let answer = CallbackAnswer {
        query_id,
        text,
        show_alert: p.flag("show_alert"),
        url: p.str("url"),
    };
    st.answers.push(answer.clone());
    events.push(BotEvent::CallbackAnswered(answer));
    Ok(json!(true))
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

fn send_chat_action(
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

/// Commands are kept per scope and language, as Telegram keeps them.
fn commands_key(p: &Params) -> Result<(String, String), ApiErr> {
    let scope = p
        .json("scope")?
        .unwrap_or_else(|| json!({ "type": "default" }));
    // serde_json's map is ordered, so equal scopes serialize equally.
    Ok((
        scope.to_string(),
        p.str("language_code").unwrap_or_default(),
    ))
}

fn set_my_commands(st: &mut State, p: &Params) -> Result<Value, ApiErr> {
    let commands = p
        .json("commands")?
        .ok_or_else(|| ApiErr::bad("parameter \"commands\" is required"))?;
    let list = commands
        .as_array()
        .ok_or_else(|| ApiErr::bad("can't parse commands JSON object"))?;
    if list.len() > 100 {
        return Err(ApiErr::bad("BOT_COMMANDS_TOO_MUCH"));
    }
    let mut kept = Vec::with_capacity(list.len());
    for c in list {
        let command = c.get("command").and_then(Value::as_str).unwrap_or_default();
        let description = c
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let command_ok = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !command_ok {
            return Err(ApiErr::bad("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiErr::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        kept.push(json!({ "command": command, "description": description }));
    }
    let key = commands_key(p)?;
    st.commands.insert(key, Value::Array(kept));
    Ok(json!(true))
}
