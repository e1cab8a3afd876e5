//! Everything durable, behind ports; sled is the backend today.
//!
//! - [`ports`]: the bot-side ports ([`DialogueStore`], [`Menus`],
//!   [`Backend`], [`Inbox`]); the payment-side ones are in [`crate::payments::ports`].
//! - [`dialogues`]: teloxide's dialogue `Storage` over any [`DialogueStore`]:
//!   serialisation, and unreadable states reported, not dropped.
//! - [`sled`]: the sled backend (one node): users, invites, the ledger,
//!   dialogues, menus, PINs, and the one flusher that makes writes durable.
//! - [`postgres`]: the PostgreSQL backend (several replicas), selected by
//!   `FATURABOT_DATABASE_URL`.
//! - [`copy`]: `migrate --from-sled`, a single node's data into PostgreSQL.
//! - `contract` (tests): what every backend must do under concurrency.
//!
//! Values are JSON. Whatever must survive `kill -9` is durable before the
//! bot acts on it.

#[cfg(test)]
mod contract;
pub mod copy;
pub mod dialogues;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod ports;
pub mod postgres;
pub mod sled;

use std::{path::Path, sync::Arc};

pub use dialogues::{Dialogues, Recoverable};
pub use ports::{Backend, DialogueStore, Inbox, Inboxed, Lease, Menus, NO_LANE};

pub use crate::payments::bills::{Reminders, SavedBills};
pub use crate::payments::{
    Invite, InviteError, Invites, Ledger, PaymentRecord, PaymentState, Pins, StoreError,
    UserRecord, Users,
};

/// The database could not be opened: the message names the variable (or
/// folder) and never the password.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {problem}")]
pub struct OpenError {
    pub what: String,
    pub problem: String,
}

/// PostgreSQL at `database_url` when given, else sled in `data_dir`.
pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Store, OpenError> {
    match database_url {
        Some(url) => postgres::open(url).await.map_err(|e| OpenError {
            what: format!("FATURABOT_DATABASE_URL ({})", postgres::redacted(url)),
            problem: format!("cannot use the database: {e}"),
        }),
        None => {
            let dir = data_dir.to_owned();
            let opened = tokio::task::spawn_blocking(move || Store::open(&dir)).await;
            let what = format!("FATURABOT_DATA_DIR ({})", data_dir.display());
            match opened {
                Ok(Ok(store)) => Ok(store),
                Ok(Err(e)) => Err(OpenError {
                    what,
                    problem: format!("cannot open the database: {e}"),
                }),
                Err(e) => Err(OpenError {
                    what,
                    problem: format!("cannot open the database: {e}"),
                }),
            }
        }
    }
}

/// The storage the bot runs on: every port, one backend.
#[derive(Clone)]
pub struct Store {
    pub users: Arc<dyn Users>,
    pub invites: Arc<dyn Invites>,
    pub menus: Arc<dyn Menus>,
    pub ledger: Arc<dyn Ledger>,
    pub dialogue_states: Arc<dyn DialogueStore>,
    /// PIN hashes and locks, per Telegram user.
    pub pins: Arc<dyn Pins>,
    /// Saved bills, per customer.
    pub bills: Arc<dyn SavedBills>,
    /// What the reminder runs checked and sent.
    pub reminders: Arc<dyn Reminders>,
    pub backend: Arc<dyn Backend>,
    /// The durable inbox of replicated webhook mode; `None` for a backend
    /// that only ever serves one process (sled).
    pub inbox: Option<Arc<dyn Inbox>>,
}

impl Store {
    /// The sled database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Ok(sled::SledParts::open(dir)?.store())
    }

    /// A throw-away database, for tests.
    pub fn temporary() -> Result<Store, StoreError> {
        Ok(sled::SledParts::temporary()?.store())
    }

    /// The dialogue states of type `D`, as teloxide's `Storage`.
    pub fn dialogues<D>(&self) -> Arc<Dialogues<D>> {
        Arc::new(Dialogues::new(self.dialogue_states.clone()))
    }

    /// Everything written so far, on disk.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.backend.flush().await
    }

    /// Whether the database answers a read, and no write is stuck.
    pub async fn healthy(&self) -> bool {
        self.backend.healthy().await
    }
}
