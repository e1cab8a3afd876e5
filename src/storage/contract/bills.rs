//! The saved-bills part of the contract: a customer's count and a bill's
//! key hold under saves at once; edits and deletes reach the owner's bills
//! only; the reminder run pages through every customer's. With the
//! reminder claims (`reminders`) and `Users::set_blocked` (`users`), run
//! on both backends here, each check on a fresh store under a time limit.

use std::{collections::BTreeSet, future::Future, time::Duration};

use tokio::task::JoinSet;

use super::{Store, account, reminders, users};
use crate::payments::{
    TelegramUserId,
    bills::{BillEdit, BillId, BillName, SavedBill, Stored, tests::bill},
};

/// A check that takes longer hangs: a lock never let go, a retry loop.
const LIMIT: Duration = Duration::from_secs(30);

async fn within<T>(check: &str, run: impl Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, run).await {
        Ok(out) => out,
        Err(_) => panic!("{check}: still running after {LIMIT:?}, taken for a hang"),
    }
}

/// Every task's result, in the order they finished.
pub(super) async fn all<T: 'static, E: std::fmt::Debug + 'static>(
    mut tasks: JoinSet<Result<T, E>>,
) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        out.push(done.expect("task").expect("store call"));
    }
    out
}

fn name(text: &str) -> BillName {
    BillName::parse(text).expect("name")
}

/// 40 distinct bills of one customer saved at once, at most 20: exactly
/// 20 are; the rest are refused as full, and nothing more is stored.
async fn saves_stop_at_the_most(store: Store) {
    let mut tasks = JoinSet::new();
    for i in 0..40 {
        let store = store.clone();
        tasks.spawn(async move { store.bills.save(bill(7, 357, &format!("S{i}")), 20).await });
    }
    let (mut saved, mut full) = (BTreeSet::new(), 0);
    for stored in all(tasks).await {
        match stored {
            Stored::Saved(b) => assert!(saved.insert(b.id)),
            Stored::Full => full += 1,
            Stored::Exists(b) => panic!("all distinct: {b:?}"),
        }
    }
    assert_eq!((saved.len(), full), (20, 20), "exactly the most");
    let listed = store.bills.list(TelegramUserId(7)).await.expect("list");
    assert_eq!(listed.iter().map(|b| b.id).collect::<BTreeSet<_>>(), saved);
    let keys: BTreeSet<String> = listed.iter().map(SavedBill::key).collect();
    assert_eq!(keys.len(), 20, "each once");
    // Full is per customer.
    let other = store
        .bills
        .save(bill(8, 357, "S0"), 20)
        .await
        .expect("save");
    assert!(matches!(other, Stored::Saved(_)), "{other:?}");
    let more = store
        .bills
        .save(bill(7, 357, "S99"), 21)
        .await
        .expect("save");
    assert!(matches!(more, Stored::Saved(_)), "a higher most: {more:?}");

    // Oldest first.
    let mut ids = Vec::new();
    for (i, minutes) in [0, 5, 9].into_iter().enumerate() {
        let mut b = bill(9, 357, &format!("O{i}"));
        b.created_at += chrono::Duration::minutes(minutes);
        ids.push(b.id);
        store.bills.save(b, 20).await.expect("save");
    }
    let listed = store.bills.list(TelegramUserId(9)).await.expect("list");
    assert_eq!(listed.iter().map(|b| b.id).collect::<Vec<_>>(), ids);
}

/// 30 saves of one bill at once, each with an id of its own: one is
/// stored, and the others are told of that one.
async fn one_save_per_key(store: Store) {
    let mut tasks = JoinSet::new();
    for i in 0..30 {
        let store = store.clone();
        // Spaces around the value make no other bill.
        let subscriber = if i % 3 == 0 { " 1000001 " } else { "1000001" };
        tasks.spawn(async move { store.bills.save(bill(7, 357, subscriber), 20).await });
    }
    let (mut saved, mut exists) = (Vec::new(), Vec::new());
    for stored in all(tasks).await {
        match stored {
            Stored::Saved(b) => saved.push(b),
            Stored::Exists(b) => exists.push(b.id),
            Stored::Full => panic!("one bill is not twenty"),
        }
    }
    assert_eq!(saved.len(), 1, "one stored");
    let first = saved.pop().expect("the one");
    assert_eq!(exists.len(), 29);
    assert!(exists.iter().all(|id| *id == first.id), "the same bill");
    let listed = store.bills.list(TelegramUserId(7)).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&first));
    let bills = &store.bills;
    let found = bills.find(TelegramUserId(7), &first.key()).await;
    assert_eq!(found.expect("find"), Some(first.clone()));
    let theirs = bills.find(TelegramUserId(8), &first.key()).await;
    assert_eq!(theirs.expect("find"), None, "the key is the customer's");
    assert_eq!(
        bills.find(TelegramUserId(7), "nope").await.expect("find"),
        None
    );
    // The same bill of another account, or another customer, is another.
    for (user, suffix) in [(7, 358), (8, 357)] {
        let other = bills.save(bill(user, suffix, "1000001"), 20).await;
        assert!(matches!(other.expect("save"), Stored::Saved(_)));
    }
}

