//! The storage contract: what every backend must do, under concurrency.
//! Written once against the ports of [`Store`]; the PostgreSQL backend runs
//! the same checks through [`run_all`].
//!
//! Exactly-once rests on these: one `begin` per intent, one winner of a
//! state compare-and-swap, one redemption per invite, no lost update of a
//! user record (`users`: nor among unlinks), unreadable records kept as
//! they are; each wrong PIN counted once (`pins`); no day of an account
//! over its limit (`limit`); a customer's saved bills within the most and
//! once per key, each reminder claimed once (`bills`, with its own runner).

mod bills;
mod limit;
mod pins;
mod reminders;
mod users;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};
use tokio::task::JoinSet;

use super::{
    Recoverable, Store,
    fixtures::{self, account},
};
use crate::{
    i18n::Lang,
    payments::{
        Answer, Begin, Finding, InviteError, PaymentIntent, PaymentRecord, PaymentState, Settled,
        TelegramUserId, TransactionId,
    },
};

const PAYER: TelegramUserId = TelegramUserId(7);
const AGENT: TelegramUserId = TelegramUserId(9);

fn record(intent: &str, invoice: &str, at: DateTime<Utc>) -> PaymentRecord {
    fixtures::record(intent, PAYER.0, invoice, at)
}

/// Leaked, so a call's future may borrow it (tests only).
fn intent(name: &str) -> &'static PaymentIntent {
    Box::leak(Box::new(PaymentIntent::from_raw(name)))
}

fn completed(id: i64) -> Answer {
    Answer {
        state: PaymentState::Completed,
        transaction_id: Some(TransactionId(id)),
        note: None,
    }
}

/// What the next process finds after this one stopped in the middle:
/// what was in flight is abandoned, and settled as such. How many.
async fn after_a_crash(store: &Store, at: DateTime<Utc>) -> usize {
    store.backend.retire().await;
    store.ledger.settle_abandoned(at).await.expect("abandoned")
}

/// 50 tasks begin the same payment at once: one owns it, the rest see it.
async fn one_begin_per_intent(store: Store) {
    let at = Utc::now();
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move { store.ledger.begin(record("same", "1", at), None).await });
    }
    let mut started = 0;
    while let Some(done) = tasks.join_next().await {
        match done.expect("task").expect("begin") {
            Begin::Started(_) => started += 1,
            Begin::Exists(r) => assert_eq!(&r.intent, intent("same")),
            Begin::Blocked(r) => panic!("one intent, one invoice: {r:?}"),
            Begin::OverLimit(o) => panic!("no limit: {o}"),
        }
    }
    assert_eq!(started, 1, "exactly one caller makes the bank call");
    let listed = store.ledger.for_payer(PAYER, 0, 10).await.expect("list");
    assert_eq!(listed.len(), 1);
}

/// 50 tasks claim one completed payment's cancellation at once: one wins;
/// then 50 answers race for that claim: one lands.
async fn one_winner_of_a_state_claim(store: Store) {
    let at = Utc::now();
    let ledger = &store.ledger;
    ledger
        .begin(record("claimed", "2", at), None)
        .await
        .expect("begin");
    let done = ledger.complete(intent("claimed"), PaymentState::InFlight, completed(42), at);
    assert!(done.await.expect("complete").is_some());
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move {
            let claim = store
                .ledger
                .claim_cancel(intent("claimed"), PaymentState::Completed, at);
            claim.await
        });
    }
    let mut won = 0;
    while let Some(done) = tasks.join_next().await {
        won += usize::from(done.expect("task").expect("claim").is_some());
    }
    assert_eq!(won, 1, "the cancellation is sent once");
    let r = ledger.by_transaction(TransactionId(42)).await.expect("get");
    assert_eq!(r.map(|r| r.state), Some(PaymentState::Cancelling));

    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move {
            let cancelled = Answer {
                state: PaymentState::Cancelled,
                transaction_id: None,
                note: None,
            };
            let claimed = PaymentState::Cancelling;
            store
                .ledger
                .complete(intent("claimed"), claimed, cancelled, at)
                .await
        });
    }
    let mut landed = 0;
    while let Some(done) = tasks.join_next().await {
        landed += usize::from(done.expect("task").expect("complete").is_some());
    }
    assert_eq!(landed, 1, "one answer per claim");
}

