use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,faturabot=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    faturabot::cli::main(faturabot::cli::Cli::parse()).await
}
