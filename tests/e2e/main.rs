//! The integration tests, one binary: the real dispatcher, binary and
//! storage against the fake Telegram Bot API ([`faturabot::fakegram`]) and
//! the sandbox bank, each started by the test that needs it.
//!
//! - [`common`]: the harness every end-to-end test uses.
//! - [`payment`]: the payment dialogue; [`after_payment`]: receipts,
//!   history, agents' commands.
//! - [`load`]: many customers at once, and the benchmark (ignored).
//! - [`ops`], [`kill9`], [`cli`], [`demo`]: the real binary; [`replicas`]:
//!   two of them on one PostgreSQL, one killed.
//! - [`bank_clients`], [`seed_fixtures`]: the bank's clients against the
//!   sandbox and the seed documents' samples.
//! - [`measure`]: one latency figure (ignored).

mod after_payment;
mod bank_clients;
mod bills;
mod cli;
mod common;
mod demo;
mod dockerfile;
mod kill9;
mod load;
mod measure;
mod ops;
mod outage;
mod payment;
mod pin;
mod reminders;
mod replicas;
mod seed_fixtures;
