//! Building the bot and its dispatcher, and running it.

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

use super::{
    App, TgBot,
    commands::{Audience, COMMANDS},
    schema,
};
use crate::{
    bank::{BankClient, Catalog, ReceiptClient},
    clock::Clock,
    config::{BankConfig, Config, ReceiptConfig, Upstream},
    i18n::{I18n, Lang},
    metrics::{self, Health, Metrics},
    sandbox::{RunningSandbox, Sandbox, SandboxConfig},
    storage::Store,
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

/// Where the bank is, once the embedded sandbox (if any) is up.
pub struct Upstreams {
    pub bank: BankConfig,
    pub receipt: ReceiptConfig,
    /// Kept alive as long as the bot runs.
    pub sandbox: Option<RunningSandbox>,
}

pub async fn upstreams(config: &Config) -> anyhow::Result<Upstreams> {
    use secrecy::SecretString;
    match &config.upstream {
        Upstream::Real { bank, receipt } => Ok(Upstreams {
            bank: bank.clone(),
            receipt: receipt.clone(),
            sandbox: None,
        }),
        Upstream::Sandbox {
            subscription_key,
            channel,
            app_key,
            receipt_api_key,
            receipt_secret_key,
            dealer_code,
            sub_dealer_code,
            timeout,
        } => {
            let expose =
                |s: &Option<SecretString>| s.as_ref().map(|s| s.expose_secret().to_owned());
            let sandbox = Sandbox::new(SandboxConfig {
                subscription_key: expose(subscription_key),
                channel: channel.clone(),
                app_key: expose(app_key),
                receipt_api_key: expose(receipt_api_key),
                receipt_secret_key: expose(receipt_secret_key),
                ..SandboxConfig::default()
            })
            .spawn()
            .await
            .context("starting the embedded sandbox bank")?;
            let url: url::Url = sandbox.url.parse().context("sandbox URL")?;
            let or = |s: &Option<SecretString>, d: &str| {
                s.clone()
                    .unwrap_or_else(|| SecretString::from(d.to_owned()))
            };
            tracing::info!(url = %sandbox.url, "embedded sandbox bank started");
            Ok(Upstreams {
                bank: BankConfig {
                    url: url.clone(),
                    subscription_key: or(subscription_key, "sandbox"),
                    channel: channel.clone().unwrap_or_else(|| "SANDBOX".into()),
                    app_key: or(app_key, "sandbox"),
                    dealer_code: dealer_code.clone(),
                    sub_dealer_code: sub_dealer_code.clone(),
                    timeout: *timeout,
                },
                receipt: ReceiptConfig {
                    url,
                    api_key: or(receipt_api_key, "sandbox"),
                    secret_key: or(receipt_secret_key, "sandbox"),
                    timeout: *timeout,
                },
                sandbox: Some(sandbox),
            })
        }
    }
}

/// Everything a dispatcher needs, built from parts (tests supply their own).
pub struct Parts {
    pub bank: BankConfig,
    pub receipt: ReceiptConfig,
    pub store: Store,
    pub agents: std::collections::BTreeSet<u64>,
    pub catalog_ttl: std::time::Duration,
    pub clock: Clock,
}

/// Asks Telegram who we are, and builds the shared [`App`].
pub async fn build_app(
    bot: &TgBot,
    parts: Parts,
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
    let app = App {
        i18n: I18n::load().map_err(anyhow::Error::msg)?,
        store: parts.store,
        catalog: Catalog::new(bank, parts.catalog_ttl),
        receipts,
        agents: parts.agents,
        bot_username: me.username().to_owned(),
        clock: parts.clock,
        metrics,
        in_flight: Default::default(),
    };
    Ok((Arc::new(app), me))
}

/// The dispatcher over [`schema`], with everything injected.
pub fn dispatcher(
    bot: TgBot,
    app: Arc<App>,
    me: teloxide::types::Me,
) -> anyhow::Result<Dispatcher<TgBot, anyhow::Error, DefaultKey>> {
    let dialogues = Arc::new(app.store.dialogues()?);
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
pub async fn register_commands(bot: &TgBot, app: &App) {
    for lang in Lang::ALL {
        let list = |with_agents: bool| -> Vec<BotCommand> {
            COMMANDS
                .iter()
                .filter(|(_, _, aud)| with_agents || *aud == Audience::Everyone)
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

/// A running bot: the dispatcher's task and what must stop with it.
struct Running {
    app: Arc<App>,
    store: Store,
    token: teloxide::dispatching::ShutdownToken,
    dispatch: tokio::task::JoinHandle<()>,
    /// The webhook listener, when in webhook mode.
    server: Option<tokio::task::JoinHandle<()>>,
    metrics: Option<tokio::task::JoinHandle<()>>,
    stopped: tokio::sync::watch::Sender<bool>,
    /// Kept alive as long as the bot runs.
    _sandbox: Option<RunningSandbox>,
}

/// `faturabot run`: long polling, or webhooks when configured; until
/// Ctrl-C or SIGTERM. A signal during start-up stops it at once; after
/// that, updates in progress (payments included) get
/// `FATURABOT_SHUTDOWN_SECS` to finish. `Ok(false)` when that limit cut
/// some short (their payments come back "being checked" after a restart).
/// At worst the process ends 8 s after the limit: 2 s for the listeners,
/// 5 s for the last flush, 1 s for the runtime.
pub async fn run(config: Config) -> anyhow::Result<bool> {
    // Listening first: a signal at any moment from here on is seen.
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let running = tokio::select! {
        r = start(&config) => r?,
        () = &mut signal => {
            tracing::info!("stopped during start-up");
            return Ok(true);
        }
    };
    let Running {
        app,
        store,
        token,
        mut dispatch,
        server,
        metrics,
        stopped,
        _sandbox,
    } = running;
    // A finished handle must not be polled again.
    let ended_alone = tokio::select! {
        () = &mut signal => false,
        _ = &mut dispatch => {
            tracing::warn!("the dispatcher stopped on its own");
            true
        }
    };
    let limit = config.shutdown;
    tracing::info!(
        limit_secs = limit.as_secs(),
        "shutting down: finishing updates in progress"
    );
    let deadline = tokio::time::Instant::now() + limit;
    // `shutdown` refuses while the dispatcher has not started yet: ask
    // again until it has, or has ended.
    while !ended_alone
        && token.shutdown().is_err()
        && !dispatch.is_finished()
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let drained = ended_alone
        || tokio::time::timeout_at(deadline, &mut dispatch)
            .await
            .is_ok();
    if !drained {
        // teloxide runs each chat's handler in a task of its own: they are
        // not waited for any more, and end with the runtime. A payment cut
        // short is "in flight" in the ledger, so "being checked" after a
        // restart.
        tracing::error!(
            limit_secs = limit.as_secs(),
            in_progress = %app.in_flight.describe(),
            "drain limit reached; no longer waiting for these updates"
        );
        dispatch.abort();
    }
    let _ = stopped.send(true);
    let servers = async {
        for task in [server, metrics].into_iter().flatten() {
            let _ = task.await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), servers).await;
    match tokio::time::timeout(crate::storage::flusher::STALL, store.flush()).await {
        Ok(Ok(())) => tracing::info!("stopped; database flushed"),
        Ok(Err(e)) => tracing::error!(error = %e, "stopped; the database could not be flushed"),
        Err(_) => tracing::error!("stopped; the database flush did not finish"),
    }
    Ok(drained)
}

/// Everything `run` does before the bot serves updates.
async fn start(config: &Config) -> anyhow::Result<Running> {
    let upstreams = upstreams(config).await?;
    let dir = config.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&dir))
        .await
        .context("opening the database")?
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    let bot = build_bot(
        config.token.expose_secret(),
        config.api_url.clone(),
        telegram_limits(config.send_rate),
    );
    let parts = Parts {
        bank: upstreams.bank.clone(),
        receipt: upstreams.receipt.clone(),
        store: store.clone(),
        agents: config.agents.clone(),
        catalog_ttl: config.catalog_ttl,
        clock: Clock::system(),
    };
    let (app, me) = build_app(&bot, parts).await?;
    tracing::info!(username = %me.username(), "faturabot started");
    register_commands(&bot, &app).await;
    let mut dispatcher = dispatcher(bot.clone(), app.clone(), me)?;

    let (stopped, stopped_rx) = tokio::sync::watch::channel(false);
    let metrics =
        match config.metrics_listen {
            Some(addr) => {
                let url = &upstreams.bank.url;
                let bank_addr = format!(
                    "{}:{}",
                    url.host_str().unwrap_or("localhost"),
                    url.port_or_known_default().unwrap_or(443)
                );
                let mut rx = stopped_rx.clone();
                let stop = async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                let health = Health {
                    app: app.clone(),
                    bank_addr,
                };
                Some(metrics::serve(addr, health, stop).await.with_context(|| {
                    format!("FATURABOT_METRICS_LISTEN: cannot listen on {addr}")
                })?)
            }
            None => None,
        };

    let token = dispatcher.shutdown_token();
    let (dispatch, server) = match &config.webhook {
        None => (
            tokio::spawn(async move { dispatcher.dispatch().await }),
            None,
        ),
        Some(webhook) => {
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
            let (listener, stop_flag, router) = webhooks::axum_to_router(bot.clone(), options)
                .await
                .context("setWebhook failed")?;
            tracing::info!(listen = %webhook.listen, "webhook mode");
            let server = tokio::spawn(async move {
                if let Err(e) = axum::serve(tcp, router)
                    .with_graceful_shutdown(stop_flag)
                    .await
                {
                    tracing::error!(error = %e, "webhook server stopped");
                }
            });
            let dispatch = tokio::spawn(async move {
                dispatcher
                    .dispatch_with_listener(
                        listener,
                        teloxide::error_handlers::LoggingErrorHandler::with_custom_text(
                            "webhook listener",
                        ),
                    )
                    .await
            });
            (dispatch, Some(server))
        }
    };
    Ok(Running {
        app,
        store,
        token,
        dispatch,
        server,
        metrics,
        stopped,
        _sandbox: upstreams.sandbox,
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
