//! Webhook mode: once `setWebhook` has a URL, updates are POSTed to it
//! instead of waiting for `getUpdates`, as Telegram does: with the
//! `X-Telegram-Bot-Api-Secret-Token` header, at most [`CONNECTIONS`] at
//! once, a chat's updates one at a time in order, and again (later, with
//! growing pauses) until an answer is 2xx. Only a 2xx confirms an update.
//!
//! [`FakeTelegram::deliver_to`](super::FakeTelegram::deliver_to) puts a
//! load balancer in front: POSTs go to the given addresses in turn, with
//! the URL's path, and a failed one is tried again at the next address.

use std::{
    net::SocketAddr,
    sync::{Arc, Weak},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::state::Core;

/// Telegram's default `max_connections`.
pub(crate) const CONNECTIONS: usize = 40;
/// How long one POST may take before it counts as failed.
const POST_TIMEOUT: Duration = Duration::from_secs(20);

/// One delivery to make: which update, where, with what.
struct Post {
    update_id: Option<u32>,
    body: Value,
    url: reqwest::Url,
    secret: Option<String>,
}

/// Runs while the fake does: looks for updates to POST whenever one is
/// enqueued, and every 50 ms for those waiting to be tried again.
pub(crate) async fn run(core: Weak<Core>) {
    let http = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .build()
        .unwrap_or_default();
    let Some(mut woken) = core.upgrade().map(|c| c.updates.subscribe()) else {
        return;
    };
    loop {
        let _ = tokio::time::timeout(Duration::from_millis(50), woken.changed()).await;
        let Some(core) = core.upgrade() else {
            return;
        };
        for post in due(&core) {
            tokio::spawn(send(Arc::downgrade(&core), http.clone(), post));
        }
    }
}

/// Where a POST goes: the URL, or a target with the URL's path: the next
/// in turn for a first try, the one after the last for a retry.
fn url_for(st: &mut super::state::State, id: u32) -> Option<reqwest::Url> {
    let mut url = reqwest::Url::parse(&st.webhook.0).ok()?;
    if st.targets.is_empty() {
        return Some(url);
    }
    let next = st.next_target;
    let q = st.queue.get_mut(&id)?;
    let fresh = q.target.is_none();
    let first = *q.target.get_or_insert(next);
    let target = st.targets[(first + q.attempts as usize) % st.targets.len()];
    if fresh {
        st.next_target = next.wrapping_add(1);
    }
    url.set_ip_host(target.ip()).ok()?;
    url.set_port(Some(target.port())).ok()?;
    Some(url)
}

/// The queued updates to POST now, marked as being sent.
fn due(core: &Core) -> Vec<Post> {
    let mut st = core.lock();
    if st.webhook.0.is_empty() {
        return Vec::new();
    }
    let now = Instant::now();
    // A chat's next update waits until its earlier ones are confirmed.
    let mut busy = std::collections::HashSet::new();
    let mut ready = Vec::new();
    for (id, q) in &st.queue {
        if ready.len() >= CONNECTIONS.saturating_sub(st.sending) {
            break;
        }
        let free = q.lane.is_none_or(|lane| busy.insert(lane));
        if free && !q.sending && q.retry_at.is_none_or(|at| at <= now) {
            ready.push(*id);
        }
    }
    let mut posts = Vec::new();
    for id in ready {
        let Some(url) = url_for(&mut st, id) else {
            break;
        };
        let secret = st.webhook.1.clone();
        let Some(q) = st.queue.get_mut(&id) else {
            continue;
        };
        q.sending = true;
        q.forced = false;
        let body = q.update.clone();
        if let Some(query) = q.query_id.clone().and_then(|q| st.queries.get_mut(&q)) {
            query.delivered_at.get_or_insert(now);
        }
        st.sending += 1;
        posts.push(Post {
            update_id: Some(id),
            body,
            url,
            secret,
        });
    }
    posts
}

async fn post(http: &reqwest::Client, post: &Post) -> Result<(), String> {
    let mut req = http.post(post.url.clone()).json(&post.body);
    if let Some(secret) = &post.secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    match req.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("HTTP {}", r.status())),
        Err(e) => Err(e.to_string()),
    }
}

/// One POST; on success the update is confirmed, else it waits to be
/// tried again.
async fn send(core: Weak<Core>, http: reqwest::Client, delivery: Post) {
    let sent = post(&http, &delivery).await;
    let Some(core) = core.upgrade() else {
        return;
    };
    let Some(id) = delivery.update_id else {
        return;
    };
    {
        let mut st = core.lock();
        st.sending = st.sending.saturating_sub(1);
        match &sent {
            Ok(()) => {
                st.queue.remove(&id);
            }
            Err(why) => {
                if let Some(q) = st.queue.get_mut(&id) {
                    q.sending = false;
                    q.attempts += 1;
                    // 0.1 s, 0.2 s, … up to 2 s: Telegram's pauses are
                    // longer, tests are not.
                    let pause =
                        Duration::from_millis(100 << q.attempts.min(4)).min(Duration::from_secs(2));
                    q.retry_at = Some(Instant::now() + pause);
                    tracing::debug!(update_id = id, url = %delivery.url, attempts = q.attempts, "webhook POST failed: {why}");
                }
            }
        }
    }
    core.notify_changed();
    // Freed a connection (or made one due later): look again.
    core.notify_updates();
}

/// POSTs `update` once to every target (a delivery again that reaches
/// each replica), each tried a few times on its own target; what they
/// answer confirms nothing.
pub(crate) fn to_every_target(core: &Arc<Core>, update: Value) {
    let (targets, url, secret) = {
        let st = core.lock();
        (
            st.targets.clone(),
            st.webhook.0.clone(),
            st.webhook.1.clone(),
        )
    };
    let Ok(base) = reqwest::Url::parse(&url) else {
        return;
    };
    let http = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .build()
        .unwrap_or_default();
    let urls: Vec<reqwest::Url> = if targets.is_empty() {
        vec![base]
    } else {
        targets
            .iter()
            .filter_map(|t: &SocketAddr| {
                let mut u = base.clone();
                u.set_ip_host(t.ip()).ok()?;
                u.set_port(Some(t.port())).ok()?;
                Some(u)
            })
            .collect()
    };
    for url in urls {
        let delivery = Post {
            update_id: None,
            body: update.clone(),
            url,
            secret: secret.clone(),
        };
        let http = http.clone();
        tokio::spawn(async move {
            for attempt in 0..5u32 {
                if post(&http, &delivery).await.is_ok() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
        });
    }
}
