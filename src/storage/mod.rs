//! Everything durable, in one sled database opened once.
//!
//! - [`dialogues`]: teloxide's `Storage` over sled; the dialogue state of
//!   each chat.
//! - [`users`]: language and linked accounts per Telegram user.
//! - [`invites`]: one-time, expiring link tokens issued by agents.
//! - [`payments`]: the payment ledger, written before the bank is called.
//! - [`menus`]: which message of each chat shows the live dialogue buttons.
//! - [`flusher`]: the one place that flushes the database (group commit).
//! - `contract` (tests): what every backend must do under concurrency.
//!
//! Values are JSON. Whatever must survive `kill -9` is made durable through
//! the [`Flusher`] before the bot acts on it. sled calls run on blocking
//! threads ([`blocking`]): a write can wait for disk I/O, and the async
//! workers must keep serving other chats meanwhile.

#[cfg(test)]
mod contract;
pub mod dialogues;
#[cfg(test)]
mod fixtures;
pub mod flusher;
pub mod invites;
pub mod menus;
pub mod payments;
pub mod users;

use std::path::Path;

pub use dialogues::SledDialogues;
pub use flusher::Flusher;
pub use invites::{Invite, InviteError, Invites};
pub use menus::Menus;
pub use payments::{Ledger, PaymentRecord, PaymentState};
pub use users::{UserRecord, Users};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sled::Error),
    #[error("stored value unreadable: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("the database could not be flushed to disk")]
    Flush,
    #[error("a database task was cancelled")]
    Cancelled,
}

/// Runs sled calls (which may wait for the disk) on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| StoreError::Cancelled)?
}

/// sled's page cache. Its default (1 GiB) lets the cache, and so the
/// process, grow with every write; the working set here is small records.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct Store {
    pub db: sled::Db,
    pub flusher: Flusher,
    pub users: Users,
    pub invites: Invites,
    pub menus: Menus,
    pub ledger: Ledger,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .open()?;
        Store::from_db(db)
    }

    /// A throw-away database, for tests.
    pub fn temporary() -> Result<Store, StoreError> {
        let db = sled::Config::new().temporary(true).open()?;
        Store::from_db(db)
    }

    fn from_db(db: sled::Db) -> Result<Store, StoreError> {
        let flusher = Flusher::new(db.clone());
        Ok(Store {
            users: Users::new(db.open_tree("users")?, flusher.clone()),
            invites: Invites::new(db.open_tree("invites")?, flusher.clone()),
            menus: Menus::new(db.open_tree("menus")?),
            ledger: Ledger::new(&db, flusher.clone())?,
            flusher,
            db,
        })
    }

    pub fn dialogues(&self) -> Result<SledDialogues, StoreError> {
        Ok(SledDialogues::new(
            self.db.open_tree("dialogues")?,
            self.flusher.clone(),
        ))
    }

    /// Everything written so far, on disk.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.flusher.durable().await
    }

    /// Whether the database answers a read, and no flush is stuck.
    pub async fn healthy(&self) -> bool {
        let db = self.db.clone();
        let readable = blocking(move || Ok(db.get(b"__health")?)).await.is_ok();
        readable && !self.flusher.stalled()
    }
}
