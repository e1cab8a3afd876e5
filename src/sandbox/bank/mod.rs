//! The six methods of the inter-API Invoice Payment service.
//!
//! Each request goes: record → take an armed failure → strictness checks
//! (`validate`, which records violations) → the armed failure if any → the
//! violation envelope if any → the method itself (`execute`). Everything runs
//! under the state lock, so a double tap on "pay" is two ordered requests and
//! the second meets "already paid".
//!
//! Here the handler and the dispatch; `validate` (strictness per method),
//! `envelope` (the answers' shapes), `associations` and `invoices` (the
//! methods themselves).

mod associations;
mod envelope;
mod invoices;
mod validate;

use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::catalog::Institution;
use super::checks::{self, Checker};
use super::json::Json;
use super::{FailMode, Outcome, Sandbox, ServedBill, State};
use envelope::{error, error_with_status, failure};
use validate::validate;

/// Error codes of the Error envelopes this sandbox sends.
pub(crate) mod code {
    /// The request broke a rule (see `violations()`).
    pub const INVALID_REQUEST: i64 = 1001;
    pub const UNKNOWN_GROUP: i64 = 1101;
    pub const UNKNOWN_ASSOCIATION: i64 = 1102;
    /// The institution's own system did not answer (9000001).
    pub const INSTITUTION_UNREACHABLE: i64 = 1250;
    /// 9100001.
    pub const INSUFFICIENT_FUNDS: i64 = 2030;
    pub const ALREADY_PAID: i64 = 2041;
    pub const CANCEL_NOT_FOUND: i64 = 2051;
    pub const CANCEL_NOT_TODAY: i64 = 2052;
    pub const CANCEL_ALREADY: i64 = 2053;
    /// `FailMode::ErrorEnvelope`.
    pub const SERVICE_UNAVAILABLE: i64 = 9001;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Groups,
    List,
    Screen,
    Query,
    Pay,
    Cancel,
}

impl Method {
    fn from_path(path: &str) -> Option<Method> {
        Some(match path {
            "GetAssociationCollectionGroup" => Method::Groups,
            "GetAssociationList" => Method::List,
            "GetScreenDefinition" => Method::Screen,
            "QueryInvoices" => Method::Query,
            "InvoicePayment" => Method::Pay,
            "CancelPayment" => Method::Cancel,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Method::Groups => "GetAssociationCollectionGroup",
            Method::List => "GetAssociationList",
            Method::Screen => "GetScreenDefinition",
            Method::Query => "QueryInvoices",
            Method::Pay => "InvoicePayment",
            Method::Cancel => "CancelPayment",
        }
    }
}

/// A request that passed the checks, with what the method needs.
enum Valid {
    Groups,
    List {
        group: String,
    },
    Screen {
        code: String,
    },
    Query {
        inst: &'static Institution,
        inputs: Vec<(&'static str, String)>,
    },
    Pay {
        inst: &'static Institution,
        bill: ServedBill,
        customer_no: i64,
    },
    Cancel(CancelKey),
}

struct CancelKey {
    inst: &'static Institution,
    subscriber: String,
    invoice_number: String,
    date: NaiveDate,
    amount: Decimal,
    customer_no: i64,
}

pub(crate) fn handle(sb: &Sandbox, path: &str, headers: &HeaderMap, body: &[u8]) -> Outcome {
    let Some(m) = Method::from_path(path) else {
        sb.record(path, headers, body);
        let why = format!("no such method: POST /{path}");
        sb.state().violations.push(format!("HTTP: {why}"));
        tracing::debug!(path, "sandbox bank: unknown method");
        return error_with_status(StatusCode::NOT_FOUND, 404, why).into();
    };
    sb.record(m.name(), headers, body);
    let config = sb.config();
    let clock = sb.clock();
    let mut guard = sb.state();
    let st = &mut *guard;
    let fail = st.take_fail(m.name());

    let mut chk = Checker::new(m.name());
    chk.content_type(headers);
    chk.header_key(
        headers,
        "Ocp-Apim-Subscription-Key",
        config.subscription_key.as_deref(),
    );
    let json = match std::str::from_utf8(body) {
        Ok(text) => Json::parse(text)
            .map_err(|e| chk.fail(format!("the body is not JSON: {e}")))
            .ok(),
        Err(_) => {
            chk.fail("the body is not UTF-8");
            None
        }
    };
    let request_id = json
        .as_ref()
        .and_then(|j| {
            j.get("Header")?
                .get("ChannelRequestId")?
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    let params = json
        .as_ref()
        .and_then(|j| checks::bank_envelope(&mut chk, j, config, &mut st.request_ids));
    let valid = params.and_then(|p| validate(m, &mut chk, p, st));
    let (problems, violations) = chk.finish();
    st.violations.extend(violations);

    let mut out: Outcome = match (fail, valid) {
        (Some(mode), _) if mode != FailMode::Slow => failure(m, mode).into(),
        (_, Some(valid)) if problems.is_empty() => execute(st, valid, &clock),
        _ => {
            let why = if problems.is_empty() {
                "request rejected".to_string()
            } else {
                problems.join("; ")
            };
            error(
                code::INVALID_REQUEST,
                format!("Geçersiz istek (sandbox): {why}"),
            )
            .into()
        }
    };
    if fail == Some(FailMode::Slow) {
        out.slow = true;
    }
    tracing::debug!(
        method = m.name(),
        request_id,
        status = out.reply.status().as_u16(),
        slow = out.slow,
        armed = ?fail,
        violations = problems.len(),
        "sandbox bank request"
    );
    out
}

fn execute(st: &mut State, valid: Valid, clock: &crate::clock::Clock) -> Outcome {
    match valid {
        Valid::Groups => associations::groups().into(),
        Valid::List { group } => associations::list(&group, &st.edits).into(),
        Valid::Screen { code } => associations::screen(&code, &st.edits).into(),
        Valid::Query { inst, inputs } => invoices::query(st, inst, inputs, clock),
        Valid::Pay {
            inst,
            bill,
            customer_no,
        } => invoices::pay(st, inst, bill, customer_no, clock),
        Valid::Cancel(key) => invoices::cancel(st, key, clock).into(),
    }
}
