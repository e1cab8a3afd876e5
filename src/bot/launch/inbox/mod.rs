//! Replicated webhook mode (a database URL and a webhook): several
//! replicas serve one bot. Each keeps what Telegram delivers in the shared
//! inbox before answering 200 ([`webhook`]), and takes updates from it one
//! chat at a time, in order, under a lease ([`relay`]), whichever replica
//! received them.

mod relay;
mod webhook;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::sync::{Notify, watch};

pub(crate) use relay::RELEASE_WITHIN;
pub use relay::{LEASE, Relay};

use crate::{
    bot::{App, TgBot, schema},
    config::WebhookConfig,
    storage::Inbox,
};

/// What the inbox's key is for (HKDF's info): no other key is the same.
const INBOX_KEY: &[u8] = b"faturabot inbox v1";

/// Serves the webhook on its address (until `stop`) and builds the relay
/// that handles what it keeps; returns the relay and the server's task.
pub(super) async fn start(
    bot: TgBot,
    app: Arc<App>,
    me: teloxide::types::Me,
    webhook: &WebhookConfig,
    inbox: Arc<dyn Inbox>,
    token: &secrecy::SecretString,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<(Arc<Relay>, tokio::task::JoinHandle<()>)> {
    let sealer = Arc::new(crate::bot::pin::Sealer::for_purpose(token, INBOX_KEY));
    let secret = webhook.secret.clone().context(
        "FATURABOT_WEBHOOK_SECRET is required when several replicas share FATURABOT_DATABASE_URL",
    )?;
    let wake = Arc::new(Notify::new());
    let intake = Arc::new(webhook::Intake {
        inbox: inbox.clone(),
        secret,
        wake: wake.clone(),
        sealer: sealer.clone(),
        metrics: app.metrics.clone(),
    });
    let path = webhook.url.path();
    let router = webhook::router(path, intake);
    let tcp = tokio::net::TcpListener::bind(webhook.listen)
        .await
        .with_context(|| {
            format!(
                "FATURABOT_WEBHOOK_LISTEN: cannot listen on {}",
                webhook.listen
            )
        })?;
    tracing::info!(listen = %webhook.listen, path, "webhook mode, replicated: updates go through the inbox");
    let server = tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(tcp, router)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "webhook server stopped");
        }
    });
    let relay = Arc::new(Relay {
        inbox,
        tree: schema(),
        dialogues: app.store.dialogues(),
        app,
        bot,
        me,
        wake,
        sealer,
        held: Mutex::default(),
    });
    Ok((relay, server))
}
