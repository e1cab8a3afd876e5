//! The HTTP side: `POST {api_url}/bot{token}/{method}` like the real Bot API.
//!
//! Parameters are read from the query string and from a JSON, urlencoded or
//! multipart body (teloxide uses JSON for most methods and multipart for
//! uploads). Every request is recorded with its answer; `getUpdates` long-polls.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};

use super::methods::{self, ApiErr, Params};
use super::state::{self, Core};
use super::{ApiCall, UploadedFile};

/// Long polls wait at most this long, whatever `timeout` asks, so tests and
/// shutdowns stay quick.
pub(crate) const LONG_POLL_CAP: Duration = Duration::from_secs(1);

/// Telegram takes photos up to 10 MB and files up to 50 MB.
const BODY_LIMIT: usize = 52 * 1024 * 1024;

pub(crate) fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/{token}/{method}", any(handle))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(core)
}

async fn not_found() -> Response {
    respond(&Err(ApiErr::not_found()))
}

fn respond(result: &Result<Value, ApiErr>) -> Response {
    let (status, body) = envelope(result);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body),
    )
        .into_response()
}

fn envelope(result: &Result<Value, ApiErr>) -> (u16, Value) {
    match result {
        Ok(v) => (200, json!({ "ok": true, "result": v })),
        Err(e) => (e.code, e.json()),
    }
}

async fn handle(
    State(core): State<Arc<Core>>,
    path: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Response {
    let at = Instant::now();
    let Ok(Path((token, method))) = path else {
        return not_found().await;
    };
    if !token.starts_with("bot") {
        return not_found().await;
    }
    let (params, files) = match decode(req).await {
        Ok(decoded) => decoded,
        Err(e) => return finish(&core, method, Map::new(), Vec::new(), Err(e), at),
    };
    let failure = core.lock().take_failure(&method);
    if let Some(failure) = failure {
        return finish(&core, method, params, files, Err(failure.into()), at);
    }
    if method.eq_ignore_ascii_case("getUpdates") {
        let webhook_set = !core.lock().webhook.0.is_empty();
        let result = if webhook_set {
            Err(ApiErr::webhook_active())
        } else {
            get_updates(&core, &params).await
        };
        return finish(&core, method, params, files, result, at);
    }
    // Run and record under one lock, so `calls()` and `chat()` never disagree.
    let mut events = Vec::new();
    let response = {
        let mut st = core.lock();
        let result = methods::call(&mut st, &method, &Params(&params), &files, &mut events);
        let response = respond(&result);
        record(&mut st, method, params, files, &result, at);
        response
    };
    core.emit(events);
    core.notify_changed();
    response
}

fn finish(
    core: &Core,
    method: String,
    params: Map<String, Value>,
    files: Vec<UploadedFile>,
    result: Result<Value, ApiErr>,
    at: Instant,
) -> Response {
    let response = respond(&result);
    record(&mut core.lock(), method, params, files, &result, at);
    core.notify_changed();
    response
}

fn record(
    st: &mut state::State,
    method: String,
    params: Map<String, Value>,
    files: Vec<UploadedFile>,
    result: &Result<Value, ApiErr>,
    at: Instant,
) {
    let seq = st.calls.len();
    let (status, response) = envelope(result);
    st.calls.push(ApiCall {
        seq,
        method,
        params: Value::Object(params),
        files,
        status,
        response,
        at,
    });
}

/// `getUpdates`: confirm by offset, then answer at once if anything is queued,
/// else wait (at most [`LONG_POLL_CAP`]) for an update to be enqueued.
async fn get_updates(core: &Core, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let p = Params(params);
    let offset = p.int("offset")?;
    let limit = usize::try_from(p.int("limit")?.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let timeout = u64::try_from(p.int("timeout")?.unwrap_or(0)).unwrap_or(0);
    if let Some(allowed) = p.json("allowed_updates")? {
        let list = allowed
            .as_array()
            .ok_or_else(|| ApiErr::bad("can't parse allowed_updates JSON array"))?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect::<Vec<_>>();
        // An empty list means "all kinds" again.
        core.lock().allowed_updates = (!list.is_empty()).then_some(list);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout).min(LONG_POLL_CAP);
    let mut woken = core.updates.subscribe();
    let ticket = {
        let mut st = core.lock();
        st.poller += 1;
        st.poller
    };
    // Wake an older poll so it sees it has been superseded.
    core.notify_updates();
    loop {
        woken.borrow_and_update();
        {
            let mut st = core.lock();
            if st.poller != ticket {
                return Err(ApiErr::conflict());
            }
            let batch = st.take_updates(offset, limit);
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(Value::Array(batch));
            }
        }
        // Woken by an enqueue, a newer poll, or the deadline; the loop decides.
        let _ = tokio::time::timeout_at(deadline, woken.changed()).await;
    }
}

/// Keys whose values Telegram parses as JSON when they arrive as text
/// (multipart and urlencoded bodies, query strings).
const JSON_KEYS: &[&str] = &[
    "reply_markup",
    "entities",
    "caption_entities",
    "reply_parameters",
    "link_preview_options",
    "allowed_updates",
    "commands",
    "scope",
    "media",
];
const INT_KEYS: &[&str] = &[
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "message_thread_id",
    "reply_to_message_id",
    "user_id",
];

/// Keys holding user-visible text, never read as flags.
const TEXT_KEYS: &[&str] = &["text", "caption", "description", "title", "url", "data"];

/// A text parameter as the JSON value a JSON body would have carried, so that
/// `ApiCall::params` looks the same whichever encoding the bot used.
fn text_param(key: &str, value: String) -> Value {
    if JSON_KEYS.contains(&key)
        && let Ok(v) = serde_json::from_str::<Value>(&value)
    {
        return v;
    }
    if INT_KEYS.contains(&key)
        && let Ok(n) = value.trim().parse::<i64>()
    {
        return json!(n);
    }
    // Flags; a text that reads "true" stays a text.
    match value.as_str() {
        "true" | "false" if !TEXT_KEYS.contains(&key) => Value::Bool(value == "true"),
        _ => Value::String(value),
    }
}

fn merge_urlencoded(params: &mut Map<String, Value>, bytes: &[u8]) {
    for (k, v) in url::form_urlencoded::parse(bytes) {
        let value = text_param(&k, v.into_owned());
        params.insert(k.into_owned(), value);
    }
}

async fn decode(req: Request) -> Result<(Map<String, Value>, Vec<UploadedFile>), ApiErr> {
    let mut params = Map::new();
    if let Some(query) = req.uri().query() {
        merge_urlencoded(&mut params, query.as_bytes());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let files = decode_multipart(req, &mut params).await?;
        return Ok((params, files));
    }
    let body = axum::body::to_bytes(req.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| ApiErr::bad(format!("can't read request body: {e}")))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((params, Vec::new()));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        merge_urlencoded(&mut params, &body);
        return Ok((params, Vec::new()));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => params.extend(map),
        _ => return Err(ApiErr::bad("can't parse JSON object")),
    }
    Ok((params, Vec::new()))
}

