//! The PIN part of the contract: each try counted once among many at once,
//! one first PIN among many chosen at once, users found by customer.

use chrono::{Duration, Utc};
use tokio::task::JoinSet;

use super::{AGENT, Store, account};
use crate::{
    bank::Account,
    i18n::Lang,
    payments::{
        TelegramUserId,
        pin::{Applied, Lock, Lockout, PinChange, PinRecord},
    },
};

const USER: TelegramUserId = TelegramUserId(31);

/// 50 wrong tries at once, twice (the second after the 15-minute lock):
/// each applies to what the one before it left, so exactly the 1st, 2nd,
/// 4th and 5th count with tries left, the 3rd and 6th lock, and the rest
/// find payments locked.
pub(super) async fn each_wrong_try_counts_once(store: Store) {
    let pins = &store.pins;
    assert_eq!(pins.get(USER).await.expect("get"), PinRecord::default());
    let chose = PinChange::Choose { hash: "h1".into() };
    pins.update(USER, chose).await.expect("choose");
    let start = Utc::now();
    for (round, at) in [start, start + Duration::minutes(15)]
        .into_iter()
        .enumerate()
    {
        let wrong = PinChange::Wrong {
            checked: "h1".into(),
            at,
        };
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let (store, wrong) = (store.clone(), wrong.clone());
            tasks.spawn(async move {
                let before = store.pins.update(USER, wrong.clone()).await?;
                Ok::<_, crate::payments::StoreError>(before.apply(&wrong).1)
            });
        }
        let mut applied = Vec::new();
        while let Some(done) = tasks.join_next().await {
            applied.push(done.expect("task").expect("update"));
        }
        let locks = applied
            .iter()
            .filter(|a| matches!(a, Applied::Locked(_)))
            .count();
        let counted: Vec<_> = applied
            .into_iter()
            .filter_map(|a| match a {
                Applied::Wrong(lockout) => Some(lockout),
                _ => None,
            })
            .collect();
        let third = if round == 0 {
            Lockout::LockedUntil(at + Duration::minutes(15))
        } else {
            Lockout::LockedUntilReset
        };
        assert_eq!((counted.len(), locks), (3, 47), "round {round}");
        for lockout in [Lockout::TriesLeft(2), Lockout::TriesLeft(1), third] {
            assert!(counted.contains(&lockout), "round {round}: {counted:?}");
        }
    }
    let stored = pins.get(USER).await.expect("get");
    assert_eq!((stored.wrong_in_row, stored.locked_for_good), (6, true));
    let right = PinChange::Right {
        checked: "h1".into(),
        at: start + Duration::days(1),
    };
    let before = pins.update(USER, right.clone()).await.expect("right");
    assert_eq!(before.apply(&right).1, Applied::Locked(Lock::UntilReset));

    pins.update(USER, PinChange::Reset).await.expect("reset");
    let reset = pins.get(USER).await.expect("get");
    assert_eq!((reset.hash, reset.reset_pending_notice), (None, true));
}

/// 20 first PINs chosen at once: one is kept, the others find it there;
/// a change names the PIN it replaces.
pub(super) async fn one_first_pin_among_many(store: Store) {
    let mut tasks = JoinSet::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.spawn(async move {
            let chose = PinChange::Choose {
                hash: format!("h{i}"),
            };
            let before = store.pins.update(USER, chose.clone()).await?;
            Ok::<_, crate::payments::StoreError>((i, before.apply(&chose).1))
        });
    }
    let mut kept = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (i, applied) = done.expect("task").expect("choose");
        match applied {
            Applied::Done => kept.push(format!("h{i}")),
            Applied::Stale => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(kept.len(), 1);
    let stored = store.pins.get(USER).await.expect("get").hash;
    assert_eq!(stored.as_ref(), kept.first());
    let stale = PinChange::Change {
        checked: "not it".into(),
        hash: "new".into(),
    };
    store.pins.update(USER, stale).await.expect("change");
    assert_eq!(store.pins.get(USER).await.expect("get").hash, stored);
}

/// `/resetpin`'s lookup: every Telegram user with an account of the
/// customer, and no other.
pub(super) async fn users_are_found_by_customer(store: Store) {
    let now = Utc::now();
    let elsewhere = Account {
        customer_no: 5_550_001,
        ..account(1)
    };
    for (user, account) in [(101, account(357)), (100, account(358)), (102, elsewhere)] {
        let token = store.invites.create(account, AGENT, now).await;
        let token = token.expect("invite");
        let linked = store
            .invites
            .redeem(&token, TelegramUserId(user), Lang::Tr, now)
            .await;
        linked.expect("linked");
    }
    store
        .users
        .set_lang(TelegramUserId(103), Lang::En)
        .await
        .expect("lang");
    let found = store.users.linked_to(3_488_017).await.expect("lookup");
    assert_eq!(found, [TelegramUserId(100), TelegramUserId(101)]);
    let other = store.users.linked_to(5_550_001).await.expect("lookup");
    assert_eq!(other, [TelegramUserId(102)]);
    assert!(store.users.linked_to(42).await.expect("lookup").is_empty());
}
