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

#[cfg(test)]
mod tests {
    use crate::storage::{fixtures, sled::SledParts};

    /// No tree holds the PIN's digits: only the hash is stored.
    #[tokio::test]
    async fn no_pin_is_stored_in_clear() {
        let parts = SledParts::temporary().expect("store");
        let (db, tree) = (parts.db.clone(), parts.pins.tree.clone());
        let store = parts.store();
        let digits = fixtures::pin_typed(&store).await;
        assert_eq!(tree.len(), 1, "one user's record");
        for name in db.tree_names() {
            let tree = db.open_tree(&name).expect("tree");
            for entry in tree.iter() {
                let (key, value) = entry.expect("entry");
                for bytes in [key.as_ref(), value.as_ref()] {
                    let text = String::from_utf8_lossy(bytes);
                    assert!(
                        !text.contains(digits),
                        "in {:?}",
                        String::from_utf8_lossy(&name)
                    );
                }
            }
        }
        let stored = String::from_utf8_lossy(&tree.iter().next().expect("one").expect("read").1)
            .into_owned();
        assert!(stored.contains("$argon2id$"), "{stored}");
    }
}
