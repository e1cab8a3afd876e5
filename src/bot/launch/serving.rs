//! How updates come in and get handled, by mode, and how each mode stops:
//! teloxide's dispatcher (long polling, or one node's webhook), or the
//! inbox and its relay (several replicas).

use std::{pin::Pin, sync::Arc, time::Duration};

use teloxide::dispatching::ShutdownToken;
use tokio::{sync::watch, time::Instant};

use super::inbox::{RELEASE_WITHIN, Relay};
use crate::storage::Inbox;

type Running = Pin<Box<dyn Future<Output = ()> + Send>>;

pub(super) enum Serving {
    Dispatcher {
        running: Running,
        token: ShutdownToken,
    },
    Relay {
        running: Running,
        relay: Arc<Relay>,
        inbox: Arc<dyn Inbox>,
        stop: watch::Sender<bool>,
    },
}

impl Serving {
    pub fn dispatcher(
        running: impl Future<Output = ()> + Send + 'static,
        token: ShutdownToken,
    ) -> Self {
        Serving::Dispatcher {
            running: Box::pin(running),
            token,
        }
    }

    pub fn relay(relay: Arc<Relay>, inbox: Arc<dyn Inbox>, stop: watch::Sender<bool>) -> Self {
        let running = Box::pin(relay.clone().run(stop.subscribe()));
        Serving::Relay {
            running,
            relay,
            inbox,
            stop,
        }
    }

    /// Runs until it stops on its own (not expected).
    pub async fn run(&mut self) {
        match self {
            Serving::Dispatcher { running, .. } | Serving::Relay { running, .. } => running.await,
        }
    }

    /// Asks it to stop taking updates, and waits until `deadline` for
    /// those in hand; `true` when they all finished.
    pub async fn stop(&mut self, finished: bool, deadline: Instant) -> bool {
        match self {
            Serving::Dispatcher { running, token } => {
                let mut finished = finished;
                // `shutdown` refuses while the dispatcher has not started
                // yet: keep driving it and ask again until it has, or has
                // ended.
                while !finished && token.shutdown().is_err() && Instant::now() < deadline {
                    finished = tokio::time::timeout(Duration::from_millis(10), &mut *running)
                        .await
                        .is_ok();
                }
                finished
                    || tokio::time::timeout_at(deadline, &mut *running)
                        .await
                        .is_ok()
            }
            Serving::Relay { running, stop, .. } => {
                let _ = stop.send(true);
                finished
                    || tokio::time::timeout_at(deadline, &mut *running)
                        .await
                        .is_ok()
            }
        }
    }

    /// After a stop that could not wait for everything: what is cut short
    /// is let go at once (a relay's leases, for another replica to take).
    pub async fn abandon(self) {
        match self {
            // teloxide runs each chat's handler in a task of its own: they
            // are not waited for any more, and end with the runtime.
            Serving::Dispatcher { .. } => {}
            Serving::Relay {
                running,
                relay,
                inbox,
                ..
            } => {
                drop(running);
                let held = relay.held();
                // Bounded: leases not let go of end on their own.
                let released =
                    tokio::time::timeout(RELEASE_WITHIN, inbox.release(Some(&held))).await;
                if !matches!(released, Ok(Ok(_))) {
                    tracing::warn!(
                        "could not let go of the updates cut short; their leases end on their own"
                    );
                }
            }
        }
    }
}
