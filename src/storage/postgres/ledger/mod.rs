//! The ledger in PostgreSQL: one row per payment (the record as JSON, and
//! the columns the listings and constraints need), and the audit trail.
//! `begin`: recording a payment (one per press, one open attempt per
//! invoice, the daily limit); `replicas`: who owns a payment in flight,
//! and the sweep.

mod begin;
mod replicas;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::error::SqlState;

use super::{Pool, pg};
use crate::{
    bank::Account,
    money::Amount,
    payments::{
        Answer, AuditEntry, Begin, Finding, Ledger, PaymentIntent, PaymentRecord, PaymentState,
        Settled, StoreError, TelegramUserId, TransactionId,
    },
};

pub(super) struct PgLedger {
    pub pool: Pool,
    /// This replica: the owner of the payments it puts in flight.
    pub replica: Arc<str>,
}

/// A replica not seen for this long is gone: its payments in flight are
/// swept to "being checked". Several missed heartbeats (every 10 s).
pub(super) const REPLICA_GONE_SECS: i64 = 60;

/// What one read-modify-write did.
enum Change {
    Missing,
    /// The record as it is; `false` when the change did not apply.
    Done(Box<PaymentRecord>, bool),
    IdTaken,
}

/// Whether `e` is the one-open-attempt-per-invoice index refusing.
fn held(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .and_then(|d| d.constraint())
        .is_some_and(|c| c == "payments_one_open_attempt")
}

/// The state as the `state` column holds it (its serde name).
fn state_name(state: PaymentState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn payer(p: TelegramUserId) -> Result<i64, StoreError> {
    i64::try_from(p.0).map_err(|_| StoreError::Backend("user id beyond 64 bits".into()))
}

fn records(rows: Vec<tokio_postgres::Row>) -> Result<Vec<PaymentRecord>, StoreError> {
    rows.iter()
        .map(|r| Ok(serde_json::from_str(r.get::<_, &str>(0))?))
        .collect()
}

impl PgLedger {
    /// Read-modify-write of one payment under its row lock, in one
    /// transaction. `claimed_id`, a bank id staff give, is checked first:
    /// one that belongs to another payment, or differs from this one's,
    /// refuses the change. Any other new id is taken over (a sandbox
    /// restarted with a kept database reuses ids). A record that does not
    /// decode is an error and stays.
    async fn change(
        &self,
        intent: &PaymentIntent,
        claimed_id: Option<TransactionId>,
        change: impl FnOnce(&PaymentRecord) -> Option<PaymentRecord> + Send,
    ) -> Result<Change, StoreError> {
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        let key = intent.as_str();
        if let Some(id) = claimed_id {
            let holder = tx
                .query_opt(
                    "SELECT intent FROM payments WHERE transaction_id = $1 FOR UPDATE",
                    &[&id.0],
                )
                .await
                .map_err(pg)?;
            if holder.is_some_and(|h| h.get::<_, &str>(0) != key) {
                return Ok(Change::IdTaken);
            }
        }
        let row = tx
            .query_opt(
                "SELECT record::text FROM payments WHERE intent = $1 FOR UPDATE",
                &[&key],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(Change::Missing);
        };
        let record: PaymentRecord = serde_json::from_str(row.get::<_, &str>(0))?;
        if let Some(id) = claimed_id
            && record.transaction_id.is_some_and(|t| t != id)
        {
            return Ok(Change::IdTaken);
        }
        let Some(changed) = change(&record) else {
            return Ok(Change::Done(Box::new(record), false));
        };
        let id = changed.transaction_id.map(|t| t.0);
        if let Some(id) = id {
            let holder: Option<String> = tx
                .query_opt(
                    "SELECT intent FROM payments WHERE transaction_id = $1 FOR UPDATE",
                    &[&id],
                )
                .await
                .map_err(pg)?
                .map(|r| r.get(0));
            let elsewhere = holder.as_deref().is_some_and(|h| h != key);
            // An id staff gave, taken by another payment since the check
            // above: refused, never moved.
            if elsewhere && claimed_id.is_some() {
                return Ok(Change::IdTaken);
            }
            if let Some(previous) = holder.filter(|_| elsewhere) {
                tracing::warn!(%intent, %previous, "transaction id reused; it now refers to the newer payment");
                tx.execute(
                    "UPDATE payments SET transaction_id = NULL WHERE intent = $1",
                    &[&previous],
                )
                .await
                .map_err(pg)?;
            }
        }
        let json = serde_json::to_string(&changed)?;
        // A state a bank call holds (in flight, cancelling) belongs to this
        // replica from now on.
        let takes = changed.state.abandoned().is_some();
        let updated = tx
            .execute(
                "UPDATE payments SET state = $2, transaction_id = $3, record = $4::text::jsonb,
                   owner = CASE WHEN $5 THEN $6 ELSE owner END,
                   held_since = CASE WHEN $5 THEN now() ELSE held_since END
                 WHERE intent = $1",
                &[
                    &key,
                    &state_name(changed.state),
                    &id,
                    &json,
                    &takes,
                    &&*self.replica,
                ],
            )
            .await;
        match updated {
            // Another transaction took the id staff gave in the meantime.
            Err(e) if claimed_id.is_some() && e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                return Ok(Change::IdTaken);
            }
            other => other.map_err(pg)?,
        };
        tx.commit().await.map_err(pg)?;
        Ok(Change::Done(Box::new(changed), true))
    }

    pub(super) async fn answer_from(
        &self,
        intent: &PaymentIntent,
        from: PaymentState,
        answer: Answer,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let outcome = self
            .change(intent, None, move |r| {
                (r.state == from).then(|| r.clone().answered(&answer, at))
            })
            .await?;
        Ok(match outcome {
            Change::Done(record, true) => Some(*record),
            _ => None,
        })
    }

    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client.query(sql, params).await.map_err(pg)
    }
}

