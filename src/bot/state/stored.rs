//! How a [`State`] is stored: `{"v":1,"state":…}`, our own types. What
//! builds before the version stamp wrote (version 0: the enum directly,
//! with the bank's field names inside) still reads, through the frozen
//! copies of its shapes in `v0`.

use serde::{Deserialize, Serialize};

use super::State;
use crate::storage::Recoverable;

const VERSION: u8 = 1;

#[derive(Serialize)]
struct Out<'a> {
    v: u8,
    state: &'a State,
}

#[derive(Deserialize)]
struct In {
    v: u8,
    state: serde_json::Value,
}

/// Why stored bytes are not a state this build can read.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    #[error("stored by a later version ({0})")]
    Later(u8),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl State {
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Out {
            v: VERSION,
            state: self,
        })
    }

    pub fn decode(bytes: &[u8]) -> Result<State, Unreadable> {
        match serde_json::from_slice::<In>(bytes) {
            Ok(In { v: VERSION, state }) => Ok(serde_json::from_value(state)?),
            Ok(In { v, .. }) => Err(Unreadable::Later(v)),
            Err(_) => Ok(serde_json::from_slice::<v0::State>(bytes)?.into()),
        }
    }
}

impl Recoverable for State {
    fn unreadable() -> Self {
        State::Unreadable
    }

    fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        State::encode(self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        State::decode(bytes).map_err(|e| e.to_string())
    }
}

/// Version 0, as stored until the version stamp: frozen, never changed.
mod v0 {
    use serde::Deserialize;

    use super::super::{self as now, Flow, GroupRef, Step};
    use crate::{bank::SessionId, money::Amount, payments::PaymentIntent};

    #[derive(Deserialize)]
    pub(super) struct Association {
        #[serde(rename = "AssociationCode")]
        code: String,
        #[serde(rename = "AssociationName", default)]
        name: String,
    }

    #[derive(Deserialize)]
    pub(super) struct QueryField {
        #[serde(rename = "CodeString", default)]
        label: String,
        #[serde(rename = "FieldName")]
        name: String,
    }

    #[derive(Deserialize)]
    pub(super) struct Bill {
        raw: String,
        invoice_number: String,
        subscriber_number: String,
        subscriber_name: Option<String>,
        due_date: Option<String>,
        amount: Amount,
        currency: String,
    }

    #[derive(Deserialize)]
    pub(super) struct Picked {
        flow: Flow,
        group: GroupRef,
        institution: Association,
        fields: Vec<QueryField>,
        values: Vec<String>,
    }

    #[derive(Deserialize)]
    pub(super) enum State {
        Idle,
        Unreadable,
        ChoosingAccount {
            step: Step,
            session: SessionId,
        },
        ChoosingGroup {
            step: Step,
            flow: Flow,
            groups: Vec<GroupRef>,
        },
        ChoosingInstitution {
            step: Step,
            flow: Flow,
            group: GroupRef,
            page: usize,
            filter: Option<String>,
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
            bills: Vec<Bill>,
        },
        Confirming {
            step: Step,
            #[serde(flatten)]
            picked: Picked,
            bills: Vec<Bill>,
            chosen: usize,
        },
        ConfirmingCancel {
            step: Step,
            intent: PaymentIntent,
        },
    }

    impl From<Association> for now::Institution {
        fn from(a: Association) -> Self {
            now::Institution {
                code: a.code,
                name: a.name,
            }
        }
    }

    impl From<QueryField> for now::QueryField {
        fn from(f: QueryField) -> Self {
            now::QueryField {
                name: f.name,
                label: f.label,
            }
        }
    }

    impl From<Bill> for now::Invoice {
        fn from(b: Bill) -> Self {
            now::Invoice {
                raw: b.raw,
                number: b.invoice_number,
                subscriber_number: b.subscriber_number,
                subscriber_name: b.subscriber_name,
                due_date: b.due_date,
                amount: b.amount,
                currency: b.currency,
            }
        }
    }

    impl From<Picked> for now::Picked {
        fn from(p: Picked) -> Self {
            now::Picked {
                saved: None,
                flow: p.flow,
                group: p.group,
                institution: p.institution.into(),
                fields: p.fields.into_iter().map(Into::into).collect(),
                values: p.values,
            }
        }
    }

