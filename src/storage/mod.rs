//! Everything durable, in one sled database opened once.
//!
//! - [`dialogues`]: teloxide's `Storage` over sled; the dialogue state of
//!   each chat.
//! - [`users`]: language and linked accounts per Telegram user.
//! - [`invites`]: one-time, expiring link tokens issued by agents.
//! - [`payments`]: the payment ledger, written before the bank is called.
//! - [`menus`]: which message of each chat shows the live dialogue buttons.
//!
//! Values are JSON. Whatever must survive `kill -9` is flushed before the
//! bot acts on it.

pub mod dialogues;
pub mod invites;
pub mod menus;
pub mod payments;
pub mod users;

use std::path::Path;

pub use dialogues::SledDialogues;
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
}

#[derive(Clone)]
pub struct Store {
    pub db: sled::Db,
    pub users: Users,
    pub invites: Invites,
    pub menus: Menus,
    pub ledger: Ledger,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new().path(dir).open()?;
        Store::from_db(db)
    }

    /// A throw-away database, for tests.
    pub fn temporary() -> Result<Store, StoreError> {
        let db = sled::Config::new().temporary(true).open()?;
        Store::from_db(db)
    }

    fn from_db(db: sled::Db) -> Result<Store, StoreError> {
        Ok(Store {
            users: Users::new(db.open_tree("users")?),
            invites: Invites::new(db.open_tree("invites")?),
            menus: Menus::new(db.open_tree("menus")?),
            ledger: Ledger::new(&db)?,
            db,
        })
    }

    pub fn dialogues(&self) -> Result<SledDialogues, StoreError> {
        Ok(SledDialogues::new(self.db.open_tree("dialogues")?))
    }

    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }
}
