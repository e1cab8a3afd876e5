//! [`Catalog`]: groups, institution lists and screen definitions, served
//! from memory for a TTL.
//!
//! They change rarely and every user browses them, so a thousand users cost
//! the bank a handful of calls. Concurrent misses of one key wait for a
//! single fetch rather than each calling the bank. A failure is kept for
//! [`FAILURE_TTL`]: everyone who waited for that fetch, and the next wave,
//! gets it at once instead of queueing one time-out each behind a dead bank.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::{Association, BankClient, BankError, Group, ScreenDefinition, SessionId};

/// Hits and misses, for metrics and for the tests' call counts.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

/// How long a failed fetch is answered from memory.
pub const FAILURE_TTL: Duration = Duration::from_secs(3);

/// One key's last fetch and when it finished; its lock is held during the
/// fetch, so concurrent misses wait for it.
type Slot<V> = Arc<tokio::sync::Mutex<Option<(Instant, Result<V, BankError>)>>>;

struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, Slot<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    fn new() -> Self {
        TtlCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    async fn get_or_fetch<F, Fut>(
        &self,
        key: &K,
        ttl: Duration,
        stats: &CacheStats,
        fetch: F,
    ) -> Result<V, BankError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, BankError>>,
    {
        let slot = {
            // A poisoned lock only means another task panicked mid-insert;
            // the map itself is still sound.
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries.entry(key.clone()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((at, result)) = slot.as_ref() {
            let fresh_for = if result.is_ok() { ttl } else { FAILURE_TTL };
            if at.elapsed() < fresh_for {
                stats.hits.fetch_add(1, Ordering::Relaxed);
                return result.clone();
            }
        }
        stats.misses.fetch_add(1, Ordering::Relaxed);
        let result = fetch().await;
        *slot = Some((Instant::now(), result.clone()));
        result
    }
}

pub struct Catalog {
    bank: BankClient,
    ttl: Duration,
    groups: TtlCache<(), Arc<Vec<Group>>>,
    lists: TtlCache<String, Arc<Vec<Association>>>,
    screens: TtlCache<String, Arc<ScreenDefinition>>,
    pub stats: Arc<CacheStats>,
}

impl Catalog {
    pub fn new(bank: BankClient, ttl: Duration) -> Self {
        Catalog {
            bank,
            ttl,
            groups: TtlCache::new(),
            lists: TtlCache::new(),
            screens: TtlCache::new(),
            stats: Arc::default(),
        }
    }

    pub fn bank(&self) -> &BankClient {
        &self.bank
    }

    pub async fn groups(&self, session: &SessionId) -> Result<Arc<Vec<Group>>, BankError> {
        self.groups
            .get_or_fetch(&(), self.ttl, &self.stats, || async {
                self.bank.groups(session).await.map(Arc::new)
            })
            .await
    }

    pub async fn associations(
        &self,
        session: &SessionId,
        group: &str,
    ) -> Result<Arc<Vec<Association>>, BankError> {
        self.lists
            .get_or_fetch(&group.to_owned(), self.ttl, &self.stats, || async {
                self.bank.associations(session, group).await.map(Arc::new)
            })
            .await
    }

    pub async fn screen(
        &self,
        session: &SessionId,
        association_code: &str,
    ) -> Result<Arc<ScreenDefinition>, BankError> {
        self.screens
            .get_or_fetch(
                &association_code.to_owned(),
                self.ttl,
                &self.stats,
                || async {
                    self.bank
                        .screen(session, association_code)
                        .await
                        .map(Arc::new)
                },
            )
            .await
    }
}
