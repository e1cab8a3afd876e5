//! [`State`]: where each chat is in the payment dialogue, and what it has
//! collected so far. Each variant carries a struct named for what it waits
//! for; `schema()` has one branch per variant.
//!
//! Every step that shows buttons carries a fresh random [`Step`]; a button
//! carries the step it was drawn for, so a button from an earlier screen,
//! another dialogue or before a restart is recognised as expired.
//!
//! The types here are ours, not the bank's wire structs: a renamed bank
//! field cannot make a stored dialogue unreadable. `stored` writes them
//! versioned and still reads what earlier builds wrote.

mod items;
pub mod stored;

use serde::{Deserialize, Serialize};

pub use items::{GroupRef, Institution, Invoice, QueryField};

use crate::{
    bank::{Account, SessionId},
    bot::pin::Sealed,
    payments::{
        PaymentIntent,
        bills::{BillId, BillQuery, SavedField},
    },
};

/// A random id of one screen of the dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step(pub u64);

impl Step {
    pub fn new() -> Self {
        // uuid's v4 generator is the random source we already carry.
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[..8]);
        Step(u64::from_le_bytes(n))
    }

    /// The payment a confirmation screen with this step makes in `chat_id`.
    pub fn payment_intent(self, chat_id: i64) -> PaymentIntent {
        PaymentIntent::of_confirmation(chat_id, self.0)
    }
}

impl Default for Step {
    fn default() -> Self {
        Step::new()
    }
}

/// What every step of one payment dialogue shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// `ChannelSessionId` of every bank call of this dialogue.
    pub session: SessionId,
    pub account: Account,
}

/// What the dialogue holds once an institution is chosen: its query fields
/// and the values typed so far; the steps from there on carry it whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picked {
    pub flow: Flow,
    pub group: GroupRef,
    pub institution: Institution,
    pub fields: Vec<QueryField>,
    /// Values of `fields[..values.len()]`.
    pub values: Vec<String>,
    /// The saved bill this query came from (`/bills`, a reminder): Back
    /// from its invoices leads to that bill's menu.
    #[serde(default)]
    pub saved: Option<BillId>,
}

impl Picked {
    /// What this dialogue asks the bank: how a saved bill remembers it.
    pub fn query(&self) -> BillQuery {
        BillQuery {
            group_code: self.group.code.clone(),
            group_name: self.group.name.clone(),
            fields: self
                .fields
                .iter()
                .zip(&self.values)
                .map(|(f, v)| SavedField {
                    name: f.name.clone(),
                    label: f.label.clone(),
                    value: v.clone(),
                })
                .collect(),
        }
    }

    /// The bill's subscriber number, or else the last value typed.
    pub fn subscriber(&self, bill: Option<&Invoice>) -> String {
        match bill {
            Some(b) if !b.subscriber_number.is_empty() => b.subscriber_number.clone(),
            _ => self.values.last().cloned().unwrap_or_default(),
        }
    }
}

/// The user holds several accounts: which one pays?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosingAccount {
    pub step: Step,
    pub session: SessionId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosingGroup {
    pub step: Step,
    pub flow: Flow,
    /// Empty when the bank gave no list (the screen offers Retry).
    pub groups: Vec<GroupRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosingInstitution {
    pub step: Step,
    pub flow: Flow,
    pub group: GroupRef,
    pub page: usize,
    /// Text the user typed to narrow the list.
    pub filter: Option<String>,
    /// The institutions on the page shown, so a button maps to exactly
    /// what the user saw.
    pub shown: Vec<Institution>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnteringField {
    pub step: Step,
    pub picked: Picked,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosingInvoice {
    pub step: Step,
    pub picked: Picked,
    /// Empty when there is nothing to pay (or the query failed).
    pub bills: Vec<Invoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirming {
    pub step: Step,
    pub picked: Picked,
    pub bills: Vec<Invoice>,
    /// Out of range after a refusal: the screen only offers Back.
    pub chosen: usize,
}

/// An agent was shown a payment and asked to confirm its cancellation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmingCancel {
    pub step: Step,
    pub intent: PaymentIntent,
}

/// What follows once a first PIN is chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterChoosing {
    /// The payment dialogue, from its start (`/pay`, a Pay button).
    Pay,
    /// Back to this confirmation (the PIN was reset under it).
    Confirm(Box<Confirming>),
    /// Nothing more (`/pin` without a PIN).
    Done,
    /// The saved bill's invoices (`/bills`), or the confirmation of its
    /// invoice tagged `invoice` (a reminder's Pay).
    SavedBill { bill: BillId, invoice: Option<u64> },
}

/// A customer without a PIN chooses one on the keypad, then types it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosingPin {
    pub step: Step,
    pub entry: Sealed,
    /// The callback query of the last key applied: that press delivered
    /// again (after a crash) is not applied twice.
    #[serde(default)]
    pub last_press: Option<String>,
    /// The first entry, once complete.
    pub first: Option<Sealed>,
    pub then: AfterChoosing,
}

/// The PIN that lets the payment of `confirming` go to the bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnteringPin {
    pub step: Step,
    pub entry: Sealed,
    /// The callback query of the last key applied: that press delivered
    /// again (after a crash) is not applied twice.
    #[serde(default)]
    pub last_press: Option<String>,
    pub confirming: Confirming,
}

