//! End-to-end tests of the fake with a real teloxide `Bot`: what the fake
//! answers must deserialize into teloxide's types, and Telegram's refusals must
//! reach teloxide as the same errors.

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
    UpdateKind,
};
use teloxide::{ApiError, RequestError};

use super::*;

const WAIT: Duration = Duration::from_secs(5);

async fn setup() -> (FakeTelegram, Bot, FakeUser) {
    let tg = FakeTelegram::start().await.expect("fake starts");
    let bot = tg.bot();
    let user = FakeUser::new(4242, "Ayşe")
        .language("tr")
        .with_username("ayse");
    tg.register(&user);
    (tg, bot, user)
}

fn keyboard(data: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Öde ›", data.to_owned()),
        InlineKeyboardButton::url("Site", "https://example.com".parse().expect("url")),
    ]])
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 80, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png encodes");
    out.into_inner()
}

/// Until `n` getUpdates requests have reached the server (long polls are only
/// recorded when they end).
async fn wait_for_pollers(tg: &FakeTelegram, n: u64) {
    for _ in 0..400 {
        if tg.core().lock().poller >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no getUpdates reached the fake");
}

fn api_error(e: RequestError) -> ApiError {
    match e {
        RequestError::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn get_me_reports_the_fake_bot() {
    let (tg, bot, _) = setup().await;
    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.id.0, 777_000_111);
    assert_eq!(me.username(), "faturabot_test_bot");
    assert_eq!(me.first_name, "faturabot");
    assert!(me.is_bot);
    assert_eq!(tg.count("getMe"), 1);
    assert!(tg.api_url().as_str().ends_with('/'));
}

#[tokio::test]
async fn send_with_keyboard_then_edit() {
    let (tg, bot, user) = setup().await;
    let chat = ChatId(user.chat_id());
    let sent = bot
        .send_message(chat, "<b>Su</b> faturası: &lt;ABC&gt; &amp; co")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard("p:1"))
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("Su faturası: <ABC> & co"));
    assert_eq!(sent.from.as_ref().map(|u| u.id.0), Some(777_000_111));
    assert_eq!(sent.chat.id, chat);
    assert_eq!(sent.reply_markup(), Some(&keyboard("p:1")));
    assert_eq!(sent.entities().map(<[_]>::len), Some(1));

    let shown = tg.chat(chat.0);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].message_id, sent.id.0);
    assert_eq!(shown[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(shown[0].plain(), "Su faturası: <ABC> & co");
    assert_eq!(shown[0].buttons[0][0].callback_data.as_deref(), Some("p:1"));
    assert_eq!(
        shown[0].buttons[0][1].url.as_deref(),
        Some("https://example.com/")
    );

    let edited = bot
        .edit_message_text(chat, sent.id, "Ödendi")
        .reply_markup(keyboard("p:2"))
        .await
        .expect("editMessageText");
    assert_eq!(edited.text(), Some("Ödendi"));
    assert!(edited.edit_date().is_some());
    let shown = tg.last_message(chat.0).expect("still shown");
    assert_eq!((shown.text.as_str(), shown.edited), ("Ödendi", true));
    assert_eq!(
        shown
            .button("Öde")
            .and_then(|b| b.callback_data.clone())
            .as_deref(),
        Some("p:2")
    );

    // The same content again is refused, as Telegram does.
    let err = bot
        .edit_message_text(chat, sent.id, "Ödendi")
        .reply_markup(keyboard("p:2"))
        .await
        .expect_err("not modified");
    assert_eq!(api_error(err), ApiError::MessageNotModified);

    // Leaving the markup out removes the keyboard.
    bot.edit_message_text(chat, sent.id, "Ödendi")
        .await
        .expect("edit without markup");
    assert!(tg.last_message(chat.0).expect("shown").buttons.is_empty());

    bot.edit_message_reply_markup(chat, sent.id)
        .reply_markup(keyboard("p:3"))
        .await
        .expect("editMessageReplyMarkup");
    assert_eq!(
        tg.last_message(chat.0).expect("shown").buttons[0][0]
            .callback_data
            .as_deref(),
        Some("p:3")
    );

    let err = bot
        .edit_message_text(chat, MessageId(999), "x")
        .await
        .expect_err("unknown message");
    assert_eq!(api_error(err), ApiError::MessageToEditNotFound);

    bot.delete_message(chat, sent.id)
        .await
        .expect("deleteMessage");
    assert!(tg.chat(chat.0).is_empty());
    let err = bot
        .delete_message(chat, sent.id)
        .await
        .expect_err("already deleted");
    assert_eq!(api_error(err), ApiError::MessageToDeleteNotFound);
    let err = bot
        .edit_message_text(chat, sent.id, "x")
        .await
        .expect_err("deleted");
    assert_eq!(api_error(err), ApiError::MessageToEditNotFound);
}

#[tokio::test]
async fn send_photo_bytes_arrive_intact() {
    let (tg, bot, user) = setup().await;
    let chat = ChatId(user.chat_id());
    let bytes = png();
    let sent = bot
        .send_photo(chat, InputFile::memory(bytes.clone()))
        .caption("<b>QR</b> kodu")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard("qr"))
        .await
        .expect("sendPhoto");
    let sizes = sent.photo().expect("a photo message");
    assert_eq!((sizes[0].width, sizes[0].height), (5, 3));
    assert_eq!(sent.caption(), Some("QR kodu"));

    let call = tg.calls_to("sendPhoto").pop().expect("recorded");
    assert_eq!(call.files.len(), 1);
    assert_eq!(call.files[0].field, "photo");
    assert_eq!(call.files[0].bytes, bytes);
    assert_eq!(call.params["chat_id"], serde_json::json!(user.chat_id()));
    assert_eq!(
        call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "qr"
    );

    let shown = tg.last_message(chat.0).expect("shown");
    assert_eq!(shown.photo.as_deref(), Some(bytes.as_slice()));
    assert_eq!(shown.text, "<b>QR</b> kodu");
    assert_eq!(shown.buttons[0][0].callback_data.as_deref(), Some("qr"));

    // Sending again by file id reuses the upload.
    let file_id = sizes[0].file.id.clone();
    bot.send_photo(chat, InputFile::file_id(file_id))
        .await
        .expect("by file id");
    assert_eq!(
        tg.last_message(chat.0).expect("shown").photo.as_deref(),
        Some(bytes.as_slice())
    );
    let err = bot
        .send_photo(chat, InputFile::file_id("nope".to_owned().into()))
        .await
        .expect_err("unknown file id");
    assert_eq!(api_error(err), ApiError::WrongFileIdOrUrl);

    bot.edit_message_caption(chat, sent.id)
        .caption("Yeni")
        .await
        .expect("editMessageCaption");
    let shown = tg.chat(chat.0);
    assert_eq!(shown[0].text, "Yeni");
    assert!(
        shown[0].buttons.is_empty(),
        "caption edit without markup drops the keyboard"
    );

    let err = bot
        .send_photo(chat, InputFile::memory(b"not an image".to_vec()))
        .await
        .expect_err("not an image");
    assert_eq!(api_error(err), ApiError::ImageProcessFailed);
}

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
async fn telegram_rules_are_enforced() {
    let (tg, bot, user) = setup().await;
    let chat = ChatId(user.chat_id());

    let long_data = "x".repeat(65);
    let err = bot
        .send_message(chat, "a")
        .reply_markup(keyboard(&long_data))
        .await
        .expect_err("65 bytes");
    assert_eq!(api_error(err), ApiError::ButtonDataInvalid);
    // 64 bytes is fine, but 33 two-byte characters are 66 bytes.
    bot.send_message(chat, "a")
        .reply_markup(keyboard(&"x".repeat(64)))
        .await
        .expect("64 bytes");
    let err = bot
        .send_message(chat, "a")
        .reply_markup(keyboard(&"ş".repeat(33)))
        .await
        .expect_err("66 bytes");
    assert_eq!(api_error(err), ApiError::ButtonDataInvalid);

    for bad in [
        "Elektrik & Su",
        "a <b> c",
        "<b>açık",
        "<br>",
        "<b><i>x</b></i>",
    ] {
        let err = bot
            .send_message(chat, bad)
            .parse_mode(ParseMode::Html)
            .await
            .expect_err(bad);
        assert!(
            matches!(api_error(err), ApiError::CantParseEntities(ref d) if d.starts_with("Bad Request: can't parse entities")),
            "{bad}"
        );
    }
    // Without parse mode the same text is fine.
    bot.send_message(chat, "Elektrik & Su <b>")
        .await
        .expect("plain text");

    let err = bot
        .send_message(chat, "ş".repeat(4097))
        .await
        .expect_err("too long");
    assert_eq!(api_error(err), ApiError::MessageIsTooLong);
    bot.send_message(chat, "ş".repeat(4096))
        .await
        .expect("4096 is fine");
    // Tags do not count, entities count as one character.
    let text = format!("<b>{}</b>&amp;", "a".repeat(4095));
    bot.send_message(chat, text)
        .parse_mode(ParseMode::Html)
        .await
        .expect("4096 visible");
    let err = bot.send_message(chat, "  ").await.expect_err("empty");
    assert_eq!(api_error(err), ApiError::MessageTextIsEmpty);

    let err = bot
        .send_photo(chat, InputFile::memory(png()))
        .caption("c".repeat(1025))
        .await
        .expect_err("caption too long");
    assert!(matches!(api_error(err), ApiError::Unknown(d) if d.contains("caption is too long")));

    let err = bot
        .send_message(ChatId(5), "hi")
        .await
        .expect_err("unknown chat");
    assert_eq!(api_error(err), ApiError::ChatNotFound);
    tg.set_blocked(&user, true);
    let err = bot.send_message(chat, "hi").await.expect_err("blocked");
    assert_eq!(api_error(err), ApiError::BotBlocked);

    let err = bot
        .answer_callback_query(CallbackQueryId("123".into()))
        .await
        .expect_err("unknown");
    assert_eq!(api_error(err), ApiError::InvalidQueryId);

    // Refused calls are recorded with their status and change nothing.
    assert!(
        tg.calls()
            .iter()
            .any(|c| c.status == 400 && c.error() == Some("Bad Request: BUTTON_DATA_INVALID"))
    );
}

