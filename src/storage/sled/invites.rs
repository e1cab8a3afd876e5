//! [`SledInvites`]: one-time invite tokens. Removal from the tree is the
//! "use", in the same transaction as the linking, so a token works once
//! even if two users race for it, and is never used up without linking.
//! Keys are [`InviteKey`]s: the tree never holds a token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{Flusher, SledUsers, blocking};
use crate::{
    bank::Account,
    i18n::Lang,
    payments::{Invite, InviteError, InviteKey, Invites, StoreError, TelegramUserId, UserRecord},
};

#[derive(Clone)]
pub struct SledInvites {
    tree: sled::Tree,
    users: SledUsers,
    flusher: Flusher,
}

impl SledInvites {
    pub fn new(tree: sled::Tree, users: SledUsers, flusher: Flusher) -> Result<Self, StoreError> {
        hash_clear_tokens(&tree)?;
        Ok(SledInvites {
            tree,
            users,
            flusher,
        })
    }
}

/// Databases written before keys hold tokens in clear: each is re-keyed
/// once, in one atomic batch (a key that is one already stays). Not made
/// durable here: lost in a crash, it runs again at the next open.
fn hash_clear_tokens(tree: &sled::Tree) -> Result<(), StoreError> {
    let mut batch = sled::Batch::default();
    let mut clear = 0usize;
    for entry in tree.iter() {
        let (key, value) = entry?;
        if !InviteKey::is_key(&key) {
            batch.remove(key.clone());
            batch.insert(InviteKey::of(&key).as_str().as_bytes(), value);
            clear += 1;
        }
    }
    if clear > 0 {
        tree.apply_batch(batch)?;
        tracing::info!(
            invites = clear,
            "invite tokens stored in clear are now hashed"
        );
    }
    Ok(())
}

/// Why a token links nothing (inside the transaction, where errors must be
/// plain values).
enum Refusal {
    Unknown,
    Expired,
}

#[async_trait]
impl Invites for SledInvites {
    /// A fresh token for `account`; only its key is stored.
    async fn create(
        &self,
        account: Account,
        agent: TelegramUserId,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let (token, key) = InviteKey::issue();
        let bytes = serde_json::to_vec(&Invite::new(account, agent, now))?;
        let tree = self.tree.clone();
        blocking(move || Ok(tree.insert(key.as_str().as_bytes(), bytes)?)).await?;
        self.flusher.durable().await?;
        Ok(token)
    }

