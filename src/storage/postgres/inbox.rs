//! The inbox of replicated webhook mode, in PostgreSQL.
//!
//! `update_id` is the primary key, so a second delivery is an insert that
//! does nothing. A lease is a conditional update of the lane's oldest open
//! row, taken with `FOR UPDATE SKIP LOCKED`, so two replicas claiming at
//! once never both get it, and a lane's later row is never claimed while
//! an earlier one is open. Handled rows stay a day (Telegram's deliveries
//! again stay no-ops) and are then pruned by the sweep.

use std::time::Duration;

use async_trait::async_trait;

use super::{Pool, pg};
use crate::{
    payments::StoreError,
    storage::{Inbox, Inboxed},
};

/// How long a handled update is kept, so that a late delivery of it again
/// is recognised.
pub(super) const KEEP_DONE: &str = "1 day";

pub(super) struct PgInbox {
    pub pool: Pool,
    pub replica: String,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[async_trait]
impl Inbox for PgInbox {
    async fn accept(
        &self,
        update_id: i64,
        lane: Option<i64>,
        body: &[u8],
    ) -> Result<bool, StoreError> {
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
        let client = self.pool.get().await.map_err(pg)?;
        let rows = client
            .query(
                "UPDATE inbox SET owner = $1, lease_until = now() + make_interval(secs => $2),
                        claims = claims + 1
                 WHERE update_id IN (
                     SELECT i.update_id FROM inbox i
                     WHERE i.done_at IS NULL
                       AND (i.lease_until IS NULL OR i.lease_until < now())
                       AND NOT EXISTS (
                           SELECT 1 FROM inbox e
                           WHERE e.lane = i.lane AND e.done_at IS NULL
                             AND e.update_id < i.update_id)
                     ORDER BY i.update_id
                     LIMIT $3
                     FOR UPDATE OF i SKIP LOCKED)
                 RETURNING update_id, body, claims",
                &[&&*self.replica, &secs(lease), &limit],
            )
            .await
            .map_err(pg)?;
        let mut claimed: Vec<Inboxed> = rows
            .iter()
            .map(|r| Inboxed {
                update_id: r.get(0),
                body: r.get(1),
                claims: r.get(2),
            })
            .collect();
        claimed.sort_by_key(|c| c.update_id);
        Ok(claimed)
    }

    async fn renew(&self, update_ids: &[i64], lease: Duration) -> Result<(), StoreError> {
        if update_ids.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "UPDATE inbox SET lease_until = now() + make_interval(secs => $3)
                 WHERE owner = $1 AND update_id = ANY($2) AND done_at IS NULL",
                &[&&*self.replica, &update_ids, &secs(lease)],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn done(&self, update_id: i64) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let marked = client
            .execute(
                "UPDATE inbox SET done_at = now(), lease_until = NULL
                 WHERE update_id = $1 AND owner = $2 AND done_at IS NULL",
                &[&update_id, &&*self.replica],
            )
            .await
            .map_err(pg)?;
        Ok(marked == 1)
    }

