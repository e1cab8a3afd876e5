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
mod tests;