/// Text parts become parameters; file parts become [`UploadedFile`]s named
/// after the parameter that points at them (`photo=attach://<part>`).
async fn decode_multipart(
    req: Request,
    params: &mut Map<String, Value>,
) -> Result<Vec<UploadedFile>, ApiErr> {
    let bad =
        |e: &dyn std::fmt::Display| ApiErr::bad(format!("can't parse multipart/form-data: {e}"));
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|e| bad(&e))?;
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .file_name()
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.map_err(|e| bad(&e))?;
        parts.push((name, file_name, is_file, bytes.to_vec()));
    }
    // Which part each `attach://` parameter points at.
    let mut attached: HashMap<String, String> = HashMap::new();
    for (name, _, is_file, bytes) in &parts {
        if let (false, Ok(text)) = (is_file, std::str::from_utf8(bytes))
            && let Some(part) = text.strip_prefix("attach://")
        {
            attached.insert(part.to_owned(), name.clone());
        }
    }
    let mut files = Vec::new();
    for (name, file_name, is_file, bytes) in parts {
        let text = match (
            is_file || attached.contains_key(&name),
            String::from_utf8(bytes),
        ) {
            (false, Ok(text)) => text,
            (_, Ok(text)) => {
                files.push(uploaded(&attached, name, file_name, text.into_bytes()));
                continue;
            }
            (_, Err(e)) => {
                files.push(uploaded(&attached, name, file_name, e.into_bytes()));
                continue;
            }
        };
        let value = text_param(&name, text);
        params.insert(name, value);
    }
    Ok(files)
}

fn uploaded(
    attached: &HashMap<String, String>,
    part: String,
    file_name: Option<String>,
    bytes: Vec<u8>,
) -> UploadedFile {
    let field = attached.get(&part).cloned().unwrap_or_else(|| part.clone());
    UploadedFile {
        field,
        part,
        file_name,
        bytes,
    }
}
