//! The typed sections of [`Config`](super::Config), and reading them.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::parse::Reader;
use super::{DEFAULT_BANK_TIMEOUT, DEFAULT_WEBHOOK_LISTEN};

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

impl Reader<'_> {
    pub(super) fn upstream(&mut self) -> Option<Upstream> {
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

    pub(super) fn webhook(&mut self) -> Option<WebhookConfig> {
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
