//! [`Menus`]: per chat, the message that shows the live dialogue screen's
//! buttons, so that a screen sent anew can take them off the old one.
//!
//! Not flushed: after a crash an old keyboard may stay, and its buttons
//! still only answer "this button has expired".

#[derive(Clone)]
pub struct Menus {
    tree: sled::Tree,
}

impl Menus {
    pub fn new(tree: sled::Tree) -> Self {
        Menus { tree }
    }

    /// Records `message` as the chat's menu; returns the one it replaces.
    pub fn replace(&self, chat_id: i64, message: i32) -> Option<i32> {
        let old = self
            .tree
            .insert(chat_id.to_be_bytes(), &message.to_be_bytes())
            .ok()??;
        Some(i32::from_be_bytes(old.as_ref().try_into().ok()?))
    }

    /// Forgets `message` as the chat's menu, if it still is: it now shows
    /// something else (a receipt with a Pay button, the welcome), whose
    /// buttons a later screen must not take off.
    pub fn forget(&self, chat_id: i64, message: i32) {
        let _ = self.tree.compare_and_swap(
            chat_id.to_be_bytes(),
            Some(&message.to_be_bytes()[..]),
            None as Option<&[u8]>,
        );
    }

    /// Forgets the chat's menu; returns it.
    pub fn take(&self, chat_id: i64) -> Option<i32> {
        let old = self.tree.remove(chat_id.to_be_bytes()).ok()??;
        Some(i32::from_be_bytes(old.as_ref().try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::Store;

    #[test]
    fn replace_and_take() {
        let store = Store::temporary().expect("store");
        assert_eq!(store.menus.replace(7, 10), None);
        assert_eq!(store.menus.replace(7, 12), Some(10));
        assert_eq!(store.menus.replace(8, 1), None);
        assert_eq!(store.menus.take(7), Some(12));
        assert_eq!(store.menus.take(7), None);
        store.menus.replace(7, 20);
        store.menus.forget(7, 19);
        assert_eq!(store.menus.take(7), Some(20), "another message: kept");
        store.menus.replace(7, 21);
        store.menus.forget(7, 21);
        assert_eq!(store.menus.take(7), None, "that message: forgotten");
    }
}
