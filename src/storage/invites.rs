//! One-time invite tokens: an agent's `/invite` creates one, the customer's
//! `/start <token>` consumes it. Removal from the tree is the "use", in the
//! same transaction as the linking, so a token works once even if two users
//! race for it, and is never used up without linking.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{Flusher, StoreError, UserRecord, Users, blocking};
use crate::{bank::Account, i18n::Lang};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub account: Account,
    pub agent_id: u64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("unknown or already used invite")]
    Unknown,
    #[error("expired invite")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Invites {
    tree: sled::Tree,
    flusher: Flusher,
}

/// How long an invite link stays valid.
pub const INVITE_TTL_HOURS: i64 = 24;

impl Invites {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        Invites { tree, flusher }
    }

    /// A fresh token (122 random bits, URL-safe) for `account`.
    pub async fn create(
        &self,
        account: Account,
        agent_id: u64,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let invite = Invite {
            account,
            agent_id,
            created_at: now,
            expires_at: now + Duration::hours(INVITE_TTL_HOURS),
        };
        let bytes = serde_json::to_vec(&invite)?;
        let (tree, key) = (self.tree.clone(), token.clone());
        blocking(move || Ok(tree.insert(key.as_bytes(), bytes)?)).await?;
        self.flusher.durable().await?;
        Ok(token)
    }

    /// Consumes `token` and links its account to `user_id`, in one
    /// transaction: the token is used up exactly when the account is linked
    /// (an expired token is used up too). `lang` is the language the user's
    /// Telegram speaks now. A user record that does not decode is an error,
    /// never overwritten.
    pub async fn redeem(
        &self,
        users: &Users,
        token: &str,
        user_id: u64,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Invite, InviteError> {
        let (invites_tree, users_tree) = (self.tree.clone(), users.tree.clone());
        let token = token.to_owned();
        let outcome = blocking(move || {
            (&invites_tree, &users_tree)
                .transaction(|(invites, users)| {
                    let Some(bytes) = invites.remove(token.as_bytes())? else {
                        return Ok(Err(Refusal::Unknown));
                    };
                    let invite: Invite = serde_json::from_slice(&bytes).map_err(abort)?;
                    if invite.expires_at <= now {
                        return Ok(Err(Refusal::Expired));
                    }
                    let key = user_id.to_be_bytes();
                    let mut record: UserRecord = match users.get(key)? {
                        Some(b) => serde_json::from_slice(&b).map_err(abort)?,
                        None => UserRecord::default(),
                    };
                    if !record.accounts.contains(&invite.account) {
                        record.accounts.push(invite.account.clone());
                    }
                    record.telegram_lang = Some(lang);
                    users.insert(&key, serde_json::to_vec(&record).map_err(abort)?)?;
                    Ok(Ok(invite))
                })
                .map_err(|e| match e {
                    TransactionError::Abort(e) => e,
                    TransactionError::Storage(e) => StoreError::Db(e),
                })
        })
        .await?;
        self.flusher.durable().await?;
        match outcome {
            Ok(invite) => Ok(invite),
            Err(Refusal::Unknown) => Err(InviteError::Unknown),
            Err(Refusal::Expired) => Err(InviteError::Expired),
        }
    }
}

/// Why a token links nothing (inside the transaction, where errors must be
/// plain values).
enum Refusal {
    Unknown,
    Expired,
}

fn abort(e: serde_json::Error) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(StoreError::from(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Store, fixtures};

    fn account() -> Account {
        fixtures::account(357)
    }

    #[tokio::test]
    async fn a_token_links_once_and_only_by_linking() {
        let store = Store::temporary().expect("store");
        let now = Utc::now();
        let token = store
            .invites
            .create(account(), 9, now)
            .await
            .expect("created");

        let invite = store
            .invites
            .redeem(&store.users, &token, 1, Lang::En, now)
            .await
            .expect("linked");
        assert_eq!(invite.account, account());
        let user = store.users.get(1).await.expect("user");
        assert_eq!(user.accounts, vec![account()]);
        assert_eq!(user.preferred_lang(), Some(Lang::En));
        assert!(matches!(
            store
                .invites
                .redeem(&store.users, &token, 2, Lang::Tr, now)
                .await,
            Err(InviteError::Unknown)
        ));
        assert!(store.users.get(2).await.expect("user").accounts.is_empty());
    }

    #[tokio::test]
    async fn expired_tokens_link_nothing() {
        let store = Store::temporary().expect("store");
        let then = Utc::now() - Duration::hours(INVITE_TTL_HOURS + 1);
        let token = store
            .invites
            .create(account(), 9, then)
            .await
            .expect("created");
        assert!(matches!(
            store
                .invites
                .redeem(&store.users, &token, 1, Lang::Tr, Utc::now())
                .await,
            Err(InviteError::Expired)
        ));
        assert!(store.users.get(1).await.expect("user").accounts.is_empty());
    }

    #[tokio::test]
    async fn an_unreadable_user_record_keeps_the_token() {
        let store = Store::temporary().expect("store");
        let now = Utc::now();
        let token = store
            .invites
            .create(account(), 9, now)
            .await
            .expect("created");
        store
            .users
            .tree
            .insert(5u64.to_be_bytes(), &b"not json"[..])
            .expect("insert");
        assert!(matches!(
            store
                .invites
                .redeem(&store.users, &token, 5, Lang::Tr, now)
                .await,
            Err(InviteError::Store(_))
        ));
        // Not used up: another user can still redeem it.
        assert!(
            store
                .invites
                .redeem(&store.users, &token, 6, Lang::Tr, now)
                .await
                .is_ok()
        );
    }
}
