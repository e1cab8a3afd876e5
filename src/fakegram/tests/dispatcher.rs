//! A real teloxide dispatcher against the fake.

use teloxide::prelude::*;

use super::{WAIT, keyboard, setup};
use crate::fakegram::BotEvent;

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
