//! `/receipt` without an id and `/history`: the newest payments as receipt
//! buttons and lines with their states, paged.

use super::{cancel_as_agent, common, next_photo, pay};
use common::{Harness, ISKI_NAME, decode_qr, filled, labelled, words};
use faturabot::{
    bot::callbacks::CallbackData,
    fakegram::{BotMessage, Button, FakeUser},
};

/// The receipt button of payment `id` on `msg`.
fn receipt_button(msg: &BotMessage, user: &FakeUser, id: i64) -> Option<Button> {
    labelled(
        msg,
        user,
        filled("button.receipt", &[("id", &id.to_string())]),
    )
    .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_payments_as_buttons_and_history_paged_with_states() {
    // Arrange: six payments, the first of them cancelled by an agent.
    let h = Harness::start().await;
    let user = h.customer(2201, "tr");
    h.link(&user).await;
    let mut ids = Vec::new();
    for (subscriber, amount) in [
        ("1000001", "₺29,20"),
        ("1000002", "₺1.234,56"),
        ("1000002", "₺0,10"),
        ("1000002", "₺20.000,00"),
        ("9300001", "₺75,00"),
        ("9200001", "₺58,75"),
    ] {
        ids.push(pay(&h, &user, subscriber, amount).await);
    }
    cancel_as_agent(&h, ids[0]).await;
    let page = |n: &'static str| filled("history.title", &[("page", n), ("pages", "2")]);

    // Act: /receipt without an id.
    let list = h.say_key(&user, "/receipt", page("1")).await;

    // Assert: the five newest as receipt buttons, a way to the next page.
    for id in &ids[1..] {
        assert!(
            receipt_button(&list, &user, *id).is_some(),
            "{id}: {:?}",
            list.buttons
        );
    }
    assert!(receipt_button(&list, &user, ids[0]).is_none());
    assert!(
        labelled(&list, &user, "button.next").is_some(),
        "{:?}",
        list.buttons
    );
    let oldest_ok = ids[1];
    let after = h.last_id(&user);
    let b = receipt_button(&list, &user, oldest_ok)
        .and_then(|b| b.callback_data)
        .expect("button");
    assert_eq!(
        CallbackData::decode(&b),
        Some(CallbackData::Receipt(oldest_ok))
    );
    h.tg.press(&user, list.message_id, &b);
    let photo = next_photo(&h, &user, after).await;
    assert_eq!(
        decode_qr(photo.photo.as_deref().unwrap_or_default()),
        format!("BP022FOY{oldest_ok}")
    );
    assert!(photo.plain().contains("₺1.234,56"), "{}", photo.plain());

    // Act: /history, then its next page.
    let page1 = h.say_key(&user, "/history", page("1")).await;
    let text1 = page1.plain();
    let (paid, cancelled) = (
        words(&user, "state.completed"),
        words(&user, "state.cancelled"),
    );
    for (id, amount) in [
        (ids[5], "₺58,75"),
        (ids[4], "₺75,00"),
        (ids[3], "₺20.000,00"),
        (ids[2], "₺0,10"),
        (ids[1], "₺1.234,56"),
    ] {
        let id_s = id.to_string();
        let args = [
            ("institution", ISKI_NAME),
            ("amount", amount),
            ("state", &paid),
            ("id", &id_s),
        ];
        let line = filled("history.line", &args);
        assert!(
            line.shown_in(&user, &text1),
            "{:?} missing from {text1}",
            line.pieces(&user)
        );
    }
    assert!(!text1.contains(&ids[0].to_string()), "{text1}");
    assert!(labelled(&page1, &user, "button.prev").is_none());
    let page2 = h
        .press_data(&user, &page1, CallbackData::HistoryPage(1), page("2"))
        .await;
    let text2 = page2.plain();
    assert_eq!(
        page2.message_id, page1.message_id,
        "the page is edited in place"
    );
    let first = ids[0].to_string();
    let args = [
        ("institution", ISKI_NAME),
        ("amount", "₺29,20"),
        ("state", &cancelled),
        ("id", &first),
    ];
    assert!(
        filled("history.line", &args).shown_in(&user, &text2),
        "{text2}"
    );
    assert!(
        labelled(&page2, &user, "button.prev").is_some()
            && labelled(&page2, &user, "button.next").is_none()
    );
    assert!(receipt_button(&page2, &user, ids[0]).is_some());
}
