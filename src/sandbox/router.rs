//! The HTTP side: the routes of both services, serving, and the
//! `/_sandbox/` control endpoints.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::added::parse_request;
use super::json::Json;
use super::state::{ENDPOINTS, canonical};
use super::{FailMode, Outcome, Reply, Sandbox, bank, receipt};

impl Sandbox {
    pub fn router(&self) -> Router {
        Router::new()
            .route("/_sandbox/health", get(health))
            .route("/_sandbox/fail", post(fail_route))
            .route("/_sandbox/invoice", post(invoice_route))
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

    async fn answer(&self, out: Outcome) -> Response {
        let config = self.config();
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

/// `POST /_sandbox/invoice {"association": "ISKI" (or omitted: any),
/// "subscriber": "1000001", "amount": "29.20", "due_in_days": 3}`.
async fn invoice_route(AxState(sb): AxState<Sandbox>, body: Bytes) -> Reply {
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
            "body must be JSON: {\"association\": \"ISKI\", \"subscriber\": \"1000001\", \"amount\": \"29.20\", \"due_in_days\": 3}"
                .into(),
        );
    };
    let added = match parse_request(&j).and_then(|new| sb.add(new)) {
        Ok(added) => added,
        Err(e) => return bad(e.0),
    };
    Reply::Json(
        StatusCode::OK,
        Json::obj([
            ("ok", Json::Bool(true)),
            ("invoice_number", Json::s(added.invoice_number)),
            ("association", added.association.map_or(Json::Null, Json::s)),
            ("subscriber", Json::s(added.subscriber)),
            ("amount", Json::s(added.amount.to_string())),
            (
                "last_payment_date",
                Json::s(added.last_payment_date.format("%Y-%m-%d").to_string()),
            ),
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
