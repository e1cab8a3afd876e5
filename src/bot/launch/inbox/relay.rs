//! The relay of a replica: leases chats (lanes) in the inbox and handles
//! each one's oldest unhandled update through
//! [`schema`](crate::bot::schema) as teloxide's dispatcher would; then
//! marks it done, which frees the chat for its next update, here or on
//! another replica. No connection is held while an update is handled: a
//! claim, a renewal and a "done" are each one short transaction.

use std::{
    collections::HashMap,
    ops::ControlFlow,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use teloxide::{
    dispatching::UpdateHandler,
    dptree,
    types::{Update, UpdateKind},
};
use tokio::{
    sync::{Notify, Semaphore, watch},
    task::JoinSet,
};

use crate::{
    bot::{App, State, TgBot, launch::AbortOnDrop},
    storage::{Dialogues, Inbox, Inboxed, Lease},
};

/// How long a lease lasts without renewal: what a replica that dies
/// holding a chat costs that chat.
pub const LEASE: Duration = Duration::from_secs(10);
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// A renewal that takes longer is given up (the next one may still make
/// it before the lease ends).
const RENEW_WITHIN: Duration = Duration::from_secs(5);
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
/// Longer than any update takes (a bank call is at most its time-out,
/// twice for a read): past it the handler is stopped, so that a chat is
/// never held for good.
const HANDLE_LIMIT: Duration = Duration::from_secs(120);
/// Letting go of leases at a stop waits at most this long.
pub(crate) const RELEASE_WITHIN: Duration = Duration::from_secs(2);

pub struct Relay {
    pub(super) inbox: Arc<dyn Inbox>,
    pub(super) tree: UpdateHandler<anyhow::Error>,
    pub(super) app: Arc<App>,
    pub(super) bot: TgBot,
    pub(super) me: teloxide::types::Me,
    pub(super) dialogues: Arc<Dialogues<State>>,
    /// Woken by the webhook for each update kept.
    pub(super) wake: Arc<Notify>,
    /// Opens what the webhook sealed.
    pub(super) sealer: Arc<crate::bot::pin::Sealer>,
    /// The updates this replica is handling, under their current lease.
    pub(super) held: Mutex<HashMap<i64, Lease>>,
}

/// Takes an update off [`Relay::held`] however its handling ends.
struct Holding<'a> {
    relay: &'a Relay,
    update_id: i64,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.relay.lock().remove(&self.update_id);
        self.relay.wake.notify_one();
    }
}

impl Relay {
    /// The leases this replica holds now.
    pub fn held(&self) -> Vec<Lease> {
        self.lock().values().copied().collect()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Lease>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes and handles updates until `stop` says so, then lets those in
    /// hand finish; renews their leases all the while.
    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>) {
        tokio::select! {
            () = self.renew() => {}
            () = self.clone().relay(stop) => {}
        }
    }

    async fn renew(&self) {
        let mut every = tokio::time::interval(RENEW_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let held = self.held();
            if held.is_empty() {
                continue;
            }
            match tokio::time::timeout(RENEW_WITHIN, self.inbox.renew(&held, LEASE)).await {
                Ok(Ok(kept)) if kept.len() == held.len() => {}
                Ok(Ok(kept)) => {
                    // Finished meanwhile is not lost: only what is still
                    // handled under the lease that was renewed.
                    let still: Vec<Lease> = self.held();
                    let lost = held
                        .iter()
                        .filter(|l| !kept.contains(&l.lane) && still.contains(l));
                    for lost in lost {
                        tracing::warn!(
                            lane = lost.lane,
                            "lease taken over while handling: another replica handles that update again"
                        );
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, count = held.len(), "could not renew the inbox leases")
                }
                Err(_) => {
                    tracing::warn!(count = held.len(), "renewing the inbox leases timed out")
                }
            }
        }
    }

