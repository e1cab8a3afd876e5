//! [`Dialogues`]: teloxide's dialogue `Storage` over any [`DialogueStore`].
//!
//! A stored state that no longer reads comes back as
//! [`Recoverable::unreadable`], so the bot can apologise and start over
//! instead of failing every update of that chat.

use std::{marker::PhantomData, pin::Pin, sync::Arc};

use teloxide::{dispatching::dialogue::Storage, types::ChatId};

use super::{DialogueStore, StoreError};

/// What teloxide's `Storage` methods return (its `BoxFuture`).
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A dialogue state as stored: its own encoding (versioned, for the bot's
/// state), and a value for "what was stored cannot be read".
pub trait Recoverable: Sized {
    fn unreadable() -> Self;
    fn encode(&self) -> Result<Vec<u8>, serde_json::Error>;
    fn decode(bytes: &[u8]) -> Result<Self, String>;
}

pub struct Dialogues<D> {
    states: Arc<dyn DialogueStore>,
    _state: PhantomData<fn() -> D>,
}

impl<D> Dialogues<D> {
    pub fn new(states: Arc<dyn DialogueStore>) -> Self {
        Dialogues {
            states,
            _state: PhantomData,
        }
    }

    /// How many chats have a stored dialogue.
    pub async fn count(&self) -> Result<usize, StoreError> {
        self.states.count().await
    }
}

impl<D> Storage<D> for Dialogues<D>
where
    D: Recoverable + Send + 'static,
{
    type Error = StoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<(), StoreError>> {
        Box::pin(async move { self.states.remove(chat_id.0).await })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: D,
    ) -> BoxFuture<Result<(), StoreError>> {
        Box::pin(async move {
            let bytes = dialogue.encode()?;
            self.states.put(chat_id.0, bytes).await
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<Option<D>, StoreError>> {
        Box::pin(async move {
            let Some(bytes) = self.states.get(chat_id.0).await? else {
                return Ok(None);
            };
            match D::decode(&bytes) {
                Ok(state) => Ok(Some(state)),
                Err(e) => {
                    tracing::warn!(chat_id = chat_id.0, error = %e, "unreadable dialogue state, resetting");
                    Ok(Some(D::unreadable()))
                }
            }
        })
    }
}