#[tokio::test]
async fn injected_failures() {
    let (tg, bot, user) = setup().await;
    let chat = ChatId(user.chat_id());
    tg.fail_next(
        "sendMessage",
        FakeFailure::TooManyRequests { retry_after: 3 },
        1,
    );
    match bot.send_message(chat, "hi").await {
        Err(RequestError::RetryAfter(secs)) => assert_eq!(secs.seconds(), 3),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    assert!(tg.chat(chat.0).is_empty(), "a failed call has no effect");
    let call = tg.calls_to("sendMessage").pop().expect("recorded");
    assert_eq!(call.status, 429);
    assert_eq!(call.response["parameters"]["retry_after"], 3);

    tg.fail_next(
        "sendmessage",
        FakeFailure::BadRequest("chat not found".into()),
        1,
    );
    let err = bot
        .send_message(chat, "hi")
        .await
        .expect_err("injected 400");
    assert_eq!(api_error(err), ApiError::ChatNotFound);
    tg.fail_next(
        "sendMessage",
        FakeFailure::Forbidden("bot was blocked by the user".into()),
        1,
    );
    let err = bot
        .send_message(chat, "hi")
        .await
        .expect_err("injected 403");
    assert_eq!(api_error(err), ApiError::BotBlocked);

    bot.send_message(chat, "hi")
        .await
        .expect("failures used up");
    assert_eq!(tg.chat(chat.0).len(), 1);
    assert_eq!(tg.count("sendMessage"), 4);
}

#[tokio::test]
async fn a_dispatcher_runs_against_the_fake() {
    let (tg, bot, user) = setup().await;
    let mut events = tg.subscribe();
    let handler = dptree::entry()
        .branch(
            Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
                let text = format!("echo: {}", msg.text().unwrap_or_default());
                bot.send_message(msg.chat.id, text)
                    .reply_markup(keyboard("again"))
                    .await?;
                respond(())
            }),
        )
        .branch(Update::filter_callback_query().endpoint(
            |bot: Bot, q: CallbackQuery| async move {
                bot.answer_callback_query(q.id.clone()).text("ok").await?;
                if let Some(m) = q.regular_message() {
                    bot.edit_message_text(m.chat.id, m.id, "pressed").await?;
                }
                respond(())
            },
        ));
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    tg.send_text(&user, "selam");
    let reply = tg
        .wait_for_message(user.chat_id(), |m| m.text == "echo: selam", WAIT)
        .await
        .expect("the bot echoes");
    tg.press_button(&user, reply.message_id, "Öde")
        .expect("button");
    tg.wait_for_message(user.chat_id(), |m| m.text == "pressed", WAIT)
        .await
        .expect("edited");
    assert_eq!(tg.callback_answers().len(), 1);

    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(matches!(&seen[0], BotEvent::Sent { message, .. } if message.text == "echo: selam"));
    assert!(
        seen.iter()
            .any(|e| matches!(e, BotEvent::CallbackAnswered(a) if a.text.as_deref() == Some("ok")))
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, BotEvent::Edited { message, .. } if message.text == "pressed"))
    );

    if let Ok(done) = shutdown.shutdown() {
        done.await;
    }
    running.await.expect("dispatcher ends");
    assert!(tg.count("getUpdates") >= 2);
}

