//! `getUpdates`: confirmation by offset, redelivery, long polls, presses.

use std::time::Duration;

use teloxide::ApiError;
use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, UpdateKind};

use super::{api_error, keyboard, setup, wait_for_pollers};
use crate::fakegram::{CallbackAnswer, UpdateSpec};

#[tokio::test]
async fn get_updates_confirms_by_offset_and_redelivers() {
    let (tg, bot, user) = setup().await;
    let first = tg.send_text(&user, "/start");
    let second = tg.send_text(&user, "merhaba");

    let updates = bot.get_updates().timeout(0).await.expect("getUpdates");
    assert_eq!(
        updates.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![first, second]
    );
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("a message: {updates:?}")
    };
    assert_eq!(msg.text(), Some("/start"));
    assert_eq!(msg.chat.id.0, user.chat_id());
    let from = msg.from.as_ref().expect("from");
    assert_eq!(
        (from.id.0, from.language_code.as_deref()),
        (4242, Some("tr"))
    );
    assert_eq!(msg.entities().map(|e| e[0].length), Some(6));

    // Not confirmed yet: Telegram sends them again.
    let again = bot.get_updates().timeout(0).await.expect("getUpdates");
    assert_eq!(again.len(), 2);

    // An offset past the second confirms both.
    let after = second.as_offset();
    assert!(
        bot.get_updates()
            .offset(after)
            .timeout(0)
            .await
            .expect("getUpdates")
            .is_empty()
    );
    assert_eq!(tg.pending_updates(), 0);

    // As after a crash: the same update, same id, once more.
    assert!(tg.redeliver(first));
    let redelivered = bot
        .get_updates()
        .offset(after)
        .timeout(0)
        .await
        .expect("getUpdates");
    assert_eq!(
        redelivered.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![first]
    );
    assert!(
        bot.get_updates()
            .offset(after)
            .timeout(0)
            .await
            .expect("getUpdates")
            .is_empty()
    );

    // A button press carries the message and can be answered once.
    let sent = bot
        .send_message(ChatId(user.chat_id()), "Seç")
        .reply_markup(keyboard("k:1"))
        .await
        .expect("sendMessage");
    let query_id = tg
        .press_button(&user, sent.id.0, "Öde")
        .expect("button exists");
    let updates = bot
        .get_updates()
        .offset(after)
        .timeout(0)
        .await
        .expect("getUpdates");
    let UpdateKind::CallbackQuery(q) = &updates[0].kind else {
        panic!("a query: {updates:?}")
    };
    assert_eq!(q.id.0, query_id);
    assert_eq!(q.data.as_deref(), Some("k:1"));
    assert_eq!(q.regular_message().map(|m| m.id), Some(sent.id));
    bot.answer_callback_query(CallbackQueryId(query_id.clone()))
        .text("Tamam")
        .await
        .expect("first answer");
    let err = bot
        .answer_callback_query(CallbackQueryId(query_id.clone()))
        .await
        .expect_err("second answer");
    assert_eq!(api_error(err), ApiError::InvalidQueryId);
    assert_eq!(
        tg.callback_answers(),
        vec![CallbackAnswer {
            query_id,
            text: Some("Tamam".into()),
            show_alert: false,
            url: None
        }]
    );
}

#[tokio::test]
async fn long_poll_wakes_with_a_whole_batch() {
    let (tg, bot, user) = setup().await;
    let sent = bot
        .send_message(ChatId(user.chat_id()), "Seç")
        .reply_markup(keyboard("k:1"))
        .await
        .expect("sendMessage");
    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(30).await }
    });
    wait_for_pollers(&tg, 1).await;
    let started = std::time::Instant::now();
    let batch = tg.enqueue_batch(vec![
        UpdateSpec::press(&user, sent.id.0, "k:1"),
        UpdateSpec::press(&user, sent.id.0, "k:1"),
    ]);
    let updates = poll.await.expect("joins").expect("getUpdates");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "woken at once"
    );
    assert_eq!(
        updates.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![batch[0].update_id, batch[1].update_id]
    );
    assert_ne!(batch[0].callback_query_id, batch[1].callback_query_id);

    // With nothing queued, a long poll ends after the cap, not the timeout.
    let started = std::time::Instant::now();
    let empty = bot
        .get_updates()
        .offset(batch[1].update_id.as_offset())
        .timeout(30)
        .await
        .expect("getUpdates");
    assert!(empty.is_empty());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_second_poller_terminates_the_first() {
    let (tg, bot, _) = setup().await;
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(30).await }
    });
    wait_for_pollers(&tg, 1).await;
    let second = bot
        .get_updates()
        .timeout(0)
        .await
        .expect("the newer poll works");
    assert!(second.is_empty());
    let err = first.await.expect("joins").expect_err("superseded");
    assert_eq!(api_error(err), ApiError::TerminatedByOtherGetUpdates);
}
