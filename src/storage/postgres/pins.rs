//! Each Telegram user's PIN hash and lock, one row per user. A change is
//! a read-modify-write under the row's lock, in one transaction: of many
//! at once, each applies to the record the one before it left.

use async_trait::async_trait;

use super::{Pool, pg};
use crate::payments::{PinChange, PinRecord, Pins, StoreError, TelegramUserId};

fn id(user: TelegramUserId) -> Result<i64, StoreError> {
    i64::try_from(user.0).map_err(|_| StoreError::Backend("user id beyond 64 bits".into()))
}

pub(super) struct PgPins {
    pub pool: Pool,
}

#[async_trait]
impl Pins for PgPins {
    async fn get(&self, user: TelegramUserId) -> Result<PinRecord, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let row = client
            .query_opt(
                "SELECT record::text FROM pins WHERE user_id = $1",
                &[&id(user)?],
            )
            .await
            .map_err(pg)?;
        match row {
            Some(row) => Ok(serde_json::from_str(row.get::<_, &str>(0))?),
            None => Ok(PinRecord::default()),
        }
    }

    async fn update(
        &self,
        user: TelegramUserId,
        change: PinChange,
    ) -> Result<PinRecord, StoreError> {
        let user = id(user)?;
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        // The row first, so that two first changes cannot both insert.
        let empty = serde_json::to_string(&PinRecord::default())?;
        tx.execute(
            "INSERT INTO pins (user_id, record) VALUES ($1, $2::text::jsonb) ON CONFLICT DO NOTHING",
            &[&user, &empty],
        )
        .await
        .map_err(pg)?;
        let row = tx
            .query_one(
                "SELECT record::text FROM pins WHERE user_id = $1 FOR UPDATE",
                &[&user],
            )
            .await
            .map_err(pg)?;
        let before: PinRecord = serde_json::from_str(row.get::<_, &str>(0))?;
        let (after, _) = before.apply(&change);
        if after != before {
            let json = serde_json::to_string(&after)?;
            tx.execute(
                "UPDATE pins SET record = $2::text::jsonb WHERE user_id = $1",
                &[&user, &json],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(before)
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::{fixtures, postgres};

    /// No table holds the PIN's digits: only the hash is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_pin_is_stored_in_clear() {
        let Some(url) = postgres::throwaway::database("PINs in clear").await else {
            return;
        };
        let store = postgres::open(&url).await.expect("store");
        let digits = fixtures::pin_typed(&store).await;
        let client = postgres::pool(&url).expect("pool");
        let client = client.get().await.expect("client");
        let tables = ["users", "pins", "audit", "payments", "dialogues"];
        for table in tables {
            let sql = format!("SELECT t::text FROM {table} t");
            for row in client.query(&sql, &[]).await.expect("scan") {
                let text: &str = row.get(0);
                assert!(!text.contains(digits), "in {table}: {text}");
            }
        }
        let row = client
            .query_one("SELECT record->>'hash' FROM pins", &[])
            .await
            .expect("one record");
        let hash: &str = row.get(0);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
    }
}
