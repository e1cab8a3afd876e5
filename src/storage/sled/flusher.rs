//! [`Flusher`]: the one place that makes sled writes durable (group commit).
//!
//! A writer whose data must survive `kill -9` calls [`Flusher::durable`]
//! after its write and waits for a flush that *began after* it. Many writers
//! share one flush; one flush runs at a time, as a blocking `Db::flush` on
//! a blocking thread. sled 0.34's asynchronous flush is never used: called by
//! many tasks at once it deadlocks sled's I/O threads (sled issue 1308).

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use tokio::sync::watch;

use super::StoreError;

/// A flush running longer than this is logged as an error and makes
/// `/healthz` fail, so that an orchestrator restarts a stuck bot.
pub const STALL: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Flusher {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    state: Mutex<State>,
    /// The last flush finished, and the last that succeeded.
    done: watch::Sender<Done>,
}

#[derive(Default)]
struct State {
    /// Flushes begun so far: flush number `n` is the `n`-th to begin.
    started: u64,
    /// The newest flush number a writer waits for.
    wanted: u64,
    /// Whether a blocking thread is flushing (or about to).
    running: bool,
    /// When the flush in progress began.
    since: Option<Instant>,
}

#[derive(Clone, Copy, Default)]
struct Done {
    finished: u64,
    succeeded: u64,
}

impl Flusher {
    pub fn new(db: sled::Db) -> Flusher {
        Flusher {
            inner: Arc::new(Inner {
                db,
                state: Mutex::new(State::default()),
                done: watch::Sender::new(Done::default()),
            }),
        }
    }

    /// Returns once everything written before this call is on disk.
    pub async fn durable(&self) -> Result<(), StoreError> {
        let target = {
            let mut state = self.inner.lock();
            // Flush `started + 1` has not begun yet, so it begins after the
            // caller's write.
            let target = state.started + 1;
            state.wanted = target;
            if !state.running {
                state.running = true;
                let inner = self.inner.clone();
                tokio::task::spawn_blocking(move || inner.flush_loop());
            }
            target
        };
        let mut done = self.inner.done.subscribe();
        let reached = |d: &Done| d.finished >= target;
        let waited = tokio::time::timeout(STALL, done.wait_for(reached))
            .await
            .map(|r| r.map(|d| *d));
        let result = match waited {
            Ok(r) => r,
            Err(_) => {
                tracing::error!(
                    waited_secs = STALL.as_secs(),
                    "the database flush is taking too long; is the disk stuck?"
                );
                done.wait_for(reached).await.map(|d| *d)
            }
        };
        match result {
            Ok(d) if d.succeeded >= target => Ok(()),
            Ok(_) => Err(StoreError::Flush),
            // The sender lives in `inner`, which this call holds.
            Err(_) => Err(StoreError::Flush),
        }
    }

    /// Whether a flush has been running for longer than [`STALL`].
    pub fn stalled(&self) -> bool {
        self.inner
            .lock()
            .since
            .is_some_and(|since| since.elapsed() > STALL)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters, consistent after any panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flushes while writers wait for a flush not yet begun; runs on a
    /// blocking thread, the only one flushing.
    fn flush_loop(&self) {
        loop {
            let number = {
                let mut state = self.lock();
                if state.wanted <= state.started {
                    state.running = false;
                    state.since = None;
                    return;
                }
                state.started += 1;
                state.since = Some(Instant::now());
                state.started
            };
            let began = Instant::now();
            // A panic in sled must not leave `running` set with nobody
            // flushing: every writer would wait for good.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.db.flush()))
                .unwrap_or_else(|_| {
                    Err(sled::Error::ReportableBug(
                        "the database flush panicked".into(),
                    ))
                });
            let took = began.elapsed();
            if took > STALL {
                tracing::error!(took_ms = took.as_millis() as u64, "slow database flush");
            }
            if let Err(e) = &result {
                tracing::error!(error = %e, "database flush failed");
            }
            self.done.send_modify(|d| {
                d.finished = number;
                if result.is_ok() {
                    d.succeeded = number;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 500 tasks each make 4 writes durable at once: all return, and each
    /// write is on disk when its task's `durable` returns (sled's
    /// the asynchronous flush of sled 0.34 hangs here).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_writers_share_flushes_and_never_hang() {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let flusher = Flusher::new(db.clone());
        let tasks: Vec<_> = (0..500u32)
            .map(|i| {
                let (db, flusher) = (db.clone(), flusher.clone());
                tokio::spawn(async move {
                    for j in 0..4u32 {
                        let key = [i.to_be_bytes(), j.to_be_bytes()].concat();
                        db.insert(key, &b"x"[..]).expect("insert");
                        flusher.durable().await.expect("durable");
                    }
                })
            })
            .collect();
        let all = futures_join(tasks);
        tokio::time::timeout(Duration::from_secs(30), all)
            .await
            .expect("no writer may hang");
        assert_eq!(db.len(), 2000);
        let started = flusher.inner.lock().started;
        assert!(
            started < 2000,
            "flushes are shared: {started} for 2000 writes"
        );
        assert!(!flusher.stalled());
    }

    /// A flush stuck for longer than [`STALL`] is reported (and so fails
    /// `/healthz`).
    #[test]
    fn a_flush_running_too_long_is_stalled() {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let flusher = Flusher::new(db);
        assert!(!flusher.stalled());
        let long_ago = Instant::now().checked_sub(STALL + Duration::from_secs(1));
        flusher.inner.lock().since = long_ago;
        assert_eq!(flusher.stalled(), long_ago.is_some());
        flusher.inner.lock().since = Some(Instant::now());
        assert!(!flusher.stalled(), "a flush that just began is not stalled");
    }

    async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
        for t in tasks {
            t.await.expect("task");
        }
    }
}
