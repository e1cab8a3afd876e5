//! The inbox of replicated webhook mode, in PostgreSQL.
//!
//! `update_id` is the primary key, so a second delivery is an insert that
//! does nothing. A lane (chat) is leased by an upsert into `inbox_lanes`
//! that only takes a row whose lease has run out: under READ COMMITTED a
//! second claimer waits for the first one's transaction and then finds the
//! lease alive, so a lane is never leased twice, whatever order its
//! updates arrived in. Every lease has a fencing token from a sequence; a
//! renewal or a "done" counts only under the current one. A handled row
//! keeps only its id, for a day (deliveries again stay no-ops; what a
//! customer typed or pressed, keypad digits included, is gone at once),
//! and is then pruned by the sweep.

use std::time::Duration;

use async_trait::async_trait;

use super::{Pool, pg};
use crate::{
    payments::StoreError,
    storage::{Inbox, Inboxed, Lease},
};

/// How long a handled update is kept, so that a late delivery of it again
/// is recognised.
pub(super) const KEEP_DONE: &str = "1 day";

pub(super) struct PgInbox {
    /// The webhook's inserts share the handlers' connections.
    pub pool: Pool,
    /// A few of its own for the leases (claim, renewal, "done"), so that
    /// they never wait behind handlers or a burst of deliveries.
    pub leases: Pool,
    pub replica: String,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn split(leases: &[Lease]) -> (Vec<i64>, Vec<i64>) {
    leases.iter().map(|l| (l.lane, l.fence)).unzip()
}

/// Lanes with updates waiting and no live lease, oldest waiting first,
/// leased to `$1` unless another claimer's lease is alive by the time the
/// upsert gets the row.
const LEASE_LANES: &str = "
WITH candidates AS (
    SELECT i.lane FROM inbox i
    WHERE i.done_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM inbox_lanes l WHERE l.lane = i.lane AND l.lease_until >= now())
    GROUP BY i.lane
    ORDER BY min(i.update_id)
    LIMIT $3
)
INSERT INTO inbox_lanes AS l (lane, owner, lease_until, fence)
SELECT lane, $1, now() + make_interval(secs => $2), nextval('inbox_fence') FROM candidates
ON CONFLICT (lane) DO UPDATE
    SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, fence = EXCLUDED.fence
    WHERE l.lease_until IS NULL OR l.lease_until < now()
RETURNING l.lane, l.fence";

/// Each leased lane's oldest unhandled update (a statement of its own, so
/// it sees what the lanes' previous holders marked done meanwhile).
const HEADS: &str = "
UPDATE inbox SET claims = claims + 1
WHERE update_id IN (
    SELECT DISTINCT ON (lane) update_id FROM inbox
    WHERE lane = ANY($1) AND done_at IS NULL
    ORDER BY lane, update_id)
  AND done_at IS NULL
RETURNING update_id, lane, body, claims";

const UNLEASE: &str = "
UPDATE inbox_lanes l SET lease_until = NULL
FROM unnest($1::BIGINT[], $2::BIGINT[]) AS t(lane, fence)
WHERE l.lane = t.lane AND l.fence = t.fence";

