//! Saved bills, one row each, and the reminder runs' claims. A save is one
//! transaction under the customer's advisory lock, so the count of twenty
//! and the unique key are checked against every other save of that
//! customer; the claims are inserts under their primary keys (the check's
//! a conditional takeover of a stale, unfinished claim).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Pool, pg};
use crate::{
    bank::Account,
    payments::{
        StoreError, TelegramUserId,
        bills::{BillEdit, BillId, Claim, ReminderKind, Reminders, SavedBill, SavedBills, Stored},
    },
};

fn user_id(user: TelegramUserId) -> Result<i64, StoreError> {
    i64::try_from(user.0).map_err(|_| StoreError::Backend("user id beyond 64 bits".into()))
}

fn bill_id(id: BillId) -> Result<i64, StoreError> {
    i64::try_from(id.0).map_err(|_| StoreError::Backend("bill id beyond 63 bits".into()))
}

fn decode(rows: &[tokio_postgres::Row]) -> Vec<SavedBill> {
    rows.iter()
        .filter_map(|r| match serde_json::from_str(r.get::<_, &str>(0)) {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable saved bill skipped");
                None
            }
        })
        .collect()
}

/// Namespace of the per-customer advisory lock of a save.
const SAVE_LOCK: i32 = 0x6269_6c6c;

pub(super) struct PgBills {
    pub pool: Pool,
}

#[async_trait]
impl SavedBills for PgBills {
    async fn save(&self, bill: SavedBill, max: usize) -> Result<Stored, StoreError> {
        let user = user_id(bill.user)?;
        let key = bill.key();
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        // Two ids in one lock key: ours, and the user id folded to 32 bits
        // (a collision only makes two customers' saves wait for each other).
        let folded = (user ^ (user >> 32)) as i32;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&SAVE_LOCK, &folded],
        )
        .await
        .map_err(pg)?;
        let existing = tx
            .query_opt(
                "SELECT bill::text FROM saved_bills WHERE user_id = $1 AND key = $2",
                &[&user, &key],
            )
            .await
            .map_err(pg)?;
        if let Some(row) = existing {
            return Ok(Stored::Exists(serde_json::from_str(row.get::<_, &str>(0))?));
        }
        let count: i64 = tx
            .query_one(
                "SELECT count(*) FROM saved_bills WHERE user_id = $1",
                &[&user],
            )
            .await
            .map_err(pg)?
            .get(0);
        if usize::try_from(count).unwrap_or(usize::MAX) >= max {
            return Ok(Stored::Full);
        }
        let account = serde_json::to_string(&bill.account)?;
        let json = serde_json::to_string(&bill)?;
        tx.execute(
            "INSERT INTO saved_bills (id, user_id, key, account, reminders, created_at, bill)
             VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7::text::jsonb)",
            &[
                &bill_id(bill.id)?,
                &user,
                &key,
                &account,
                &bill.reminders,
                &bill.created_at,
                &json,
            ],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(Stored::Saved(bill))
    }

    async fn list(&self, user: TelegramUserId) -> Result<Vec<SavedBill>, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let rows = client
            .query(
                "SELECT bill::text FROM saved_bills WHERE user_id = $1 ORDER BY created_at, id",
                &[&user_id(user)?],
            )
            .await
            .map_err(pg)?;
        Ok(decode(&rows))
    }

    async fn get(&self, user: TelegramUserId, id: BillId) -> Result<Option<SavedBill>, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let rows = client
            .query(
                "SELECT bill::text FROM saved_bills WHERE user_id = $1 AND id = $2",
                &[&user_id(user)?, &bill_id(id)?],
            )
            .await
            .map_err(pg)?;
        Ok(decode(&rows).pop())
    }

    async fn find(&self, user: TelegramUserId, key: &str) -> Result<Option<SavedBill>, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let rows = client
            .query(
                "SELECT bill::text FROM saved_bills WHERE user_id = $1 AND key = $2",
                &[&user_id(user)?, &key],
            )
            .await
            .map_err(pg)?;
        Ok(decode(&rows).pop())
    }

    async fn edit(
        &self,
        user: TelegramUserId,
        id: BillId,
        edit: BillEdit,
    ) -> Result<Option<SavedBill>, StoreError> {
        let (user, id) = (user_id(user)?, bill_id(id)?);
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        let row = tx
            .query_opt(
                "SELECT bill::text FROM saved_bills WHERE user_id = $1 AND id = $2 FOR UPDATE",
                &[&user, &id],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let bill: SavedBill = serde_json::from_str(row.get::<_, &str>(0))?;
        let bill = bill.edited(&edit);
        let json = serde_json::to_string(&bill)?;
        tx.execute(
            "UPDATE saved_bills SET bill = $3::text::jsonb, reminders = $4
             WHERE user_id = $1 AND id = $2",
            &[&user, &id, &json, &bill.reminders],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(Some(bill))
    }

    async fn delete(&self, user: TelegramUserId, id: BillId) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "DELETE FROM saved_bills WHERE user_id = $1 AND id = $2",
                &[&user_id(user)?, &bill_id(id)?],
            )
            .await
            .map_err(pg)?;
        Ok(n > 0)
    }

    async fn delete_account(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<u64, StoreError> {
        let account = serde_json::to_string(account)?;
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "DELETE FROM saved_bills WHERE user_id = $1 AND account = $2::text::jsonb",
                &[&user_id(user)?, &account],
            )
            .await
            .map_err(pg)
    }

    async fn with_reminders(
        &self,
        after: Option<BillId>,
        limit: usize,
    ) -> Result<Vec<SavedBill>, StoreError> {
        let after = match after {
            Some(id) => bill_id(id)?,
            None => -1,
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.pool.get().await.map_err(pg)?;
        let rows = client
            .query(
                "SELECT bill::text FROM saved_bills WHERE reminders AND id > $1
                 ORDER BY id LIMIT $2",
                &[&after, &limit],
            )
            .await
            .map_err(pg)?;
        Ok(decode(&rows))
    }
}

