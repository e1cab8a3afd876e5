//! Per Telegram user: chosen language and linked bank accounts.

use async_trait::async_trait;

use super::{Flusher, blocking};
use crate::{
    bank::Account,
    i18n::Lang,
    payments::{StoreError, TelegramUserId, Unlinked, UserRecord, Users},
};

#[derive(Clone)]
pub struct SledUsers {
    pub(crate) tree: sled::Tree,
    flusher: Flusher,
}

impl SledUsers {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        SledUsers { tree, flusher }
    }

    /// Read-modify-write of one user's record (compare-and-swap, so
    /// atomic per key), durable. A stored record that does not decode is
    /// an error and stays as it is: overwriting it would lose the user's
    /// linked accounts.
    pub async fn update(
        &self,
        user_id: u64,
        change: impl Fn(&mut UserRecord) + Send + 'static,
    ) -> Result<UserRecord, StoreError> {
        let tree = self.tree.clone();
        let key = user_id.to_be_bytes();
        let updated = blocking(move || {
            loop {
                let old = tree.get(key)?;
                let mut record: UserRecord = match &old {
                    Some(bytes) => serde_json::from_slice(bytes)?,
                    None => UserRecord::default(),
                };
                change(&mut record);
                let new = serde_json::to_vec(&record)?;
                if tree.compare_and_swap(key, old, Some(new))?.is_ok() {
                    return Ok(record);
                }
            }
        })
        .await?;
        self.flusher.durable().await?;
        Ok(updated)
    }
}

#[async_trait]
impl Users for SledUsers {
    async fn get(&self, user: TelegramUserId) -> Result<UserRecord, StoreError> {
        let user_id = user.0;
        let tree = self.tree.clone();
        match blocking(move || Ok(tree.get(user_id.to_be_bytes())?)).await? {
            Some(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(user_id, error = %e, "unreadable user record, starting afresh");
                UserRecord::default()
            })),
            None => Ok(UserRecord::default()),
        }
    }

    async fn set_lang(&self, user: TelegramUserId, lang: Lang) -> Result<(), StoreError> {
        self.update(user.0, move |r| r.lang = Some(lang))
            .await
            .map(|_| ())
    }

    /// Compare-and-swap, retried; nothing is written when there is no
    /// record or nothing changes.
    async fn set_blocked(&self, user: TelegramUserId, blocked: bool) -> Result<bool, StoreError> {
        let tree = self.tree.clone();
        let key = user.0.to_be_bytes();
        let changed = blocking(move || {
            loop {
                let Some(old) = tree.get(key)? else {
                    return Ok(false);
                };
                let mut record: UserRecord = serde_json::from_slice(&old)?;
                if record.blocked == blocked {
                    return Ok(false);
                }
                record.blocked = blocked;
                let new = serde_json::to_vec(&record)?;
                if tree.compare_and_swap(key, Some(old), Some(new))?.is_ok() {
                    return Ok(true);
                }
            }
        })
        .await?;
        if changed {
            self.flusher.durable().await?;
        }
        Ok(changed)
    }

    /// Compare-and-swap against the record read, retried when another
    /// write came between; nothing is written when the account is not there.
    async fn unlink(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<Unlinked, StoreError> {
        let (tree, account) = (self.tree.clone(), account.clone());
        let key = user.0.to_be_bytes();
        let unlinked = blocking(move || {
            loop {
                let Some(old) = tree.get(key)? else {
                    return Ok(Unlinked::NotLinked);
                };
                let mut record: UserRecord = serde_json::from_slice(&old)?;
                if !record.unlink(&account) {
                    return Ok(Unlinked::NotLinked);
                }
                let new = serde_json::to_vec(&record)?;
                if tree.compare_and_swap(key, Some(old), Some(new))?.is_ok() {
                    return Ok(Unlinked::Removed {
                        left: record.accounts.len(),
                    });
                }
            }
        })
        .await?;
        if unlinked != Unlinked::NotLinked {
            self.flusher.durable().await?;
        }
        Ok(unlinked)
    }

    /// A scan of every user: sled keeps no index by customer, and this is
    /// an agent's rare `/resetpin`.
    async fn linked_to(&self, customer_no: u64) -> Result<Vec<TelegramUserId>, StoreError> {
        let tree = self.tree.clone();
        blocking(move || {
            let mut linked = Vec::new();
            for entry in tree.iter() {
                let (key, value) = entry?;
                let Ok(id) = <[u8; 8]>::try_from(key.as_ref()) else {
                    continue;
                };
                let Ok(record) = serde_json::from_slice::<UserRecord>(&value) else {
                    continue;
                };
                if record.accounts.iter().any(|a| a.customer_no == customer_no) {
                    linked.push(TelegramUserId(u64::from_be_bytes(id)));
                }
            }
            Ok(linked)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        i18n::Lang,
        payments::{TelegramUserId, Users},
        storage::{fixtures, sled::SledParts},
    };

    /// Changing the language of (or unlinking from) a user whose record
    /// does not decode fails and keeps the record (and so the linked accounts in it).
    #[tokio::test]
    async fn an_unreadable_record_is_kept_not_overwritten() {
        let users = SledParts::temporary().expect("store").users;
        users
            .tree
            .insert(5u64.to_be_bytes(), &b"{not json"[..])
            .expect("insert");
        assert!(users.set_lang(TelegramUserId(5), Lang::En).await.is_err());
        let account = fixtures::account(357);
        assert!(users.unlink(TelegramUserId(5), &account).await.is_err());
        assert_eq!(
            users.tree.get(5u64.to_be_bytes()).expect("get").as_deref(),
            Some(&b"{not json"[..])
        );
        // A readable one is changed as asked.
        users
            .set_lang(TelegramUserId(6), Lang::En)
            .await
            .expect("set");
        let six = users.get(TelegramUserId(6)).await.expect("get");
        assert_eq!(six.lang, Some(Lang::En));
    }
}
