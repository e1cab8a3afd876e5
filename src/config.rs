//! Configuration: every variable of the runtime contract, read and validated
//! once at start, before any network call.
//!
//! Secrets are [`SecretString`]s: their `Debug` prints a placeholder, so
//! neither `{:?}` of the config nor a log line can leak them.

use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;
use url::Url;

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
pub struct BankConfig {
    pub url: Url,
    pub subscription_key: SecretString,
    pub channel: String,
    pub app_key: SecretString,
    pub dealer_code: String,
    pub sub_dealer_code: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct ReceiptConfig {
    pub url: Url,
    pub api_key: SecretString,
    pub secret_key: SecretString,
    pub timeout: Duration,
}

/// Where the bank is: configured, or the embedded sandbox (`run --sandbox`).
#[derive(Debug, Clone)]
pub enum Upstream {
    Real {
        bank: BankConfig,
        receipt: ReceiptConfig,
    },
    /// Keys, when set, are still passed to the sandbox, which then checks them.
    Sandbox {
        subscription_key: Option<SecretString>,
        channel: Option<String>,
        app_key: Option<SecretString>,
        receipt_api_key: Option<SecretString>,
        receipt_secret_key: Option<SecretString>,
        dealer_code: String,
        sub_dealer_code: String,
        timeout: Duration,
    },
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: Url,
    pub listen: SocketAddr,
    pub secret: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub token: SecretString,
    pub api_url: Option<Url>,
    pub data_dir: PathBuf,
    pub upstream: Upstream,
    pub agents: BTreeSet<u64>,
    pub catalog_ttl: Duration,
    pub webhook: Option<WebhookConfig>,
    pub metrics_listen: Option<SocketAddr>,
    /// Messages per second this process may send overall.
    pub send_rate: u32,
    /// After SIGTERM, how long updates in progress may finish.
    pub shutdown: Duration,
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
        let agents = r.agents();
        let catalog_ttl = r
            .seconds("FATURABOT_CATALOG_TTL_SECS")
            .unwrap_or(DEFAULT_CATALOG_TTL);
        let webhook = r.webhook();
        let metrics_listen = r.optional_addr("FATURABOT_METRICS_LISTEN");
        let send_rate = r.send_rate();
        let shutdown = r
            .seconds("FATURABOT_SHUTDOWN_SECS")
            .unwrap_or(DEFAULT_SHUTDOWN);

        match (r.errors.is_empty(), upstream, token) {
            (true, Some(upstream), Some(token)) => Ok(Config {
                token,
                api_url,
                data_dir,
                upstream,
                agents,
                catalog_ttl,
                webhook,
                metrics_listen,
                send_rate,
                shutdown,
            }),
            _ => Err(ConfigErrors(r.errors)),
        }
    }

    pub fn is_agent(&self, user_id: u64) -> bool {
        self.agents.contains(&user_id)
    }
}

struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
    sandbox: bool,
}

