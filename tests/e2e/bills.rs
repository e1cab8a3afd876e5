//! Saved bills, end to end: "⭐ Save this bill" under a paid payment,
//! `/bills` and a bill's menu, paying a saved bill in one tap (exactly once,
//! through the PIN), and what becomes of a saved bill when it can no longer
//! be kept: 20 of them already, its institution gone from the bank's
//! catalog or asking for other fields, its account unlinked.
//!
//! - [`once`]: save, `/bills`, one tap to the invoices, paid once; saved
//!   once however often Save is pressed.
//! - [`menu`]: naming, renaming, reminders on and off, deleting.
//! - [`kept`]: the 21st bill, a catalog that changed, `/unlink`.
//! - [`many`]: fifty customers at once; twenty presses of one Save.
//! - [`pin`]: a PIN reset before paying a saved bill.

use crate::common;

mod kept;
mod many;
mod menu;
mod once;
mod pin;
