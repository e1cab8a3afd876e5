use std::{io::IsTerminal, process::ExitCode, time::Duration};

use clap::Parser;
use faturabot::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("faturabot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(faturabot::cli::main(cli));
    // Work still running (a handler cut short at the drain limit, a stuck
    // disk) must not keep the process alive: the exit stays bounded.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}
