//! Sending, editing and deleting messages, photos included.

use teloxide::ApiError;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId, ParseMode};

use super::{api_error, keyboard, png, setup};

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
