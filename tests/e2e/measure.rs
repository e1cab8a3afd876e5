//! Measurements for the notes, not run by default:
//! `cargo test --release --test e2e -- --ignored --nocapture tap_latency`.

use crate::common;

use std::time::{Duration, Instant};

use common::{Harness, WAIT, action_data, filled, page_turn};

/// Bot-side time of a tap that needs no bank call (paging a cached list):
/// from enqueueing the press to the edited message arriving at the fake
/// Bot API. Includes the HTTP round trips to the fake and the sled flush.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn tap_latency_and_catalog_calls() {
    let h = Harness::start().await;
    let mut samples = Vec::new();
    let users: Vec<_> = (0..100).map(|i| h.customer(5000 + i, "tr")).collect();
    for u in &users {
        h.link(u).await;
    }
    let calls_before = catalog_calls(&h);
    for u in &users {
        let groups = h.say_key(u, "/pay", "pay.choose_group").await;
        let first = filled("pay.choose_institution", &[("page", "1")]);
        let mut page = h.press_key(u, &groups, "SU", first).await;
        for i in 0..4 {
            let (action, shows) = page_turn(i);
            let data = action_data(&page, action);
            let edits = h.tg.count("editMessageText");
            let t0 = Instant::now();
            h.tg.press(u, page.message_id, &data);
            h.tg.wait_for_call("editMessageText", |c| c.seq > 0, WAIT)
                .await
                .expect("edit");
            while h.tg.count("editMessageText") <= edits {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            samples.push(t0.elapsed());
            page = h.expect_key(u, shows).await;
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "tap (page change, {} samples): p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1]
    );
    println!(
        "bank catalog calls for 100 users browsing: {}",
        catalog_calls(&h) - calls_before
    );
}

fn catalog_calls(h: &Harness) -> usize {
    let s = &h.sandbox.sandbox;
    s.calls("GetAssociationCollectionGroup")
        + s.calls("GetAssociationList")
        + s.calls("GetScreenDefinition")
}
