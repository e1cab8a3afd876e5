//! Where the bank is: the configured services, or the embedded sandbox
//! (`run --sandbox`, `check-config --sandbox`), started here so that the
//! bot itself never knows which.

use anyhow::Context as _;
use secrecy::ExposeSecret;

use crate::{
    config::{BankConfig, Config, ReceiptConfig, Upstream},
    sandbox::{RunningSandbox, Sandbox, SandboxConfig},
};

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
