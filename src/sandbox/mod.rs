//! A strict, realistic simulator of both upstream services — the bank's
//! inter-API Invoice Payment service and the Invoice Receipt Service — on one
//! axum router.
//!
//! Used by `faturabot sandbox --listen ADDR`, by `faturabot run --sandbox`
//! (embedded, via [`Sandbox::spawn`]) and by tests. It speaks the wire format of
//! the seeds exactly (`AsociationCollectionGroups` with its `"$type"` entry,
//! `$type` on every object, the screen definition at `Data.Response.Response`,
//! repeated payment mappings) and checks every request the way a strict bank
//! would: a failed check is answered with an Error envelope *and* recorded in
//! [`Sandbox::violations`], so tests can assert the bot never broke a rule.
//!
//! Behaviour is driven by magic subscriber numbers ([`MAGIC_NUMBERS`]) and by
//! [`Sandbox::fail_next`] (also reachable by hand: `POST /_sandbox/fail`).
//!
//! Layout: `catalog` (groups and institutions), `magic` (what each magic
//! number does), `checks` (strictness),
//! `bank` (the six methods), `receipt` (the receipt service), `json` (an
//! exact-number JSON tree).

mod bank;
mod catalog;
mod checks;
mod json;
mod magic;
mod receipt;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;

use crate::clock::Clock;
pub use catalog::LONG_CODE;
use json::Json;
pub use magic::MAGIC_NUMBERS;

/// What the sandbox demands of its clients. `None` accepts anything.
#[derive(Clone)]
pub struct SandboxConfig {
    /// `Some` ⇒ header `Ocp-Apim-Subscription-Key` must equal it.
    pub subscription_key: Option<String>,
    /// `Some` ⇒ `Header.Channel` must equal it.
    pub channel: Option<String>,
    /// `Some` ⇒ `Header.AppKey` must equal it.
    pub app_key: Option<String>,
    /// `Some` ⇒ receipt header `ApiKey` must equal it.
    pub receipt_api_key: Option<String>,
    /// `Some` ⇒ receipt header `SecretKey` must equal it.
    pub receipt_secret_key: Option<String>,
    /// How long "slow" answers wait.
    pub slow_delay: Duration,
    /// How long every answer waits: a bank's own latency, for benchmarks.
    pub latency: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            subscription_key: None,
            channel: None,
            app_key: None,
            receipt_api_key: None,
            receipt_secret_key: None,
            slow_delay: Duration::from_secs(60),
            latency: Duration::ZERO,
        }
    }
}

impl SandboxConfig {
    /// For the standalone simulator: each check is on only when its
    /// `FATURABOT_*` variable is set and non-empty.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        SandboxConfig {
            subscription_key: var("FATURABOT_BANK_SUBSCRIPTION_KEY"),
            channel: var("FATURABOT_BANK_CHANNEL"),
            app_key: var("FATURABOT_BANK_APP_KEY"),
            receipt_api_key: var("FATURABOT_RECEIPT_API_KEY"),
            receipt_secret_key: var("FATURABOT_RECEIPT_SECRET_KEY"),
            ..SandboxConfig::default()
        }
    }
}

/// Keys stay out of `{:?}`.
impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "required" } else { "any" };
        f.debug_struct("SandboxConfig")
            .field("subscription_key", &set(&self.subscription_key))
            .field("channel", &self.channel)
            .field("app_key", &set(&self.app_key))
            .field("receipt_api_key", &set(&self.receipt_api_key))
            .field("receipt_secret_key", &set(&self.receipt_secret_key))
            .field("slow_delay", &self.slow_delay)
            .field("latency", &self.latency)
            .finish()
    }
}

/// How a call armed with [`Sandbox::fail_next`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailMode {
    /// Bank: an Error envelope. Receipt: `result: false`.
    ErrorEnvelope,
    /// HTTP 500 with a gateway-style body.
    Http500,
    /// Processed normally (side effects included), answered after `slow_delay`.
    Slow,
    /// HTTP 200 with an HTML page.
    NotJson,
    /// HTTP 200 with JSON that is not the service's shape.
    WrongShape,
    /// InvoicePayment / CancelPayment: `Data.State = 3`. Elsewhere as
    /// `ErrorEnvelope`.
    StateNotCompleted,
}

