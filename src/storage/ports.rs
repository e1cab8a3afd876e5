//! The bot-side ports: what the dialogue and its screens need stored.
//! The payment-side ones ([`Ledger`](crate::payments::Ledger),
//! [`Users`](crate::payments::Users), [`Invites`](crate::payments::Invites))
//! are the core's. Each backend implements both.

use async_trait::async_trait;

use crate::payments::StoreError;

/// Each chat's dialogue state, as bytes (what they mean is
/// [`Dialogues`](super::Dialogues)' business). Every write is durable
/// before it returns: a prompt is never sent for a step a crash could forget.
#[async_trait]
pub trait DialogueStore: Send + Sync {
    async fn get(&self, chat_id: i64) -> Result<Option<Vec<u8>>, StoreError>;
    async fn put(&self, chat_id: i64, state: Vec<u8>) -> Result<(), StoreError>;
    async fn remove(&self, chat_id: i64) -> Result<(), StoreError>;
    /// How many chats have a stored dialogue.
    async fn count(&self) -> Result<usize, StoreError>;
}

/// Per chat, the message that shows the live dialogue screen's buttons, so
/// a screen sent anew can take them off the old one. Best effort: a lost
/// entry only leaves an old keyboard whose buttons answer "expired".
#[async_trait]
pub trait Menus: Send + Sync {
    /// Records `message` as the chat's menu; returns the one it replaces.
    async fn replace(&self, chat_id: i64, message: i32) -> Option<i32>;
    /// Forgets `message` as the chat's menu, if it still is.
    async fn forget(&self, chat_id: i64, message: i32);
    /// Forgets the chat's menu, returning it.
    async fn take(&self, chat_id: i64) -> Option<i32>;
}

/// The database as a whole.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Everything written so far, on disk.
    async fn flush(&self) -> Result<(), StoreError>;
    /// Whether the database answers a read, and no write is stuck.
    async fn healthy(&self) -> bool;

    /// Whether this process can still make progress on its own: `false`
    /// only for a fault a restart would clear (a stuck local flush), never
    /// because a shared database is away.
    fn live(&self) -> bool {
        true
    }

    /// What the backend does in the background while the bot runs (a
    /// replica's heartbeat, the sweep of payments whose replica died);
    /// never returns for a backend that needs it, at once for one that
    /// does not.
    async fn maintain(&self) {}

    /// This process stops (or is taken for dead, in tests): what it leaves
    /// in flight is abandoned, for the next sweep or start to settle.
    async fn retire(&self) {}
}