/// Renames and a reminders-off at once lose none of them; only the owner
/// reaches the bill; 20 deletes at once delete it once.
async fn edits_and_deletes_are_the_owners(store: Store) {
    let (me, them) = (TelegramUserId(7), TelegramUserId(8));
    let b = bill(7, 357, "1000001");
    let id = b.id;
    store.bills.save(b.clone(), 20).await.expect("save");
    let bills = &store.bills;
    assert_eq!(bills.get(me, id).await.expect("get"), Some(b.clone()));
    assert_eq!(bills.get(them, id).await.expect("get"), None);
    assert_eq!(bills.get(me, BillId(1)).await.expect("get"), None);
    let theirs = bills.edit(them, id, BillEdit::Reminders(false)).await;
    assert_eq!(theirs.expect("edit"), None);
    assert!(!bills.delete(them, id).await.expect("delete"));
    assert_eq!(bills.get(me, id).await.expect("get"), Some(b.clone()));

    let mut tasks = JoinSet::new();
    for i in 0..25 {
        let store = store.clone();
        tasks.spawn(async move {
            let edit = match i {
                12 => BillEdit::Reminders(false),
                _ => BillEdit::Rename(Some(name(&format!("Ev {i}")))),
            };
            store.bills.edit(me, id, edit).await
        });
    }
    for edited in all(tasks).await {
        let edited = edited.expect("there");
        assert_eq!((edited.id, edited.key()), (id, b.key()));
    }
    let now = bills.get(me, id).await.expect("get").expect("there");
    assert!(!now.reminders, "the reminders-off not lost");
    let named = now.name.as_ref().map(|n| n.as_str().to_owned());
    assert!(
        named.as_ref().is_some_and(|n| n.starts_with("Ev ")),
        "{named:?}"
    );
    let unnamed = bills.edit(me, id, BillEdit::Rename(None)).await;
    let unnamed = unnamed.expect("edit").expect("there");
    assert_eq!((unnamed.title(), unnamed.reminders), ("İSKİ", false));
    assert_eq!(
        bills.list(me).await.expect("list"),
        std::slice::from_ref(&unnamed)
    );

    let kept = bill(7, 357, "2000002");
    store.bills.save(kept.clone(), 20).await.expect("save");
    let mut tasks = JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.spawn(async move { store.bills.delete(me, id).await });
    }
    let gone = all(tasks).await.into_iter().filter(|g| *g).count();
    assert_eq!(gone, 1, "deleted once");
    assert_eq!(bills.get(me, id).await.expect("get"), None);
    assert_eq!(bills.find(me, &b.key()).await.expect("find"), None);
    let after = bills.edit(me, id, BillEdit::Reminders(true)).await;
    assert_eq!(after.expect("edit"), None, "gone stays gone");
    assert_eq!(bills.list(me).await.expect("list"), [kept]);
    // Deleted, it may be saved again, as a new bill.
    let again = bills.save(bill(7, 357, "1000001"), 20).await.expect("save");
    assert!(matches!(again, Stored::Saved(s) if s.id != id));
}

/// `/unlink` of one account deletes that customer's bills of it only,
/// once however many times it is asked at once.
async fn unlink_deletes_that_accounts_bills(store: Store) {
    let (me, them) = (TelegramUserId(7), TelegramUserId(8));
    let mut tasks = JoinSet::new();
    for (user, suffix, n) in [(7, 357, 3), (7, 358, 2), (8, 357, 2)] {
        for i in 0..n {
            let store = store.clone();
            let b = bill(user, suffix, &format!("{suffix}-{i}"));
            tasks.spawn(async move { store.bills.save(b, 20).await });
        }
    }
    assert_eq!(all(tasks).await.len(), 7);
    let mut tasks = JoinSet::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.spawn(async move { store.bills.delete_account(me, &account(357)).await });
    }
    let gone: u64 = all(tasks).await.into_iter().sum();
    assert_eq!(gone, 3, "each deleted once");
    let mine = store.bills.list(me).await.expect("list");
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|b| b.account == account(358)));
    assert_eq!(store.bills.list(them).await.expect("list").len(), 2);
    let again = store.bills.delete_account(me, &account(357)).await;
    assert_eq!(again.expect("delete"), 0);
    let never = store
        .bills
        .delete_account(TelegramUserId(99), &account(357))
        .await;
    assert_eq!(never.expect("delete"), 0);
}

