//! The payment dialogue end to end: the real dispatcher and sled, the fake
//! Telegram Bot API over HTTP, the sandbox bank.
//!
//! - [`dialogue`]: linking, paying, lists, languages.
//! - [`guards`]: double presses, restarts, forged or stale buttons, odd
//!   input.
//! - [`limit`]: the daily limit, refused before the bank.
//! - [`bank_failures`]: each bank failure's message; unknown outcomes and
//!   `/settle`.
//! - [`stored`]: dialogues stored by earlier builds.

mod bank_failures;
mod dialogue;
mod guards;
mod limit;
mod stored;
