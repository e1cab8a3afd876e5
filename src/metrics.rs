//! Counters for operators: Prometheus text at `/metrics`, and `/healthz`.
//!
//! Hand-written exposition (a few counters and one histogram) rather than a
//! metrics crate: nothing here needs more.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};

use crate::{bank::catalog::CacheStats, storage::Store};

/// Upper bounds (seconds) of the bank-latency histogram buckets.
const BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    updates: AtomicU64,
    payments: Mutex<BTreeMap<&'static str, u64>>,
    /// (method, outcome "ok"/"error") → count; method → latency histogram.
    calls: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    /// Replicated webhook mode: deliveries and handlings by outcome.
    inbox: Mutex<BTreeMap<&'static str, u64>>,
    /// Reminders: (outcome sent/skipped/failed, why) → count.
    reminders: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// The last reminder run: seconds it took, bills it checked; and runs.
    reminder_run: Mutex<(f64, u64, u64)>,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    pub fn update_handled(&self) {
        self.updates.fetch_add(1, Ordering::Relaxed);
    }

    /// `outcome`: completed, refused, unknown, duplicate.
    pub fn payment(&self, outcome: &'static str) {
        let mut p = self.payments.lock().unwrap_or_else(|e| e.into_inner());
        *p.entry(outcome).or_default() += 1;
    }

    /// `outcome`: kept, again (a delivery of a kept update), unavailable
    /// (the database could not keep it: 503), refused (no or a wrong
    /// secret token), unreadable (not an update), handled, taken_over (a
    /// lease another replica lost), given_up.
    pub fn inbox(&self, outcome: &'static str) {
        let mut p = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        *p.entry(outcome).or_default() += 1;
    }

    /// `outcome`: sent, skipped or failed; `why`: the reminder's kind, or
    /// what kept it from being sent.
    pub fn reminder(&self, outcome: &'static str, why: &'static str) {
        let mut r = self.reminders.lock().unwrap_or_else(|e| e.into_inner());
        *r.entry((outcome, why)).or_default() += 1;
    }

    /// A reminder run ended: how long it took, how many bills it checked.
    pub fn reminder_run(&self, took: Duration, checked: u64) {
        let mut r = self.reminder_run.lock().unwrap_or_else(|e| e.into_inner());
        *r = (took.as_secs_f64(), checked, r.2 + 1);
    }

    pub fn bank_call(&self, method: &'static str, took: Duration, ok: bool) {
        {
            let mut c = self.calls.lock().unwrap_or_else(|e| e.into_inner());
            *c.entry((method, if ok { "ok" } else { "error" }))
                .or_default() += 1;
        }
        let secs = took.as_secs_f64();
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = l.entry(method).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The Prometheus text exposition.
    pub fn render(&self, cache: &CacheStats) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP faturabot_updates_total Telegram updates handled."
        );
        let _ = writeln!(out, "# TYPE faturabot_updates_total counter");
        let _ = writeln!(
            out,
            "faturabot_updates_total {}",
            self.updates.load(Ordering::Relaxed)
        );

        let _ = writeln!(out, "# HELP faturabot_payments_total Payments by outcome.");
        let _ = writeln!(out, "# TYPE faturabot_payments_total counter");
        for (outcome, n) in self
            .payments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "faturabot_payments_total{{outcome=\"{outcome}\"}} {n}");
        }

        let _ = writeln!(
            out,
            "# HELP faturabot_bank_calls_total Calls to the bank and receipt services."
        );
        let _ = writeln!(out, "# TYPE faturabot_bank_calls_total counter");
        for ((method, outcome), n) in self.calls.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "faturabot_bank_calls_total{{method=\"{method}\",outcome=\"{outcome}\"}} {n}"
            );
        }

        let _ = writeln!(
            out,
            "# HELP faturabot_bank_call_seconds Latency of bank and receipt calls."
        );
        let _ = writeln!(out, "# TYPE faturabot_bank_call_seconds histogram");
        for (method, h) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "faturabot_bank_call_seconds_bucket{{method=\"{method}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "faturabot_bank_call_seconds_bucket{{method=\"{method}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "faturabot_bank_call_seconds_sum{{method=\"{method}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "faturabot_bank_call_seconds_count{{method=\"{method}\"}} {}",
                h.count
            );
        }

        let inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        if !inbox.is_empty() {
            let _ = writeln!(
                out,
                "# HELP faturabot_inbox_total Webhook deliveries and inbox handlings by outcome."
            );
            let _ = writeln!(out, "# TYPE faturabot_inbox_total counter");
            for (outcome, n) in inbox.iter() {
                let _ = writeln!(out, "faturabot_inbox_total{{outcome=\"{outcome}\"}} {n}");
            }
        }
        drop(inbox);

        self.render_reminders(&mut out);

        let _ = writeln!(
            out,
            "# HELP faturabot_catalog_cache_total Catalog cache look-ups."
        );
        let _ = writeln!(out, "# TYPE faturabot_catalog_cache_total counter");
        let _ = writeln!(
            out,
            "faturabot_catalog_cache_total{{result=\"hit\"}} {}",
            cache.hits.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "faturabot_catalog_cache_total{{result=\"miss\"}} {}",
            cache.misses.load(Ordering::Relaxed)
        );
        out
    }
}

impl Metrics {
    fn render_reminders(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP faturabot_reminders_total Saved-bill reminders: sent, skipped or failed, and why."
        );
        let _ = writeln!(out, "# TYPE faturabot_reminders_total counter");
        for ((outcome, why), n) in self
            .reminders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "faturabot_reminders_total{{outcome=\"{outcome}\",why=\"{why}\"}} {n}"
            );
        }
        let (secs, checked, runs) = *self.reminder_run.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(
            out,
            "# HELP faturabot_reminder_run_seconds How long the last reminder run took."
        );
        let _ = writeln!(out, "# TYPE faturabot_reminder_run_seconds gauge");
        let _ = writeln!(out, "faturabot_reminder_run_seconds {secs}");
        let _ = writeln!(
            out,
            "# HELP faturabot_reminder_run_bills Saved bills the last reminder run checked."
        );
        let _ = writeln!(out, "# TYPE faturabot_reminder_run_bills gauge");
        let _ = writeln!(out, "faturabot_reminder_run_bills {checked}");
        let _ = writeln!(
            out,
            "# HELP faturabot_reminder_runs_total Reminder runs ended."
        );
        let _ = writeln!(out, "# TYPE faturabot_reminder_runs_total counter");
        let _ = writeln!(out, "faturabot_reminder_runs_total {runs}");
    }
}

