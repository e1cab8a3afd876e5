//! The payment PIN in the chat: the keypad's entry, sealed in the
//! dialogue state (`entry`), and the keypad steps ([`steps`]). The rules (trivial PINs, locks, hashing)
//! are the payments core's ([`crate::payments::Pin`]).

mod entry;
pub mod steps;

pub use entry::{ENTRY_TTL, Entry, Sealed, Sealer, Typed};

/// `FATURABOT_PAYMENT_PIN`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PinMode {
    /// Every payment takes the customer's PIN.
    #[default]
    Required,
    /// No PIN: for banks that authenticate their customers otherwise.
    Off,
}
