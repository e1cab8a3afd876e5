//! The relay of a replica: takes updates from the inbox under a lease,
//! each its chat's oldest unhandled one, and runs each through
//! [`schema`](crate::bot::schema) as teloxide's dispatcher would; then
//! marks it done, which lets that chat's next update be taken, here or on
//! another replica. No connection is held while an update is handled: a
//! claim, a renewal and a "done" are each one short statement.

use std::{
    collections::BTreeSet,
    ops::ControlFlow,
    sync::{Arc, Mutex},
    time::Duration,
};

use teloxide::{dispatching::UpdateHandler, dptree, types::Update};
use tokio::{
    sync::{Notify, Semaphore, watch},
    task::JoinSet,
};

use crate::{
    bot::{App, State, TgBot, launch::AbortOnDrop},
    storage::{Dialogues, Inbox, Inboxed},
};

/// How long a lease lasts without renewal: what a replica that dies
/// holding a chat costs that chat.
pub const LEASE: Duration = Duration::from_secs(10);
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// Updates handled at once by this replica (each waits on Telegram or the
/// bank most of the time, holding no connection).
const AT_ONCE: usize = 256;
const BATCH: usize = 32;
/// When nothing wakes the relay, it looks again this often (for leases of
/// a dead replica that ran out).
const POLL: Duration = Duration::from_millis(500);
/// An update leased this many times without being handled (it brings its
/// handler down, or every replica dies on it) is given up, so that its
/// chat moves on.
const MAX_CLAIMS: i32 = 5;

pub struct Relay {
    pub(super) inbox: Arc<dyn Inbox>,
    pub(super) tree: UpdateHandler<anyhow::Error>,
    pub(super) app: Arc<App>,
    pub(super) bot: TgBot,
    pub(super) me: teloxide::types::Me,
    pub(super) dialogues: Arc<Dialogues<State>>,
    /// Woken by the webhook for each update kept.
    pub(super) wake: Arc<Notify>,
    /// The updates this replica holds a lease on.
    pub(super) held: Mutex<BTreeSet<i64>>,
}

impl Relay {
    /// The updates being handled here now.
    pub fn held(&self) -> Vec<i64> {
        self.lock().iter().copied().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<i64>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes and handles updates until `stop` says so, then lets those in
    /// hand finish; renews their leases all the while.
    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let renew = async {
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                let held = self.held();
                if let Err(e) = self.inbox.renew(&held, LEASE).await {
                    tracing::warn!(error = %e, count = held.len(), "could not renew the inbox leases");
                }
            }
        };
        tokio::select! {
            () = renew => {}
            () = self.clone().relay(stop) => {}
        }
    }

    async fn relay(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        // What a previous run under this name held is free again at once.
        match self.inbox.release(None).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                count = n,
                "updates a previous run left in hand are taken again"
            ),
            Err(e) => tracing::warn!(error = %e, "could not free a previous run's leases"),
        }
        let permits = Arc::new(Semaphore::new(AT_ONCE));
        let mut tasks = JoinSet::new();
        let mut backoff = Duration::from_millis(100);
        loop {
            if *stop.borrow_and_update() || stop.has_changed().is_err() {
                break;
            }
            let free = permits.available_permits().min(BATCH);
            let mut more = false;
            if free > 0 {
                match self.inbox.claim(free, LEASE).await {
                    Ok(claimed) => {
                        backoff = Duration::from_millis(100);
                        more = claimed.len() == free;
                        for update in claimed {
                            // Only this loop takes permits, and `free` were free.
                            let Ok(permit) = permits.clone().try_acquire_owned() else {
                                break;
                            };
                            self.lock().insert(update.update_id);
                            let relay = self.clone();
                            tasks.spawn(async move {
                                relay.handle(update).await;
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not take updates from the inbox");
                        tokio::select! {
                            () = tokio::time::sleep(backoff) => {}
                            _ = stop.changed() => {}
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                }
            }
            while tasks.try_join_next().is_some() {}
            if more {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn handle(&self, leased: Inboxed) {
        let update_id = leased.update_id;
        if leased.claims > 1 {
            self.app.metrics.inbox("taken_over");
            tracing::warn!(
                update_id,
                claims = leased.claims,
                "an update whose lease ran out is handled again"
            );
        }
        if leased.claims > MAX_CLAIMS {
            self.app.metrics.inbox("given_up");
            tracing::error!(
                update_id,
                claims = leased.claims,
                "update given up: leased again and again without being handled"
            );
        } else {
            match serde_json::from_slice::<Update>(&leased.body) {
                Ok(update) => self.dispatch(update).await,
                Err(e) => tracing::error!(update_id, error = %e, "a kept update no longer reads"),
            }
        }
        self.finish(update_id).await;
        self.lock().remove(&update_id);
        self.wake.notify_one();
    }

    async fn dispatch(&self, update: Update) {
        let update_id = update.id.0;
        let deps = dptree::deps![
            self.app.clone(),
            self.bot.clone(),
            update,
            self.dialogues.clone(),
            self.me.clone()
        ];
        let tree = self.tree.clone();
        // In a task of its own, so a panic ends this update and not the
        // relay; aborted with it when the relay is dropped.
        let mut run = AbortOnDrop(tokio::spawn(async move { tree.dispatch(deps).await }));
        match (&mut run.0).await {
            Ok(ControlFlow::Break(Ok(()))) => {}
            Ok(ControlFlow::Break(Err(e))) => {
                tracing::error!(
                    update_id,
                    error = format!("{e:#}"),
                    "an error from the update handler"
                );
            }
            Ok(ControlFlow::Continue(_)) => tracing::debug!(update_id, "update not handled"),
            Err(e) => tracing::error!(update_id, error = %e, "the update handler panicked"),
        }
    }

    /// Marks the update done, trying for a while if the database is away
    /// (its lease is renewed meanwhile); after that it is handled again
    /// once the lease ends, which the payment rules make harmless.
    async fn finish(&self, update_id: i64) {
        let mut wait = Duration::from_millis(200);
        for attempt in 1..=12 {
            match self.inbox.done(update_id).await {
                Ok(true) => {
                    self.app.metrics.inbox("handled");
                    return;
                }
                Ok(false) => {
                    tracing::warn!(
                        update_id,
                        "lease lost while handling: another replica handles the update again"
                    );
                    return;
                }
                Err(e) => {
                    tracing::warn!(update_id, attempt, error = %e, "could not mark an update handled");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
        tracing::error!(
            update_id,
            "update not marked handled: it is handled again when its lease ends"
        );
    }
}