impl Reader<'_> {
    fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
    }

    fn fail(&mut self, var: &'static str, problem: impl Into<String>) {
        self.errors.push(ConfigError {
            var,
            problem: problem.into(),
        });
    }

    fn required(&mut self, var: &'static str) -> Option<String> {
        let value = self.get(var);
        if value.is_none() {
            let why = if self.sandbox {
                "is not set (required)"
            } else {
                "is not set (required unless `run --sandbox`)"
            };
            self.fail(var, why);
        }
        value
    }

    fn secret(&self, var: &str) -> SecretString {
        SecretString::from(self.get(var).unwrap_or_default())
    }

    /// The value is never echoed: a URL may carry a password
    /// (`https://user:secret@host`).
    fn parse_url(&mut self, var: &'static str, text: &str) -> Option<Url> {
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            Ok(url) if !url.has_host() => {
                self.fail(var, "is not an http(s) URL: it has no host");
                None
            }
            Ok(url) => {
                let scheme = url.scheme().to_owned();
                self.fail(
                    var,
                    format!("is not an http(s) URL (its scheme is {scheme:?})"),
                );
                None
            }
            Err(e) => {
                self.fail(var, format!("is not a URL ({e})"));
                None
            }
        }
    }

    fn required_url(&mut self, var: &'static str) -> Option<Url> {
        let text = self.required(var)?;
        self.parse_url(var, &text)
    }

    fn optional_url(&mut self, var: &'static str) -> Option<Url> {
        let text = self.get(var)?;
        self.parse_url(var, &text)
    }

    fn seconds(&mut self, var: &'static str) -> Option<Duration> {
        let text = self.get(var)?;
        match text.trim().parse::<u64>() {
            Ok(n) if n > 0 && n <= 86_400 => Some(Duration::from_secs(n)),
            _ => {
                self.fail(
                    var,
                    format!("must be a whole number of seconds from 1 to 86400, got {text:?}"),
                );
                None
            }
        }
    }

    fn send_rate(&mut self) -> u32 {
        let var = "FATURABOT_SEND_RATE";
        let Some(text) = self.get(var) else {
            return DEFAULT_SEND_RATE;
        };
        match text.trim().parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                self.fail(
                    var,
                    format!(
                        "must be a whole number of messages per second from 1 to 1000, got {text:?}"
                    ),
                );
                DEFAULT_SEND_RATE
            }
        }
    }

    fn optional_addr(&mut self, var: &'static str) -> Option<SocketAddr> {
        let text = self.get(var)?;
        match text.trim().parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                self.fail(
                    var,
                    format!("must be an address like 127.0.0.1:9090, got {text:?}"),
                );
                None
            }
        }
    }

    fn token(&mut self) -> Option<SecretString> {
        let token = self.get("TELOXIDE_TOKEN");
        match token {
            None => {
                self.fail(
                    "TELOXIDE_TOKEN",
                    "is not set (required: the bot token from @BotFather)",
                );
                None
            }
            // Shape `<bot id>:<secret>`; the value itself is never echoed.
            Some(t) => match t.split_once(':') {
                Some((id, rest))
                    if !id.is_empty()
                        && id.bytes().all(|b| b.is_ascii_digit())
                        && !rest.is_empty()
                        && !rest.contains(char::is_whitespace) =>
                {
                    Some(SecretString::from(t))
                }
                _ => {
                    self.fail(
                        "TELOXIDE_TOKEN",
                        "is malformed (expected `<bot id>:<secret>` as given by @BotFather)",
                    );
                    None
                }
            },
        }
    }

    fn upstream(&mut self) -> Option<Upstream> {
        let timeout = self
            .seconds("FATURABOT_BANK_TIMEOUT_SECS")
            .unwrap_or(DEFAULT_BANK_TIMEOUT);
        let dealer_code = self.get("FATURABOT_DEALER_CODE").unwrap_or_default();
        let sub_dealer_code = self.get("FATURABOT_SUB_DEALER_CODE").unwrap_or_default();
        if self.sandbox {
            let some_secret = |v: Option<String>| v.map(SecretString::from);
            return Some(Upstream::Sandbox {
                subscription_key: some_secret(self.get("FATURABOT_BANK_SUBSCRIPTION_KEY")),
                channel: self.get("FATURABOT_BANK_CHANNEL"),
                app_key: some_secret(self.get("FATURABOT_BANK_APP_KEY")),
                receipt_api_key: some_secret(self.get("FATURABOT_RECEIPT_API_KEY")),
                receipt_secret_key: some_secret(self.get("FATURABOT_RECEIPT_SECRET_KEY")),
                dealer_code,
                sub_dealer_code,
                timeout,
            });
        }
        let bank_url = self.required_url("FATURABOT_BANK_URL");
        let channel = self.required("FATURABOT_BANK_CHANNEL");
        let app_key = self
            .required("FATURABOT_BANK_APP_KEY")
            .map(SecretString::from);
        let receipt_url = self.required_url("FATURABOT_RECEIPT_URL");
        let api_key = self
            .required("FATURABOT_RECEIPT_API_KEY")
            .map(SecretString::from);
        let secret_key = self
            .required("FATURABOT_RECEIPT_SECRET_KEY")
            .map(SecretString::from);
        let subscription_key = self.secret("FATURABOT_BANK_SUBSCRIPTION_KEY");
        Some(Upstream::Real {
            bank: BankConfig {
                url: bank_url?,
                subscription_key,
                channel: channel?,
                app_key: app_key?,
                dealer_code,
                sub_dealer_code,
                timeout,
            },
            receipt: ReceiptConfig {
                url: receipt_url?,
                api_key: api_key?,
                secret_key: secret_key?,
                timeout,
            },
        })
    }

    fn agents(&mut self) -> BTreeSet<u64> {
        let Some(text) = self.get("FATURABOT_AGENTS") else {
            return BTreeSet::new();
        };
        let mut agents = BTreeSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<u64>() {
                // A user id is also its private chat's id, an i64.
                Ok(id) if id > 0 && i64::try_from(id).is_ok() => {
                    agents.insert(id);
                }
                _ => {
                    self.fail(
                        "FATURABOT_AGENTS",
                        format!("must be comma-separated Telegram user ids, {part:?} is not one"),
                    );
                    return BTreeSet::new();
                }
            }
        }
        agents
    }

    fn webhook(&mut self) -> Option<WebhookConfig> {
        let url = self.optional_url("FATURABOT_WEBHOOK_URL");
        let listen = self.optional_addr("FATURABOT_WEBHOOK_LISTEN");
        let secret = self.get("FATURABOT_WEBHOOK_SECRET");
        if let Some(s) = &secret {
            // Telegram's rule for secret_token.
            let ok = s.len() <= 256
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                self.fail(
                    "FATURABOT_WEBHOOK_SECRET",
                    "must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
                );
            }
        }
        let url = url?;
        let default_listen = DEFAULT_WEBHOOK_LISTEN.parse().ok()?;
        Some(WebhookConfig {
            url,
            listen: listen.unwrap_or(default_listen),
            secret: secret.map(SecretString::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("TELOXIDE_TOKEN", "123456:SECRET-token"),
        ("FATURABOT_BANK_URL", "https://bank.example/api"),
        ("FATURABOT_BANK_CHANNEL", "TG"),
        ("FATURABOT_BANK_APP_KEY", "app-key-secret"),
        ("FATURABOT_RECEIPT_URL", "https://receipts.example"),
        ("FATURABOT_RECEIPT_API_KEY", "api-key-secret"),
        ("FATURABOT_RECEIPT_SECRET_KEY", "secret-key-secret"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = FULL
            .iter()
            .copied()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .collect();
        v.extend_from_slice(extra);
        v
    }

    fn first_var(result: Result<Config, ConfigErrors>) -> &'static str {
        result.expect_err("must fail").0[0].var
    }

    #[test]
    fn full_config_with_defaults() {
        let c = Config::from_lookup(env(FULL), false).expect("valid");
        assert_eq!(c.catalog_ttl, DEFAULT_CATALOG_TTL);
        assert_eq!(c.send_rate, 30);
        assert_eq!(c.shutdown, Duration::from_secs(30));
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(c.agents.is_empty() && c.webhook.is_none() && c.metrics_listen.is_none());
        let Upstream::Real { bank, receipt } = &c.upstream else {
            panic!("real upstream expected")
        };
        assert_eq!(bank.timeout, DEFAULT_BANK_TIMEOUT);
        assert_eq!(bank.sub_dealer_code, "");
        assert_eq!(receipt.api_key.expose_secret(), "api-key-secret");
    }

    #[test]
    fn missing_bank_url_is_named_first() {
        let vars: Vec<_> = FULL
            .iter()
            .copied()
            .filter(|(k, _)| *k != "FATURABOT_BANK_URL")
            .collect();
        assert_eq!(
            first_var(Config::from_lookup(env(&vars), false)),
            "FATURABOT_BANK_URL"
        );
        // Even with nothing set at all.
        assert_eq!(
            first_var(Config::from_lookup(env(&[]), false)),
            "FATURABOT_BANK_URL"
        );
    }

    #[test]
    fn sandbox_needs_only_the_token() {
        let c = Config::from_lookup(env(&[("TELOXIDE_TOKEN", "1:x")]), true).expect("valid");
        assert!(matches!(c.upstream, Upstream::Sandbox { .. }));
    }

    /// A rejected URL is named, never printed: it may hold a password.
    #[test]
    fn rejected_urls_never_show_their_secrets() {
        for bad in [
            "ftp://user:hunter2@bank.example/x",
            "postgres://faturabot:hunter2@db.example/faturabot",
            "https://user:hunter2@",
            "not a url hunter2",
        ] {
            let errors = Config::from_lookup(env(&with(&[("FATURABOT_BANK_URL", bad)])), false)
                .expect_err("must fail");
            let text = errors.to_string();
            assert!(text.contains("FATURABOT_BANK_URL"), "{text}");
            assert!(!text.contains("hunter2"), "the secret is printed: {text}");
        }
    }

    #[test]
    fn malformed_values_are_named() {
        for (var, bad) in [
            ("FATURABOT_BANK_URL", "not a url"),
            ("FATURABOT_RECEIPT_URL", "ftp://x"),
            ("FATURABOT_BANK_TIMEOUT_SECS", "fast"),
            ("FATURABOT_CATALOG_TTL_SECS", "-1"),
            ("FATURABOT_AGENTS", "12,bob"),
            ("FATURABOT_AGENTS", "9223372036854775808"),
            ("FATURABOT_METRICS_LISTEN", "localhost"),
            ("TELOXIDE_TOKEN", "no-colon"),
            ("TELOXIDE_API_URL", "::"),
            ("FATURABOT_SEND_RATE", "0"),
            ("FATURABOT_SEND_RATE", "fast"),
            ("FATURABOT_SHUTDOWN_SECS", "0"),
        ] {
            let vars = with(&[(var, bad)]);
            assert_eq!(
                first_var(Config::from_lookup(env(&vars), false)),
                var,
                "{var}={bad}"
            );
        }
    }

    #[test]
    fn agents_parse() {
        let vars = with(&[("FATURABOT_AGENTS", " 42, 7,,")]);
        let c = Config::from_lookup(env(&vars), false).expect("valid");
        assert!(c.is_agent(42) && c.is_agent(7) && !c.is_agent(1));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Config::from_lookup(env(FULL), false).expect("valid");
        let debug = format!("{c:?}");
        for secret in [
            "SECRET-token",
            "app-key-secret",
            "api-key-secret",
            "secret-key-secret",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked in {debug}");
        }
    }
}
