//! `faturabot check-config`: validates the environment, then reaches
//! Telegram, the bank and the receipt service once each and says which
//! answered. Exit 0 when all did, 1 when one did not, 2 on bad config.

use std::process::ExitCode;

use secrecy::ExposeSecret;
use teloxide::{adaptors::throttle::Limits, prelude::Requester};

use crate::{
    bank::{BankClient, BankError, ReceiptClient, SessionId},
    bot::launch,
    config::Config,
    exit::EXIT_CONFIG,
};

pub async fn run(sandbox: bool) -> ExitCode {
    let config = match Config::from_env(sandbox) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("faturabot: configuration error: {errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    println!("configuration: ok");
    let upstreams = match crate::upstreams::upstreams(&config).await {
        Ok(u) => u,
        Err(e) => {
            println!("bank: FAILED ({e:#})");
            return ExitCode::FAILURE;
        }
    };
    let mut all_ok = true;
    let mut report = |what: &str, result: Result<String, String>| match result {
        Ok(detail) => println!("{what}: ok ({detail})"),
        Err(why) => {
            all_ok = false;
            println!("{what}: FAILED ({why})");
        }
    };

    let bot = launch::build_bot(
        config.token.expose_secret(),
        config.api_url.clone(),
        Limits::default(),
    );
    report(
        "telegram",
        bot.get_me()
            .await
            .map(|me| format!("@{}", me.username()))
            .map_err(|e| e.to_string()),
    );

    let bank = BankClient::new(&upstreams.bank).map_err(|e| e.to_string());
    let groups = match bank {
        Ok(bank) => bank
            .groups(&SessionId::new())
            .await
            .map(|g| format!("{} institution groups", g.len()))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    report("bank", groups);

    // A receipt for id 0 cannot exist: any well-formed answer, "not found"
    // included, proves the service is there and takes our keys.
    let receipts = ReceiptClient::new(&upstreams.receipt).map_err(|e| e.to_string());
    let receipt = match receipts {
        Ok(client) => match client.receipt(0).await {
            Ok(_) | Err(BankError::Refused { .. }) => Ok("answering".to_owned()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e),
    };
    report("receipt service", receipt);

    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `faturabot healthcheck`: GET `/healthz` on the local metrics listener.
pub async fn healthcheck() -> ExitCode {
    let Some(addr) = std::env::var("FATURABOT_METRICS_LISTEN")
        .ok()
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
    else {
        eprintln!("faturabot: FATURABOT_METRICS_LISTEN is not set to an address");
        return ExitCode::from(EXIT_CONFIG);
    };
    // A wildcard listen address is reached on loopback.
    let host = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let client = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(4))
        .build()
    {
        Ok(c) => c,
        Err(_) => return ExitCode::FAILURE,
    };
    match client.get(format!("http://{host}/healthz")).send().await {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("unhealthy: HTTP {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}
