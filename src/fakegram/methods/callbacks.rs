//! `answerCallbackQuery`: one answer per button press, within its window.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ApiErr, Params};
use crate::fakegram::html::utf16_len;
use crate::fakegram::state::State;
use crate::fakegram::{BotEvent, CallbackAnswer};

const MAX_ANSWER_TEXT: usize = 200;
/// After this, Telegram refuses to accept an answer to a callback query.
const QUERY_ANSWER_WINDOW: Duration = Duration::from_secs(15);
const INVALID_QUERY: &str =
    "Bad Request: query is too old and response timeout expired or query id is invalid";

pub(super) fn answer_callback_query(
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
