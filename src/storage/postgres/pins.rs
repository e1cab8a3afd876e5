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
