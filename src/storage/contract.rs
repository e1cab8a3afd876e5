//! The storage contract: what every backend must do, under concurrency.
//! Written once against [`Store`]; a second backend (PostgreSQL) runs the
//! same checks through the same functions.
//!
//! Exactly-once rests on these: one `begin` per intent, one winner of a
//! state compare-and-swap, one redemption per invite, no lost update of a
//! user record, unreadable records kept as they are.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};
use tokio::task::JoinSet;

use super::{
    PaymentRecord, PaymentState, Store,
    fixtures::{self, account},
    invites::InviteError,
    payments::Begin,
};
use crate::{bot::State, i18n::Lang};

fn record(intent: &str, invoice: &str, at: DateTime<Utc>) -> PaymentRecord {
    fixtures::record(intent, 7, invoice, at)
}

/// 50 tasks begin the same payment at once: one owns it, the rest see it.
async fn one_begin_per_intent(store: Store) {
    let at = Utc::now();
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move { store.ledger.begin(record("same", "1", at)).await });
    }
    let mut started = 0;
    while let Some(done) = tasks.join_next().await {
        match done.expect("task").expect("begin") {
            Begin::Started(_) => started += 1,
            Begin::Exists(r) => assert_eq!(r.intent, "same"),
        }
    }
    assert_eq!(started, 1, "exactly one caller makes the bank call");
    assert_eq!(
        store.ledger.for_payer(7, 0, 10).await.expect("list").len(),
        1
    );
}

/// 50 tasks claim one completed payment's cancellation at once: one wins.
async fn one_winner_of_a_state_claim(store: Store) {
    let at = Utc::now();
    store
        .ledger
        .begin(record("claimed", "2", at))
        .await
        .expect("begin");
    store
        .ledger
        .set_state("claimed", PaymentState::Completed, Some(42), None, at)
        .await
        .expect("complete");
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .ledger
                .transition(
                    "claimed",
                    PaymentState::Completed,
                    PaymentState::Cancelling,
                    None,
                    at,
                )
                .await
        });
    }
    let mut won = 0;
    while let Some(done) = tasks.join_next().await {
        if done.expect("task").expect("transition") {
            won += 1;
        }
    }
    assert_eq!(won, 1, "the cancellation is sent once");
    let r = store.ledger.by_transaction(42).await.expect("get");
    assert_eq!(r.map(|r| r.state), Some(PaymentState::Cancelling));
}

/// An attempt whose outcome is unknown blocks its invoice; a settled one
/// does not.
async fn unsettled_attempts_are_found(store: Store) {
    let at = Utc::now();
    store
        .ledger
        .begin(record("lost", "3", at))
        .await
        .expect("begin");
    assert_eq!(store.ledger.settle_abandoned(at).await.expect("settle"), 1);
    let found = store
        .ledger
        .unsettled_attempt(7, "ISKI", "3")
        .await
        .expect("scan");
    assert_eq!(found.map(|r| r.state), Some(PaymentState::Unknown));
    store
        .ledger
        .settle(
            "lost",
            &[PaymentState::Unknown],
            PaymentState::Refused,
            None,
            "bank: not paid".into(),
            at,
        )
        .await
        .expect("settled");
    let found = store
        .ledger
        .unsettled_attempt(7, "ISKI", "3")
        .await
        .expect("scan");
    assert!(found.is_none());
}

/// 20 users open one invite link at once: it links exactly one.
async fn one_redemption_per_invite(store: Store) {
    let now = Utc::now();
    let token = store
        .invites
        .create(account(357), 9, now)
        .await
        .expect("invite");
    let mut tasks = JoinSet::new();
    for user in 100..120u64 {
        let (store, token) = (store.clone(), token.clone());
        tasks.spawn(async move {
            store
                .invites
                .redeem(&store.users, &token, user, Lang::Tr, now)
                .await
        });
    }
    let (mut linked, mut refused) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
            Ok(_) => linked += 1,
            Err(InviteError::Unknown) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((linked, refused), (1, 19));
}

/// 50 concurrent changes of one user's record: none is lost.
async fn no_lost_user_update(store: Store) {
    let mut tasks = JoinSet::new();
    for suffix in 0..50u32 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .users
                .update(8, move |r| r.accounts.push(account(suffix)))
                .await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("update");
    }
    assert_eq!(store.users.get(8).await.expect("get").accounts.len(), 50);
}

/// A dialogue that no longer reads comes back as `Unreadable` and stays
/// stored until the bot replaces it.
async fn unreadable_dialogues_are_reported_not_dropped(store: Store) {
    let dialogues = Arc::new(store.dialogues().expect("dialogues"));
    let chat = ChatId(9);
    store
        .db
        .open_tree("dialogues")
        .expect("tree")
        .insert(chat.0.to_be_bytes(), &b"{\"Gone\":1}"[..])
        .expect("insert");
    let state = Storage::<State>::get_dialogue(dialogues.clone(), chat)
        .await
        .expect("read");
    assert_eq!(state, Some(State::Unreadable));
    assert_eq!(dialogues.len(), 1, "still stored");
}

/// Every check, each on a fresh store from `fresh`.
pub(crate) async fn run_all(fresh: impl Fn() -> Store) {
    one_begin_per_intent(fresh()).await;
    one_winner_of_a_state_claim(fresh()).await;
    unsettled_attempts_are_found(fresh()).await;
    one_redemption_per_invite(fresh()).await;
    no_lost_user_update(fresh()).await;
    unreadable_dialogues_are_reported_not_dropped(fresh()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_keeps_the_storage_contract() {
    let run = run_all(|| Store::temporary().expect("a temporary sled store"));
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the contract suite must not hang");
}
