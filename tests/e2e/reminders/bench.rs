//! The reminder benchmark (not run by default):
//!
//! `cargo test --release --test e2e -- --ignored --nocapture bench_reminders`
//!
//! The real release binary (`faturabot run`, a process of its own, so its
//! peak RSS is the bot's alone), its reminder time passed so the day's run
//! starts at once, checks BENCH_BILLS saved bills (default 1000, each with
//! one new invoice) at BENCH_RATE queries a second (default 2, the
//! product's default: about 8 minutes), while BENCH_PAYERS customers
//! (default 4) pay one invoice after another. It prints bills/s, the run's
//! duration, the reminders sent, the payers' reply times during the run and
//! the bot's peak RSS.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::{Steps, common};
use common::percentiles;
use common::{Harness, bounded, link_in};
use faturabot::bot::pin::PinMode;
use tokio::task::JoinSet;

fn knob(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The value of the series `name` (labels included) in a Prometheus text.
pub(super) fn series(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn peak_rss_mib(child: &std::process::Child) -> f64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_reminders() {
    let bills = knob("BENCH_BILLS", 1000.0) as u64;
    let rate = knob("BENCH_RATE", 2.0);
    let payers = knob("BENCH_PAYERS", 4.0) as u64;
    let mut h = Harness::without_bot(Duration::from_secs(30)).await;
    h.pin = PinMode::Off;
    h.wait = Duration::from_secs(60);
    let h = Arc::new(h);

    // Arrange: the bills and the payers in the store before the bot starts.
    let payer_users = {
        let store = h.open_store().await;
        h.seed_reminded_in(&store, 90_000, bills, |i| (1_200_000 + i).to_string())
            .await;
        let mut linked = Vec::new();
        for p in 0..payers {
            let u = h.customer(95_000 + p, "tr");
            link_in(&store, &u, chrono::Utc::now()).await;
            linked.push(u);
        }
        store.flush().await.expect("flushed");
        linked
    };
    // sled lets its file lock go with the last reference.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metrics_at = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let extra = [
        ("RUST_LOG", "warn".to_owned()),
        ("FATURABOT_BANK_TIMEOUT_SECS", "30".to_owned()),
        ("FATURABOT_REMINDER_TIME", "00:00".to_owned()),
        ("FATURABOT_REMINDER_RATE", rate.to_string()),
        ("FATURABOT_METRICS_LISTEN", metrics_at.to_string()),
    ];
    let log = h.dir.0.with_extension("reminders-bench.log");
    let started = Instant::now();
    let mut bot = common::spawn_bot(&h, &extra, &log);

    // Act: payers pay while the run goes; the run is watched through
    // /metrics until it has ended.
    let stop = Arc::new(AtomicBool::new(false));
    let steps = Arc::new(Steps::default());
    let mut paying = JoinSet::new();
    for (p, u) in payer_users.into_iter().enumerate() {
        let (h, stop, steps) = (h.clone(), stop.clone(), steps.clone());
        paying.spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                let subscriber = (1_290_000 + p as u64 * 1000 + k).to_string();
                steps.pay(&h, &u, &subscriber).await;
                k += 1;
            }
        });
    }
    let url = format!("http://{metrics_at}/metrics");
    let client = reqwest::Client::new();
    let limit = Duration::from_secs_f64(bills as f64 / rate * 1.5 + 120.0);
    let text = bounded(limit, "the reminder run", async {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Ok(resp) = client.get(&url).send().await else {
                continue;
            };
            let text = resp.text().await.unwrap_or_default();
            if series(&text, "faturabot_reminder_runs_total").unwrap_or(0.0) >= 1.0 {
                return text;
            }
        }
    })
    .await;
    let ended = Instant::now();
    stop.store(true, Ordering::SeqCst);
    common::join_all_within(
        Duration::from_secs(120),
        "the payers' last payments",
        paying,
    )
    .await;

    // Report.
    let run = series(&text, "faturabot_reminder_run_seconds").unwrap_or(f64::NAN);
    let checked = series(&text, "faturabot_reminder_run_bills").unwrap_or(f64::NAN);
    let sent = series(
        &text,
        "faturabot_reminders_total{outcome=\"sent\",why=\"new_invoice\"}",
    )
    .unwrap_or(0.0);
    let replies = steps.between(started, ended);
    println!(
        "bench_reminders: {bills} bills at {rate} queries/s, {payers} payers, {}",
        if h.database.is_some() {
            "PostgreSQL"
        } else {
            "sled"
        }
    );
    println!(
        "  run {run:.1} s, {checked} bills checked, {:.2} bills/s, {sent} reminders sent; \
         payers' replies during the run: {}; bot peak RSS {:.1} MiB",
        checked / run,
        percentiles(&replies),
        peak_rss_mib(&bot)
    );
    let _ = bot.kill();
    let _ = bot.wait();
    assert_eq!(checked as u64, bills, "every bill checked");
    assert_eq!(sent as u64, bills, "one reminder each");
    let _ = std::fs::remove_file(log);
}
