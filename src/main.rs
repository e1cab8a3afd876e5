use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use faturabot::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo's chat shares the terminal with the logs: keep them quiet.
    let default = match cli.command {
        Some(Command::Demo) => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    faturabot::cli::main(cli).await
}
