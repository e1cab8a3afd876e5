//! One-time invite tokens: an agent's `/invite` creates one, the customer's
//! `/start <token>` consumes it. Removal from the tree is the "use", so a
//! token works once even if two users race for it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::bank::Account;

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
}

/// How long an invite link stays valid.
pub const INVITE_TTL_HOURS: i64 = 24;

impl Invites {
    pub fn new(tree: sled::Tree) -> Self {
        Invites { tree }
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
        self.tree
            .insert(token.as_bytes(), serde_json::to_vec(&invite)?)?;
        self.tree.flush_async().await?;
        Ok(token)
    }

    /// Consumes `token`: it never works again, whatever the outcome.
    pub async fn redeem(&self, token: &str, now: DateTime<Utc>) -> Result<Invite, InviteError> {
        let removed = self
            .tree
            .remove(token.as_bytes())
            .map_err(StoreError::from)?;
        self.tree.flush_async().await.map_err(StoreError::from)?;
        let bytes = removed.ok_or(InviteError::Unknown)?;
        let invite: Invite = serde_json::from_slice(&bytes).map_err(StoreError::from)?;
        if invite.expires_at <= now {
            return Err(InviteError::Expired);
        }
        Ok(invite)
    }
}
