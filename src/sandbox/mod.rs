//! A strict, realistic simulator of both upstream services — the bank's
//! inter-API Invoice Payment service and the Invoice Receipt Service — on one
//! axum router.
//!
//! Used by `faturabot sandbox --listen ADDR`, by `faturabot run --sandbox`
//! (embedded, via [`Sandbox::spawn`]) and by tests. It speaks the wire format of
//! the seeds exactly (`AsociationCollectionGroups` with its `"$type"` entry,
//! `$type` on every object, the screen definition at `Data.Response.Response`,
//! repeated payment mappings) and checks every request the way a strict bank
//! would: a failed check is answered with an Error envelope *and* recorded in
//! [`Sandbox::violations`], so tests can assert the bot never broke a rule.
//!
//! Behaviour is driven by magic subscriber numbers ([`MAGIC_NUMBERS`]), by
//! [`Sandbox::fail_next`] (also reachable by hand: `POST /_sandbox/fail`) and
//! by invoices added with [`Sandbox::add_invoice`] (`POST /_sandbox/invoice`).
//!
//! Layout:
//! - `config`: what the sandbox demands of clients, and the failure modes.
//! - `edits`: catalog changes made by hand (an institution hidden, a field
//!   renamed).
//! - `state`: the [`Sandbox`] handle and the state its clones share.
//! - `added`: invoices added by hand.
//! - `router`: routes, serving, the `/_sandbox/` control endpoints.
//! - `reply`: what a handler answers.
//! - `bank/`: the six methods (handler, validation, envelopes, methods).
//! - `receipt`: the receipt service.
//! - `checks`: strictness, for both services.
//! - `catalog/`: groups and institutions; `magic`: what each magic number
//!   does, with its bills and holder name.
//! - `json`: an exact-number JSON tree.
//! - `tests/`: both services over real HTTP, by topic.

mod added;
mod bank;
mod catalog;
mod checks;
mod config;
mod edits;
mod json;
mod magic;
mod receipt;
mod reply;
mod router;
mod state;
#[cfg(test)]
mod tests;

pub use added::{NewInvoice, NewInvoiceError};
pub use catalog::LONG_CODE;
pub use config::{FailMode, SandboxConfig};
pub use magic::MAGIC_NUMBERS;
pub(crate) use reply::{Outcome, Reply};
pub use router::RunningSandbox;
pub use state::{PaymentRecord, RecordedCall, Sandbox};
pub(crate) use state::{ServedBill, State};
