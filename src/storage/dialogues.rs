//! [`SledDialogues`]: teloxide's dialogue `Storage` over a sled tree.
//!
//! Each update is flushed before returning, so a prompt is never sent for a
//! step that a crash could forget. A stored state that no longer reads
//! (after an upgrade changed the enum) comes back as [`Recoverable::unreadable`]
//! so the bot can apologise and start over instead of failing every update.

use std::{pin::Pin, sync::Arc};

use serde::{Serialize, de::DeserializeOwned};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};

use super::StoreError;

/// What teloxide's `Storage` methods return (its `BoxFuture`).
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A dialogue state with a value for "what was stored cannot be read".
pub trait Recoverable {
    fn unreadable() -> Self;
}

pub struct SledDialogues {
    tree: sled::Tree,
}

impl SledDialogues {
    pub fn new(tree: sled::Tree) -> Self {
        SledDialogues { tree }
    }
}

fn key(chat_id: ChatId) -> [u8; 8] {
    chat_id.0.to_be_bytes()
}

impl<D> Storage<D> for SledDialogues
where
    D: Serialize + DeserializeOwned + Recoverable + Send + 'static,
{
    type Error = StoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<(), StoreError>>
    where
        D: Send + 'static,
    {
        Box::pin(async move {
            self.tree.remove(key(chat_id))?;
            self.tree.flush_async().await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: D,
    ) -> BoxFuture<Result<(), StoreError>>
    where
        D: Send + 'static,
    {
        Box::pin(async move {
            let bytes = serde_json::to_vec(&dialogue)?;
            self.tree.insert(key(chat_id), bytes)?;
            self.tree.flush_async().await?;
            Ok(())
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<Option<D>, StoreError>> {
        Box::pin(async move {
            let Some(bytes) = self.tree.get(key(chat_id))? else {
                return Ok(None);
            };
            match serde_json::from_slice(&bytes) {
                Ok(state) => Ok(Some(state)),
                Err(e) => {
                    tracing::warn!(chat_id = chat_id.0, error = %e, "unreadable dialogue state, resetting");
                    Ok(Some(D::unreadable()))
                }
            }
        })
    }
}
