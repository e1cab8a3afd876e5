//! What Telegram refuses, failures injected by tests, and malformed requests.

use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, InputFile, ParseMode};
use teloxide::{ApiError, RequestError};

use super::{api_error, keyboard, png, setup};
use crate::fakegram::{FakeFailure, TOKEN};

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