/// What `/healthz` (liveness) and `/readyz` (readiness) check.
#[derive(Clone)]
pub struct Health {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub cache: Arc<CacheStats>,
    /// `host:port` of the bank, checked by a TCP connect (not an API call).
    pub bank_addr: String,
}

/// The database and the bank, as both endpoints report them.
async fn report(h: &Health) -> (bool, bool, String) {
    let db_ok = h.store.healthy().await;
    let bank_ok = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(h.bank_addr.as_str()),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    let body = format!(
        "{{\"database\":\"{}\",\"bank\":\"{}\"}}\n",
        if db_ok { "ok" } else { "failing" },
        if bank_ok { "ok" } else { "unreachable" }
    );
    (db_ok, bank_ok, body)
}

fn answer(ok: bool, body: String) -> impl IntoResponse {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [("content-type", "application/json")], body)
}

/// Liveness: up while the process can make progress. A shared database
/// or the bank being away is not a reason to restart every replica.
async fn healthz(State(h): State<Health>) -> impl IntoResponse {
    let (_, _, body) = report(&h).await;
    answer(h.store.backend.live(), body)
}

/// Readiness: the database answers and the bank is reachable.
async fn readyz(State(h): State<Health>) -> impl IntoResponse {
    let (db_ok, bank_ok, body) = report(&h).await;
    answer(h.store.backend.live() && db_ok && bank_ok, body)
}

async fn metrics(State(h): State<Health>) -> impl IntoResponse {
    let text = h.metrics.render(&h.cache);
    ([("content-type", "text/plain; version=0.0.4")], text)
}

pub fn router(health: Health) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(health)
}

/// Serves `/healthz` and `/metrics` on `addr` until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    health: Health,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "health and metrics listening");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(health))
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "metrics server stopped");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_the_series() {
        let m = Metrics::default();
        m.update_handled();
        m.payment("completed");
        m.bank_call("InvoicePayment", Duration::from_millis(30), true);
        let text = m.render(&CacheStats::default());
        assert!(text.contains("faturabot_updates_total 1"));
        assert!(text.contains("faturabot_payments_total{outcome=\"completed\"} 1"));
        assert!(
            text.contains("faturabot_bank_calls_total{method=\"InvoicePayment\",outcome=\"ok\"} 1")
        );
        assert!(text.contains(
            "faturabot_bank_call_seconds_bucket{method=\"InvoicePayment\",le=\"0.05\"} 1"
        ));
        assert!(text.contains(
            "faturabot_bank_call_seconds_bucket{method=\"InvoicePayment\",le=\"0.01\"} 0"
        ));
        assert!(text.contains("faturabot_catalog_cache_total{result=\"hit\"} 0"));
    }

    /// A database (PostgreSQL) that is away makes the replica unready,
    /// not dead: an outage must not get every replica restarted.
    #[tokio::test]
    async fn a_database_away_is_unready_not_dead() {
        let pool = crate::storage::postgres::pool("postgres://bot:pw@127.0.0.1:9/faturabot")
            .expect("a pool (it connects lazily)");
        let h = Health {
            store: crate::storage::postgres::store(pool),
            metrics: Metrics::new(),
            cache: Arc::default(),
            bank_addr: "127.0.0.1:9".into(),
        };
        let live = healthz(State(h.clone())).await.into_response();
        let ready = readyz(State(h)).await.into_response();
        assert_eq!(live.status(), StatusCode::OK);
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
