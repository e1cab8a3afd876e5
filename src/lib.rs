//! faturabot: pay utility bills in a Telegram chat.
//!
//! # Layout
//!
//! - [`cli`]: the subcommands of the `faturabot` binary (`run`, `sandbox`).
//! - [`config`]: every `FATURABOT_*` variable, read and validated once at start.
//! - [`clock`]: injectable time; "today" is decided in Europe/Istanbul.
//! - [`money`]: [`money::Amount`], a decimal that crosses JSON untouched.
//! - [`bank`]: the two upstream services: the inter-API invoice payment client
//!   ([`bank::BankClient`]), the receipt client ([`bank::ReceiptClient`]), their
//!   wire types, typed errors ([`bank::BankError`]), and the catalog cache.
//! - [`sandbox`]: a strict simulator of both services, for `run --sandbox`,
//!   `sandbox --listen` and the tests.
//! - [`fakegram`]: a stand-in for the Telegram Bot API, for tests and the demo.

pub mod bank;
pub mod bot;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod fakegram;
pub mod i18n;
pub mod metrics;
pub mod money;
pub mod receipt;
pub mod sandbox;
pub mod storage;
pub mod text;
