//! The inbox on a real PostgreSQL: order per chat, deliveries again,
//! leases taken over, two replicas at once.
use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::storage::{
    Inbox, Inboxed, Lease,
    postgres::{open_as, throwaway},
};

const LEASE: Duration = Duration::from_secs(10);

async fn inboxes(test: &str) -> Option<(Arc<dyn Inbox>, Arc<dyn Inbox>)> {
    let url = throwaway::database(test).await?;
    let a = open_as(&url, "a").await.expect("replica a").inbox;
    let b = open_as(&url, "b").await.expect("replica b").inbox;
    Some((a.expect("an inbox"), b.expect("an inbox")))
}

fn ids(claimed: &[Inboxed]) -> Vec<i64> {
    claimed.iter().map(|c| c.update_id).collect()
}

fn lease_of(claimed: &[Inboxed], update_id: i64) -> Lease {
    claimed
        .iter()
        .find(|c| c.update_id == update_id)
        .map(|c| c.lease)
        .expect("claimed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_is_handled_in_order_and_a_delivery_again_is_a_no_op() {
    let Some((a, b)) = inboxes("inbox order").await else {
        return;
    };
    for (id, lane) in [(10, 1), (11, 2), (12, 1), (13, 1), (14, 2), (15, 3)] {
        assert!(a.accept(id, lane, b"{}").await.expect("accept"));
    }
    assert!(!b.accept(12, 1, b"{}").await.expect("again"));
    assert_eq!(a.waiting().await.expect("waiting"), 6);

    // Each lane's oldest only, whoever asks.
    let first = a.claim(100, LEASE).await.expect("claim");
    assert_eq!(ids(&first), [10, 11, 15]);
    assert!(b.claim(100, LEASE).await.expect("claim").is_empty());
    let ten = lease_of(&first, 10);
    let forged = Lease {
        fence: ten.fence + 1000,
        ..ten
    };
    assert!(
        !a.done(10, forged).await.expect("done"),
        "not under another fence"
    );
    assert!(a.done(10, ten).await.expect("done"));
    assert!(!a.done(10, ten).await.expect("done once"));
    let next = b.claim(100, LEASE).await.expect("claim");
    assert_eq!(ids(&next), [12], "lane 1 moves on; lane 2 is still held");
    assert_eq!(next[0].claims, 1);
    assert_eq!(a.waiting().await.expect("waiting"), 5);
}

/// An older update that arrives after a newer one of its chat was
/// taken waits for the lane: never two of one chat at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_arriving_late_waits_for_its_lane() {
    let Some((a, b)) = inboxes("inbox late").await else {
        return;
    };
    a.accept(1002, 5, b"{\"typed\":\"7\"}")
        .await
        .expect("accept");
    let held = a.claim(10, LEASE).await.expect("claim");
    assert_eq!(ids(&held), [1002]);
    assert_eq!(held[0].body, b"{\"typed\":\"7\"}");
    b.accept(1001, 5, b"{}").await.expect("accept");
    assert!(b.claim(10, LEASE).await.expect("claim").is_empty());
    assert!(a.done(1002, held[0].lease).await.expect("done"));
    assert_eq!(ids(&b.claim(10, LEASE).await.expect("claim")), [1001]);
}

/// What a customer typed or pressed is not kept once handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handled_update_keeps_only_its_id() {
    let Some(url) = throwaway::database("inbox scrub").await else {
        return;
    };
    let a = open_as(&url, "a")
        .await
        .expect("a")
        .inbox
        .expect("an inbox");
    a.accept(1, 5, b"{\"data\":\"s1:d7\"}")
        .await
        .expect("accept");
    let held = a.claim(10, LEASE).await.expect("claim");
    assert!(a.done(1, held[0].lease).await.expect("done"));
    assert!(!a.accept(1, 5, b"{}").await.expect("again"), "still known");
    let client = crate::storage::postgres::pool(&url)
        .expect("pool")
        .get()
        .await
        .expect("client");
    let body: Vec<u8> = client
        .query_one("SELECT body FROM inbox WHERE update_id = 1", &[])
        .await
        .expect("row")
        .get(0);
    assert!(body.is_empty(), "{body:?}");
}

