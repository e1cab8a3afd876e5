//! [`InFlight`]: the updates being handled right now, so that a shutdown
//! that cannot wait any longer says which ones it cut short.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

#[derive(Clone, Default)]
pub struct InFlight {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    next: AtomicU64,
    handling: Mutex<HashMap<u64, Handling>>,
}

/// One update in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handling {
    pub update_id: u32,
    pub user_id: u64,
    pub since: Instant,
}

/// Held while an update is handled; dropping it ends the entry.
pub struct Ticket {
    set: InFlight,
    key: u64,
}

impl InFlight {
    pub fn enter(&self, update_id: u32, user_id: u64) -> Ticket {
        let key = self.inner.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(
            key,
            Handling {
                update_id,
                user_id,
                since: Instant::now(),
            },
        );
        Ticket {
            set: self.clone(),
            key,
        }
    }

    /// How many updates are in progress.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// The updates in progress, oldest first.
    pub fn list(&self) -> Vec<Handling> {
        let mut all: Vec<Handling> = self.lock().values().copied().collect();
        all.sort_by_key(|h| h.since);
        all
    }

    /// "update 12 (user 5, 3.1 s), …" for a log line.
    pub fn describe(&self) -> String {
        self.list()
            .iter()
            .map(|h| {
                format!(
                    "update {} (user {}, {:.1} s)",
                    h.update_id,
                    h.user_id,
                    h.since.elapsed().as_secs_f64()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Handling>> {
        // A map of plain values: sound after any panic.
        self.inner
            .handling
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.set.lock().remove(&self.key);
    }
}

impl Handling {
    pub fn age(&self) -> Duration {
        self.since.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_last_as_long_as_their_ticket() {
        let set = InFlight::default();
        let a = set.enter(1, 10);
        let b = set.enter(2, 20);
        assert_eq!(set.list().len(), 2);
        drop(a);
        let left = set.list();
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].update_id, left[0].user_id), (2, 20));
        assert!(set.describe().starts_with("update 2 (user 20, "));
        drop(b);
        assert!(set.list().is_empty());
    }
}
