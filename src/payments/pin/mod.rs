//! The payment PIN, with no Telegram in it.
//!
//! - here: [`Pin`], six digits parsed once and held as a secret, and the
//!   rules for choosing one ([`PinProblem`]).
//! - `record`: [`PinRecord`], what is stored per Telegram user (the
//!   argon2id hash and the lock), and the lock rules as pure functions.
//! - `hasher`: [`PinHasher`], argon2id on the blocking pool, at most one
//!   hash per core at once.
//! - `flow`: [`Payments::check_pin`](super::Payments::check_pin) and the
//!   other PIN flows, with their audit entries.

mod flow;
mod hasher;
mod record;
#[cfg(test)]
mod tests;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

pub use flow::{Changed, Chosen, PinCheck, PinStatus};
pub use hasher::{M_COST_KIB, PinError, PinHasher, T_COST};
pub use record::{Applied, Lock, Lockout, PinChange, PinRecord};

/// How many digits a PIN has.
pub const PIN_LEN: usize = 6;

/// Six ASCII digits. The digits are a secret: `Debug` never shows them and
/// they are wiped from memory when dropped.
#[derive(Clone)]
pub struct Pin(SecretString);

/// Why a PIN is refused. Each reason is told to the customer as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinProblem {
    #[error("a PIN is exactly six digits")]
    NotSixDigits,
    /// `000000`, `777777`.
    #[error("all six digits are the same")]
    AllOneDigit,
    /// `123456`, `789012`.
    #[error("the digits go up one by one")]
    Ascending,
    /// `654321`, `210987`.
    #[error("the digits go down one by one")]
    Descending,
    /// The last six digits of a customer number linked to this user.
    #[error("the PIN is the end of a linked customer number")]
    CustomerNumber,
}

impl Pin {
    /// Exactly six ASCII digits, nothing around them.
    pub fn parse(digits: &str) -> Result<Pin, PinProblem> {
        if digits.len() != PIN_LEN || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinProblem::NotSixDigits);
        }
        Ok(Pin(SecretString::from(digits)))
    }

    /// A PIN the customer may choose: six digits that are not trivial to
    /// guess (see [`Pin::refuse_trivial`]).
    pub fn choose(digits: &str, linked_customer_numbers: &[u64]) -> Result<Pin, PinProblem> {
        let pin = Pin::parse(digits)?;
        pin.refuse_trivial(linked_customer_numbers)?;
        Ok(pin)
    }

    /// Refuses one digit six times, a run up or down (wrapping past 9 and
    /// 0, as on a keypad: `890123`), and the last six digits (zero-padded)
    /// of any of `linked_customer_numbers`.
    pub fn refuse_trivial(&self, linked_customer_numbers: &[u64]) -> Result<(), PinProblem> {
        let d: Vec<u8> = self.digits().bytes().map(|b| b - b'0').collect();
        let steps: Vec<u8> = d.windows(2).map(|w| (w[1] + 10 - w[0]) % 10).collect();
        if steps.iter().all(|&s| s == 0) {
            return Err(PinProblem::AllOneDigit);
        }
        if steps.iter().all(|&s| s == 1) {
            return Err(PinProblem::Ascending);
        }
        if steps.iter().all(|&s| s == 9) {
            return Err(PinProblem::Descending);
        }
        let tail = |n: u64| format!("{:06}", n % 1_000_000);
        if linked_customer_numbers
            .iter()
            .any(|&n| tail(n) == self.digits())
        {
            return Err(PinProblem::CustomerNumber);
        }
        Ok(())
    }

    /// Whether both are the same digits (a new PIN typed twice). Both come
    /// from the one customer, so there is no timing to learn from.
    pub fn same_as(&self, other: &Pin) -> bool {
        self.digits() == other.digits()
    }

    /// The digits, for sealing them (bot::pin) and hashing; never to show.
    pub(crate) fn digits(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(******)")
    }
}