/// `/pin`: the old PIN, then the new one twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangingPin {
    pub step: Step,
    pub entry: Sealed,
    /// The callback query of the last key applied: that press delivered
    /// again (after a crash) is not applied twice.
    #[serde(default)]
    pub last_press: Option<String>,
    pub old: Option<Sealed>,
    pub new: Option<Sealed>,
}

/// `/unlink` with several accounts linked: which one goes? The accounts
/// as shown, so a button removes exactly the one the user saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosingUnlink {
    pub step: Step,
    pub accounts: Vec<Account>,
}

/// The account `/unlink` removes once confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmingUnlink {
    pub step: Step,
    pub account: Account,
}

/// `/bills`: a page of the customer's saved bills, as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowsingBills {
    pub step: Step,
    pub page: usize,
    pub shown: Vec<BillId>,
}

/// One saved bill's menu: pay, rename, reminders on or off, delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagingBill {
    pub step: Step,
    pub bill: BillId,
}

/// Delete this saved bill? (From its menu, or because the bank no longer
/// lists it as saved.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmingBillDelete {
    pub step: Step,
    pub bill: BillId,
}

/// A name for a saved bill, typed; Skip keeps the one it has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamingBill {
    pub step: Step,
    pub bill: BillId,
    /// Saved a moment ago (after a payment), not renamed from its menu.
    pub just_saved: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// No dialogue in progress.
    #[default]
    Idle,
    /// The stored state could not be read: the next update apologises and
    /// starts afresh.
    Unreadable,
    ChoosingAccount(ChoosingAccount),
    ChoosingGroup(ChoosingGroup),
    ChoosingInstitution(ChoosingInstitution),
    EnteringField(EnteringField),
    ChoosingInvoice(ChoosingInvoice),
    Confirming(Confirming),
    ConfirmingCancel(ConfirmingCancel),
    ChoosingPin(ChoosingPin),
    EnteringPin(EnteringPin),
    ChangingPin(ChangingPin),
    ChoosingUnlink(ChoosingUnlink),
    ConfirmingUnlink(ConfirmingUnlink),
    BrowsingBills(BrowsingBills),
    ManagingBill(ManagingBill),
    ConfirmingBillDelete(ConfirmingBillDelete),
    NamingBill(NamingBill),
}

impl State {
    /// The step whose buttons are live, if any.
    pub fn step(&self) -> Option<Step> {
        match self {
            State::Idle | State::Unreadable => None,
            State::ChoosingAccount(s) => Some(s.step),
            State::ChoosingGroup(s) => Some(s.step),
            State::ChoosingInstitution(s) => Some(s.step),
            State::EnteringField(s) => Some(s.step),
            State::ChoosingInvoice(s) => Some(s.step),
            State::Confirming(s) => Some(s.step),
            State::ConfirmingCancel(s) => Some(s.step),
            State::ChoosingPin(s) => Some(s.step),
            State::EnteringPin(s) => Some(s.step),
            State::ChangingPin(s) => Some(s.step),
            State::ChoosingUnlink(s) => Some(s.step),
            State::ConfirmingUnlink(s) => Some(s.step),
            State::BrowsingBills(s) => Some(s.step),
            State::ManagingBill(s) => Some(s.step),
            State::ConfirmingBillDelete(s) => Some(s.step),
            State::NamingBill(s) => Some(s.step),
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Unreadable => "unreadable",
            State::ChoosingAccount(_) => "choosing_account",
            State::ChoosingGroup(_) => "choosing_group",
            State::ChoosingInstitution(_) => "choosing_institution",
            State::EnteringField(_) => "entering_field",
            State::ChoosingInvoice(_) => "choosing_invoice",
            State::Confirming(_) => "confirming",
            State::ConfirmingCancel(_) => "confirming_cancel",
            State::ChoosingPin(_) => "choosing_pin",
            State::EnteringPin(_) => "entering_pin",
            State::ChangingPin(_) => "changing_pin",
            State::ChoosingUnlink(_) => "choosing_unlink",
            State::ConfirmingUnlink(_) => "confirming_unlink",
            State::BrowsingBills(_) => "browsing_bills",
            State::ManagingBill(_) => "managing_bill",
            State::ConfirmingBillDelete(_) => "confirming_bill_delete",
            State::NamingBill(_) => "naming_bill",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_differ() {
        assert_ne!(Step::new(), Step::new());
    }

    #[test]
    fn a_confirmation_names_its_payment() {
        assert_eq!(Step(255).payment_intent(7).as_str(), "7-00000000000000ff");
    }
}