    async fn relay(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        // What a previous run under this name held is free again at once.
        match tokio::time::timeout(LEASE, self.inbox.release(None)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => {
                tracing::warn!(
                    count = n,
                    "chats a previous run left in hand are taken again"
                )
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "could not free a previous run's leases"),
            Err(_) => tracing::warn!("freeing a previous run's leases timed out"),
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
                    Ok(claimed) if *stop.borrow() => self.let_go(&claimed).await,
                    Ok(claimed) => {
                        backoff = Duration::from_millis(100);
                        more = claimed.len() == free;
                        for update in claimed {
                            // Its lease ran out while we handle it, and came
                            // back to us: carry on under the new one.
                            if let Some(lease) = self.lock().get_mut(&update.update_id) {
                                *lease = update.lease;
                                continue;
                            }
                            // Only this loop takes permits, and `free` were free.
                            let Ok(permit) = permits.clone().try_acquire_owned() else {
                                self.let_go(std::slice::from_ref(&update)).await;
                                break;
                            };
                            self.lock().insert(update.update_id, update.lease);
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
            while let Some(ended) = tasks.try_join_next() {
                log_ended(ended);
            }
            if more {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
                Some(ended) = tasks.join_next(), if !tasks.is_empty() => log_ended(ended),
            }
        }
        while let Some(ended) = tasks.join_next().await {
            log_ended(ended);
        }
    }

    /// Claimed but not to be handled here (stopping): free for others.
    async fn let_go(&self, claimed: &[Inboxed]) {
        let leases: Vec<Lease> = claimed.iter().map(|c| c.lease).collect();
        if let Ok(Err(e)) =
            tokio::time::timeout(RELEASE_WITHIN, self.inbox.release(Some(&leases))).await
        {
            tracing::warn!(error = %e, "could not let go of updates claimed while stopping");
        }
    }

    async fn handle(&self, leased: Inboxed) {
        let update_id = leased.update_id;
        let _holding = Holding {
            relay: self,
            update_id,
        };
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
            let body = self
                .sealer
                .open_bytes(&update_id.to_be_bytes(), &leased.body)
                .unwrap_or_default();
            match serde_json::from_slice::<Update>(&body) {
                Ok(mut update) => {
                    // As teloxide's own listener does: a kind it does not
                    // know keeps its JSON.
                    if let UpdateKind::Error(value) = &mut update.kind {
                        *value = serde_json::from_slice(&body).unwrap_or_default();
                    }
                    self.dispatch(update).await
                }
                Err(e) => {
                    tracing::error!(update_id, error = %e, "a kept update does not read as one")
                }
            }
        }
        self.finish(update_id).await;
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
        match tokio::time::timeout(HANDLE_LIMIT, &mut run.0).await {
            Ok(Ok(ControlFlow::Break(Ok(())))) => {}
            Ok(Ok(ControlFlow::Break(Err(e)))) => {
                tracing::error!(
                    update_id,
                    error = format!("{e:#}"),
                    "an error from the update handler"
                );
            }
            Ok(Ok(ControlFlow::Continue(_))) => tracing::debug!(update_id, "update not handled"),
            Ok(Err(e)) => tracing::error!(update_id, error = %e, "the update handler panicked"),
            Err(_) => {
                self.app.metrics.inbox("given_up");
                tracing::error!(
                    update_id,
                    limit_secs = HANDLE_LIMIT.as_secs(),
                    "update handler stopped: it ran past the limit"
                );
            }
        }
    }

    /// Marks the update done under its current lease, trying for a while
    /// if the database is away (the lease is renewed meanwhile); after that
    /// it is handled again once the lease ends, which the payment rules
    /// make harmless.
    async fn finish(&self, update_id: i64) {
        let mut wait = Duration::from_millis(200);
        for attempt in 1..=12 {
            let Some(lease) = self.lock().get(&update_id).copied() else {
                return;
            };
            match self.inbox.done(update_id, lease).await {
                Ok(true) => {
                    self.app.metrics.inbox("handled");
                    return;
                }
                Ok(false) => {
                    tracing::warn!(
                        update_id,
                        "lease taken over while handling: another replica handles the update again"
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

fn log_ended(ended: Result<(), tokio::task::JoinError>) {
    if let Err(e) = ended
        && e.is_panic()
    {
        tracing::error!(error = %e, "an inbox task panicked");
    }
}
