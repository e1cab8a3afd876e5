//! 200 saved bills checked at a test rate of 100 queries a second while
//! other customers pay: the bank never sees more than the rate in any
//! second, every customer owing is told once, and the payers' replies
//! stay fast.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::{Steps, common};
use common::percentiles;
use common::{Harness, Told, bounded, day, istanbul, schedule};
use tokio::task::JoinSet;

const BILLS: u64 = 200;
const RATE: f64 = 100.0;
const PAYERS: u64 = 4;

/// Every tenth bill has an invoice (1200000…: one each); the others none
/// (1000000). Reminders wait for the updates in progress, so with every
/// bill owing the sends, not the queries, would set the pace.
fn subscriber(i: u64) -> String {
    if i.is_multiple_of(10) {
        (1_200_000 + i).to_string()
    } else {
        "1000000".to_owned()
    }
}

/// Arrivals at the bank of the queries of `subscribers`, as (time seen,
/// how many so far), looked at every few milliseconds until `done`.
pub(super) async fn sample_queries(
    h: Arc<Harness>,
    subscribers: HashSet<String>,
    done: Arc<AtomicBool>,
) -> Vec<(Instant, usize)> {
    let mut samples = Vec::new();
    let mut seen = 0;
    let mut count = 0;
    loop {
        // One last look after `done`: nothing that came before is missed.
        let last = done.load(Ordering::SeqCst);
        let recorded = h.sandbox.sandbox.recorded();
        assert!(
            recorded.len() < 10_000,
            "the sandbox keeps the latest 10 000"
        );
        for call in &recorded[seen..] {
            let subscriber = &call.body["Parameters"][0]["Request"]["SubscriberNumber"];
            if call.method == "QueryInvoices"
                && subscriber.as_str().is_some_and(|s| subscribers.contains(s))
            {
                count += 1;
            }
        }
        seen = recorded.len();
        samples.push((Instant::now(), count));
        if last {
            return samples;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The most queries that arrived within any span of at most one second
/// between two samples (each counted between the two looks, so no span is
/// longer than it says).
pub(super) fn most_in_a_second(samples: &[(Instant, usize)]) -> usize {
    let mut most = 0;
    let mut from = 0;
    for &(t, c) in samples {
        while t.duration_since(samples[from].0) > Duration::from_secs(1) {
            from += 1;
        }
        most = most.max(c - samples[from].1);
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_bills_at_100_a_second_keep_to_the_rate_while_replies_stay_fast() {
    // Arrange: 200 customers with a saved bill and an invoice each; four
    // others linked, each with a PIN, to pay while the run goes on.
    let mut h = Harness::without_bot(Duration::from_secs(5)).await;
    h.wait = Duration::from_secs(30);
    h.reminders = Some(schedule(RATE));
    h.set_time(istanbul(day(0), 8, 0));
    h.launch().await;
    let h = Arc::new(h);
    let seeded = bounded(
        Duration::from_secs(60),
        "seeding 200 bills",
        h.seed_reminded(80_000, BILLS, subscriber),
    )
    .await;
    let mut payers = Vec::new();
    for p in 0..PAYERS {
        let u = h.customer(85_000 + p, "tr");
        h.link(&u).await;
        payers.push(u);
    }
    let subscribers: HashSet<String> = seeded.iter().map(|(_, b)| b.subscriber.clone()).collect();

    // Act: the payers pay one invoice after another; the run starts.
    let stop = Arc::new(AtomicBool::new(false));
    let steps = Arc::new(Steps::default());
    let mut paying = JoinSet::new();
    for (p, u) in payers.iter().cloned().enumerate() {
        let (h, stop, steps) = (h.clone(), stop.clone(), steps.clone());
        paying.spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                let subscriber = (1_250_000 + p as u64 * 1000 + k).to_string();
                steps.pay(&h, &u, &subscriber).await;
                k += 1;
            }
        });
    }
    let sampled = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_queries(h.clone(), subscribers, sampled.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    h.app().reminders.run_now();
    h.wait_reminder_runs(1).await;
    let run = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    sampled.store(true, Ordering::SeqCst);
    let samples = sampler.await.expect("the sampler");
    common::join_all_within(Duration::from_secs(60), "the payers' last payments", paying).await;

    // Assert: within the rate in every second; everyone told once.
    let most = most_in_a_second(&samples);
    let queried = samples.last().map_or(0, |s| s.1);
    let replies = steps.between(started, started + run);
    eprintln!(
        "reminder rate: {BILLS} bills at {RATE}/s with {PAYERS} payers: run {:.2} s, {queried} queries, \
         most in any second {most}, mean {:.1}/s; replies during the run: {}",
        run.as_secs_f64(),
        queried as f64 / run.as_secs_f64(),
        percentiles(&replies)
    );
    assert_eq!(queried, BILLS as usize);
    assert!(most <= RATE as usize + 1, "{most} queries within a second");
    for (user, bill) in &seeded {
        let told = h.reminders_to(user);
        let owing = bill.subscriber != "1000000";
        assert_eq!(told.len(), usize::from(owing), "{:#?}", h.transcript(user));
        assert!(told.iter().all(|(t, _)| *t == Told::New));
    }
    assert!(!replies.is_empty(), "no payer step ran during the run");
    let p99 = replies[((replies.len() as f64 * 0.99).ceil() as usize).clamp(1, replies.len()) - 1];
    assert!(
        p99 < Duration::from_secs(2),
        "p99 of replies during the run {p99:?}"
    );
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}
