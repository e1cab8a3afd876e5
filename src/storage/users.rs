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

    /// Read-modify-write of one user's record, atomic per key, durable.
    pub async fn update(
        &self,
        user_id: u64,
        change: impl Fn(&mut UserRecord) + Send + 'static,
    ) -> Result<UserRecord, StoreError> {
        let tree = self.tree.clone();
        let updated = blocking(move || {
            Ok(tree.update_and_fetch(user_id.to_be_bytes(), |old| {
                let mut record: UserRecord = old
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or_default();
                change(&mut record);
                serde_json::to_vec(&record).ok()
            })?)
        })
        .await?;
        self.flusher.durable().await?;
        Ok(updated
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default())
    }

    pub async fn set_lang(&self, user_id: u64, lang: Lang) -> Result<(), StoreError> {
        self.update(user_id, move |r| r.lang = Some(lang))
            .await
            .map(|_| ())
    }
}
