//! The sled backend: one embedded database, opened once.
//!
//! sled calls run on blocking threads (`blocking`): a write can wait for
//! disk I/O, and the async workers must keep serving other chats
//! meanwhile. Whatever must survive `kill -9` goes through the one
//! [`Flusher`] before the bot acts on it.

pub mod bills;
pub mod dialogues;
pub mod flusher;
pub mod invites;
pub mod ledger;
pub mod menus;
pub mod pins;
pub mod users;

use std::{path::Path, sync::Arc};

use async_trait::async_trait;

pub use bills::{SledBills, SledReminders};
pub use dialogues::SledDialogues;
pub use flusher::Flusher;
pub use invites::SledInvites;
pub use ledger::SledLedger;
pub use menus::SledMenus;
pub use pins::SledPins;
pub use users::SledUsers;

use super::{Backend, Store};
use crate::payments::StoreError;

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
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

/// Every sled-backed part, concrete (tests reach into their trees).
#[derive(Clone)]
pub struct SledParts {
    pub db: sled::Db,
    pub flusher: Flusher,
    pub users: SledUsers,
    pub invites: SledInvites,
    pub menus: SledMenus,
    pub ledger: SledLedger,
    pub dialogues: SledDialogues,
    pub pins: SledPins,
    pub bills: SledBills,
    pub reminders: SledReminders,
}

impl SledParts {
    pub fn open(dir: &Path) -> Result<SledParts, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .open()?;
        SledParts::from_db(db)
    }

    /// A throw-away database, for tests.
    pub fn temporary() -> Result<SledParts, StoreError> {
        SledParts::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<SledParts, StoreError> {
        let flusher = Flusher::new(db.clone());
        let users = SledUsers::new(db.open_tree("users")?, flusher.clone());
        Ok(SledParts {
            invites: SledInvites::new(db.open_tree("invites")?, users.clone(), flusher.clone())?,
            users,
            menus: SledMenus::new(db.open_tree("menus")?),
            ledger: SledLedger::new(&db, flusher.clone())?,
            dialogues: SledDialogues::new(db.open_tree("dialogues")?, flusher.clone()),
            pins: SledPins::new(db.open_tree("pins")?, flusher.clone()),
            bills: SledBills::new(db.open_tree("saved_bills")?, flusher.clone()),
            reminders: SledReminders::new(
                db.open_tree("reminder_checks")?,
                db.open_tree("reminder_sends")?,
                flusher.clone(),
            ),
            flusher,
            db,
        })
    }

    pub fn store(self) -> Store {
        Store {
            users: Arc::new(self.users.clone()),
            invites: Arc::new(self.invites.clone()),
            menus: Arc::new(self.menus.clone()),
            ledger: Arc::new(self.ledger.clone()),
            dialogue_states: Arc::new(self.dialogues.clone()),
            pins: Arc::new(self.pins.clone()),
            bills: Arc::new(self.bills.clone()),
            reminders: Arc::new(self.reminders.clone()),
            inbox: None,
            backend: Arc::new(self),
        }
    }
}

#[async_trait]
impl Backend for SledParts {
    async fn flush(&self) -> Result<(), StoreError> {
        self.flusher.durable().await
    }

    fn live(&self) -> bool {
        !self.flusher.stalled()
    }

    async fn healthy(&self) -> bool {
        let db = self.db.clone();
        let readable = blocking(move || Ok(db.get(b"__health")?)).await.is_ok();
        readable && !self.flusher.stalled()
    }
}
