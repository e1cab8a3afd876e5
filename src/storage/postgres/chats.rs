//! Dialogue states and menus, one row per chat.

use async_trait::async_trait;

use super::{Pool, pg};
use crate::{
    payments::StoreError,
    storage::{DialogueStore, Menus},
};

pub(super) struct PgDialogues {
    pub pool: Pool,
}

#[async_trait]
impl DialogueStore for PgDialogues {
    async fn get(&self, chat_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let row = client
            .query_opt(
                "SELECT state FROM dialogues WHERE chat_id = $1",
                &[&chat_id],
            )
            .await
            .map_err(pg)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn put(&self, chat_id: i64, state: Vec<u8>) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "INSERT INTO dialogues (chat_id, state) VALUES ($1, $2)
                 ON CONFLICT (chat_id) DO UPDATE SET state = EXCLUDED.state",
                &[&chat_id, &state],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn remove(&self, chat_id: i64) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute("DELETE FROM dialogues WHERE chat_id = $1", &[&chat_id])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn count(&self) -> Result<usize, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM dialogues", &[])
            .await
            .map_err(pg)?
            .get(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

pub(super) struct PgMenus {
    pub pool: Pool,
}

impl PgMenus {
    async fn one(
        &self,
        sql: &str,
        chat_id: i64,
        message: Option<i32>,
    ) -> Result<Option<i32>, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let row = match message {
            Some(m) => client.query_opt(sql, &[&chat_id, &m]).await,
            None => client.query_opt(sql, &[&chat_id]).await,
        }
        .map_err(pg)?;
        Ok(row.and_then(|r| r.get::<_, Option<i32>>(0)))
    }
}

impl PgMenus {
    /// The chat's menu becomes `message`; the one it was, returned.
    async fn swap(&self, chat_id: i64, message: i32) -> Result<Option<i32>, StoreError> {
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        // Per chat, one at a time: a row lock cannot hold a row not there yet.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('menus'), $1::int4)",
            &[&(chat_id as i32)],
        )
        .await
        .map_err(pg)?;
        let old = tx
            .query_opt(
                "SELECT message_id FROM menus WHERE chat_id = $1 FOR UPDATE",
                &[&chat_id],
            )
            .await
            .map_err(pg)?
            .map(|r| r.get::<_, i32>(0));
        tx.execute(
            "INSERT INTO menus (chat_id, message_id) VALUES ($1, $2)
             ON CONFLICT (chat_id) DO UPDATE SET message_id = EXCLUDED.message_id",
            &[&chat_id, &message],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(old)
    }
}

/// Best effort, as the port says: a failure is logged and reads as "none".
fn logged(outcome: Result<Option<i32>, StoreError>) -> Option<i32> {
    outcome.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "menu not recorded");
        None
    })
}

#[async_trait]
impl Menus for PgMenus {
    async fn replace(&self, chat_id: i64, message: i32) -> Option<i32> {
        logged(self.swap(chat_id, message).await)
    }

    async fn forget(&self, chat_id: i64, message: i32) {
        let sql = "DELETE FROM menus WHERE chat_id = $1 AND message_id = $2 RETURNING message_id";
        logged(self.one(sql, chat_id, Some(message)).await);
    }

    async fn take(&self, chat_id: i64) -> Option<i32> {
        let sql = "DELETE FROM menus WHERE chat_id = $1 RETURNING message_id";
        logged(self.one(sql, chat_id, None).await)
    }
}
