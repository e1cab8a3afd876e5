//! Per Telegram user: chosen language and linked bank accounts.

use serde::{Deserialize, Serialize};

use super::{Flusher, StoreError, blocking};
use crate::{bank::Account, i18n::Lang};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Set by `/language`; `None` means "follow Telegram's language_code".
    #[serde(default)]
    pub lang: Option<Lang>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// The language the user's Telegram spoke when they linked: what the
    /// bot uses to write to them unprompted (a cancellation notice) when
    /// they never chose one.
    #[serde(default)]
    pub telegram_lang: Option<Lang>,
}

impl UserRecord {
    /// The language to write to this user in when they are not the one
    /// talking (no `language_code` at hand).
    pub fn preferred_lang(&self) -> Option<Lang> {
        self.lang.or(self.telegram_lang)
    }
}

#[derive(Clone)]
pub struct Users {
    pub(super) tree: sled::Tree,
    flusher: Flusher,
}

impl Users {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        Users { tree, flusher }
    }

    pub async fn get(&self, user_id: u64) -> Result<UserRecord, StoreError> {
        let tree = self.tree.clone();
        match blocking(move || Ok(tree.get(user_id.to_be_bytes())?)).await? {
            Some(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(user_id, error = %e, "unreadable user record, starting afresh");
                UserRecord::default()
            })),
            None => Ok(UserRecord::default()),
        }
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

    pub async fn set_lang(&self, user_id: u64, lang: Lang) -> Result<(), StoreError> {
        self.update(user_id, move |r| r.lang = Some(lang))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use crate::{i18n::Lang, storage::Store};

    /// Changing the language of a user whose record does not decode fails
    /// and keeps the record (and so the linked accounts in it).
    #[tokio::test]
    async fn an_unreadable_record_is_kept_not_overwritten() {
        let store = Store::temporary().expect("store");
        store
            .users
            .tree
            .insert(5u64.to_be_bytes(), &b"{not json"[..])
            .expect("insert");
        assert!(store.users.set_lang(5, Lang::En).await.is_err());
        assert_eq!(
            store
                .users
                .tree
                .get(5u64.to_be_bytes())
                .expect("get")
                .as_deref(),
            Some(&b"{not json"[..])
        );
        // A readable one is changed as asked.
        store.users.set_lang(6, Lang::En).await.expect("set");
        assert_eq!(store.users.get(6).await.expect("get").lang, Some(Lang::En));
    }
}