    fn bills(b: Vec<Bill>) -> Vec<now::Invoice> {
        b.into_iter().map(Into::into).collect()
    }

    impl From<State> for now::State {
        fn from(s: State) -> Self {
            match s {
                State::Idle => now::State::Idle,
                State::Unreadable => now::State::Unreadable,
                State::ChoosingAccount { step, session } => {
                    now::State::ChoosingAccount(now::ChoosingAccount { step, session })
                }
                State::ChoosingGroup { step, flow, groups } => {
                    now::State::ChoosingGroup(now::ChoosingGroup { step, flow, groups })
                }
                State::ChoosingInstitution {
                    step,
                    flow,
                    group,
                    page,
                    filter,
                    shown,
                } => now::State::ChoosingInstitution(now::ChoosingInstitution {
                    step,
                    flow,
                    group,
                    page,
                    filter,
                    shown: shown.into_iter().map(Into::into).collect(),
                }),
                State::EnteringField { step, picked } => {
                    now::State::EnteringField(now::EnteringField {
                        step,
                        picked: picked.into(),
                    })
                }
                State::ChoosingInvoice {
                    step,
                    picked,
                    bills: b,
                } => now::State::ChoosingInvoice(now::ChoosingInvoice {
                    step,
                    picked: picked.into(),
                    bills: bills(b),
                }),
                State::Confirming {
                    step,
                    picked,
                    bills: b,
                    chosen,
                } => now::State::Confirming(now::Confirming {
                    step,
                    picked: picked.into(),
                    bills: bills(b),
                    chosen,
                }),
                State::ConfirmingCancel { step, intent } => {
                    now::State::ConfirmingCancel(now::ConfirmingCancel { step, intent })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::state::EnteringField;

    /// A state stored before the version stamp (fields side by side, the
    /// bank's names inside) reads; it is written back as version 1.
    #[test]
    fn version_0_reads_and_is_written_as_version_1() {
        let v0 = r#"{"EnteringField":{"step":7,"flow":{"session":"s","account":{"customer_no":3488017,"branch_code":9142,"suffix":357,"currency":"TRY"}},"group":{"code":"2","name":"SU"},"institution":{"AssociationCode":"ISKI","AssociationName":"İSKİ","CollectionGroup":"2","ValidCityCodes":[]},"fields":[{"CodeString":"Abone No","FieldName":"SubscriberNumber"}],"values":[]}}"#;
        let state = State::decode(v0.as_bytes()).expect("reads");
        let State::EnteringField(EnteringField { step, picked }) = &state else {
            panic!("{state:?}");
        };
        assert_eq!((step.0, picked.institution.code.as_str()), (7, "ISKI"));
        assert_eq!(picked.fields[0].prompt(), "Abone No");
        let v1 = state.encode().expect("encode");
        assert!(v1.starts_with(br#"{"v":1,"state":{"EnteringField":"#));
        assert_eq!(State::decode(&v1).expect("reads"), state);
    }

    /// `/unlink`'s states are version 1 as they are: added variants, no
    /// version 0 to read.
    #[test]
    fn unlink_states_round_trip() {
        use crate::{
            bot::state::{ChoosingUnlink, ConfirmingUnlink, Step},
            storage::fixtures::account,
        };
        for state in [
            State::ChoosingUnlink(ChoosingUnlink {
                step: Step(3),
                accounts: vec![account(357), account(358)],
            }),
            State::ConfirmingUnlink(ConfirmingUnlink {
                step: Step(4),
                account: account(357),
            }),
        ] {
            let bytes = state.encode().expect("encode");
            assert_eq!(State::decode(&bytes).expect("reads"), state);
        }
    }

    #[test]
    fn a_later_version_is_unreadable_not_misread() {
        let later = br#"{"v":2,"state":"Idle"}"#;
        assert!(matches!(State::decode(later), Err(Unreadable::Later(2))));
        assert!(State::decode(b"{\"Gone\":1}").is_err());
        let idle = State::Idle.encode().expect("encode");
        assert_eq!(State::decode(&idle).expect("idle"), State::Idle);
    }
}