pub(super) struct PgReminders {
    pub pool: Pool,
}

#[async_trait]
impl Reminders for PgReminders {
    async fn claim_check(
        &self,
        bill: BillId,
        day: NaiveDate,
        now: DateTime<Utc>,
        stale: Duration,
    ) -> Result<Claim, StoreError> {
        // A `stale` reaching back before any claim (or too long to
        // subtract) is NULL: nothing is taken over, and nothing panics.
        let stale_before = chrono::Duration::from_std(stale)
            .ok()
            .and_then(|stale| now.checked_sub_signed(stale))
            .filter(|t| *t > DateTime::UNIX_EPOCH);
        let client = self.pool.get().await.map_err(pg)?;
        // The insert decides; `done` is read from the statement's snapshot,
        // only to tell the two refusals apart (a claim made since reads as
        // NULL: held).
        let row = client
            .query_one(
                "WITH won AS (
                     INSERT INTO reminder_checks (bill_id, day, claimed_at) VALUES ($1, $2, $3)
                     ON CONFLICT (bill_id, day) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
                     WHERE NOT reminder_checks.done AND reminder_checks.claimed_at < $4
                     RETURNING 1
                 )
                 SELECT EXISTS (SELECT 1 FROM won),
                        (SELECT done FROM reminder_checks WHERE bill_id = $1 AND day = $2)",
                &[&bill_id(bill)?, &day, &now, &stale_before],
            )
            .await
            .map_err(pg)?;
        let won: bool = row.try_get(0).map_err(pg)?;
        let done: Option<bool> = row.try_get(1).map_err(pg)?;
        Ok(match (won, done) {
            (true, _) => Claim::Won,
            (false, Some(true)) => Claim::Done,
            (false, _) => Claim::Held,
        })
    }

    async fn renew_check(
        &self,
        bill: BillId,
        day: NaiveDate,
        claimed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Both times reach the column as microseconds, truncated alike: the
        // claim's own time compares equal.
        let client = self.pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "UPDATE reminder_checks SET claimed_at = $4
                 WHERE bill_id = $1 AND day = $2 AND claimed_at = $3 AND NOT done",
                &[&bill_id(bill)?, &day, &claimed_at, &now],
            )
            .await
            .map_err(pg)?;
        Ok(n == 1)
    }

    async fn checked(&self, bill: BillId, day: NaiveDate) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "UPDATE reminder_checks SET done = true WHERE bill_id = $1 AND day = $2",
                &[&bill_id(bill)?, &day],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn claim_send(
        &self,
        bill: BillId,
        invoice: &str,
        kind: ReminderKind,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "INSERT INTO reminder_sends (bill_id, invoice, kind, sent_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&bill_id(bill)?, &invoice, &kind.code(), &now],
            )
            .await
            .map_err(pg)?;
        Ok(n == 1)
    }

    async fn release_send(
        &self,
        bill: BillId,
        invoice: &str,
        kind: ReminderKind,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "DELETE FROM reminder_sends WHERE bill_id = $1 AND invoice = $2 AND kind = $3",
                &[&bill_id(bill)?, &invoice, &kind.code()],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn next_query(&self, every: Duration) -> Result<Duration, StoreError> {
        // The database's clock, not the replicas': theirs may disagree.
        // The row lock orders the replicas; the wait is the reserved start
        // (the new `next_at` less `every`) less now. Each replica holds one
        // reservation at a time, so a start more than 64 turns ahead is a
        // clock set back: it counts from now instead.
        let every = every.as_secs_f64();
        let client = self.pool.get().await.map_err(pg)?;
        let row = client
            .query_one(
                "UPDATE reminder_pace
                 SET next_at = greatest(
                     least(next_at, clock_timestamp() + make_interval(secs => $1 * 64)),
                     clock_timestamp()
                 ) + make_interval(secs => $1)
                 RETURNING extract(epoch FROM next_at - clock_timestamp())::float8 - $1",
                &[&every],
            )
            .await
            .map_err(pg)?;
        let wait: f64 = row.try_get(0).map_err(pg)?;
        Ok(Duration::try_from_secs_f64(wait.max(0.0)).unwrap_or(Duration::ZERO))
    }

    async fn prune(&self, day: NaiveDate, sent_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let checks = client
            .execute("DELETE FROM reminder_checks WHERE day < $1", &[&day])
            .await
            .map_err(pg)?;
        let sends = client
            .execute(
                "DELETE FROM reminder_sends WHERE sent_at < $1",
                &[&sent_before],
            )
            .await
            .map_err(pg)?;
        Ok(checks + sends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::postgres;

    /// A pace left a day ahead (the database's clock was set back since)
    /// holds no run for a day: the next start is within 64 turns of now.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pace_far_ahead_counts_from_now() {
        let Some(url) = postgres::throwaway::database("the reminder pace").await else {
            return;
        };
        let pool = postgres::pool(&url).expect("pool");
        postgres::migrations::migrate(&pool)
            .await
            .expect("migrated");
        let client = pool.get().await.expect("a connection");
        client
            .execute(
                "UPDATE reminder_pace SET next_at = now() + interval '1 day'",
                &[],
            )
            .await
            .expect("set ahead");
        drop(client);
        let reminders = PgReminders { pool };
        let every = Duration::from_millis(10);
        let wait = reminders.next_query(every).await.expect("a start");
        assert!(wait <= every * 65, "{wait:?}");
        let next = reminders.next_query(every).await.expect("a start");
        assert!(next <= every * 66, "{wait:?} then {next:?}");
    }
}