/// Two Telegram users linked to one account press Pay on the same
/// invoice, 20 times each, at once: one attempt begins, the others see it.
/// An attempt whose outcome is unknown holds the invoice; once settled as
/// unpaid, it may be tried again; a paid one settles once.
async fn one_open_attempt_per_invoice(store: Store) {
    let at = Utc::now();
    let ledger = &store.ledger;
    let mut tasks = JoinSet::new();
    for i in 0..40u64 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut r = fixtures::record(&format!("press-{i}"), 7 + i % 2, "3", at);
            r.chat_id = r.payer.0 as i64;
            store.ledger.begin(r, None).await
        });
    }
    let (mut started, mut blocked) = (Vec::new(), 0);
    while let Some(done) = tasks.join_next().await {
        match done.expect("task").expect("begin") {
            Begin::Started(r) => started.push(r.intent),
            Begin::Blocked(holder) => {
                assert_eq!(holder.invoice_number, "3");
                blocked += 1;
            }
            Begin::Exists(r) => panic!("no intent was pressed twice: {r:?}"),
            Begin::OverLimit(o) => panic!("no limit: {o}"),
        }
    }
    assert_eq!((started.len(), blocked), (1, 39), "one attempt per invoice");
    let holder = started.pop().expect("the one");

    // Unknown after a crash: still held.
    assert_eq!(after_a_crash(&store, at).await, 1);
    let again = ledger
        .begin(record("again", "3", at), None)
        .await
        .expect("begin");
    assert!(matches!(again, Begin::Blocked(r) if r.intent == holder));
    // Settled as unpaid: free again, for either user.
    let unpaid = ledger.settle(&holder, Finding::Unpaid, "bank: not paid".into(), at);
    assert!(matches!(unpaid.await.expect("settle"), Settled::Done(_)));
    let retry = ledger
        .begin(record("retry", "3", at), None)
        .await
        .expect("begin");
    assert!(matches!(retry, Begin::Started(_)));
    // Another invoice was never held.
    let other = ledger
        .begin(record("other", "4", at), None)
        .await
        .expect("begin");
    assert!(matches!(other, Begin::Started(_)));

    // 20 staff settle a lost payment as paid at once: one does.
    assert_eq!(after_a_crash(&store, at).await, 2);
    let mut tasks = JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.spawn(async move {
            let finding = Finding::Paid(Some(TransactionId(77)));
            store
                .ledger
                .settle(intent("retry"), finding, "bank: paid".into(), at)
                .await
        });
    }
    let mut done = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.expect("task").expect("settle") {
            Settled::Done(_) => done += 1,
            Settled::NotUnsettled(r) => assert_eq!(r.state, PaymentState::Completed),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(done, 1);
    // Paid: the invoice stays held.
    let after = ledger
        .begin(record("after", "3", at), None)
        .await
        .expect("begin");
    assert!(matches!(after, Begin::Blocked(r) if r.intent == *intent("retry")));
}

/// A bank id given by staff finds one payment: one taken by another
/// payment is refused and changes nothing. An id the bank itself gives
/// again (a sandbox restarted with a kept database) moves to the newer
/// payment.
async fn bank_ids_find_one_payment(store: Store) {
    let at = Utc::now();
    let ledger = &store.ledger;
    for name in ["first", "lost"] {
        ledger
            .begin(record(name, name, at), None)
            .await
            .expect("begin");
    }
    let done = ledger.complete(intent("first"), PaymentState::InFlight, completed(5), at);
    assert!(done.await.expect("complete").is_some());
    assert_eq!(after_a_crash(&store, at).await, 1);
    let taken = ledger.settle(
        intent("lost"),
        Finding::Paid(Some(TransactionId(5))),
        "x".into(),
        at,
    );
    assert!(matches!(taken.await.expect("settle"), Settled::IdTaken));
    let lost = ledger
        .get(intent("lost"))
        .await
        .expect("get")
        .expect("lost");
    assert_eq!(
        (lost.state, lost.transaction_id),
        (PaymentState::Unknown, None)
    );

    ledger
        .begin(record("again", "again", at), None)
        .await
        .expect("begin");
    let reused = ledger.complete(intent("again"), PaymentState::InFlight, completed(5), at);
    assert!(reused.await.expect("complete").is_some());
    let found = ledger
        .by_transaction(TransactionId(5))
        .await
        .expect("by id");
    assert_eq!(found.map(|r| r.intent), Some(intent("again").clone()));
}