#[async_trait]
impl Ledger for PgLedger {
    async fn begin(
        &self,
        record: PaymentRecord,
        limit: Option<Amount>,
    ) -> Result<Begin, StoreError> {
        self.begin_now(record, limit).await
    }

    async fn spent_on(&self, account: &Account, day: NaiveDate) -> Result<Amount, StoreError> {
        self.spent_now(account, day).await
    }

    async fn get(&self, intent: &PaymentIntent) -> Result<Option<PaymentRecord>, StoreError> {
        let rows = self
            .query(
                "SELECT record::text FROM payments WHERE intent = $1",
                &[&intent.as_str()],
            )
            .await?;
        Ok(records(rows)?.pop())
    }

    async fn by_transaction(&self, id: TransactionId) -> Result<Option<PaymentRecord>, StoreError> {
        let rows = self
            .query(
                "SELECT record::text FROM payments WHERE transaction_id = $1",
                &[&id.0],
            )
            .await?;
        Ok(records(rows)?.pop())
    }

    async fn complete(
        &self,
        intent: &PaymentIntent,
        claimed: PaymentState,
        answer: Answer,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.answer_from(intent, claimed, answer, at).await
    }

    async fn claim_cancel(
        &self,
        intent: &PaymentIntent,
        seen: PaymentState,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.answer_from(intent, seen, Answer::cancelling(), at)
            .await
    }

    async fn settle(
        &self,
        intent: &PaymentIntent,
        finding: Finding,
        note: String,
        at: DateTime<Utc>,
    ) -> Result<Settled, StoreError> {
        let outcome = self
            .change(intent, finding.transaction_id(), move |r| {
                r.settled(finding, note.clone(), at)
            })
            .await?;
        Ok(match outcome {
            Change::Missing => Settled::NotFound,
            Change::IdTaken => Settled::IdTaken,
            Change::Done(record, false) => Settled::NotUnsettled(*record),
            Change::Done(record, true) => Settled::Done(*record),
        })
    }

    /// At start: this replica's own payments from before (it stopped
    /// with them in flight), and those of replicas that are gone. Never
    /// one a live replica makes.
    async fn settle_abandoned(&self, at: DateTime<Utc>) -> Result<usize, StoreError> {
        self.sweep(at, true).await
    }

    async fn for_payer(
        &self,
        payer_id: TelegramUserId,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let (skip, limit) = (skip as i64, i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = self
            .query(
                "SELECT record::text FROM payments WHERE payer = $1
                 ORDER BY created_at DESC, intent DESC OFFSET $2 LIMIT $3",
                &[&payer(payer_id)?, &skip, &limit],
            )
            .await?;
        records(rows)
    }

    async fn count_for_payer(&self, payer_id: TelegramUserId) -> Result<usize, StoreError> {
        let rows = self
            .query(
                "SELECT count(*) FROM payments WHERE payer = $1",
                &[&payer(payer_id)?],
            )
            .await?;
        let n: i64 = rows.first().map(|r| r.get(0)).unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    async fn for_day(&self, day: NaiveDate) -> Result<Vec<PaymentRecord>, StoreError> {
        let rows = self
            .query(
                "SELECT record::text FROM payments WHERE day = $1 ORDER BY created_at, intent",
                &[&day],
            )
            .await?;
        records(rows)
    }

    async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let json = serde_json::to_string(&entry)?;
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "INSERT INTO audit (at, entry) VALUES ($1, $2::text::jsonb)",
                &[&entry.at, &json],
            )
            .await
            .map_err(pg)?;
        tracing::info!(agent = %entry.agent, action = entry.action.as_str(), details = %entry.details, "audit");
        Ok(())
    }

    async fn audit_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .query(
                "SELECT entry::text FROM
                   (SELECT id, entry FROM audit WHERE at >= $1 ORDER BY id DESC LIMIT $2) newest
                 ORDER BY id",
                &[&since, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| Ok(serde_json::from_str(r.get::<_, &str>(0))?))
            .collect()
    }
}
