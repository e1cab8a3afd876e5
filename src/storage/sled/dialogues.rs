//! [`SledDialogues`]: each chat's dialogue state, as bytes, in one tree;
//! every write durable (through the [`Flusher`]) before it returns.

use async_trait::async_trait;

use super::{Flusher, blocking};
use crate::{payments::StoreError, storage::DialogueStore};

#[derive(Clone)]
pub struct SledDialogues {
    pub(crate) tree: sled::Tree,
    flusher: Flusher,
}

impl SledDialogues {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        SledDialogues { tree, flusher }
    }
}

fn key(chat_id: i64) -> [u8; 8] {
    chat_id.to_be_bytes()
}

#[async_trait]
impl DialogueStore for SledDialogues {
    async fn get(&self, chat_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let tree = self.tree.clone();
        blocking(move || Ok(tree.get(key(chat_id))?.map(|v| v.to_vec()))).await
    }

    async fn put(&self, chat_id: i64, state: Vec<u8>) -> Result<(), StoreError> {
        let tree = self.tree.clone();
        blocking(move || Ok(tree.insert(key(chat_id), state)?)).await?;
        self.flusher.durable().await
    }

    async fn remove(&self, chat_id: i64) -> Result<(), StoreError> {
        let tree = self.tree.clone();
        blocking(move || Ok(tree.remove(key(chat_id))?)).await?;
        self.flusher.durable().await
    }

    async fn count(&self) -> Result<usize, StoreError> {
        let tree = self.tree.clone();
        blocking(move || Ok(tree.len())).await
    }
}
