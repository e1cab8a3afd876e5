//! A saved bill's name and menu: a name too long is refused and the
//! question stays; Skip keeps the institution's name; Rename; reminders off
//! and on (the menu and the list show which); Delete after a confirmation,
//! Back keeping it.

use super::common;
use common::{Harness, ISKI_NAME, filled, labelled, save_data, words};
use faturabot::bot::callbacks::Action;

/// 33 characters, Turkish letters counted one each; 32 is the most.
const TOO_LONG: &str = "Kadıköy'deki evimizin su faturası";
const LONGEST: &str = "Annemin Kadıköy'deki evinin suyu";
/// A name that is HTML to a careless bot.
const MARKUP: &str = "<b>Ev</b> & su";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_bill_is_named_renamed_muted_and_deleted() {
    assert_eq!(
        (TOO_LONG.chars().count(), LONGEST.chars().count()),
        (33, 32)
    );
    // Arrange: a bill paid and saved.
    let h = Harness::start().await;
    let user = h.customer(7201, "tr");
    h.link(&user).await;
    let paid = h.pay_new_bill(&user, "1000001", "₺29,20").await;
    let save = save_data(&paid).expect("a save button");
    let saved = h.press_save(&user, &paid, "bills.saved").await;

    // Act and assert: too long, the question stays; Skip answers it.
    h.say_key(&user, TOO_LONG, "bills.name_too_long").await;
    h.press_fresh(
        &user,
        &saved,
        Action::Skip,
        filled("bills.kept", &[("title", ISKI_NAME)]),
    )
    .await;

    // Rename from the menu: too long again, then the longest name.
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, ISKI_NAME).await;
    let on = words(&user, "bills.reminders_on");
    let off = words(&user, "bills.reminders_off");
    assert!(
        filled("bills.card", &[("title", ISKI_NAME), ("reminders", &on)])
            .shown_in(&user, &card.plain()),
        "reminders are on by default: {}",
        card.plain()
    );
    let prompt = filled("bills.rename_prompt", &[("title", ISKI_NAME)]);
    h.press_fresh(&user, &card, Action::Rename, prompt).await;
    h.say_key(&user, TOO_LONG, "bills.name_too_long").await;
    h.say_key(&user, MARKUP, filled("bills.named", &[("title", MARKUP)]))
        .await;
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, MARKUP).await;
    let prompt = filled("bills.rename_prompt", &[("title", MARKUP)]);
    h.press_fresh(&user, &card, Action::Rename, prompt).await;
    h.say_key(&user, LONGEST, filled("bills.named", &[("title", LONGEST)]))
        .await;

    // Reminders off: the menu says so and offers them on; the list marks it.
    let list = h.bills_list(&user, 1).await;
    let card = h.open_bill(&user, &list, LONGEST).await;
    let muted = h
        .press_fresh(
            &user,
            &card,
            Action::Toggle,
            filled("bills.card", &[("reminders", &off)]),
        )
        .await;
    assert!(
        labelled(&muted, &user, "bills.unmute").is_some(),
        "{:?}",
        muted.buttons
    );
    let list = h.bills_list(&user, 1).await;
    let entry = filled(
        "bills.entry_muted",
        &[
            ("name", LONGEST),
            ("institution", ISKI_NAME),
            ("subscriber", "1000001"),
        ],
    );
    let entry = words(&user, entry);
    assert!(
        list.all_buttons().any(|b| b.text == entry),
        "{entry:?} in {:?}",
        list.buttons
    );
    let card = h.open_bill(&user, &list, LONGEST).await;
    let unmuted = h
        .press_fresh(
            &user,
            &card,
            Action::Toggle,
            filled("bills.card", &[("reminders", &on)]),
        )
        .await;
    assert!(
        labelled(&unmuted, &user, "bills.mute").is_some(),
        "{:?}",
        unmuted.buttons
    );

    // Delete: Back keeps it; Yes deletes it.
    let ask = filled(
        "bills.confirm_delete",
        &[("title", LONGEST), ("subscriber", "1000001")],
    );
    let asked = h
        .press_fresh(&user, &unmuted, Action::Delete, ask.clone())
        .await;
    let back = h
        .press_fresh(&user, &asked, Action::Back, "bills.card")
        .await;
    let asked = h.press_fresh(&user, &back, Action::Delete, ask).await;
    h.press_fresh(
        &user,
        &asked,
        Action::Confirm,
        filled("bills.deleted", &[("title", LONGEST)]),
    )
    .await;
    h.say_key(&user, "/bills", "bills.none").await;
    // Deleted, not hidden: the payment's old Save button saves it anew.
    h.press_save_data(&user, paid.message_id, &save, "bills.saved")
        .await;
    h.bills_list(&user, 1).await;
    // Telegram took every text (names escaped where the text is HTML).
    let texts = ["sendMessage", "editMessageText"];
    let refused: Vec<_> =
        h.tg.calls()
            .into_iter()
            .filter(|c| !c.is_ok() && texts.iter().any(|m| c.method.eq_ignore_ascii_case(m)))
            .collect();
    assert!(refused.is_empty(), "{refused:#?}");
}