/// 50 users open one invite link at once: it links exactly one.
async fn one_redemption_per_invite(store: Store) {
    let now = Utc::now();
    let token = store
        .invites
        .create(account(357), AGENT, now)
        .await
        .expect("invite");
    let mut tasks = JoinSet::new();
    for user in 100..150u64 {
        let (store, token) = (store.clone(), token.clone());
        tasks.spawn(async move {
            store
                .invites
                .redeem(&token, TelegramUserId(user), Lang::Tr, now)
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
    assert_eq!((linked, refused), (1, 49));
}

/// One user redeems 50 invites while changing language: no account lost.
async fn no_lost_user_update(store: Store) {
    let now = Utc::now();
    let user = TelegramUserId(8);
    let mut tasks = JoinSet::new();
    for suffix in 0..50u32 {
        let store = store.clone();
        tasks.spawn(async move {
            let token = store.invites.create(account(suffix), AGENT, now).await?;
            store.invites.redeem(&token, user, Lang::Tr, now).await?;
            store.users.set_lang(user, Lang::En).await?;
            Ok::<_, InviteError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("link");
    }
    let record = store.users.get(user).await.expect("get");
    assert_eq!((record.accounts.len(), record.lang), (50, Some(Lang::En)));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Probe {
    Kept(u8),
    Unreadable,
}

impl Recoverable for Probe {
    fn unreadable() -> Self {
        Probe::Unreadable
    }

    fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

/// A dialogue that no longer reads comes back as unreadable and stays
/// stored until the bot replaces it; 100 chats write at once.
async fn dialogues_are_kept_per_chat(store: Store) {
    let dialogues = store.dialogues::<Probe>();
    let chat = ChatId(9);
    let garbled = b"{\"Gone\":1}".to_vec();
    store
        .dialogue_states
        .put(chat.0, garbled)
        .await
        .expect("put");
    let state = Storage::get_dialogue(dialogues.clone(), chat)
        .await
        .expect("read");
    assert_eq!(state, Some(Probe::Unreadable));
    assert_eq!(dialogues.count().await.expect("count"), 1, "still stored");

    let mut tasks = JoinSet::new();
    for i in 0..100u8 {
        let dialogues = dialogues.clone();
        tasks.spawn(async move {
            Storage::update_dialogue(dialogues, ChatId(1000 + i64::from(i)), Probe::Kept(i)).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("write");
    }
    assert_eq!(dialogues.count().await.expect("count"), 101);
    let read = Storage::get_dialogue(dialogues.clone(), ChatId(1042))
        .await
        .expect("read");
    assert_eq!(read, Some(Probe::Kept(42)));
    Storage::remove_dialogue(dialogues.clone(), chat)
        .await
        .expect("remove");
    assert_eq!(dialogues.count().await.expect("count"), 100);
}

/// The live screen of a chat: replaced (the old one returned), forgotten
/// only if it is still the one named, taken once; 50 chats at once.
async fn menus_remember_the_live_screen(store: Store) {
    let m = &store.menus;
    assert_eq!(m.replace(7, 10).await, None);
    assert_eq!(m.replace(7, 12).await, Some(10));
    assert_eq!(m.take(7).await, Some(12));
    assert_eq!(m.take(7).await, None);
    m.replace(7, 20).await;
    m.forget(7, 19).await;
    assert_eq!(m.take(7).await, Some(20), "another message: kept");
    m.replace(7, 21).await;
    m.forget(7, 21).await;
    assert_eq!(m.take(7).await, None, "that message: forgotten");
    let mut tasks = JoinSet::new();
    for chat in 100..150 {
        let store = store.clone();
        tasks.spawn(async move {
            store.menus.replace(chat, 1).await;
            store.menus.replace(chat, 2).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.expect("task"), Some(1));
    }
}

/// Every check, each on a fresh store from `fresh`.
pub(crate) async fn run_all(mut fresh: impl FnMut() -> Store) {
    one_begin_per_intent(fresh()).await;
    one_winner_of_a_state_claim(fresh()).await;
    one_open_attempt_per_invoice(fresh()).await;
    bank_ids_find_one_payment(fresh()).await;
    one_redemption_per_invite(fresh()).await;
    no_lost_user_update(fresh()).await;
    dialogues_are_kept_per_chat(fresh()).await;
    menus_remember_the_live_screen(fresh()).await;
    pins::each_wrong_try_counts_once(fresh()).await;
    pins::one_first_pin_among_many(fresh()).await;
    pins::users_are_found_by_customer(fresh()).await;
    users::unlinks_and_links_lose_no_update(fresh()).await;
    users::one_unlink_per_account(fresh()).await;
    limit::begins_at_once_stay_within_the_limit(fresh()).await;
}

/// How many fresh stores [`run_all`] takes.
const CHECKS: usize = 14;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_storage_contract() {
    let mut stores = Vec::new();
    for i in 0..CHECKS {
        let Some(url) = super::postgres::throwaway::database("the storage contract").await else {
            return;
        };
        let store = super::postgres::open(&url).await;
        stores.push(store.unwrap_or_else(|e| panic!("store {i}: {e}")));
    }
    let run = run_all(|| stores.pop().expect("a store per check"));
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the contract suite must not hang");
    assert!(stores.is_empty(), "every check ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_keeps_the_storage_contract() {
    let run = run_all(|| Store::temporary().expect("a temporary sled store"));
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the contract suite must not hang");
}
