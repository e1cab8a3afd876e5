//! [`SledDialogues`]: teloxide's dialogue `Storage` over a sled tree.
//!
//! Each update is durable (through the [`Flusher`]) before returning, so a
//! prompt is never sent for a step that a crash could forget. A stored state that no longer reads
//! (after an upgrade changed the enum) comes back as [`Recoverable::unreadable`]
//! so the bot can apologise and start over instead of failing every update.

use std::{pin::Pin, sync::Arc};

use serde::{Serialize, de::DeserializeOwned};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};

use super::{Flusher, StoreError, blocking};

/// What teloxide's `Storage` methods return (its `BoxFuture`).
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A dialogue state with a value for "what was stored cannot be read".
pub trait Recoverable {
    fn unreadable() -> Self;
}

pub struct SledDialogues {
    tree: sled::Tree,
    flusher: Flusher,
}

impl SledDialogues {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        SledDialogues { tree, flusher }
    }

    /// How many chats have a stored dialogue.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
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
            let tree = self.tree.clone();
            blocking(move || Ok(tree.remove(key(chat_id))?)).await?;
            self.flusher.durable().await
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
            let tree = self.tree.clone();
            blocking(move || Ok(tree.insert(key(chat_id), bytes)?)).await?;
            self.flusher.durable().await
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<Option<D>, StoreError>> {
        Box::pin(async move {
            let tree = self.tree.clone();
            let Some(bytes) = blocking(move || Ok(tree.get(key(chat_id))?)).await? else {
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