    /// A user record that does not decode is an error, never overwritten,
    /// and the token stays unused.
    async fn redeem(
        &self,
        token: &str,
        user: TelegramUserId,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Invite, InviteError> {
        let (invites_tree, users_tree) = (self.tree.clone(), self.users.tree.clone());
        let invite_key = InviteKey::of(token);
        let outcome = blocking(move || {
            (&invites_tree, &users_tree)
                .transaction(|(invites, users)| {
                    let Some(bytes) = invites.remove(invite_key.as_str().as_bytes())? else {
                        return Ok(Err(Refusal::Unknown));
                    };
                    let invite: Invite = serde_json::from_slice(&bytes).map_err(abort)?;
                    if invite.expired_at(now) {
                        return Ok(Err(Refusal::Expired));
                    }
                    let key = user.0.to_be_bytes();
                    let mut record: UserRecord = match users.get(key)? {
                        Some(b) => serde_json::from_slice(&b).map_err(abort)?,
                        None => UserRecord::default(),
                    };
                    record.link(&invite.account, lang);
                    users.insert(&key, serde_json::to_vec(&record).map_err(abort)?)?;
                    Ok(Ok(invite))
                })
                .map_err(|e| match e {
                    TransactionError::Abort(e) => e,
                    TransactionError::Storage(e) => StoreError::from(e),
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

fn abort(e: serde_json::Error) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(StoreError::from(e))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::{
        payments::{INVITE_TTL_HOURS, Users},
        storage::{fixtures, sled::SledParts},
    };

    const AGENT: TelegramUserId = TelegramUserId(9);

    fn account() -> Account {
        fixtures::account(357)
    }

    #[tokio::test]
    async fn a_token_links_once_and_only_by_linking() {
        let parts = SledParts::temporary().expect("store");
        let now = Utc::now();
        let token = parts
            .invites
            .create(account(), AGENT, now)
            .await
            .expect("created");

        let invite = parts
            .invites
            .redeem(&token, TelegramUserId(1), Lang::En, now)
            .await
            .expect("linked");
        assert_eq!(invite.account, account());
        let user = parts.users.get(TelegramUserId(1)).await.expect("user");
        assert_eq!(user.accounts, vec![account()]);
        assert_eq!(user.preferred_lang(), Some(Lang::En));
        assert!(matches!(
            parts
                .invites
                .redeem(&token, TelegramUserId(2), Lang::Tr, now)
                .await,
            Err(InviteError::Unknown)
        ));
        let other = parts.users.get(TelegramUserId(2)).await.expect("user");
        assert!(other.accounts.is_empty());
    }

    #[tokio::test]
    async fn expired_tokens_link_nothing() {
        let parts = SledParts::temporary().expect("store");
        let then = Utc::now() - Duration::hours(INVITE_TTL_HOURS + 1);
        let token = parts
            .invites
            .create(account(), AGENT, then)
            .await
            .expect("created");
        assert!(matches!(
            parts
                .invites
                .redeem(&token, TelegramUserId(1), Lang::Tr, Utc::now())
                .await,
            Err(InviteError::Expired)
        ));
        let user = parts.users.get(TelegramUserId(1)).await.expect("user");
        assert!(user.accounts.is_empty());
    }

    #[tokio::test]
    async fn an_unreadable_user_record_keeps_the_token() {
        let parts = SledParts::temporary().expect("store");
        let now = Utc::now();
        let token = parts
            .invites
            .create(account(), AGENT, now)
            .await
            .expect("created");
        parts
            .users
            .tree
            .insert(5u64.to_be_bytes(), &b"not json"[..])
            .expect("insert");
        assert!(matches!(
            parts
                .invites
                .redeem(&token, TelegramUserId(5), Lang::Tr, now)
                .await,
            Err(InviteError::Store(_))
        ));
        // Not used up: another user can still redeem it.
        let again = parts
            .invites
            .redeem(&token, TelegramUserId(6), Lang::Tr, now);
        assert!(again.await.is_ok());
    }

    /// The tree holds keys: neither a key nor a value contains the token,
    /// and a key presented as a token links nothing.
    #[tokio::test]
    async fn no_token_is_stored() {
        let parts = SledParts::temporary().expect("store");
        let now = Utc::now();
        let mut tokens = Vec::new();
        for n in 0..5 {
            let created = parts.invites.create(fixtures::account(n), AGENT, now);
            tokens.push(created.await.expect("created"));
        }
        let stored: Vec<_> = parts
            .invites
            .tree
            .iter()
            .map(|e| e.expect("entry"))
            .collect();
        assert_eq!(stored.len(), tokens.len());
        for (key, value) in &stored {
            assert!(InviteKey::is_key(key));
            let text = [key.as_ref(), value.as_ref()].concat();
            let text = String::from_utf8_lossy(&text);
            for token in &tokens {
                assert!(!text.contains(token.as_str()), "{text}");
            }
        }
        let key = String::from_utf8_lossy(&stored[0].0).into_owned();
        let stolen = parts.invites.redeem(&key, TelegramUserId(1), Lang::En, now);
        assert!(matches!(stolen.await, Err(InviteError::Unknown)));
    }

    /// A database written before keys (tokens in clear) is re-keyed when
    /// opened, once: the token still links, and opening again changes nothing.
    #[tokio::test]
    async fn clear_tokens_are_hashed_at_open_and_still_redeem() {
        let parts = SledParts::temporary().expect("store");
        let now = Utc::now();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let invite = serde_json::to_vec(&Invite::new(account(), AGENT, now)).expect("json");
        let tree = parts.db.open_tree("invites").expect("tree");
        tree.insert(token.as_bytes(), invite).expect("clear");
        let kept = parts.invites.create(account(), AGENT, now).await;
        let kept = InviteKey::of(kept.expect("created"));

        let reopen = || SledInvites::new(tree.clone(), parts.users.clone(), parts.flusher.clone());
        let invites = reopen().expect("opened");
        let keys = || -> Vec<Vec<u8>> {
            tree.iter()
                .keys()
                .map(|k| k.expect("key").to_vec())
                .collect()
        };
        let mut expected = vec![
            InviteKey::of(&token).as_str().as_bytes().to_vec(),
            kept.as_str().as_bytes().to_vec(),
        ];
        expected.sort();
        assert_eq!(keys(), expected);
        reopen().expect("opened again");
        assert_eq!(keys(), expected, "keys are never hashed twice");

        let linked = invites
            .redeem(&token, TelegramUserId(1), Lang::En, now)
            .await;
        assert_eq!(linked.expect("linked").account, account());
        let again = invites
            .redeem(&token, TelegramUserId(2), Lang::En, now)
            .await;
        assert!(matches!(again, Err(InviteError::Unknown)));
    }
}
