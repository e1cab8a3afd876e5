//! The Bot API methods the fake implements, applied to its state, with the
//! checks real Telegram makes (button data size, text length, HTML entities,
//! "message is not modified", unknown messages and queries). Error
//! descriptions are Telegram's own wording, so teloxide maps them to the same
//! `ApiError` variants it would in production.
//!
//! Grouped by kind: `sending` (messages, photos, chat actions), `editing`
//! (edits and deletions), `callbacks` (answers to button presses),
//! `commands` (the command menu) and `files` (photos by upload, URL or id).
//! What they share: `content` (texts, parse modes, keyboards), `params`
//! (reading a request) and `error` (Telegram's error answers).

mod callbacks;
mod commands;
mod content;
mod editing;
mod error;
mod files;
mod params;
mod sending;

use serde_json::{Value, json};

use super::model::me_json;
use super::state::{ChatState, State};
use super::{BotEvent, UploadedFile};

pub(crate) use error::ApiErr;
pub(crate) use params::Params;

use callbacks::answer_callback_query;
use commands::{commands_key, set_my_commands};
use editing::{Edit, delete_message, edit};
use sending::{send_chat_action, send_message, send_photo};

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
            "url": st.webhook.0,
            "has_custom_certificate": false,
            "pending_update_count": st.queue.len(),
        })),
        "setwebhook" => {
            let url = p.str("url").unwrap_or_default();
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(ApiErr::bad(
                    "bad webhook: an HTTPS URL must be provided for webhook",
                ));
            }
            st.webhook = (url, p.str("secret_token"));
            Ok(json!(true))
        }
        "deletewebhook" => {
            if p.flag("drop_pending_updates") {
                st.queue.clear();
            }
            st.webhook = (String::new(), None);
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