    async fn release(&self, update_ids: Option<&[i64]>) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let released = match update_ids {
            Some(ids) => {
                client
                    .execute(
                        "UPDATE inbox SET lease_until = NULL
                         WHERE owner = $1 AND update_id = ANY($2) AND done_at IS NULL",
                        &[&&*self.replica, &ids],
                    )
                    .await
            }
            None => {
                client
                    .execute(
                        "UPDATE inbox SET lease_until = NULL
                         WHERE owner = $1 AND done_at IS NULL AND lease_until IS NOT NULL",
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
    /// Forgets handled updates older than [`KEEP_DONE`].
    pub(super) async fn prune(&self) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                &format!("DELETE FROM inbox WHERE done_at < now() - interval '{KEEP_DONE}'"),
                &[],
            )
            .await
            .map_err(pg)
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
        Inbox,
        postgres::{open_as, throwaway},
    };

    const LEASE: Duration = Duration::from_secs(10);

    async fn inboxes(test: &str) -> Option<(Arc<dyn Inbox>, Arc<dyn Inbox>)> {
        let url = throwaway::database(test).await?;
        let a = open_as(&url, "a").await.expect("replica a").inbox;
        let b = open_as(&url, "b").await.expect("replica b").inbox;
        Some((a.expect("an inbox"), b.expect("an inbox")))
    }

    fn ids(claimed: &[crate::storage::Inboxed]) -> Vec<i64> {
        claimed.iter().map(|c| c.update_id).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lane_is_handled_in_order_and_a_delivery_again_is_a_no_op() {
        let Some((a, b)) = inboxes("inbox order").await else {
            return;
        };
        for (id, lane) in [(10, 1), (11, 2), (12, 1), (13, 1), (14, 2), (15, 3)] {
            assert!(a.accept(id, Some(lane), b"{}").await.expect("accept"));
        }
        assert!(!b.accept(12, Some(1), b"{}").await.expect("again"));
        assert_eq!(a.waiting().await.expect("waiting"), 6);

        // Each lane's oldest only, whoever asks.
        let first = a.claim(100, LEASE).await.expect("claim");
        assert_eq!(ids(&first), [10, 11, 15]);
        assert!(b.claim(100, LEASE).await.expect("claim").is_empty());
        assert!(!b.done(10).await.expect("not b's"), "b holds no lease");

        assert!(a.done(10).await.expect("done"));
        assert!(!a.done(10).await.expect("done once"));
        let next = b.claim(100, LEASE).await.expect("claim");
        assert_eq!(ids(&next), [12], "lane 1 moves on; lane 2 is still held");
        assert_eq!(next[0].claims, 1);
        assert_eq!(a.waiting().await.expect("waiting"), 5);
    }

    /// A replica that dies holding a lease: the lane waits until the lease
    /// ends (by the database's clock), then another takes the update over;
    /// the dead one's late "done" no longer counts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_expired_lease_is_taken_over_and_a_restart_frees_its_own() {
        let Some((a, b)) = inboxes("inbox lease").await else {
            return;
        };
        a.accept(1, Some(7), b"{}").await.expect("accept");
        a.accept(2, Some(8), b"{}").await.expect("accept");
        let short = Duration::from_millis(700);
        assert_eq!(ids(&a.claim(1, short).await.expect("claim")), [1]);
        assert!(
            b.claim(1, short)
                .await
                .expect("claim")
                .iter()
                .all(|c| c.update_id != 1)
        );
        tokio::time::sleep(Duration::from_millis(900)).await;
        let again = b.claim(10, LEASE).await.expect("claim");
        let taken: Vec<_> = again.iter().filter(|c| c.update_id == 1).collect();
        assert_eq!(taken.len(), 1, "{again:?}");
        assert_eq!(taken[0].claims, 2);
        assert!(!a.done(1).await.expect("done"), "a's lease is over");
        assert!(b.done(1).await.expect("done"));

        // Renewed leases hold; a restart under the same name frees them.
        a.accept(3, Some(9), b"{}").await.expect("accept");
        assert_eq!(ids(&a.claim(1, short).await.expect("claim")), [3]);
        a.renew(&[3], LEASE).await.expect("renew");
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert!(b.claim(10, LEASE).await.expect("claim").is_empty());
        assert_eq!(a.release(None).await.expect("release"), 1);
        assert_eq!(ids(&b.claim(10, LEASE).await.expect("claim")), [3]);
    }

    /// Two replicas, 40 workers each, 400 updates over 25 chats: every
    /// update handled exactly once, a chat never by two at once, each
    /// chat's updates in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_replicas_handle_every_update_once_and_each_chat_in_order() {
        let Some((a, b)) = inboxes("inbox race").await else {
            return;
        };
        const UPDATES: i64 = 400;
        const CHATS: i64 = 25;
        let mut accepting = tokio::task::JoinSet::new();
        for id in 0..UPDATES {
            // Each update delivered to both replicas, at once.
            for inbox in [a.clone(), b.clone()] {
                accepting.spawn(async move {
                    inbox
                        .accept(id, Some(id % CHATS), format!("{id}").as_bytes())
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
                        assert!(busy.lock().expect("lock").insert(lane), "chat {lane} twice");
                        tokio::task::yield_now().await;
                        handled
                            .lock()
                            .expect("lock")
                            .entry(lane)
                            .or_default()
                            .push(c.update_id);
                        busy.lock().expect("lock").remove(&lane);
                        assert!(inbox.done(c.update_id).await.expect("done"));
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
