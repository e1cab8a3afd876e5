//! [`State`]: where each chat is in the payment dialogue, and what it has
//! collected so far. Stored in sled after every step.
//!
//! Every step that shows buttons carries a fresh random [`Step`]; a button
//! carries the step it was drawn for, so a button from an earlier screen,
//! another dialogue or before a restart is recognised as expired.

use serde::{Deserialize, Serialize};

use crate::{
    bank::{Account, Association, Bill, Group, QueryField, SessionId},
    storage::dialogues::Recoverable,
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
/// Flattened into those states, so their stored JSON keeps one level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picked {
    pub flow: Flow,
    pub group: Group,
    pub institution: Association,
    pub fields: Vec<QueryField>,
    /// Values of `fields[..values.len()]`.
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// No dialogue in progress.
    #[default]
    Idle,
    /// The stored state could not be read (the bot was upgraded): the next
    /// update apologises and starts afresh.
    Unreadable,
    /// The user holds several accounts: which one pays?
    ChoosingAccount { step: Step, session: SessionId },
    ChoosingGroup {
        step: Step,
        flow: Flow,
        groups: Vec<Group>,
    },
    ChoosingInstitution {
        step: Step,
        flow: Flow,
        group: Group,
        page: usize,
        /// Text the user typed to narrow the list.
        filter: Option<String>,
        /// The institutions on the page shown, so a button maps to exactly
        /// what the user saw.
        shown: Vec<Association>,
    },
    EnteringField {
        step: Step,
        #[serde(flatten)]
        picked: Picked,
    },
    ChoosingInvoice {
        step: Step,
        #[serde(flatten)]
        picked: Picked,
        /// Empty when there is nothing to pay (or the query failed).
        bills: Vec<Bill>,
    },
    Confirming {
        step: Step,
        #[serde(flatten)]
        picked: Picked,
        bills: Vec<Bill>,
        chosen: usize,
    },
    /// An agent was shown a payment and asked to confirm its cancellation.
    ConfirmingCancel { step: Step, intent: String },
}

impl Recoverable for State {
    fn unreadable() -> Self {
        State::Unreadable
    }
}

impl State {
    /// The step whose buttons are live, if any.
    pub fn step(&self) -> Option<Step> {
        match self {
            State::Idle | State::Unreadable => None,
            State::ChoosingAccount { step, .. }
            | State::ChoosingGroup { step, .. }
            | State::ChoosingInstitution { step, .. }
            | State::EnteringField { step, .. }
            | State::ChoosingInvoice { step, .. }
            | State::Confirming { step, .. }
            | State::ConfirmingCancel { step, .. } => Some(*step),
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Unreadable => "unreadable",
            State::ChoosingAccount { .. } => "choosing_account",
            State::ChoosingGroup { .. } => "choosing_group",
            State::ChoosingInstitution { .. } => "choosing_institution",
            State::EnteringField { .. } => "entering_field",
            State::ChoosingInvoice { .. } => "choosing_invoice",
            State::Confirming { .. } => "confirming",
            State::ConfirmingCancel { .. } => "confirming_cancel",
        }
    }
}

/// The ledger key of the payment a confirmation screen would make: derived
/// from the chat and the step, so a press can be matched to its payment
/// even after the dialogue moved on.
pub fn payment_intent(chat_id: i64, step: Step) -> String {
    format!("{chat_id}-{:016x}", step.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_differ() {
        assert_ne!(Step::new(), Step::new());
    }

    /// States stored before [`Picked`] existed (fields side by side) still
    /// read, and are written the same way.
    #[test]
    fn picked_is_stored_flat() {
        let flat = r#"{"EnteringField":{"step":7,"flow":{"session":"s","account":{"customer_no":3488017,"branch_code":9142,"suffix":357,"currency":"TRY"}},"group":{"code":"2","name":"SU"},"institution":{"AssociationCode":"ISKI","AssociationName":"İSKİ","CollectionGroup":"2","ValidCityCodes":[]},"fields":[{"CodeString":"Abone No","FieldName":"SubscriberNumber"}],"values":[]}}"#;
        let state: State = serde_json::from_str(flat).unwrap();
        let State::EnteringField { step, picked } = &state else {
            panic!("{state:?}");
        };
        assert_eq!((step.0, picked.institution.code.as_str()), (7, "ISKI"));
        assert_eq!(serde_json::to_string(&state).unwrap(), flat);
    }

    #[test]
    fn state_round_trips_through_json() {
        let s = State::ChoosingAccount {
            step: Step(7),
            session: SessionId("s".into()),
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), s);
    }
}