#[async_trait]
impl Inbox for PgInbox {
    async fn accept(&self, update_id: i64, lane: i64, body: &[u8]) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let inserted = client
            .execute(
                "INSERT INTO inbox (update_id, lane, body) VALUES ($1, $2, $3)
                 ON CONFLICT (update_id) DO NOTHING",
                &[&update_id, &lane, &body],
            )
            .await
            .map_err(pg)?;
        Ok(inserted == 1)
    }

    async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<Inboxed>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut client = self.leases.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        let leased: Vec<Lease> = tx
            .query(LEASE_LANES, &[&&*self.replica, &secs(lease), &limit])
            .await
            .map_err(pg)?
            .iter()
            .map(|r| Lease {
                lane: r.get(0),
                fence: r.get(1),
            })
            .collect();
        if leased.is_empty() {
            tx.commit().await.map_err(pg)?;
            return Ok(Vec::new());
        }
        let lanes: Vec<i64> = leased.iter().map(|l| l.lane).collect();
        let rows = tx.query(HEADS, &[&lanes]).await.map_err(pg)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in &rows {
            let lane: i64 = r.get(1);
            if let Some(lease) = leased.iter().find(|l| l.lane == lane) {
                claimed.push(Inboxed {
                    update_id: r.get(0),
                    body: r.get(2),
                    claims: r.get(3),
                    lease: *lease,
                });
            }
        }
        // A lane whose last update was handled meanwhile: free again.
        let empty: Vec<Lease> = leased
            .iter()
            .filter(|l| !claimed.iter().any(|c| c.lease.lane == l.lane))
            .copied()
            .collect();
        if !empty.is_empty() {
            let (lanes, fences) = split(&empty);
            tx.execute(UNLEASE, &[&lanes, &fences]).await.map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        claimed.sort_by_key(|c| c.update_id);
        Ok(claimed)
    }

    async fn renew(&self, leases: &[Lease], lease: Duration) -> Result<Vec<i64>, StoreError> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let (lanes, fences) = split(leases);
        let client = self.leases.get().await.map_err(pg)?;
        let rows = client
            .query(
                "UPDATE inbox_lanes l SET lease_until = now() + make_interval(secs => $3)
                 FROM unnest($1::BIGINT[], $2::BIGINT[]) AS t(lane, fence)
                 WHERE l.lane = t.lane AND l.fence = t.fence
                   AND l.lease_until IS NOT NULL
                 RETURNING l.lane",
                &[&lanes, &fences, &secs(lease)],
            )
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn done(&self, update_id: i64, lease: Lease) -> Result<bool, StoreError> {
        let client = self.leases.get().await.map_err(pg)?;
        let marked = client
            .execute(
                "WITH released AS (
                     UPDATE inbox_lanes SET lease_until = NULL
                     WHERE lane = $2 AND fence = $3
                     RETURNING lane)
                 UPDATE inbox SET done_at = now(), body = ''::BYTEA
                 WHERE update_id = $1 AND lane = $2 AND done_at IS NULL
                   AND EXISTS (SELECT 1 FROM released)",
                &[&update_id, &lease.lane, &lease.fence],
            )
            .await
            .map_err(pg)?;
        Ok(marked == 1)
    }

    async fn release(&self, leases: Option<&[Lease]>) -> Result<u64, StoreError> {
        let client = self.leases.get().await.map_err(pg)?;
        let released = match leases {
            Some(leases) => {
                let (lanes, fences) = split(leases);
                client.execute(UNLEASE, &[&lanes, &fences]).await
            }
            None => {
                client
                    .execute(
                        "UPDATE inbox_lanes SET lease_until = NULL
                         WHERE owner = $1 AND lease_until IS NOT NULL",
                        &[&&*self.replica],
                    )
                    .await
            }
        };
        released.map_err(pg)
    }

    async fn waiting(&self) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM inbox WHERE done_at IS NULL", &[])
            .await
            .map_err(pg)?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl PgInbox {
    /// Forgets handled updates older than [`KEEP_DONE`], and lanes idle for
    /// an hour (a claim creates a lane's row again; fences never repeat).
    pub(super) async fn prune(&self) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let updates = client
            .execute(
                &format!("DELETE FROM inbox WHERE done_at < now() - interval '{KEEP_DONE}'"),
                &[],
            )
            .await
            .map_err(pg)?;
        let lanes = client
            .execute(
                "DELETE FROM inbox_lanes
                 WHERE lease_until IS NULL OR lease_until < now() - interval '1 hour'",
                &[],
            )
            .await
            .map_err(pg)?;
        Ok(updates + lanes)
    }
}

#[cfg(test)]
mod tests {
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
        let handled = handled.lock().expect("lock");
        let mut total = 0;
        for (lane, ids) in handled.iter() {
            let expected: Vec<i64> = (0..UPDATES).filter(|i| i % CHATS == *lane).collect();
            assert_eq!(ids, &expected, "chat {lane} in order, once each");
            total += ids.len();
        }
        assert_eq!(total, UPDATES as usize);
        assert_eq!(a.waiting().await.expect("waiting"), 0);
    }
}
