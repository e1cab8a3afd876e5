//! When a saved bill cannot be kept or paid as it was: the 21st is refused
//! until one is deleted; a bill whose institution the bank no longer lists,
//! or asks for other fields, offers to delete it (no bank error, nothing
//! queried); `/unlink` deletes the account's bills.

use super::common;
use common::{Harness, ISKI_NAME, Key, filled, iski_bill, save_data};
use faturabot::{
    bot::callbacks::{Action, CallbackData},
    fakegram::BotMessage,
};

/// How many saved bills `list` shows as buttons.
fn bill_buttons(list: &BotMessage) -> usize {
    list.all_buttons()
        .filter_map(|b| b.callback_data.as_deref())
        .filter(|d| {
            matches!(
                CallbackData::decode(d),
                Some(CallbackData::Dialogue(_, Action::Bill(_)))
            )
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_21st_bill_is_refused_until_one_is_deleted() {
    // Arrange: a bill paid, and 20 others saved already.
    let mut h = Harness::start().await;
    let user = h.customer(7301, "tr");
    h.link(&user).await;
    let paid = h.pay_new_bill(&user, "1200000", "₺29,20").await;
    let others = (1..=20)
        .map(|i| iski_bill(&user, &(1_200_000 + i).to_string()))
        .collect();
    h.seed_bills(others).await;

    // Act
    h.press_save(&user, &paid, filled("bills.full", &[("max", "20")]))
        .await;

    // Assert: the 20 are listed 8 a page; one deleted, Save saves this one.
    let pages = |page| {
        filled(
            "bills.list",
            &[("count", "20"), ("page", page), ("pages", "3")],
        )
    };
    let first = h.say_key(&user, "/bills", pages("1")).await;
    assert_eq!(bill_buttons(&first), 8, "{:?}", first.buttons);
    let second = h
        .press_fresh(&user, &first, Action::Page(1), pages("2"))
        .await;
    let third = h
        .press_fresh(&user, &second, Action::Page(2), pages("3"))
        .await;
    assert_eq!(bill_buttons(&third), 4, "{:?}", third.buttons);
    let card = h.open_bill(&user, &third, "1200020").await;
    let ask = h
        .press_fresh(&user, &card, Action::Delete, "bills.confirm_delete")
        .await;
    h.press_fresh(&user, &ask, Action::Confirm, "bills.deleted")
        .await;
    let paid_now =
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == paid.message_id)
            .expect("the paid message");
    assert!(
        save_data(&paid_now).is_some(),
        "Full leaves Save: {:?}",
        paid_now.buttons
    );
    h.press_save(&user, &paid_now, "bills.saved").await;
    let first = h.bills_list(&user, 20).await;
    let second = h
        .press_fresh(&user, &first, Action::Page(1), pages("2"))
        .await;
    let all = h
        .press_fresh(&user, &second, Action::Page(2), pages("3"))
        .await;
    assert!(all.button("1200000").is_some(), "{:?}", all.buttons);
    assert!(all.button("1200020").is_none(), "{:?}", all.buttons);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bill_the_bank_no_longer_fits_offers_to_delete_it() {
    // Arrange: two İSKİ bills saved.
    let mut h = Harness::start().await;
    let user = h.customer(7401, "tr");
    h.link(&user).await;
    h.pay_and_save(&user, "1000001", "₺29,20").await;
    let paid = h.pay_new_bill(&user, "1000002", "₺1.234,56").await;
    h.press_save(&user, &paid, "bills.saved").await;
    h.say_key(&user, "Ev", filled("bills.named", &[("title", "Ev")]))
        .await;

    // Act: the bank asks İSKİ's subscriber by another field (seen once the
    // bot's catalog is fresh: after a restart), then stops listing İSKİ.
    h.sandbox
        .sandbox
        .rename_query_field("ISKI", "SubscriberNumber", "AboneNo");
    h.crash_and_restart().await;
    let queries = h.sandbox.sandbox.calls("QueryInvoices");
    let list = h.bills_list(&user, 2).await;
    let card = h.open_bill(&user, &list, "Ev").await;
    let changed = filled(
        "bills.changed",
        &[("title", "Ev"), ("institution", ISKI_NAME)],
    );
    let changed = h.press_fresh(&user, &card, Action::Confirm, changed).await;
    h.press_fresh(
        &user,
        &changed,
        Action::Confirm,
        filled("bills.deleted", &[("title", "Ev")]),
    )
    .await;
    h.sandbox.sandbox.hide_association("ISKI");
    h.crash_and_restart().await;
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, ISKI_NAME).await;
    let unlisted = filled(
        "bills.unlisted",
        &[("title", ISKI_NAME), ("institution", ISKI_NAME)],
    );
    let unlisted = h.press_fresh(&user, &card, Action::Confirm, unlisted).await;
    h.press_fresh(&user, &unlisted, Action::Confirm, "bills.deleted")
        .await;

    // Assert: both deleted; neither was queried; no bank error was shown.
    h.say_key(&user, "/bills", "bills.none").await;
    assert_eq!(h.sandbox.sandbox.calls("QueryInvoices"), queries);
    let bank_words = [
        "bank.refused",
        "bank.rejected",
        "bank.rejected_plain",
        "error.internal",
        "bank.refused_code",
    ];
    for m in h.tg.chat(user.chat_id()) {
        for key in bank_words {
            assert!(
                !Key::from(key).shown_in(&user, &m.plain()),
                "{key}: {}",
                m.plain()
            );
        }
    }
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_an_account_deletes_its_saved_bills() {
    // Arrange: an English-speaking customer's bill saved from the one
    // linked account.
    let h = Harness::start().await;
    let user = h.customer(7501, "en");
    h.link(&user).await;
    let paid = h.pay_new_bill(&user, "1000001", "TRY 29.20").await;
    let save = save_data(&paid).expect("a save button");
    let saved = h.press_save(&user, &paid, "bills.saved").await;
    h.press_fresh(&user, &saved, Action::Skip, "bills.kept")
        .await;
    h.bills_list(&user, 1).await;

    // Act: /unlink, confirmed; then the same account linked again.
    let account = "9142-•••017-357 TRY";
    let ask = h
        .say_key(
            &user,
            "/unlink",
            filled("unlink.ask", &[("account", account)]),
        )
        .await;
    h.press_action(
        &user,
        &ask,
        Action::Confirm,
        filled("unlink.done_last", &[("account", account)]),
    )
    .await;
    h.press_save_data(&user, paid.message_id, &save, "bills.not_saveable")
        .await;
    h.link_only(&user).await;

    // Assert: the bill went with the account.
    h.say_key(&user, "/bills", "bills.none").await;
}
