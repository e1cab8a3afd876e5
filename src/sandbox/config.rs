//! What the sandbox demands of its clients, and how an armed call fails.

use std::time::Duration;

/// What the sandbox demands of its clients. `None` accepts anything.
#[derive(Clone)]
pub struct SandboxConfig {
    /// `Some` ⇒ header `Ocp-Apim-Subscription-Key` must equal it.
    pub subscription_key: Option<String>,
    /// `Some` ⇒ `Header.Channel` must equal it.
    pub channel: Option<String>,
    /// `Some` ⇒ `Header.AppKey` must equal it.
    pub app_key: Option<String>,
    /// `Some` ⇒ receipt header `ApiKey` must equal it.
    pub receipt_api_key: Option<String>,
    /// `Some` ⇒ receipt header `SecretKey` must equal it.
    pub receipt_secret_key: Option<String>,
    /// How long "slow" answers wait.
    pub slow_delay: Duration,
    /// How long every answer waits: a bank's own latency, for benchmarks.
    pub latency: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            subscription_key: None,
            channel: None,
            app_key: None,
            receipt_api_key: None,
            receipt_secret_key: None,
            slow_delay: Duration::from_secs(60),
            latency: Duration::ZERO,
        }
    }
}

impl SandboxConfig {
    /// For the standalone simulator: each check is on only when its
    /// `FATURABOT_*` variable is set and non-empty.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        SandboxConfig {
            subscription_key: var("FATURABOT_BANK_SUBSCRIPTION_KEY"),
            channel: var("FATURABOT_BANK_CHANNEL"),
            app_key: var("FATURABOT_BANK_APP_KEY"),
            receipt_api_key: var("FATURABOT_RECEIPT_API_KEY"),
            receipt_secret_key: var("FATURABOT_RECEIPT_SECRET_KEY"),
            ..SandboxConfig::default()
        }
    }
}

/// Keys stay out of `{:?}`.
impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "required" } else { "any" };
        f.debug_struct("SandboxConfig")
            .field("subscription_key", &set(&self.subscription_key))
            .field("channel", &self.channel)
            .field("app_key", &set(&self.app_key))
            .field("receipt_api_key", &set(&self.receipt_api_key))
            .field("receipt_secret_key", &set(&self.receipt_secret_key))
            .field("slow_delay", &self.slow_delay)
            .field("latency", &self.latency)
            .finish()
    }
}

/// How a call armed with [`Sandbox::fail_next`](super::Sandbox::fail_next) fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailMode {
    /// Bank: an Error envelope. Receipt: `result: false`.
    ErrorEnvelope,
    /// HTTP 500 with a gateway-style body.
    Http500,
    /// Processed normally (side effects included), answered after `slow_delay`.
    Slow,
    /// HTTP 200 with an HTML page.
    NotJson,
    /// HTTP 200 with JSON that is not the service's shape.
    WrongShape,
    /// InvoicePayment / CancelPayment: `Data.State = 3`. Elsewhere as
    /// `ErrorEnvelope`.
    StateNotCompleted,
}

impl FailMode {
    /// Names used by `POST /_sandbox/fail` (`error`, `http500`, `slow`,
    /// `not_json`, `wrong_shape`, `state`); the variant names work too.
    pub fn parse(name: &str) -> Option<FailMode> {
        let n = name.to_ascii_lowercase().replace(['_', '-'], "");
        Some(match n.as_str() {
            "error" | "errorenvelope" => FailMode::ErrorEnvelope,
            "http500" | "500" => FailMode::Http500,
            "slow" => FailMode::Slow,
            "notjson" => FailMode::NotJson,
            "wrongshape" => FailMode::WrongShape,
            "state" | "statenotcompleted" | "state3" => FailMode::StateNotCompleted,
            _ => return None,
        })
    }
}