impl FailMode {
    /// Names used by `POST /_sandbox/fail` (`error`, `http500`, `slow`,
    /// `not_json`, `wrong_shape`, `state`); the variant names work too.
    pub fn parse(name: &str) -> Option<FailMode> {
        let n = name.to_ascii_lowercase().replace(['_', '-'], "");
        Some(match n.as_str() {
            "error" | "errorenvelope" => FailMode::ErrorEnvelope,
            "http500" | "500" => FailMode::Http500,
            "slow" => FailMode::Slow,
            "notjson" => FailMode::NotJson,
            "wrongshape" => FailMode::WrongShape,
            "state" | "statenotcompleted" | "state3" => FailMode::StateNotCompleted,
            _ => return None,
        })
    }
}

/// One request as the sandbox received it.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// Endpoint name as in the URL (`QueryInvoices`, …, `invoicereceipt`).
    pub method: String,
    /// Headers of interest, names lower-case: `content-type`,
    /// `ocp-apim-subscription-key`, `apikey`, `secretkey` (those present).
    pub headers: BTreeMap<String, String>,
    /// The body as JSON, or `Value::String(raw text)` when it is not JSON.
    pub body: serde_json::Value,
    /// The body exactly as received (lossy UTF-8).
    pub raw_body: String,
}

/// A payment the sandbox made (kept also after cancellation).
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRecord {
    /// `Data.TransactionId`, also the receipt service's `invoicePaymentId`.
    pub transaction_id: u64,
    pub association_code: String,
    pub subscriber_number: String,
    pub invoice_number: String,
    pub amount: Decimal,
    pub customer_no: i64,
    /// Europe/Istanbul date of the payment (from the sandbox clock).
    pub date: NaiveDate,
    /// Europe/Istanbul time of the payment.
    pub at: DateTime<FixedOffset>,
    pub last_payment_date: NaiveDate,
    pub cancelled: bool,
}

/// The simulator. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Sandbox(Arc<Inner>);

struct Inner {
    config: SandboxConfig,
    clock: RwLock<Clock>,
    state: Mutex<State>,
}

/// A bill as served by QueryInvoices, to check InvoiceMessageBag against.
#[derive(Clone)]
pub(crate) struct ServedBill {
    pub json: Json,
    pub subscriber: String,
    pub invoice_number: String,
    pub amount: Decimal,
    pub last_payment_date: NaiveDate,
}

#[derive(Default)]
pub(crate) struct State {
    calls: HashMap<String, usize>,
    recorded: Vec<RecordedCall>,
    pub violations: Vec<String>,
    /// ChannelRequestId → the method that first used it.
    pub request_ids: HashMap<String, &'static str>,
    /// Armed failures per endpoint: (mode, calls left), in order.
    fail_queue: HashMap<String, VecDeque<(FailMode, u32)>>,
    /// (AssociationCode, InvoiceNumber) → bill.
    pub served: HashMap<(String, String), ServedBill>,
    /// (AssociationCode, InvoiceNumber) of paid, not cancelled invoices.
    pub paid: HashSet<(String, String)>,
    pub payments: Vec<PaymentRecord>,
    pub next_transaction_id: u64,
}

impl State {
    fn take_fail(&mut self, method: &str) -> Option<FailMode> {
        let queue = self.fail_queue.get_mut(method)?;
        let (mode, left) = queue.front_mut()?;
        let mode = *mode;
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(mode)
    }
}

/// `recorded()` keeps the most recent this many requests.
const MAX_RECORDED: usize = 10_000;

/// Endpoint names, as in the URL.
const ENDPOINTS: &[&str] = &[
    "GetAssociationCollectionGroup",
    "GetAssociationList",
    "GetScreenDefinition",
    "QueryInvoices",
    "InvoicePayment",
    "CancelPayment",
    "invoicereceipt",
];

/// The canonical spelling of an endpoint name given in any case.
fn canonical(method: &str) -> Option<&'static str> {
    ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.eq_ignore_ascii_case(method))
}

/// What a handler decided: the answer, and whether to hold it for `slow_delay`.
pub(crate) struct Outcome {
    pub reply: Reply,
    pub slow: bool,
}

pub(crate) enum Reply {
    Json(StatusCode, Json),
    Text(StatusCode, &'static str, String),
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Outcome { reply, slow: false }
    }
}

impl Reply {
    pub fn status(&self) -> StatusCode {
        match self {
            Reply::Json(s, _) | Reply::Text(s, _, _) => *s,
        }
    }

