//! `faturabot demo`: the whole product in one terminal, with no Telegram token
//! and no bank.
//!
//! It starts the embedded sandbox bank ([`crate::sandbox`]), a local stand-in
//! for the Telegram Bot API ([`crate::fakegram`]) and the *real* bot against
//! them: the same composition root
//! ([`launch::Service`](crate::bot::launch::Service)) and sled storage as
//! `faturabot run`. The person at the terminal is one Telegram user
//! ([`DEMO_USER_ID`]), already linked to a bank account through an invite
//! (as `/start <token>` does) and also an agent, so every command can be
//! tried. Lines typed are sent to the bot as messages; a line that is just a
//! number presses that button of the buttons shown last; `/remindnow` is
//! the demo's own (never sent to the bot): the daily reminder run now. Every
//! message the bot sends or edits is printed as plain text with its buttons
//! numbered, and a receipt's QR image is decoded and drawn again with Unicode
//! blocks.
//!
//! [`run_with`] is the same chat over any reader and writer, for tests.
//!
//! Layout: `world` (the services behind the chat, started and linked),
//! `session` (the input loop, the last replies, the shutdown), `chat` (typed
//! lines and bot events), `remind` (`/remindnow`: invoices to remind about,
//! the run, its end), `render` (a bot message as plain text), `stdin` (a
//! terminal reader that does not hold up the exit).

mod chat;
mod remind;
mod render;
mod session;
mod stdin;
mod world;

use std::{io::IsTerminal as _, time::Duration};

use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::bank::Account;
use session::session;
use stdin::StdinReader;

/// The Telegram user id of the person at the terminal (also an agent).
pub const DEMO_USER_ID: u64 = 42;

/// The demo customer's payment PIN, chosen for them and told at the start.
pub const DEMO_PIN: &str = "482915";

/// The bank account the demo user is linked to before the chat starts.
pub fn demo_account() -> Account {
    Account {
        customer_no: 3_488_017,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    }
}

/// Per bank request; lower than [`SLOW_DELAY`] so the slow numbers time out.
const BANK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the sandbox's "slow" answers take.
const SLOW_DELAY: Duration = Duration::from_secs(15);
/// After the input ends: the bot counts as done after this much silence...
const QUIET: Duration = Duration::from_millis(1500);
/// ...or after this long at most.
const DRAIN_MAX: Duration = Duration::from_secs(10);
/// The graceful shutdown of the dispatcher may take this long, then it is
/// aborted. In-flight updates end within the bank time-out.
const SHUTDOWN_MAX: Duration = Duration::from_secs(25);
/// Lines longer than this are cut (Telegram's own text limit is 4096).
const MAX_LINE: usize = 8192;

/// `faturabot demo`: the chat on this terminal's stdin and stdout, until
/// `/quit`, end of input (Ctrl-D) or Ctrl-C.
pub async fn run() -> anyhow::Result<()> {
    // Typed lines are already on a terminal's screen; from a pipe they are
    // echoed so the transcript reads as a conversation.
    let echo = !std::io::stdin().is_terminal();
    let input = tokio::io::BufReader::new(StdinReader::spawn());
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: never interrupt.
            std::future::pending::<()>().await;
        }
    };
    session(input, tokio::io::stdout(), echo, interrupted).await
}

/// The demo over any input and output: lines read from `input` are what the
/// person types; everything shown goes to `output` as plain text (no escape
/// sequences). Typed lines are echoed (`you › …`). Returns after `/quit` or
/// the end of `input`, once the bot has answered and stopped cleanly.
///
/// The store is in `FATURABOT_DATA_DIR` when it is set (kept), else in a
/// fresh temporary folder removed at the end. The bot speaks Turkish when
/// `LC_ALL`/`LC_MESSAGES`/`LANG` starts with `tr`, English otherwise.
pub async fn run_with(
    input: impl AsyncBufRead + Unpin,
    output: impl AsyncWrite + Unpin + Send,
) -> anyhow::Result<()> {
    session(input, output, true, std::future::pending::<()>()).await
}
