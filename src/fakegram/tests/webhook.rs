//! Webhook mode: updates POSTed with the secret, spread over the targets,
//! tried again until a 2xx, and `getUpdates` refused meanwhile.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::Value;
use teloxide::{ApiError, RequestError, prelude::*};

use super::{WAIT, setup};

/// Each update received: its id and the secret header it came with.
type Received = Vec<(u64, Option<String>)>;

/// A replica stand-in: records what it gets, and refuses the first
/// `refuse` POSTs with 503.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Received>>,
    refuse: Arc<Mutex<u32>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    {
        let mut refuse = r.refuse.lock().expect("lock");
        if *refuse > 0 {
            *refuse -= 1;
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    let update: Value = serde_json::from_str(&body).unwrap_or_default();
    let secret = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    r.got
        .lock()
        .expect("lock")
        .push((update["update_id"].as_u64().unwrap_or(0), secret));
    StatusCode::OK
}

async fn replica(refuse: u32) -> (SocketAddr, Receiver) {
    let r = Receiver::default();
    *r.refuse.lock().expect("lock") = refuse;
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(r.clone());
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = tcp.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(tcp, app).await });
    (addr, r)
}

async fn until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !ok() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_are_posted_in_turn_with_the_secret_until_a_2xx() {
    let (tg, bot, user) = setup().await;
    let (a, got_a) = replica(2).await;
    let (b, got_b) = replica(0).await;
    bot.set_webhook("http://lb.invalid/hook".parse().expect("url"))
        .secret_token("s3cret".to_owned())
        .await
        .expect("setWebhook");
    tg.deliver_to(vec![a, b]);

    let ids: Vec<_> = (0..20)
        .map(|i| tg.send_text(&user, &format!("m{i}")))
        .collect();
    until("every update confirmed", || tg.pending_updates() == 0).await;
    let got: Vec<(u64, Option<String>)> = got_a
        .got
        .lock()
        .expect("lock")
        .iter()
        .chain(got_b.got.lock().expect("lock").iter())
        .cloned()
        .collect();
    let mut delivered: Vec<u64> = got.iter().map(|(id, _)| *id).collect();
    delivered.sort_unstable();
    let expected: Vec<u64> = ids.iter().map(|id| u64::from(id.0)).collect();
    assert_eq!(delivered, expected, "each once, after the refusals");
    assert!(got.iter().all(|(_, s)| s.as_deref() == Some("s3cret")));
    assert!(
        !got_a.got.lock().expect("lock").is_empty(),
        "a gets its turn"
    );
    assert!(
        !got_b.got.lock().expect("lock").is_empty(),
        "b gets its turn"
    );

    // Every replica at once, on top of the normal delivery.
    assert!(tg.deliver_everywhere(ids[0]));
    until("one more at each", || {
        let count = |r: &Receiver| {
            r.got
                .lock()
                .expect("lock")
                .iter()
                .filter(|(id, _)| *id == u64::from(ids[0].0))
                .count()
        };
        count(&got_a) + count(&got_b) == 3
    })
    .await;

    let polled = bot.get_updates().await;
    assert!(
        matches!(&polled, Err(RequestError::Api(ApiError::Unknown(m))) if m.contains("webhook is active")),
        "{polled:?}"
    );
}