    /// A gateway's 500, as Azure API Management would send it.
    pub fn http500() -> Reply {
        let body = Json::obj([
            ("statusCode", Json::int(500)),
            ("message", Json::s("Internal server error")),
            ("activityId", Json::s(uuid::Uuid::new_v4().to_string())),
        ]);
        Reply::Json(StatusCode::INTERNAL_SERVER_ERROR, body)
    }

    /// A proxy's HTML page with status 200.
    pub fn not_json() -> Reply {
        Reply::Text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".into(),
        )
    }

    /// Valid JSON that is neither envelope nor receipt answer.
    pub fn wrong_shape() -> Reply {
        let body = Json::obj([
            ("status", Json::s("OK")),
            (
                "data",
                Json::Arr(vec![Json::obj([
                    ("id", Json::int(1)),
                    ("value", Json::s("sandbox")),
                ])]),
            ),
        ]);
        Reply::Json(StatusCode::OK, body)
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, body) => (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response(),
            Reply::Text(status, content_type, body) => {
                (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
            }
        }
    }
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        // Ids keep growing across restarts (a real bank never reuses one), so
        // a bot that keeps its ledger while the sandbox restarts sees no repeat.
        let since_2024 = chrono::Utc::now()
            .timestamp()
            .saturating_sub(1_704_067_200)
            .max(0) as u64;
        let state = State {
            next_transaction_id: 100_001 + since_2024,
            ..State::default()
        };
        Sandbox(Arc::new(Inner {
            config,
            clock: RwLock::new(Clock::system()),
            state: Mutex::new(state),
        }))
    }

    /// Replaces the clock (default: system time). Affects every clone.
    pub fn with_clock(self, clock: Clock) -> Self {
        self.set_clock(clock);
        self
    }

    /// Replaces the clock of a running sandbox (e.g. to move to "tomorrow").
    pub fn set_clock(&self, clock: Clock) {
        *self.0.clock.write().unwrap_or_else(|e| e.into_inner()) = clock;
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.0.config
    }

    pub(crate) fn clock(&self) -> Clock {
        self.0
            .clock
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The state; a panic elsewhere must not turn every later request into one.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/_sandbox/health", get(health))
            .route("/_sandbox/fail", post(fail_route))
            .route("/invoices/invoicereceipt", post(receipt_route))
            .route("/{method}", post(bank_route))
            .fallback(fallback)
            .method_not_allowed_fallback(fallback)
            .with_state(self.clone())
    }

    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Binds 127.0.0.1 on a free port and serves on a tokio task, which ends
    /// when the returned [`RunningSandbox`] is dropped.
    pub async fn spawn(self) -> std::io::Result<RunningSandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(self.clone().serve(listener));
        Ok(RunningSandbox {
            sandbox: self,
            addr,
            url: format!("http://{addr}"),
            task,
        })
    }

    /// The next `times` calls of `method` (endpoint name as in the URL, any
    /// case; `invoicereceipt` for the receipt service) fail with `mode`.
    /// Queued after anything already armed; `times == 0` disarms the method.
    pub fn fail_next(&self, method: &str, mode: FailMode, times: u32) {
        let key = match canonical(method) {
            Some(m) => m.to_string(),
            None => {
                tracing::warn!(method, "sandbox: fail_next for an unknown endpoint");
                method.to_string()
            }
        };
        let mut st = self.state();
        let queue = st.fail_queue.entry(key).or_default();
        if times == 0 {
            queue.clear();
        } else {
            queue.push_back((mode, times));
        }
    }

    /// How many requests `method` received (well-formed or not).
    pub fn calls(&self, method: &str) -> usize {
        let key = canonical(method).unwrap_or(method);
        self.state().calls.get(key).copied().unwrap_or(0)
    }

    /// Every request (the latest 10 000), oldest first.
    pub fn recorded(&self) -> Vec<RecordedCall> {
        self.state().recorded.clone()
    }

    /// Every failed strictness check so far, as `"<Method>: <problem>"`.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// Every payment made so far (cancelled ones flagged).
    pub fn payments(&self) -> Vec<PaymentRecord> {
        self.state().payments.clone()
    }

    /// Counts and records one request.
    pub(crate) fn record(&self, method: &str, headers: &HeaderMap, body: &[u8]) {
        const OF_INTEREST: &[&str] = &[
            "content-type",
            "ocp-apim-subscription-key",
            "apikey",
            "secretkey",
        ];
        let headers = OF_INTEREST
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?;
                Some((
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ))
            })
            .collect();
        let raw_body = String::from_utf8_lossy(body).into_owned();
        let body = serde_json::from_slice(body)
            .unwrap_or_else(|_| serde_json::Value::String(raw_body.clone()));
        let mut st = self.state();
        *st.calls.entry(method.to_string()).or_default() += 1;
        // A long-running `sandbox --listen` must not grow without bound.
        if st.recorded.len() >= MAX_RECORDED {
            st.recorded.remove(0);
        }
        st.recorded.push(RecordedCall {
            method: method.to_string(),
            headers,
            body,
            raw_body,
        });
    }

    async fn answer(&self, out: Outcome) -> Response {
        let config = &self.0.config;
        let wait = if out.slow {
            config.slow_delay.max(config.latency)
        } else {
            config.latency
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        out.reply.into_response()
    }
}

