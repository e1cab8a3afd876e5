//! The user-record part of the contract: unlinks and links of one user at
//! once lose no update; one account is unlinked once however often asked.

use std::collections::BTreeSet;

use chrono::Utc;
use tokio::task::JoinSet;

use super::{AGENT, Store, account};
use crate::{
    i18n::Lang,
    payments::{InviteError, TelegramUserId, Unlinked},
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
