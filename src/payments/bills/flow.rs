//! Saving a bill and forgetting an account's bills: the rules over the
//! [`SavedBills`](super::ports::SavedBills) port.

use super::{MAX_SAVED_BILLS, SavedBill, ports::Stored};
use crate::payments::{Payments, StoreError};

/// What became of "save this bill".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved(SavedBill),
    /// It was saved before (maybe by a tap on another screen).
    Already(SavedBill),
    /// The customer has [`MAX_SAVED_BILLS`] saved.
    Full,
}

impl Payments {
    /// Saves `bill` for its customer, at most [`MAX_SAVED_BILLS`] of them.
    pub async fn save_bill(&self, bill: SavedBill) -> Result<SaveOutcome, StoreError> {
        Ok(match self.bills.save(bill, MAX_SAVED_BILLS).await? {
            Stored::Saved(b) => SaveOutcome::Saved(b),
            Stored::Exists(b) => SaveOutcome::Already(b),
            Stored::Full => SaveOutcome::Full,
        })
    }
}
