//! What the bot is: `getMe` and its command menu.

use teloxide::ApiError;
use teloxide::prelude::*;

use super::{api_error, setup};

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
