//! The webhook of a replica: an update is kept in the durable
//! [`Inbox`] before Telegram gets its 200, so nothing acknowledged is lost
//! when the replica dies at once; a delivery again of a kept update is a
//! no-op. While the database cannot keep updates, the answer is 503 and
//! Telegram delivers again (to this replica or another).

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    routing::post,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;

use crate::{
    bot::pin::Sealer,
    metrics::Metrics,
    storage::{Inbox, NO_LANE},
};

/// The header Telegram sends `setWebhook`'s `secret_token` in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Updates are small; anything near this is not one.
const BODY_LIMIT: usize = 1024 * 1024;
/// How long a delivery may wait for the database before it is refused
/// (Telegram delivers again).
const KEEP_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) struct Intake {
    pub inbox: Arc<dyn Inbox>,
    pub secret: SecretString,
    /// Woken for each update kept, so this replica's relay takes it at once.
    pub wake: Arc<Notify>,
    /// Updates are kept sealed: what customers type and press (keypad
    /// digits too) is never in the database in clear.
    pub sealer: Arc<Sealer>,
    pub metrics: Arc<Metrics>,
}

/// `POST path`: the webhook.
pub(crate) fn router(path: &str, intake: Arc<Intake>) -> Router {
    Router::new()
        .route(path, post(receive))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(intake)
}

/// Equal in time whatever the bytes, so the secret cannot be guessed a
/// byte at a time from the answers' timing.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len()
        && given
            .iter()
            .zip(secret)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The chat an update belongs to (its sender's when there is none): the
/// lane it waits in, behind that chat's earlier updates.
pub(crate) fn lane(update: &teloxide::types::Update) -> Option<i64> {
    update
        .chat()
        .map(|c| c.id.0)
        .or_else(|| update.from().and_then(|u| i64::try_from(u.id.0).ok()))
}

async fn receive(State(intake): State<Arc<Intake>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, intake.secret.expose_secret().as_bytes()) {
        // Counted, and logged only at debug: anyone can send these.
        intake.metrics.inbox("refused");
        tracing::debug!("webhook request without the right secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    // Only the id is needed to keep it; an update teloxide cannot read is
    // kept too (the relay logs it), as Telegram would not send it again.
    let Some(update_id) = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("update_id").and_then(serde_json::Value::as_i64))
    else {
        intake.metrics.inbox("unreadable");
        tracing::warn!("webhook request that is not an update ignored");
        return StatusCode::OK;
    };
    let lane = serde_json::from_slice::<teloxide::types::Update>(&body)
        .ok()
        .and_then(|u| lane(&u))
        .unwrap_or(NO_LANE);
    let Some(sealed) = intake.sealer.seal_bytes(&update_id.to_be_bytes(), &body) else {
        intake.metrics.inbox("unavailable");
        tracing::error!(
            update_id,
            "could not seal an update: 503, Telegram delivers it again"
        );
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let kept =
        tokio::time::timeout(KEEP_WITHIN, intake.inbox.accept(update_id, lane, &sealed)).await;
    match kept {
        Ok(Ok(true)) => {
            intake.metrics.inbox("kept");
            intake.wake.notify_one();
            StatusCode::OK
        }
        Ok(Ok(false)) => {
            intake.metrics.inbox("again");
            tracing::debug!(update_id, "update delivered again: already kept");
            StatusCode::OK
        }
        Ok(Err(e)) => {
            intake.metrics.inbox("unavailable");
            tracing::warn!(update_id, error = %e, "could not keep an update: 503, Telegram delivers it again");
            StatusCode::SERVICE_UNAVAILABLE
        }
        Err(_) => {
            intake.metrics.inbox("unavailable");
            tracing::warn!(
                update_id,
                "keeping an update timed out: 503, Telegram delivers it again"
            );
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn only_the_very_secret_matches() {
        assert!(same_secret(b"s3cret-token", b"s3cret-token"));
        assert!(!same_secret(b"s3cret-tokem", b"s3cret-token"));
        assert!(!same_secret(b"s3cret", b"s3cret-token"));
        assert!(!same_secret(b"", b"s3cret-token"));
    }
}