/// A replica that dies holding a lane: the lane waits until the lease
/// ends (by the database's clock), then another takes its update over;
/// the dead one's late renewal or "done" no longer counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_taken_over_and_a_restart_frees_its_own() {
    let Some((a, b)) = inboxes("inbox lease").await else {
        return;
    };
    a.accept(1, 7, b"{}").await.expect("accept");
    a.accept(2, 8, b"{}").await.expect("accept");
    let short = Duration::from_millis(700);
    let first = a.claim(1, short).await.expect("claim");
    assert_eq!(ids(&first), [1]);
    let rest = b.claim(10, LEASE).await.expect("claim");
    assert_eq!(ids(&rest), [2]);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let again = b.claim(10, LEASE).await.expect("claim");
    assert_eq!(ids(&again), [1]);
    assert_eq!(again[0].claims, 2);
    assert!(
        a.renew(&[first[0].lease], LEASE)
            .await
            .expect("renew")
            .is_empty()
    );
    assert!(
        !a.done(1, first[0].lease).await.expect("done"),
        "a's lease is over"
    );
    assert!(b.done(1, again[0].lease).await.expect("done"));

    // Renewed leases hold; a restart under the same name frees them.
    a.accept(3, 9, b"{}").await.expect("accept");
    let held = a.claim(1, short).await.expect("claim");
    assert_eq!(ids(&held), [3]);
    assert_eq!(a.renew(&[held[0].lease], LEASE).await.expect("renew"), [9]);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(b.claim(10, LEASE).await.expect("claim").is_empty());
    assert_eq!(a.release(None).await.expect("release"), 1);
    assert_eq!(ids(&b.claim(10, LEASE).await.expect("claim")), [3]);
}

/// Two replicas, 40 workers each, 400 updates over 25 chats, each
/// delivered to both at once: every update handled exactly once, a
/// chat never by two at once, each chat's updates in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_handle_every_update_once_and_each_chat_in_order() {
    let Some((a, b)) = inboxes("inbox race").await else {
        return;
    };
    const UPDATES: i64 = 400;
    const CHATS: i64 = 25;
    let mut accepting = tokio::task::JoinSet::new();
    for id in 0..UPDATES {
        for inbox in [a.clone(), b.clone()] {
            accepting.spawn(async move {
                inbox
                    .accept(id, id % CHATS, format!("{id}").as_bytes())
                    .await
            });
        }
    }
    let mut fresh = 0;
    while let Some(done) = accepting.join_next().await {
        fresh += usize::from(done.expect("task").expect("accept"));
    }
    assert_eq!(fresh, UPDATES as usize, "each kept once");

    let busy = Arc::new(Mutex::new(HashSet::new()));
    let handled = Arc::new(Mutex::new(BTreeMap::<i64, Vec<i64>>::new()));
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..80 {
        let inbox = if w % 2 == 0 { a.clone() } else { b.clone() };
        let (busy, handled) = (busy.clone(), handled.clone());
        workers.spawn(async move {
            let mut idle = 0;
            while idle < 20 {
                let claimed = inbox.claim(2, LEASE).await.expect("claim");
                if claimed.is_empty() {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                idle = 0;
                for c in claimed {
                    let lane = c.update_id % CHATS;
                    assert_eq!(c.lease.lane, lane);
                    assert!(busy.lock().expect("lock").insert(lane), "chat {lane} twice");
                    tokio::task::yield_now().await;
                    handled
                        .lock()
                        .expect("lock")
                        .entry(lane)
                        .or_default()
                        .push(c.update_id);
                    busy.lock().expect("lock").remove(&lane);
                    assert!(inbox.done(c.update_id, c.lease).await.expect("done"));
                }
            }
        });
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(w) = workers.join_next().await {
            w.expect("a worker");
        }
    })
    .await
    .expect("the updates are handled in time");
    let handled = handled.lock().expect("lock").clone();
    let mut total = 0;
    for (lane, ids) in handled.iter() {
        let expected: Vec<i64> = (0..UPDATES).filter(|i| i % CHATS == *lane).collect();
        assert_eq!(ids, &expected, "chat {lane} in order, once each");
        total += ids.len();
    }
    assert_eq!(total, UPDATES as usize);
    assert_eq!(a.waiting().await.expect("waiting"), 0);
}
