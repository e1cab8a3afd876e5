//! The parts the service is built from: the bot, the shared [`App`], the
//! dispatcher over [`schema`], the command menus, the webhook.

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use teloxide::{
    adaptors::throttle::Limits,
    dispatching::{DefaultKey, Dispatcher},
    prelude::*,
    types::{BotCommand, BotCommandScope, ParseMode, Recipient},
    update_listeners::webhooks,
};

use super::Settings;
use crate::{
    bank::{BankClient, Catalog, ReceiptClient},
    bot::pin::{PinMode, Sealer},
    bot::{
        App, TgBot,
        commands::{Audience, COMMANDS},
        schema,
    },
    config::WebhookConfig,
    i18n::{I18n, Lang},
    metrics::Metrics,
    payments::{Payments, PinHasher},
};

/// The bot for `token`, at `api_url` when given (tests, local Bot API),
/// sending within `limits` (Telegram's own by default).
pub fn build_bot(token: &str, api_url: Option<url::Url>, limits: Limits) -> TgBot {
    let mut bot = teloxide::Bot::new(token);
    if let Some(url) = api_url {
        bot = bot.set_api_url(url);
    }
    bot.parse_mode(ParseMode::Html).throttle(limits)
}

/// Asks Telegram who we are, and builds the shared [`App`].
pub(super) async fn build_app(
    bot: &TgBot,
    parts: &Settings,
) -> anyhow::Result<(Arc<App>, teloxide::types::Me)> {
    let me = bot
        .get_me()
        .await
        .context("getMe: is TELOXIDE_TOKEN right and Telegram reachable?")?;
    let metrics = Metrics::new();
    let observe = {
        let m = metrics.clone();
        Arc::new(move |method: &'static str, took, ok| m.bank_call(method, took, ok))
    };
    let bank = BankClient::new(&parts.bank)?.with_observer(observe.clone());
    let receipts = ReceiptClient::new(&parts.receipt)?.with_observer(observe);
    let settled = parts
        .store
        .ledger
        .settle_abandoned(parts.clock.now())
        .await?;
    if settled > 0 {
        tracing::warn!(
            count = settled,
            "payments left in flight by the last run are now 'unknown'"
        );
    }
    let store = parts.store.clone();
    let app = App {
        i18n: I18n::load().map_err(anyhow::Error::msg)?,
        payments: Payments {
            ledger: store.ledger.clone(),
            invites: store.invites.clone(),
            users: store.users.clone(),
            pins: store.pins.clone(),
            bills: store.bills.clone(),
            pin_hasher: PinHasher::new(),
            bank: Arc::new(bank.clone()),
            clock: parts.clock.clone(),
            daily_limit: parts.daily_limit,
        },
        store,
        catalog: Catalog::new(bank, parts.catalog_ttl),
        receipts,
        agents: parts.agents.clone(),
        bot_username: me.username().to_owned(),
        clock: parts.clock.clone(),
        metrics,
        in_flight: Default::default(),
        reminders: Default::default(),
        pin: match parts.pin {
            PinMode::Required => Some(Sealer::from_token(&parts.token)),
            PinMode::Off => None,
        },
    };
    Ok((Arc::new(app), me))
}

/// The dispatcher over [`schema`], with everything injected.
pub(super) fn dispatcher(
    bot: TgBot,
    app: Arc<App>,
    me: teloxide::types::Me,
) -> anyhow::Result<Dispatcher<TgBot, anyhow::Error, DefaultKey>> {
    let dialogues = app.store.dialogues::<crate::bot::State>();
    Ok(Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![app, dialogues, me])
        .default_handler(|upd| async move {
            tracing::debug!(update_id = upd.id.0, "update not handled");
        })
        .error_handler(
            teloxide::error_handlers::LoggingErrorHandler::with_custom_text(
                "an error from the update handler",
            ),
        )
        .build())
}

/// Registers the command menu: customers' commands for all, agents' too in
/// agents' chats.
pub(super) async fn register_commands(bot: &TgBot, app: &App) {
    for lang in Lang::ALL {
        let list = |with_agents: bool| -> Vec<BotCommand> {
            COMMANDS
                .iter()
                .filter(|(_, _, aud)| with_agents || *aud == Audience::Everyone)
                .filter(|(name, _, _)| app.offers(name))
                .map(|(name, key, _)| BotCommand::new(*name, app.i18n.get(lang, key)))
                .collect()
        };
        let code = if lang == Lang::En {
            None
        } else {
            Some(lang.code().to_owned())
        };
        let mut req = bot.set_my_commands(list(false));
        if let Some(c) = &code {
            req = req.language_code(c.clone());
        }
        if let Err(e) = req.await {
            tracing::warn!(error = %e, "setMyCommands failed");
        }
        for agent in &app.agents {
            // Checked by the configuration: agents' ids fit a chat id.
            let Ok(chat_id) = i64::try_from(*agent) else {
                continue;
            };
            let mut req = bot
                .set_my_commands(list(true))
                .scope(BotCommandScope::Chat {
                    chat_id: Recipient::Id(ChatId(chat_id)),
                });
            if let Some(c) = &code {
                req = req.language_code(c.clone());
            }
            if let Err(e) = req.await {
                tracing::warn!(error = %e, agent, "setMyCommands for agent failed");
            }
        }
    }
}

/// Telegram's send limits: about one message a second in a chat, 20 a
/// minute in a group, `send_rate` a second overall. teloxide counts basic
/// groups with private chats; the bot only answers a group with a pointer
/// to the private chat, so private chats get their own pace (60 a minute).
pub fn telegram_limits(send_rate: u32) -> Limits {
    Limits {
        messages_per_sec_chat: 1,
        messages_per_min_chat: 60,
        messages_per_min_channel_or_supergroup: 20,
        messages_per_sec_overall: send_rate,
    }
}

/// Registers the webhook and serves it; returns the listener of its
/// updates and the server's task.
pub(super) async fn serve_webhook(
    bot: &TgBot,
    webhook: &WebhookConfig,
    replicated: bool,
) -> anyhow::Result<(
    impl teloxide::update_listeners::UpdateListener<Err = std::convert::Infallible> + use<>,
    tokio::task::JoinHandle<()>,
)> {
    let mut options = webhooks::Options::new(webhook.listen, webhook.url.clone());
    if let Some(secret) = &webhook.secret {
        options = options.secret_token(secret.expose_secret().to_owned());
    }
    let tcp = tokio::net::TcpListener::bind(webhook.listen)
        .await
        .with_context(|| {
            format!(
                "FATURABOT_WEBHOOK_LISTEN: cannot listen on {}",
                webhook.listen
            )
        })?;
    // One of several replicas neither sets the webhook nor deletes it:
    // `faturabot webhook set` does, once for all. A single node sets it
    // (with a secret of its own when none is configured) and deletes it
    // when it stops.
    if !replicated {
        let secret = options.get_or_gen_secret_token().to_owned();
        bot.set_webhook(webhook.url.clone())
            .secret_token(secret)
            .await
            .context("setWebhook failed")?;
    }
    let (listener, stop_flag, router) = webhooks::axum_no_setup(options);
    let bot = bot.clone();
    let stop_flag = async move {
        stop_flag.await;
        if !replicated && let Err(e) = bot.delete_webhook().await {
            tracing::error!(error = %e, "could not delete the webhook");
        }
    };
    tracing::info!(listen = %webhook.listen, replicated, "webhook mode");
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, router)
            .with_graceful_shutdown(stop_flag)
            .await
        {
            tracing::error!(error = %e, "webhook server stopped");
        }
    });
    Ok((listener, server))
}
