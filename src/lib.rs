//! faturabot: pay utility bills in a Telegram chat.
//!
//! # Layout
//!
//! Entry points
//! - [`cli`]: the subcommands of the `faturabot` binary (`run`, `demo`,
//!   `check-config`, `migrate`, `webhook`, `sandbox`); `main.rs` only
//!   parses and calls it.
//! - [`config`]: every variable of the runtime contract, read and validated
//!   once at start (secrets as `SecretString`).
//! - [`check`]: `check-config` (reach every service) and the container
//!   health check.
//! - [`exit`]: exit codes shared by `cli` and `check`.
//! - [`demo`]: the whole product in a terminal: sandbox bank, [`fakegram`],
//!   the real dispatcher.
//!
//! Upstream
//! - [`bank`]: the inter-API Invoice Payment client ([`bank::BankClient`]),
//!   the receipt client ([`bank::ReceiptClient`]), their wire types, typed
//!   errors ([`bank::BankError`]) and the catalog cache ([`bank::Catalog`]).
//! - [`sandbox`]: a strict simulator of both services, for `run --sandbox`,
//!   `sandbox --listen` and the tests.
//! - [`upstreams`]: the configured services, or the embedded sandbox
//!   started for `run --sandbox`: resolved before the bot is built.
//!
//! The core
//! - [`payments`]: the payment rules and flows, with no Telegram in them:
//!   identifiers, [`payments::PaymentState`] and its rules, the ledger's
//!   records, the ports storage and the bank implement, and
//!   [`payments::Payments`] (`pay`, `cancel`, `settle`, `invite`, `unlink`,
//!   the daily limit's `allowance`, and the PIN's `check_pin`, `choose_pin`,
//!   `change_pin`, `reset_pins`) with typed outcomes; [`payments::limit`]:
//!   the daily limit per bank account; [`payments::pin`]: the PIN, its
//!   argon2id hash and lock rules; [`payments::bills`]: saved bills (at
//!   most twenty per customer), whether one still fits the bank's
//!   catalog, and which reminder an open invoice warrants.
//!
//! The bot
//! - [`bot`]: the dptree `schema()` (a branch per command, button kind and
//!   dialogue state), the dialogue `State`, pure `screens`, the `receive_*`
//!   handlers (`/bills` and saving a paid bill in `bot::saved_bills`);
//!   `bot::reminders` the daily reminder run inside `run`;
//!   `bot::launch` is the composition root, and
//!   `bot::launch::inbox` the replicated webhook mode (updates kept in the
//!   database before 200, handled one chat at a time under leases).
//! - [`storage`]: the bot-side ports, teloxide's dialogue storage over them,
//!   the sled backend (one node; the one flusher that makes writes durable)
//!   and the PostgreSQL backend (several replicas: `FATURABOT_DATABASE_URL`,
//!   migrations, heartbeats, the sweep, the inbox), and `migrate --from-sled`.
//! - [`i18n`]: Turkish and English texts from `locales/`, money per language.
//! - [`receipt`]: the receipt's QR code as PNG or terminal blocks.
//! - [`money`]: [`money::Amount`], a decimal that crosses JSON untouched.
//! - [`text`]: HTML escaping, Turkish-aware search folding, input checks.
//! - [`clock`]: injectable time; "today" is decided in Europe/Istanbul.
//! - [`metrics`]: `/healthz` (liveness), `/readyz` (readiness) and
//!   Prometheus `/metrics`.
//! - [`fakegram`]: a stand-in for the Telegram Bot API, for tests and the demo.
//!
//! [`sandbox`] and [`fakegram`] are test stand-ins that ship in the product
//! on purpose: `faturabot demo`, `run --sandbox` and `sandbox --listen` are
//! features a user runs, and the integration tests drive the same code.
//! `storage::postgres::throwaway` (a test PostgreSQL cluster) ships too,
//! because the unit tests and the integration tests both start it.

pub mod bank;
pub mod bot;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod exit;
pub mod fakegram;
pub mod i18n;
pub mod metrics;
pub mod money;
pub mod payments;
pub mod receipt;
pub mod sandbox;
pub mod storage;
pub mod text;
pub mod upstreams;
