//! The endpoints, each named for what it receives. None calls another
//! handler module: what they share is in [`super::flows`] and
//! [`super::steps`].

pub mod agent;
pub mod bills;
pub mod cancel;
pub mod confirm;
pub mod dialogue;
pub mod input;
pub mod pin;
pub mod receipts;
pub mod start;
pub mod unlink;

use teloxide::types::{CallbackQuery, CallbackQueryId, Message, MessageId};

use super::{
    callbacks::{Action, CallbackData},
    state::Step,
};

/// A press on a dialogue button, decoded in the schema.
#[derive(Clone, Debug)]
pub struct Press {
    pub step: Step,
    pub action: Action,
    pub query: CallbackQueryId,
    /// The message the button was on.
    pub message: Option<MessageId>,
}

impl Press {
    pub fn of(q: CallbackQuery, data: CallbackData) -> Option<Press> {
        let CallbackData::Dialogue(step, action) = data else {
            return None;
        };
        Some(Press {
            step,
            action,
            message: q.message.as_ref().map(|m| m.id()),
            query: q.id,
        })
    }
}

/// Text the user typed (not a command), decoded in the schema.
#[derive(Clone, Debug)]
pub struct Typed(pub String);

impl Typed {
    pub fn of(msg: Message) -> Option<Typed> {
        msg.text().map(|t| Typed(t.to_owned()))
    }
}
