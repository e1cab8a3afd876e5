//! The replica that owns a payment in flight keeps a heartbeat; when it
//! stops (crashed, retired), its payments are swept to "being checked".

use chrono::{DateTime, Utc};

use super::{PgLedger, REPLICA_GONE_SECS};
use crate::{
    payments::{Answer, PaymentIntent, PaymentState, StoreError},
    storage::postgres::pg,
};

/// A bank call lasts at most its time-out (15 s by default): a payment of
/// a live replica in flight for this long lost its answer.
const STUCK_SECS: i64 = 300;

impl PgLedger {
    /// Payments in flight whose replica is gone (by the database's clock),
    /// this replica's own that have been in flight far longer than any
    /// bank call lasts (their answer could not be recorded), and with
    /// `own`, all of this replica's.
    pub(in crate::storage::postgres) async fn sweep(
        &self,
        at: DateTime<Utc>,
        own: bool,
    ) -> Result<usize, StoreError> {
        let rows = self
            .query(
                "SELECT p.intent, p.state FROM payments p
                 WHERE p.state IN ('InFlight', 'Cancelling')
                   AND (($2 AND p.owner = $3)
                     OR (p.owner = $3 AND p.held_since < now() - make_interval(secs => $4))
                     OR (p.owner IS NULL AND p.created_at < now() - make_interval(secs => $1))
                     OR (p.owner <> $3 AND NOT EXISTS (
                       SELECT 1 FROM replicas r
                       WHERE r.id = p.owner
                         AND r.seen_at > now() - make_interval(secs => $1))))",
                &[
                    &(REPLICA_GONE_SECS as f64),
                    &own,
                    &&*self.replica,
                    &(STUCK_SECS as f64),
                ],
            )
            .await?;
        let mut settled = 0;
        for row in rows {
            let intent = PaymentIntent::from_raw(row.get::<_, String>(0));
            let from = match row.get::<_, &str>(1) {
                "InFlight" => PaymentState::InFlight,
                _ => PaymentState::Cancelling,
            };
            let Some(answer) = Answer::abandoned(from) else {
                continue;
            };
            // One record that does not decode must not stop the sweep (nor
            // every replica's start): it is logged and left as it is.
            match self.answer_from(&intent, from, answer, at).await {
                Ok(Some(_)) => settled += 1,
                Ok(None) => {}
                Err(StoreError::Decode(e)) => {
                    tracing::error!(%intent, error = %e, "unreadable payment left in flight");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(settled)
    }

    /// This replica is alive (by the database's clock).
    pub(in crate::storage::postgres) async fn heartbeat(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "INSERT INTO replicas (id) VALUES ($1)
                 ON CONFLICT (id) DO UPDATE SET seen_at = now()",
                &[&&*self.replica],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// This replica is gone from now on (its heartbeat stops counting).
    pub(in crate::storage::postgres) async fn retire(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "UPDATE replicas SET seen_at = '-infinity' WHERE id = $1",
                &[&&*self.replica],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }
}