/// Pages of the bills with reminders on, across customers: ids ascending,
/// each page after the last and within its limit; bills with reminders
/// off are left out.
async fn reminder_pages_cover_every_customer(store: Store) {
    let mut tasks = JoinSet::new();
    for user in 20..25u64 {
        for i in 0..4 {
            let store = store.clone();
            let mut b = bill(user, 357, &format!("R{i}"));
            b.reminders = i != 0;
            tasks.spawn(async move { store.bills.save(b, 20).await });
        }
    }
    let mut on = BTreeSet::new();
    for stored in all(tasks).await {
        let Stored::Saved(b) = stored else {
            panic!("{stored:?}")
        };
        if b.reminders {
            on.insert(b.id);
        }
    }
    // One turned off after saving, one on.
    let list = store.bills.list(TelegramUserId(21)).await.expect("list");
    for b in &list {
        let edit = BillEdit::Reminders(!b.reminders);
        store.bills.edit(b.user, b.id, edit).await.expect("edit");
        if b.reminders {
            on.remove(&b.id);
        } else {
            on.insert(b.id);
        }
    }
    assert_eq!(on.len(), 13);

    for limit in [1, 4, 7, 15, 100] {
        let (mut after, mut seen) = (None, Vec::new());
        loop {
            let page = store.bills.with_reminders(after, limit).await;
            let page = page.expect("page");
            assert!(page.len() <= limit, "limit {limit}: {}", page.len());
            if page.is_empty() {
                break;
            }
            for b in &page {
                assert!(b.reminders, "{b:?}");
                assert!(after.is_none_or(|a| b.id > a), "after {after:?}");
                assert!(seen.last().is_none_or(|l| b.id > *l), "ascending");
                seen.push(b.id);
            }
            after = page.last().map(|b| b.id);
        }
        assert_eq!(
            seen.into_iter().collect::<BTreeSet<_>>(),
            on,
            "limit {limit}"
        );
    }
    let middle = *on.iter().nth(7).expect("eight");
    let rest = store.bills.with_reminders(Some(middle), 100).await;
    let rest: Vec<BillId> = rest.expect("page").iter().map(|b| b.id).collect();
    let want: Vec<BillId> = on.range(middle..).skip(1).copied().collect();
    assert_eq!(rest, want);
    let last = *on.last().expect("one");
    let none = store.bills.with_reminders(Some(last), 100).await;
    assert!(none.expect("page").is_empty());
    let zero = store.bills.with_reminders(None, 0).await;
    assert!(zero.expect("page").is_empty());
}

/// Every check of saved bills, reminders and the blocked mark.
async fn run(mut fresh: impl FnMut() -> Store) {
    within("saves at the most", saves_stop_at_the_most(fresh())).await;
    within("one save per key", one_save_per_key(fresh())).await;
    within(
        "edits and deletes",
        edits_and_deletes_are_the_owners(fresh()),
    )
    .await;
    within("unlink", unlink_deletes_that_accounts_bills(fresh())).await;
    within(
        "reminder pages",
        reminder_pages_cover_every_customer(fresh()),
    )
    .await;
    within("claim check", reminders::one_check_per_day(fresh())).await;
    within(
        "stale checks",
        reminders::stale_checks_are_taken_once(fresh()),
    )
    .await;
    within("claim send", reminders::one_send_per_reminder(fresh())).await;
    within("prune", reminders::prune_forgets_the_old_only(fresh())).await;
    within("one pace", reminders::queries_keep_one_pace(fresh())).await;
    within("renew", reminders::a_renewed_claim_stays_its_runs(fresh())).await;
    within("blocked", users::blocked_is_marked_once(fresh())).await;
    within("blocked at once", users::blocked_loses_no_account(fresh())).await;
}

/// How many fresh stores [`run`] takes.
const CHECKS: usize = 13;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_bills_contract() {
    let mut stores = Vec::new();
    for i in 0..CHECKS {
        let Some(url) = super::super::postgres::throwaway::database("the bills contract").await
        else {
            return;
        };
        let store = super::super::postgres::open(&url).await;
        stores.push(store.unwrap_or_else(|e| panic!("store {i}: {e}")));
    }
    run(|| stores.pop().expect("a store per check")).await;
    assert!(stores.is_empty(), "every check ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_keeps_the_bills_contract() {
    run(|| Store::temporary().expect("a temporary sled store")).await;
}
