//! The two upstream services and what they say.
//!
//! - [`client`]: the inter-API Invoice Payment service ([`BankClient`]).
//! - [`receipt`]: the Invoice Receipt Service ([`ReceiptClient`]).
//! - [`wire`]: their JSON, tolerant of the bank's quirks.
//! - [`catalog`]: groups, institution lists and screens, cached with a TTL.
//! - [`error`]: [`BankError`], one variant per way a call can fail.

pub mod catalog;
pub mod client;
pub mod error;
pub mod receipt;
pub mod wire;

pub use catalog::Catalog;
pub use client::{BankClient, CancelRequest, PaymentRequest, QueryRequest, RequestId, SessionId};
pub use error::BankError;
pub use receipt::{Receipt, ReceiptClient};
pub use wire::{Account, Association, Bill, Group, QueryField, ScreenDefinition};
