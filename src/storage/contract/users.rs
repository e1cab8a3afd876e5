//! The user-record part of the contract: unlinks and links of one user at
//! once lose no update; one account is unlinked once however often asked.

use std::collections::BTreeSet;

use chrono::Utc;
use tokio::task::JoinSet;

use super::{AGENT, Store, account, bills::all};
use crate::{
    i18n::Lang,
    payments::{InviteError, TelegramUserId, Unlinked, UserRecord},
};

const USER: TelegramUserId = TelegramUserId(41);

async fn link(store: &Store, user: TelegramUserId, suffix: u32) -> Result<(), InviteError> {
    let now = Utc::now();
    let token = store.invites.create(account(suffix), AGENT, now).await?;
    store.invites.redeem(&token, user, Lang::Tr, now).await?;
    Ok(())
}

/// 25 accounts linked; then at once 25 tasks unlink them and 25 link 25
/// others: each unlink finds its account, and exactly the 25 new ones stay.
pub(super) async fn unlinks_and_links_lose_no_update(store: Store) {
    for suffix in 0..25 {
        link(&store, USER, suffix).await.expect("link");
    }
    let mut tasks = JoinSet::new();
    for suffix in 0..50u32 {
        let store = store.clone();
        tasks.spawn(async move {
            if suffix < 25 {
                let unlinked = store.users.unlink(USER, &account(suffix)).await?;
                Ok::<_, InviteError>(Some(unlinked))
            } else {
                link(&store, USER, suffix).await.map(|()| None)
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Some(unlinked) = done.expect("task").expect("unlink or link") {
            assert!(matches!(unlinked, Unlinked::Removed { .. }), "{unlinked:?}");
        }
    }
    let record = store.users.get(USER).await.expect("get");
    let kept: BTreeSet<u32> = record.accounts.iter().map(|a| a.suffix).collect();
    assert_eq!(kept, (25..50).collect(), "no update lost");
    assert_eq!(record.accounts.len(), 25, "each linked once");
}

/// 50 unlinks of one account at once: one removes it, the rest find it
/// gone; the other account stays; the last unlink leaves none, and a user
/// never seen has nothing to unlink.
pub(super) async fn one_unlink_per_account(store: Store) {
    for suffix in [357, 358] {
        link(&store, USER, suffix).await.expect("link");
    }
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move { store.users.unlink(USER, &account(357)).await });
    }
    let mut removed = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done.expect("task").expect("unlink") {
            Unlinked::Removed { left } => removed.push(left),
            Unlinked::NotLinked => {}
        }
    }
    assert_eq!(removed, [1], "unlinked once, one account left");
    let last = store.users.unlink(USER, &account(358)).await;
    assert_eq!(last.expect("unlink"), Unlinked::Removed { left: 0 });
    assert!(
        store
            .users
            .get(USER)
            .await
            .expect("get")
            .accounts
            .is_empty()
    );
    assert!(
        store
            .users
            .linked_to(3_488_017)
            .await
            .expect("lookup")
            .is_empty()
    );
    let stranger = store.users.unlink(TelegramUserId(42), &account(357)).await;
    assert_eq!(stranger.expect("unlink"), Unlinked::NotLinked);
    let untouched = store.users.get(TelegramUserId(42)).await.expect("get");
    assert_eq!(untouched, Default::default());
}

/// The blocked mark: `true` only when it changes (of 50 at once, one), a
/// user never seen stays unrecorded, and the rest of the record is kept.
pub(super) async fn blocked_is_marked_once(store: Store) {
    let stranger = TelegramUserId(42);
    let unknown = store.users.set_blocked(stranger, true).await;
    assert!(!unknown.expect("set"), "never seen");
    let untouched = store.users.get(stranger).await.expect("get");
    assert_eq!(untouched, Default::default());

    for suffix in [357, 358] {
        link(&store, USER, suffix).await.expect("link");
    }
    store.users.set_lang(USER, Lang::En).await.expect("lang");
    let before = store.users.get(USER).await.expect("get");
    assert!(!before.blocked);
    for blocked in [true, false] {
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let store = store.clone();
            tasks.spawn(async move { store.users.set_blocked(USER, blocked).await });
        }
        let changed = all(tasks).await;
        assert_eq!(changed.iter().filter(|c| **c).count(), 1, "{blocked}");
        let now = store.users.get(USER).await.expect("get");
        assert_eq!(now.blocked, blocked);
        let same = UserRecord {
            blocked,
            ..before.clone()
        };
        assert_eq!(now, same, "nothing else changed");
        let again = store.users.set_blocked(USER, blocked).await;
        assert!(!again.expect("set"), "the same: no change");
    }
}

/// Blocked marks toggled while accounts are linked and unlinked at once:
/// no link lost and no unlink undone by a mark written over them.
pub(super) async fn blocked_loses_no_account(store: Store) {
    for suffix in 0..10 {
        link(&store, USER, suffix).await.expect("link");
    }
    let mut tasks = JoinSet::new();
    for i in 0..60u32 {
        let store = store.clone();
        tasks.spawn(async move {
            match i % 3 {
                0 => link(&store, USER, 100 + i).await,
                1 => store
                    .users
                    .unlink(USER, &account(i / 3))
                    .await
                    .map(|_| ())
                    .map_err(Into::into),
                _ => store
                    .users
                    .set_blocked(USER, i % 2 == 0)
                    .await
                    .map(|_| ())
                    .map_err(Into::into),
            }
        });
    }
    all(tasks).await;
    let record = store.users.get(USER).await.expect("get");
    let kept: BTreeSet<u32> = record.accounts.iter().map(|a| a.suffix).collect();
    let linked: BTreeSet<u32> = (0..60).filter(|i| i % 3 == 0).map(|i| 100 + i).collect();
    assert_eq!(kept, linked, "every link kept, every unlink done");
    assert_eq!(record.lang, None);
    let set = store.users.set_blocked(USER, !record.blocked).await;
    assert!(set.expect("set"));
    let after = store.users.get(USER).await.expect("get");
    assert_eq!(after.accounts, record.accounts);
}
