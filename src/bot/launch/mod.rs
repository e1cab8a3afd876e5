//! The composition root: [`Settings`] → [`Service::build`] →
//! [`Service::run`], shared by `faturabot run`, the demo and the tests.

use std::{collections::BTreeSet, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use teloxide::adaptors::throttle::Limits;

mod inbox;
mod parts;
mod serving;

pub use parts::{build_bot, telegram_limits};

use parts::{build_app, dispatcher, register_commands, serve_webhook};
use serving::Serving;

pub use inbox::{LEASE, Relay};

use super::{
    App, TgBot,
    pin::PinMode,
    reminders::{self, Schedule},
};
use crate::{
    clock::Clock,
    config::{BankConfig, Config, ReceiptConfig, WebhookConfig},
    metrics::{self, Health},
    money::Amount,
    storage::Store,
};

/// What a bot process is built from, everything resolved: `run`, the demo
/// and the tests differ only here (upstreams, clock, limits).
pub struct Settings {
    pub token: SecretString,
    pub api_url: Option<url::Url>,
    pub store: Store,
    pub bank: BankConfig,
    pub receipt: ReceiptConfig,
    pub agents: BTreeSet<u64>,
    pub catalog_ttl: Duration,
    pub clock: Clock,
    pub limits: Limits,
    pub webhook: Option<WebhookConfig>,
    pub metrics_listen: Option<SocketAddr>,
    /// After the shutdown signal, how long updates in progress may finish.
    pub drain: Duration,
    /// One of several replicas on a shared database: the webhook is
    /// registered once for all (`faturabot webhook set`), not by each.
    pub replicated: bool,
    pub pin: PinMode,
    /// `FATURABOT_DAILY_LIMIT`, per account and Istanbul day.
    pub daily_limit: Option<Amount>,
    /// `FATURABOT_REMINDER_*`: the daily saved-bill check; `None`, off.
    pub reminders: Option<Schedule>,
}

impl Settings {
    /// `faturabot run`'s settings: the configuration, with the database
    /// opened and the upstreams resolved.
    pub fn from_config(
        config: &Config,
        store: Store,
        bank: BankConfig,
        receipt: ReceiptConfig,
    ) -> Settings {
        Settings {
            token: config.token.clone(),
            api_url: config.api_url.clone(),
            store,
            bank,
            receipt,
            agents: config.agents.clone(),
            catalog_ttl: config.catalog_ttl,
            clock: Clock::system(),
            limits: telegram_limits(config.send_rate),
            webhook: config.webhook.clone(),
            metrics_listen: config.metrics_listen,
            drain: config.shutdown,
            replicated: config.database_url.is_some(),
            pin: config.payment_pin,
            daily_limit: config.daily_limit,
            reminders: config.reminders.map(|r| Schedule {
                at: r.at,
                days_before: r.days_before,
                per_second: r.per_second,
                send_rate: config.send_rate,
            }),
        }
    }
}

/// A task that ends with its owner: [`Service::run`] dropped (a test's
/// simulated crash) takes the listeners with it.
pub(crate) struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The composition root: one bot, built once, run until a shutdown signal.
pub struct Service {
    app: Arc<App>,
    bot: TgBot,
    me: teloxide::types::Me,
    settings: Settings,
}

impl Service {
    /// Asks Telegram who the bot is, settles payments a previous process
    /// left in flight, builds the [`App`] and registers the command menus.
    pub async fn build(settings: Settings) -> anyhow::Result<Service> {
        let bot = build_bot(
            settings.token.expose_secret(),
            settings.api_url.clone(),
            settings.limits,
        );
        let (app, me) = build_app(&bot, &settings).await?;
        tracing::info!(username = %me.username(), "faturabot started");
        register_commands(&bot, &app).await;
        Ok(Service {
            app,
            bot,
            me,
            settings,
        })
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serves updates (long polling, or the webhook when configured) and
    /// `/healthz` and `/metrics` when configured, until `shutdown`
    /// completes; then lets updates in progress finish for at most the
    /// drain limit and flushes the database. `Ok(false)` when the limit cut
    /// some short (their payments come back "being checked" after a
    /// restart). At worst it returns 7 s after the limit: 2 s for the
    /// listeners, 5 s for the last flush.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<bool> {
        let Service {
            app,
            bot,
            me,
            settings,
        } = self;
        // The storage's own background work (a replica's heartbeat and
        // sweep), for as long as the bot runs.
        let backend = app.store.backend.clone();
        let _maintain = AbortOnDrop(tokio::spawn(async move { backend.maintain().await }));
        let reminding = settings.reminders.map(|schedule| {
            let run =
                reminders::schedule(app.clone(), bot.clone(), schedule, app.reminders.clone());
            AbortOnDrop(tokio::spawn(run))
        });
        let (stopped, stopped_rx) = tokio::sync::watch::channel(false);
        let metrics = match settings.metrics_listen {
            Some(addr) => {
                let url = &settings.bank.url;
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
                    store: app.store.clone(),
                    metrics: app.metrics.clone(),
                    cache: app.catalog.stats.clone(),
                    bank_addr,
                };
                Some(AbortOnDrop(
                    metrics::serve(addr, health, stop).await.with_context(|| {
                        format!("FATURABOT_METRICS_LISTEN: cannot listen on {addr}")
                    })?,
                ))
            }
            None => None,
        };

        let (mut serving, server) = match (&settings.webhook, app.store.inbox.clone()) {
            (Some(webhook), Some(inbox)) => {
                let (stop, stop_rx) = tokio::sync::watch::channel(false);
                let (relay, server) = inbox::start(
                    bot.clone(),
                    app.clone(),
                    me,
                    webhook,
                    inbox.clone(),
                    &settings.token,
                    stop_rx,
                )
                .await?;
                (
                    Serving::relay(relay, inbox, stop),
                    Some(AbortOnDrop(server)),
                )
            }
            (webhook, _) => {
                let mut dispatcher = dispatcher(bot.clone(), app.clone(), me)?;
                let token = dispatcher.shutdown_token();
                match webhook {
                    None => (
                        Serving::dispatcher(async move { dispatcher.dispatch().await }, token),
                        None,
                    ),
                    Some(webhook) => {
                        let (listener, server) =
                            serve_webhook(&bot, webhook, settings.replicated).await?;
                        let running = async move {
                            dispatcher
                                .dispatch_with_listener(
                                    listener,
                                    teloxide::error_handlers::LoggingErrorHandler::with_custom_text(
                                        "webhook listener",
                                    ),
                                )
                                .await
                        };
                        (
                            Serving::dispatcher(running, token),
                            Some(AbortOnDrop(server)),
                        )
                    }
                }
            }
        };

        // Driven here, not spawned: whoever drops `run` (a test's simulated
        // crash) stops the handling at once.
        let finished = tokio::select! {
            () = shutdown => false,
            () = serving.run() => {
                tracing::warn!("update handling stopped on its own");
                true
            }
        };
        // No reminder starts after this; one cut short is claimed, so it
        // is never sent twice (a check cut short is taken over later).
        drop(reminding);
        let limit = settings.drain;
        tracing::info!(
            limit_secs = limit.as_secs(),
            "shutting down: finishing updates in progress"
        );
        let deadline = tokio::time::Instant::now() + limit;
        let drained = serving.stop(finished, deadline).await;
        if !drained {
            // A payment cut short is "in flight" in the ledger, so "being
            // checked" after a restart or another replica's sweep.
            tracing::error!(
                limit_secs = limit.as_secs(),
                in_progress = %app.in_flight.describe(),
                "drain limit reached; no longer waiting for these updates"
            );
            serving.abandon().await;
        }
        // What this process leaves in flight is another replica's to
        // sweep; no heartbeat may revive it after this.
        drop(_maintain);
        app.store.backend.retire().await;
        let _ = stopped.send(true);
        let listeners = async {
            for mut task in [server, metrics].into_iter().flatten() {
                let _ = (&mut task.0).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), listeners).await;
        match tokio::time::timeout(crate::storage::sled::flusher::STALL, settings.store.flush())
            .await
        {
            Ok(Ok(())) => tracing::info!("stopped; database flushed"),
            Ok(Err(e)) => tracing::error!(error = %e, "stopped; the database could not be flushed"),
            Err(_) => tracing::error!("stopped; the database flush did not finish"),
        }
        Ok(drained)
    }
}
