//! The bot-side ports: what the dialogue and its screens need stored.
//! The payment-side ones ([`Ledger`](crate::payments::Ledger),
//! [`Users`](crate::payments::Users), [`Invites`](crate::payments::Invites))
//! are the core's. Each backend implements both.

use std::time::Duration;

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

/// A lane's lease: whose it is, by a fencing token no other lease of any
/// lane ever has, so that a holder whose lease ran out (and was taken over)
/// can neither renew it nor mark anything done under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub lane: i64,
    pub fence: i64,
}

/// An update kept in the [`Inbox`], leased to this process to handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inboxed {
    pub update_id: i64,
    /// The update as Telegram sent it.
    pub body: Vec<u8>,
    /// How many times it has been leased, this time included: more than
    /// one means a replica died (or stalled) while handling it.
    pub claims: i32,
    pub lease: Lease,
}

/// The lane of updates with neither a chat nor a sender (the bot serves
/// none of them): they are handled one at a time, like a chat.
pub const NO_LANE: i64 = 0;

/// The durable inbox of a bot served by several replicas: every update
/// Telegram delivers is kept here before the webhook answers 200, and the
/// replicas take them from here, one chat at a time, in order.
///
/// A *lane* is the chat an update belongs to (the sender when there is no
/// chat). A lane is leased, not an update: while its lease lives, no one
/// else takes any update of it; its holder handles the lane's oldest
/// unhandled update. Leases are timed by the database's clock.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Keeps the update; `false` when it is there already (a delivery
    /// again), which changes nothing.
    async fn accept(&self, update_id: i64, lane: i64, body: &[u8]) -> Result<bool, StoreError>;
    /// Leases up to `limit` lanes no live lease holds, oldest waiting
    /// first, for `lease`; returns each one's oldest unhandled update.
    async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<Inboxed>, StoreError>;
    /// Extends `leases` by `lease` from now; returns the lanes still held
    /// (a lease taken over, or given up by a "done", is gone for good).
    async fn renew(&self, leases: &[Lease], lease: Duration) -> Result<Vec<i64>, StoreError>;
    /// The update is handled and its lane free again. `false` when the
    /// lease was taken over meanwhile (its new holder handles it again).
    async fn done(&self, update_id: i64, lease: Lease) -> Result<bool, StoreError>;
    /// Gives up `leases`, or every lease held under this process's replica
    /// name when `None`: at start, what a previous run under the same name
    /// left is free again at once.
    async fn release(&self, leases: Option<&[Lease]>) -> Result<u64, StoreError>;
    /// Updates kept and not yet handled.
    async fn waiting(&self) -> Result<u64, StoreError>;
}
