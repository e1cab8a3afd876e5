//! The [`Reader`]: looks variables up (an empty value counts as unset),
//! collects every problem, and parses the values of single variables.

use std::{collections::BTreeSet, net::SocketAddr, time::Duration};

use secrecy::SecretString;
use url::Url;

use super::{ConfigError, DEFAULT_SEND_RATE, PinMode};
use crate::money::Amount;

pub(super) struct Reader<'a> {
    pub(super) lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(super) errors: Vec<ConfigError>,
    pub(super) sandbox: bool,
}

impl Reader<'_> {
    pub(super) fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
    }

    pub(super) fn fail(&mut self, var: &'static str, problem: impl Into<String>) {
        self.errors.push(ConfigError {
            var,
            problem: problem.into(),
        });
    }

    pub(super) fn required(&mut self, var: &'static str) -> Option<String> {
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

    pub(super) fn secret(&self, var: &str) -> SecretString {
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

    pub(super) fn required_url(&mut self, var: &'static str) -> Option<Url> {
        let text = self.required(var)?;
        self.parse_url(var, &text)
    }

    pub(super) fn optional_url(&mut self, var: &'static str) -> Option<Url> {
        let text = self.get(var)?;
        self.parse_url(var, &text)
    }

    /// `FATURABOT_DATABASE_URL`: a `postgres://` URL, never echoed (it
    /// carries the password).
    pub(super) fn database_url(&mut self) -> Option<SecretString> {
        const VAR: &str = "FATURABOT_DATABASE_URL";
        let text = self.get(VAR)?;
        let scheme_ok = text.starts_with("postgres://") || text.starts_with("postgresql://");
        if !scheme_ok {
            self.fail(VAR, "must be a postgres:// URL");
            return None;
        }
        if text.parse::<tokio_postgres::Config>().is_err() {
            self.fail(VAR, "is not a PostgreSQL connection URL");
            return None;
        }
        Some(SecretString::from(text))
    }

    pub(super) fn seconds(&mut self, var: &'static str) -> Option<Duration> {
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

    pub(super) fn payment_pin(&mut self) -> PinMode {
        let var = "FATURABOT_PAYMENT_PIN";
        match self
            .get(var)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("required") => PinMode::Required,
            Some("off") => PinMode::Off,
            Some(other) => {
                self.fail(var, format!("must be `required` or `off`, got {other:?}"));
                PinMode::Required
            }
        }
    }

    pub(super) fn send_rate(&mut self) -> u32 {
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

    /// `FATURABOT_DAILY_LIMIT`: a plain positive decimal (`2500`,
    /// `2500.50`); no exponent, sign or grouping, which an operator would
    /// not mean.
    pub(super) fn daily_limit(&mut self) -> Option<Amount> {
        const VAR: &str = "FATURABOT_DAILY_LIMIT";
        let text = self.get(VAR)?;
        let t = text.trim();
        let plain = t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        match t.parse::<Amount>() {
            Ok(limit) if plain && limit > Amount::ZERO => Some(limit),
            _ => {
                self.fail(
                    VAR,
                    format!(
                        "must be a positive decimal amount in the account's currency, like 2500 or 2500.50, got {text:?}"
                    ),
                );
                None
            }
        }
    }

    pub(super) fn optional_addr(&mut self, var: &'static str) -> Option<SocketAddr> {
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

    pub(super) fn token(&mut self) -> Option<SecretString> {
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

    pub(super) fn agents(&mut self) -> BTreeSet<u64> {
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
}