/// A sandbox serving on 127.0.0.1; stops when dropped.
pub struct RunningSandbox {
    pub sandbox: Sandbox,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, no trailing slash: the base of both services.
    pub url: String,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn health() -> Reply {
    Reply::Json(StatusCode::OK, Json::obj([("status", Json::s("ok"))]))
}

async fn bank_route(
    AxState(sb): AxState<Sandbox>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let out = bank::handle(&sb, uri.path().trim_start_matches('/'), &headers, &body);
    sb.answer(out).await
}

async fn receipt_route(AxState(sb): AxState<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    let out = receipt::handle(&sb, &headers, &body);
    sb.answer(out).await
}

/// `POST /_sandbox/fail {"method": "...", "mode": "...", "times": N}`.
async fn fail_route(AxState(sb): AxState<Sandbox>, body: Bytes) -> Reply {
    let bad = |why: String| {
        Reply::Json(
            StatusCode::BAD_REQUEST,
            Json::obj([("ok", Json::Bool(false)), ("error", Json::s(why))]),
        )
    };
    let Ok(j) = std::str::from_utf8(&body)
        .map_err(|e| e.to_string())
        .and_then(Json::parse)
    else {
        return bad(
            "body must be JSON: {\"method\": \"QueryInvoices\", \"mode\": \"error\", \"times\": 1}"
                .into(),
        );
    };
    let Some(method) = j.get("method").and_then(Json::as_str).and_then(canonical) else {
        return bad(format!(
            "\"method\" must be one of {}",
            ENDPOINTS.join(", ")
        ));
    };
    let Some(mode) = j
        .get("mode")
        .and_then(Json::as_str)
        .and_then(FailMode::parse)
    else {
        return bad(
            "\"mode\" must be one of error, http500, slow, not_json, wrong_shape, state".into(),
        );
    };
    let times = match j.get("times") {
        None => 1,
        Some(t) => match t.as_int().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => n,
            None => return bad("\"times\" must be a non-negative integer".into()),
        },
    };
    sb.fail_next(method, mode, times);
    tracing::info!(method, ?mode, times, "sandbox: failure armed");
    Reply::Json(
        StatusCode::OK,
        Json::obj([
            ("ok", Json::Bool(true)),
            ("method", Json::s(method)),
            ("mode", Json::s(format!("{mode:?}"))),
            ("times", Json::int(times)),
        ]),
    )
}

/// Anything else: 404 (or 405 for a known path with the wrong verb), as JSON.
async fn fallback(AxState(sb): AxState<Sandbox>, method: Method, uri: Uri) -> Reply {
    let path = uri.path();
    let known = path == "/invoices/invoicereceipt"
        || path.starts_with("/_sandbox/")
        || canonical(path.trim_start_matches('/')).is_some();
    let (status, why) = if known {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed on {path}"),
        )
    } else {
        (
            StatusCode::NOT_FOUND,
            format!("no such endpoint: {method} {path}"),
        )
    };
    // A person poking the control endpoints by hand is not the bot breaking a rule.
    if !path.starts_with("/_sandbox/") {
        sb.state().violations.push(format!("HTTP: {why}"));
    }
    tracing::debug!(%method, path, "sandbox: {why}");
    Reply::Json(
        status,
        Json::obj([
            ("$type", Json::s("ServiceResponseMessage")),
            (
                "Error",
                Json::obj([
                    ("$type", Json::s("ServiceExceptionMessage")),
                    ("Code", Json::int(status.as_u16())),
                    ("Description", Json::s(why)),
                ]),
            ),
        ]),
    )
}
