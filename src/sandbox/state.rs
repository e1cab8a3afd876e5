//! The [`Sandbox`] handle and the state all its clones share: calls,
//! violations, armed failures, served bills, added invoices and payments.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::http::HeaderMap;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;

use super::added::AddedInvoice;
use super::json::Json;
use super::{FailMode, SandboxConfig};
use crate::clock::Clock;

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
    /// Added by hand: paid once anywhere, it is paid everywhere (its number
    /// is unique and may be served under every institution).
    pub added: bool,
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
    /// Catalog changes made by hand ([`Sandbox::hide_association`] …).
    pub edits: super::edits::CatalogEdits,
    /// Invoices added by hand, oldest first.
    pub added: Vec<AddedInvoice>,
    /// Numbers the next added invoice.
    pub next_added: u64,
}

impl State {
    /// Whether the invoice `number` served at `code` is paid (and not
    /// cancelled); an added one counts as paid whichever institution took it.
    pub(super) fn is_paid(&self, code: &str, number: &str, added: bool) -> bool {
        if added {
            self.paid.iter().any(|(_, n)| n == number)
        } else {
            self.paid.contains(&(code.to_string(), number.to_string()))
        }
    }

    pub(super) fn take_fail(&mut self, method: &str) -> Option<FailMode> {
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
pub(super) const ENDPOINTS: &[&str] = &[
    "GetAssociationCollectionGroup",
    "GetAssociationList",
    "GetScreenDefinition",
    "QueryInvoices",
    "InvoicePayment",
    "CancelPayment",
    "invoicereceipt",
];

/// The canonical spelling of an endpoint name given in any case.
pub(super) fn canonical(method: &str) -> Option<&'static str> {
    ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.eq_ignore_ascii_case(method))
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
}
