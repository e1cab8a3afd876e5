//! Two `faturabot run` replicas on one PostgreSQL run the day's reminders
//! at the same moment: together they keep to the configured rate (the
//! bank's, not each replica's), share the bills between them, check each
//! once and tell each customer once.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use super::{
    bench::series,
    common,
    rate::{most_in_a_second, sample_queries},
};
use crate::replicas::{Replica, free_port, get, replica, set_webhook, until_ready};
use common::{Harness, bounded};

const BILLS: u64 = 160;
const RATE: f64 = 40.0;

/// The bills checked by `r`'s run, once it has ended one.
async fn checked_by(r: &Replica) -> Option<f64> {
    let (_, text) = get(r.metrics, "/metrics").await?;
    if series(&text, "faturabot_reminder_runs_total")? < 1.0 {
        return None;
    }
    series(&text, "faturabot_reminder_run_bills")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_reminder_rate_and_each_bill_is_checked_once() {
    if !common::POSTGRES {
        return; // the sled binary has one process per database
    }
    // Arrange: 160 customers with a bill that has an invoice, in the
    // database before the replicas start; the day's run a few seconds
    // ahead, so that both start it together.
    let mut h = Harness::without_bot(Duration::from_secs(10)).await;
    if h.database.is_none() {
        return; // said by the harness: no server
    }
    h.wait = Duration::from_secs(30);
    let h = Arc::new(h);
    let seeded = {
        let store = h.open_store().await;
        bounded(
            Duration::from_secs(60),
            "seeding the bills",
            h.seed_reminded_in(&store, 60_000, BILLS, |i| (1_230_000 + i).to_string()),
        )
        .await
    };
    let subscribers: HashSet<String> = seeded.iter().map(|(_, b)| b.subscriber.clone()).collect();
    let url = format!("http://127.0.0.1:{}/telegram", free_port());
    set_webhook(&h, &url);
    let at = (faturabot::clock::Clock::system().now_istanbul() + chrono::Duration::seconds(6))
        .format("%H:%M:%S")
        .to_string();
    let env = [
        ("FATURABOT_REMINDER_TIME", at),
        ("FATURABOT_REMINDER_RATE", RATE.to_string()),
    ];

    // Act: both replicas start; the bank's queries are sampled until both
    // runs have ended.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_queries(h.clone(), subscribers, done.clone()));
    let a = replica(&h, "a", &url, &env);
    let b = replica(&h, "b", &url, &env);
    until_ready(&a).await;
    until_ready(&b).await;
    let (by_a, by_b) = bounded(Duration::from_secs(60), "both reminder runs", async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let (Some(x), Some(y)) = (checked_by(&a).await, checked_by(&b).await) {
                return (x as u64, y as u64);
            }
        }
    })
    .await;
    done.store(true, Ordering::SeqCst);
    let samples = sampler.await.expect("the sampler");

    // Assert: one pace for both; every bill checked once, by one of them;
    // every customer told once.
    let most = most_in_a_second(&samples);
    let queried = samples.last().map_or(0, |s| s.1);
    let first = samples.iter().find(|s| s.1 >= 1).map(|s| s.0);
    let last = samples.iter().find(|s| s.1 >= BILLS as usize).map(|s| s.0);
    let span = first.zip(last).map_or(Duration::ZERO, |(f, l)| l - f);
    eprintln!(
        "two replicas: {BILLS} bills at {RATE}/s: {queried} queries in {:.2} s, a checked {by_a}, \
         b checked {by_b}, most in any second {most}",
        span.as_secs_f64()
    );
    assert_eq!(queried, BILLS as usize, "each bill queried once");
    assert_eq!(by_a + by_b, BILLS, "each bill checked by one replica");
    assert!(by_a > 0 && by_b > 0, "both replicas ran: {by_a} and {by_b}");
    // Two replicas each at the rate would take half as long.
    let alone = Duration::from_secs_f64((BILLS - 1) as f64 / RATE);
    assert!(span >= alone.mul_f64(0.95), "{BILLS} queries in {span:?}");
    // Starts are reserved in the database's time: one that a busy machine
    // starts late lets one more into its second (each replica alone at
    // the rate would make it twice the rate).
    assert!(most <= RATE as usize + 2, "{most} queries within a second");
    let wait = bounded(Duration::from_secs(30), "the last reminders", async {
        loop {
            let told: Vec<usize> = seeded
                .iter()
                .map(|(u, _)| h.reminders_to(u).len())
                .collect();
            if told.iter().all(|n| *n >= 1) {
                return told;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let told = wait.await;
    assert!(told.iter().all(|n| *n == 1), "told: {told:?}");
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
