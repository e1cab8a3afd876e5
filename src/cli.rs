//! The `faturabot` command line: `run` (the default), `demo`,
//! `check-config`, `migrate [--from-sled DIR]`, `webhook set|delete|info`,
//! `sandbox`.

use std::{io::Write, net::SocketAddr, process::ExitCode};

use clap::{Parser, Subcommand};

use secrecy::ExposeSecret;

use crate::{
    bot::launch::{Service, Settings},
    config::Config,
    exit::EXIT_CONFIG,
    sandbox::{MAGIC_NUMBERS, Sandbox, SandboxConfig},
    storage::{self, OpenError},
};

#[derive(Debug, Parser)]
#[command(
    name = "faturabot",
    version,
    about = "Pay utility bills in a Telegram chat"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot with long polling (the default).
    Run {
        /// Use an embedded simulated bank and receipt service.
        #[arg(long)]
        sandbox: bool,
    },
    /// The whole product in this terminal: sandbox bank, a stand-in for
    /// Telegram, and a chat you type into. No token, no bank.
    Demo,
    /// Validate the environment and reach the bank and receipt services.
    CheckConfig {
        /// Check against the embedded sandbox instead of the real bank.
        #[arg(long)]
        sandbox: bool,
    },
    /// Exit 0 when this host's `/healthz` (at FATURABOT_METRICS_LISTEN)
    /// answers 200: the container HEALTHCHECK.
    #[command(hide = true)]
    Healthcheck,
    /// Apply the database migrations (FATURABOT_DATABASE_URL); running them
    /// again changes nothing. `faturabot run` applies them too.
    Migrate {
        /// Then copy a single node's sled database (FATURABOT_DATA_DIR of
        /// a stopped bot) into PostgreSQL; running it again copies nothing
        /// twice.
        #[arg(long, value_name = "DIR")]
        from_sled: Option<std::path::PathBuf>,
    },
    /// Register, remove or show the bot's webhook, once for all replicas
    /// (FATURABOT_WEBHOOK_URL, FATURABOT_WEBHOOK_SECRET, TELOXIDE_TOKEN).
    Webhook {
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Serve the simulated bank and receipt service over HTTP.
    Sandbox {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum WebhookAction {
    /// Register FATURABOT_WEBHOOK_URL with FATURABOT_WEBHOOK_SECRET.
    Set,
    /// Remove the webhook (the bot can poll again).
    Delete,
    /// Show the registered webhook and what Telegram has queued for it.
    Info,
}

pub async fn main(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Run { sandbox: false }) {
        Command::Run { sandbox } => {
            let config = match Config::from_env(sandbox) {
                Ok(c) => c,
                Err(errors) => {
                    eprintln!("faturabot: configuration error: {errors}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match run(config).await {
                Ok(true) => ExitCode::SUCCESS,
                // Stopped at the drain limit: said in the log.
                Ok(false) => ExitCode::FAILURE,
                // A database that cannot be used is a configuration problem.
                Err(e) if e.downcast_ref::<OpenError>().is_some() => {
                    eprintln!("faturabot: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
                Err(e) => {
                    eprintln!("faturabot: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Demo => match crate::demo::run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("faturabot: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::CheckConfig { sandbox } => crate::check::run(sandbox).await,
        Command::Migrate { from_sled } => migrate(from_sled).await,
        Command::Webhook { action } => webhook(action).await,
        Command::Healthcheck => crate::check::healthcheck().await,
        Command::Sandbox { listen } => {
            let listener = match tokio::net::TcpListener::bind(listen).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("faturabot: cannot listen on {listen}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let addr = listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            // A closed stdout must not stop the sandbox: write, don't print.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "faturabot sandbox bank listening on http://{addr}");
            let _ = writeln!(out, "subscriber numbers to try:");
            for (number, meaning) in MAGIC_NUMBERS {
                let _ = writeln!(out, "  {number}  {meaning}");
            }
            let _ = out.flush();
            drop(out);
            match Sandbox::new(SandboxConfig::from_env())
                .serve(listener)
                .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("faturabot: sandbox stopped: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `faturabot run`: until Ctrl-C or SIGTERM. A signal during start-up
/// stops it at once. `Ok(false)` when the drain limit cut updates short.
async fn run(config: Config) -> anyhow::Result<bool> {
    // Listening first: a signal at any moment from here on is seen.
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let start = async {
        let upstreams = crate::upstreams::upstreams(&config).await?;
        let url = config.database_url.as_ref().map(|u| u.expose_secret());
        let store = storage::open(&config.data_dir, url).await?;
        let settings = Settings::from_config(
            &config,
            store,
            upstreams.bank.clone(),
            upstreams.receipt.clone(),
        );
        anyhow::Ok((Service::build(settings).await?, upstreams.sandbox))
    };
    let (service, _sandbox) = tokio::select! {
        r = start => r?,
        () = &mut signal => {
            tracing::info!("stopped during start-up");
            return Ok(true);
        }
    };
    service.run(signal).await
}

/// `faturabot webhook set|delete|info`.
async fn webhook(action: WebhookAction) -> ExitCode {
    use teloxide::prelude::*;

    let set = matches!(action, WebhookAction::Set);
    let config = match Config::webhook_command(|name| std::env::var(name).ok(), set) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("faturabot: configuration error: {errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let mut bot = teloxide::Bot::new(config.token.expose_secret());
    if let Some(url) = config.api_url {
        bot = bot.set_api_url(url);
    }
    let mut out = std::io::stdout().lock();
    let done = match (action, &config.webhook) {
        (WebhookAction::Set, Some(hook)) => {
            let mut req = bot.set_webhook(hook.url.clone());
            if let Some(secret) = &hook.secret {
                req = req.secret_token(secret.expose_secret().to_owned());
            }
            req.await.map(|_| {
                writeln!(
                    out,
                    "faturabot: webhook set to {} (with its secret)",
                    hook.url
                )
            })
        }
        (WebhookAction::Set, None) => return ExitCode::from(EXIT_CONFIG),
        (WebhookAction::Delete, _) => bot
            .delete_webhook()
            .await
            .map(|_| writeln!(out, "faturabot: webhook deleted")),
        (WebhookAction::Info, _) => bot.get_webhook_info().await.map(|info| {
            let url = info
                .url
                .map(|u| u.to_string())
                .unwrap_or_else(|| "(none)".into());
            let error = info.last_error_message.unwrap_or_else(|| "none".into());
            writeln!(
                out,
                "faturabot: webhook {url}; {} updates pending; last error: {error}",
                info.pending_update_count
            )
        }),
    };
    match done {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faturabot: Telegram refused: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `faturabot migrate [--from-sled DIR]`.
async fn migrate(from_sled: Option<std::path::PathBuf>) -> ExitCode {
    let url = match Config::database_url_from(|name| std::env::var(name).ok()) {
        Ok(url) => url,
        Err(errors) => {
            eprintln!("faturabot: configuration error: {errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let url = url.expose_secret();
    let applied = async {
        let pool = storage::postgres::pool(url)?;
        storage::postgres::migrations::migrate(&pool).await
    };
    match applied.await {
        Ok(versions) => {
            {
                let mut out = std::io::stdout().lock();
                let _ = match versions.as_slice() {
                    [] => writeln!(out, "faturabot: the database is up to date"),
                    v => writeln!(out, "faturabot: applied migrations {v:?}"),
                };
            }
            let Some(dir) = from_sled else {
                return ExitCode::SUCCESS;
            };
            match storage::copy::from_sled(&dir, url).await {
                Ok(c) => {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(
                        out,
                        "faturabot: copied from {}: {} users, {} invites, {} payments, {} audit entries, {} dialogues, {} menus, {} PINs, {} saved bills, {} reminders sent; {} already there, {} unreadable left behind",
                        dir.display(),
                        c.users,
                        c.invites,
                        c.payments,
                        c.audit,
                        c.dialogues,
                        c.menus,
                        c.pins,
                        c.bills,
                        c.sends,
                        c.kept,
                        c.unreadable
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "faturabot: copying {} into FATURABOT_DATABASE_URL: {e}",
                        dir.display()
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            let shown = storage::postgres::redacted(url);
            eprintln!("faturabot: FATURABOT_DATABASE_URL ({shown}): cannot migrate: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
