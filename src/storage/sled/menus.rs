//! [`SledMenus`]: per chat, the message that shows the live dialogue screen's
//! buttons, so that a screen sent anew can take them off the old one.
//!
//! Not flushed: after a crash an old keyboard may stay, and its buttons
//! still only answer "this button has expired".

use async_trait::async_trait;

use super::blocking;
use crate::storage::Menus;

#[derive(Clone)]
pub struct SledMenus {
    tree: sled::Tree,
}

impl SledMenus {
    pub fn new(tree: sled::Tree) -> Self {
        SledMenus { tree }
    }
}

#[async_trait]
impl Menus for SledMenus {
    /// Records `message` as the chat's menu; returns the one it replaces.
    async fn replace(&self, chat_id: i64, message: i32) -> Option<i32> {
        let tree = self.tree.clone();
        let old = blocking(move || Ok(tree.insert(chat_id.to_be_bytes(), &message.to_be_bytes())?))
            .await
            .ok()??;
        Some(i32::from_be_bytes(old.as_ref().try_into().ok()?))
    }

    /// Forgets `message` as the chat's menu, if it still is: it now shows
    /// something else (a receipt with a Pay button, the welcome), whose
    /// buttons a later screen must not take off.
    async fn forget(&self, chat_id: i64, message: i32) {
        let tree = self.tree.clone();
        let _ = blocking(move || {
            let _ = tree.compare_and_swap(
                chat_id.to_be_bytes(),
                Some(&message.to_be_bytes()[..]),
                None as Option<&[u8]>,
            )?;
            Ok(())
        })
        .await;
    }

    /// Forgets the chat's menu; returns it.
    async fn take(&self, chat_id: i64) -> Option<i32> {
        let tree = self.tree.clone();
        let old = blocking(move || Ok(tree.remove(chat_id.to_be_bytes())?))
            .await
            .ok()??;
        Some(i32::from_be_bytes(old.as_ref().try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::Store;

    #[tokio::test]
    async fn replace_and_take() {
        let store = Store::temporary().expect("store");
        let m = &store.menus;
        assert_eq!(m.replace(7, 10).await, None);
        assert_eq!(m.replace(7, 12).await, Some(10));
        assert_eq!(m.replace(8, 1).await, None);
        assert_eq!(m.take(7).await, Some(12));
        assert_eq!(m.take(7).await, None);
        m.replace(7, 20).await;
        m.forget(7, 19).await;
        assert_eq!(m.take(7).await, Some(20), "another message: kept");
        m.replace(7, 21).await;
        m.forget(7, 21).await;
        assert_eq!(m.take(7).await, None, "that message: forgotten");
    }
}
