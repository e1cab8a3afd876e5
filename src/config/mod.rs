//! Configuration: every variable of the runtime contract, read and validated
//! once at start, before any network call.
//!
//! Secrets are [`SecretString`]s: their `Debug` prints a placeholder, so
//! neither `{:?}` of the config nor a log line can leak them.
//!
//! [`Config`] and its errors are here; `sections` holds the typed sections
//! (bank, receipt service, webhook) and reads them, `parse` the reader that
//! looks variables up and parses their values.

mod parse;
mod reminders;
mod sections;
#[cfg(test)]
mod tests;

use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;
use url::Url;

use crate::money::Amount;
use parse::Reader;

pub use crate::bot::pin::PinMode;
pub use reminders::{
    DEFAULT_REMINDER_DAYS_BEFORE, DEFAULT_REMINDER_RATE, MAX_REMINDER_DAYS_BEFORE,
    MAX_REMINDER_RATE, MIN_REMINDER_RATE, ReminderConfig, default_reminder_time,
};
pub use sections::{BankConfig, ReceiptConfig, Upstream, WebhookConfig};

/// One problem with one variable. `Display` names the variable first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// All problems found, so an operator fixes them in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for ConfigErrors {}

#[derive(Debug, Clone)]
pub struct Config {
    pub token: SecretString,
    pub api_url: Option<Url>,
    pub data_dir: PathBuf,
    /// PostgreSQL instead of sled in `data_dir`, when set.
    pub database_url: Option<SecretString>,
    pub upstream: Upstream,
    pub agents: BTreeSet<u64>,
    pub catalog_ttl: Duration,
    pub webhook: Option<WebhookConfig>,
    pub metrics_listen: Option<SocketAddr>,
    /// Messages per second this process may send overall.
    pub send_rate: u32,
    /// After SIGTERM, how long updates in progress may finish.
    pub shutdown: Duration,
    /// `FATURABOT_PAYMENT_PIN`: whether a payment takes the customer's PIN.
    pub payment_pin: PinMode,
    /// The most one bank account may pay per Istanbul day, in its
    /// currency; `None`: no limit.
    pub daily_limit: Option<Amount>,
    /// The daily saved-bill check; `None`: `FATURABOT_REMINDER_TIME=off`.
    pub reminders: Option<ReminderConfig>,
}

/// See [`Config::webhook_command`].
pub struct WebhookCommand {
    pub token: SecretString,
    pub api_url: Option<Url>,
    pub webhook: Option<WebhookConfig>,
}

pub const DEFAULT_BANK_TIMEOUT: Duration = Duration::from_secs(15);
pub const DEFAULT_CATALOG_TTL: Duration = Duration::from_secs(600);
pub const DEFAULT_WEBHOOK_LISTEN: &str = "0.0.0.0:8443";
/// Telegram's overall limit for one bot.
pub const DEFAULT_SEND_RATE: u32 = 30;
pub const DEFAULT_SHUTDOWN: Duration = Duration::from_secs(30);

impl Config {
    /// Reads the process environment.
    pub fn from_env(sandbox: bool) -> Result<Config, ConfigErrors> {
        Config::from_lookup(|name| std::env::var(name).ok(), sandbox)
    }

    /// Reads through `lookup`, so tests need not touch the environment.
    /// An empty value counts as unset.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        sandbox: bool,
    ) -> Result<Config, ConfigErrors> {
        let mut r = Reader {
            lookup: &|name| lookup(name).filter(|v| !v.trim().is_empty()),
            errors: Vec::new(),
            sandbox,
        };

        // Bank first: without it nothing works, so it is the first line an
        // operator should see.
        let upstream = r.upstream();
        let token = r.token();
        let api_url = r.optional_url("TELOXIDE_API_URL");
        let data_dir = r
            .get("FATURABOT_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = r.database_url();
        let agents = r.agents();
        let catalog_ttl = r
            .seconds("FATURABOT_CATALOG_TTL_SECS")
            .unwrap_or(DEFAULT_CATALOG_TTL);
        let webhook = r.webhook();
        if database_url.is_some() && webhook.as_ref().is_some_and(|w| w.secret.is_none()) {
            r.fail(
                "FATURABOT_WEBHOOK_SECRET",
                "is required with FATURABOT_DATABASE_URL in webhook mode: no replica may accept updates without it",
            );
        }
        let metrics_listen = r.optional_addr("FATURABOT_METRICS_LISTEN");
        let send_rate = r.send_rate();
        let shutdown = r
            .seconds("FATURABOT_SHUTDOWN_SECS")
            .unwrap_or(DEFAULT_SHUTDOWN);
        let payment_pin = r.payment_pin();
        let daily_limit = r.daily_limit();
        let reminders = r.reminders();

        match (r.errors.is_empty(), upstream, token) {
            (true, Some(upstream), Some(token)) => Ok(Config {
                token,
                api_url,
                data_dir,
                database_url,
                upstream,
                agents,
                catalog_ttl,
                webhook,
                metrics_listen,
                send_rate,
                shutdown,
                payment_pin,
                daily_limit,
                reminders,
            }),
            _ => Err(ConfigErrors(r.errors)),
        }
    }

    /// What `faturabot webhook set|delete|info` needs: the token, the Bot
    /// API's URL, and (for `set`) the webhook with its secret.
    pub fn webhook_command(
        lookup: impl Fn(&str) -> Option<String>,
        set: bool,
    ) -> Result<WebhookCommand, ConfigErrors> {
        let mut r = Reader {
            lookup: &|name| lookup(name).filter(|v| !v.trim().is_empty()),
            errors: Vec::new(),
            sandbox: false,
        };
        let token = r.token();
        let api_url = r.optional_url("TELOXIDE_API_URL");
        let webhook = r.webhook();
        if set {
            match &webhook {
                None if r.get("FATURABOT_WEBHOOK_URL").is_none() => {
                    r.fail("FATURABOT_WEBHOOK_URL", "is not set (required)")
                }
                Some(w) if w.secret.is_none() => r.fail(
                    "FATURABOT_WEBHOOK_SECRET",
                    "is not set (required: replicas refuse updates without it)",
                ),
                _ => {}
            }
        }
        match (r.errors.is_empty(), token) {
            (true, Some(token)) => Ok(WebhookCommand {
                token,
                api_url,
                webhook,
            }),
            _ => Err(ConfigErrors(r.errors)),
        }
    }

    /// `FATURABOT_DATABASE_URL` alone (for `faturabot migrate`): required.
    pub fn database_url_from(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<SecretString, ConfigErrors> {
        let mut r = Reader {
            lookup: &|name| lookup(name).filter(|v| !v.trim().is_empty()),
            errors: Vec::new(),
            sandbox: false,
        };
        match r.database_url() {
            Some(url) => Ok(url),
            None if r.errors.is_empty() => Err(ConfigErrors(vec![ConfigError {
                var: "FATURABOT_DATABASE_URL",
                problem: "is not set (required)".into(),
            }])),
            None => Err(ConfigErrors(r.errors)),
        }
    }

    pub fn is_agent(&self, user_id: u64) -> bool {
        self.agents.contains(&user_id)
    }
}