#[tokio::test]
async fn malformed_requests_get_telegram_style_answers() {
    let (tg, _, _) = setup().await;
    let client = reqwest::Client::new();
    let base = tg.api_url();
    let url = |path: &str| base.join(&format!("/{path}")).expect("joins");

    let res = client
        .post(url(&format!("bot{TOKEN}/sendMessage")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["ok"], false);
    assert_eq!(body["error_code"], 400);

    // Query-string and urlencoded parameters work as on Telegram.
    let res = client
        .get(url(&format!("bot{TOKEN}/getMe")))
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status(), 200);
    let res = client
        .post(url(&format!("bot{TOKEN}/sendMessage")))
        .form(&[("chat_id", "abc"), ("text", "x")])
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status(), 400);

    let res = client
        .post(url("nothing/here/at/all"))
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status(), 404);
    let res = client
        .post(url(&format!("bot{TOKEN}/setChatTitle")))
        .send()
        .await
        .expect("answers");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body, serde_json::json!({ "ok": true, "result": true }));
    assert_eq!(tg.count("setChatTitle"), 1);
}

#[tokio::test]
async fn commands_are_kept_per_language() {
    let (tg, bot, _) = setup().await;
    use teloxide::types::BotCommand;
    bot.set_my_commands(vec![
        BotCommand::new("start", "Başla"),
        BotCommand::new("fatura", "Fatura öde"),
    ])
    .language_code("tr")
    .await
    .expect("setMyCommands");
    let got = bot
        .get_my_commands()
        .language_code("tr")
        .await
        .expect("getMyCommands");
    assert_eq!(got.len(), 2);
    assert!(
        bot.get_my_commands()
            .await
            .expect("default language")
            .is_empty()
    );
    assert_eq!(
        tg.my_commands(Some("tr"))[1],
        ("fatura".to_owned(), "Fatura öde".to_owned())
    );
    let err = bot
        .set_my_commands(vec![BotCommand::new("Start", "x")])
        .await
        .expect_err("upper case");
    assert!(matches!(api_error(err), ApiError::Unknown(d) if d.contains("BOT_COMMAND_INVALID")));
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
