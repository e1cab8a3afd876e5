//! [`SledPins`]: each Telegram user's PIN hash and lock, by user id. A
//! change is a compare-and-swap loop, so of many at once each applies to
//! the record the one before it left; durable through the [`Flusher`].

use async_trait::async_trait;

use super::{Flusher, blocking};
use crate::payments::{PinChange, PinRecord, Pins, StoreError, TelegramUserId};

#[derive(Clone)]
pub struct SledPins {
    pub(crate) tree: sled::Tree,
    flusher: Flusher,
}

impl SledPins {
    pub fn new(tree: sled::Tree, flusher: Flusher) -> Self {
        SledPins { tree, flusher }
    }
}

fn decode(bytes: Option<&[u8]>) -> Result<PinRecord, StoreError> {
    Ok(match bytes {
        Some(bytes) => serde_json::from_slice(bytes)?,
        None => PinRecord::default(),
    })
}

#[async_trait]
impl Pins for SledPins {
    async fn get(&self, user: TelegramUserId) -> Result<PinRecord, StoreError> {
        let tree = self.tree.clone();
        let bytes = blocking(move || Ok(tree.get(user.0.to_be_bytes())?)).await?;
        decode(bytes.as_deref())
    }

    async fn update(
        &self,
        user: TelegramUserId,
        change: PinChange,
    ) -> Result<PinRecord, StoreError> {
        let tree = self.tree.clone();
        let key = user.0.to_be_bytes();
        let (before, changed) = blocking(move || {
            loop {
                let old = tree.get(key)?;
                let before = decode(old.as_deref())?;
                let (after, _) = before.apply(&change);
                if after == before {
                    return Ok((before, false));
                }
                let new = serde_json::to_vec(&after)?;
                if tree.compare_and_swap(key, old, Some(new))?.is_ok() {
                    return Ok((before, true));
                }
            }
        })
        .await?;
        if changed {
            self.flusher.durable().await?;
        }
        Ok(before)
    }
}
