//! Users and invites. JSON goes in and out as text: amounts and the like
//! keep their exact digits. An invite's row is keyed by its [`InviteKey`],
//! never the token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;

use super::{Pool, pg};
use crate::{
    bank::Account,
    i18n::Lang,
    payments::{
        Invite, InviteError, InviteKey, Invites, StoreError, TelegramUserId, Unlinked, UserRecord,
        Users,
    },
};

fn id(user: TelegramUserId) -> Result<i64, StoreError> {
    i64::try_from(user.0).map_err(|_| StoreError::Backend("user id beyond 64 bits".into()))
}

/// The user's record, locked for this transaction (created when missing).
/// A record that does not decode is an error: it is never overwritten.
async fn lock_user(tx: &Transaction<'_>, user: i64) -> Result<UserRecord, StoreError> {
    let empty = serde_json::to_string(&UserRecord::default())?;
    tx.execute(
        "INSERT INTO users (user_id, record) VALUES ($1, $2::text::jsonb) ON CONFLICT DO NOTHING",
        &[&user, &empty],
    )
    .await
    .map_err(pg)?;
    let row = tx
        .query_one(
            "SELECT record::text FROM users WHERE user_id = $1 FOR UPDATE",
            &[&user],
        )
        .await
        .map_err(pg)?;
    Ok(serde_json::from_str(row.get::<_, &str>(0))?)
}

async fn write_user(
    tx: &Transaction<'_>,
    user: i64,
    record: &UserRecord,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(record)?;
    tx.execute(
        "UPDATE users SET record = $2::text::jsonb WHERE user_id = $1",
        &[&user, &json],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

pub(super) struct PgUsers {
    pub pool: Pool,
}

#[async_trait]
impl Users for PgUsers {
    async fn get(&self, user: TelegramUserId) -> Result<UserRecord, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let row = client
            .query_opt(
                "SELECT record::text FROM users WHERE user_id = $1",
                &[&id(user)?],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(UserRecord::default());
        };
        Ok(serde_json::from_str(row.get::<_, &str>(0)).unwrap_or_else(|e| {
            tracing::warn!(user_id = user.0, error = %e, "unreadable user record, starting afresh");
            UserRecord::default()
        }))
    }

    async fn set_lang(&self, user: TelegramUserId, lang: Lang) -> Result<(), StoreError> {
        let user = id(user)?;
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        let mut record = lock_user(&tx, user).await?;
        record.lang = Some(lang);
        write_user(&tx, user, &record).await?;
        tx.commit().await.map_err(pg)
    }

    /// Under the row's lock; a user with no row has nothing to unlink, and
    /// gets none (the transaction ends unwritten, as when not linked).
    async fn unlink(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<Unlinked, StoreError> {
        let user = id(user)?;
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        let row = tx
            .query_opt(
                "SELECT record::text FROM users WHERE user_id = $1 FOR UPDATE",
                &[&user],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(Unlinked::NotLinked);
        };
        let mut record: UserRecord = serde_json::from_str(row.get::<_, &str>(0))?;
        if !record.unlink(account) {
            return Ok(Unlinked::NotLinked);
        }
        write_user(&tx, user, &record).await?;
        tx.commit().await.map_err(pg)?;
        Ok(Unlinked::Removed {
            left: record.accounts.len(),
        })
    }

    /// One conditional update of the JSON: nothing written when there is
    /// no row or nothing changes.
    async fn set_blocked(&self, user: TelegramUserId, blocked: bool) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "UPDATE users SET record = jsonb_set(record, '{blocked}', to_jsonb($2::bool))
                 WHERE user_id = $1 AND COALESCE((record->>'blocked')::bool, false) <> $2",
                &[&id(user)?, &blocked],
            )
            .await
            .map_err(pg)?;
        Ok(n > 0)
    }

    async fn linked_to(&self, customer_no: u64) -> Result<Vec<TelegramUserId>, StoreError> {
        let customer = i64::try_from(customer_no)
            .map_err(|_| StoreError::Backend("customer number beyond 64 bits".into()))?;
        let client = self.pool.get().await.map_err(pg)?;
        // Containment, which the index of migration 8 serves.
        let rows = client
            .query(
                "SELECT user_id FROM users
                 WHERE record->'accounts' @> jsonb_build_array(jsonb_build_object('customer_no', $1::bigint))
                 ORDER BY user_id",
                &[&customer],
            )
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .filter_map(|r| u64::try_from(r.get::<_, i64>(0)).ok())
            .map(TelegramUserId)
            .collect())
    }
}

pub(super) struct PgInvites {
    pub pool: Pool,
}

#[async_trait]
impl Invites for PgInvites {
    async fn create(
        &self,
        account: Account,
        agent: TelegramUserId,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let (token, key) = InviteKey::issue();
        let json = serde_json::to_string(&Invite::new(account, agent, now))?;
        let client = self.pool.get().await.map_err(pg)?;
        client
            .execute(
                "INSERT INTO invites (token, invite) VALUES ($1, $2::text::jsonb)",
                &[&key.as_str(), &json],
            )
            .await
            .map_err(pg)?;
        Ok(token)
    }

    async fn redeem(
        &self,
        token: &str,
        user: TelegramUserId,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Invite, InviteError> {
        let user = id(user)?;
        let key = InviteKey::of(token);
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        // The DELETE is the use: of two users racing, one finds the row.
        let row = tx
            .query_opt(
                "DELETE FROM invites WHERE token = $1 RETURNING invite::text",
                &[&key.as_str()],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Err(InviteError::Unknown);
        };
        let invite: Invite =
            serde_json::from_str(row.get::<_, &str>(0)).map_err(StoreError::from)?;
        if invite.expired_at(now) {
            // Used up all the same.
            tx.commit().await.map_err(pg)?;
            return Err(InviteError::Expired);
        }
        // An unreadable user record fails here, and the rollback keeps the token.
        let mut record = lock_user(&tx, user).await?;
        record.link(&invite.account, lang);
        write_user(&tx, user, &record).await?;
        tx.commit().await.map_err(pg)?;
        Ok(invite)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use crate::{
        i18n::Lang,
        payments::TelegramUserId,
        storage::{fixtures, postgres},
    };

    /// The table holds keys: no row, key or value, contains a token.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_token_is_stored() {
        let Some(url) = postgres::throwaway::database("invites hashed").await else {
            return;
        };
        let store = postgres::open(&url).await.expect("store");
        let now = Utc::now();
        let mut tokens = Vec::new();
        for n in 0..5 {
            let created = store
                .invites
                .create(fixtures::account(n), TelegramUserId(9), now);
            tokens.push(created.await.expect("invite"));
        }
        let client = postgres::pool(&url)
            .expect("pool")
            .get()
            .await
            .expect("client");
        let rows = client
            .query("SELECT token, invite::text FROM invites", &[])
            .await
            .expect("rows");
        assert_eq!(rows.len(), tokens.len());
        for row in &rows {
            let stored = format!("{} {}", row.get::<_, &str>(0), row.get::<_, &str>(1));
            for token in &tokens {
                assert!(!stored.contains(token.as_str()), "{stored}");
            }
        }
        let linked = store
            .invites
            .redeem(&tokens[0], TelegramUserId(1), Lang::En, now);
        assert!(linked.await.is_ok());
        // What a copy of the table shows is no token.
        let key: String = rows[1].get(0);
        let stolen = store.invites.redeem(&key, TelegramUserId(2), Lang::En, now);
        assert!(stolen.await.is_err());
    }
}
