//! The PostgreSQL backend: everything durable in one database that several
//! replicas share. Selected by `FATURABOT_DATABASE_URL`.
//!
//! Exactly-once rests on the database: the payment intent is the primary
//! key, every change of a payment is a read-modify-write under the row's
//! lock (`SELECT … FOR UPDATE`) inside one transaction, a bank id is a
//! unique column, an invite is used up by the `DELETE` that finds it. No
//! connection is held across a bank call: each verb takes one from the pool
//! and gives it back when its transaction ends.
//!
//! - `migrations`: the schema, applied at start and by `faturabot migrate`.
//! - `ledger`: payments, their indexes and history, the audit trail.
//! - `people`: users and invites.
//! - `pins`: PIN hashes and locks.
//! - `chats`: dialogue states and menus.
//! - `inbox`: the updates of replicated webhook mode, kept and leased.

mod bills;
mod chats;
mod inbox;
mod ledger;
pub mod migrations;
mod people;
mod pins;
pub mod throwaway;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};

use super::{Backend, Store};
use crate::payments::StoreError;

pub type Pool = deadpool_postgres::Pool;

/// Connections per process: enough for the handlers' short transactions,
/// well under PostgreSQL's default of 100 for several replicas.
const POOL_SIZE: usize = 16;
/// The inbox's own connections for its leases (claims, renewals, "done"),
/// so that they never wait behind handlers.
const INBOX_POOL_SIZE: usize = 4;
/// How long a verb waits for a connection or an answer before it fails.
const WAIT: Duration = Duration::from_secs(10);

/// A database error as the ports report it, with its causes (the
/// server's own message); never with the URL in it.
pub(crate) fn pg(e: impl std::error::Error) -> StoreError {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    StoreError::Backend(text)
}

/// `url` with its password replaced, for messages and logs.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            // `?password=…` works too: no option is shown.
            if u.query().is_some() {
                u.set_query(Some("…"));
            }
            u.to_string()
        }
        _ => "(not a postgres:// URL)".into(),
    }
}

/// A pool for `url` (`postgres://user:password@host:port/db?sslmode=…`).
/// TLS with the web's root certificates when `sslmode` asks for it.
pub fn pool(url: &str) -> Result<Pool, StoreError> {
    sized_pool(url, POOL_SIZE)
}

fn sized_pool(url: &str, size: usize) -> Result<Pool, StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|_| StoreError::Backend("not a PostgreSQL connection URL".into()))?;
    // No statement, lock wait or open transaction may hang a handler, the
    // heartbeat or the sweep.
    config.options("-c statement_timeout=20000 -c lock_timeout=10000 -c idle_in_transaction_session_timeout=30000");
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match config.get_ssl_mode() {
        tokio_postgres::config::SslMode::Disable => {
            Manager::from_config(config, tokio_postgres::NoTls, manager_config)
        }
        _ => {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(pg)?
            .with_root_certificates(roots)
            .with_no_client_auth();
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            Manager::from_config(config, tls, manager_config)
        }
    };
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(WAIT))
        .create_timeout(Some(WAIT))
        .recycle_timeout(Some(WAIT))
        .build()
        .map_err(pg)
}

/// This replica's name: `FATURABOT_REPLICA_ID`, else the host's name.
/// Stable across restarts, so a replica that starts again settles what it
/// left in flight at once; it must differ between live replicas.
pub fn replica_id() -> String {
    let named = std::env::var("FATURABOT_REPLICA_ID")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok());
    named
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "replica".into())
}

/// The PostgreSQL store of this replica ([`replica_id`]).
pub async fn open(url: &str) -> Result<Store, StoreError> {
    open_as(url, &replica_id()).await
}

/// The PostgreSQL store of replica `replica`: connects, applies the
/// migrations, and says it is alive.
pub async fn open_as(url: &str, replica: &str) -> Result<Store, StoreError> {
    let pool = pool(url)?;
    let applied = migrations::migrate(&pool).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "database migrations applied");
    }
    let ledger = replica_ledger(&pool, replica);
    // Alive from the start: another replica's sweep leaves our payments be.
    ledger.heartbeat().await?;
    let inbox = sized_pool(url, INBOX_POOL_SIZE)?;
    Ok(store_of(pool, inbox, ledger, replica))
}

/// The store of this replica over `pool` (not migrated, not announced).
pub fn store(pool: Pool) -> Store {
    let replica = replica_id();
    let ledger = replica_ledger(&pool, &replica);
    store_of(pool.clone(), pool, ledger, &replica)
}

fn replica_ledger(pool: &Pool, replica: &str) -> Arc<ledger::PgLedger> {
    Arc::new(ledger::PgLedger {
        pool: pool.clone(),
        replica: replica.into(),
    })
}

fn store_of(pool: Pool, inbox: Pool, ledger: Arc<ledger::PgLedger>, replica: &str) -> Store {
    let inbox = Arc::new(inbox::PgInbox {
        pool: pool.clone(),
        leases: inbox,
        replica: replica.into(),
    });
    let backend = Arc::new(PgBackend {
        pool: pool.clone(),
        ledger: ledger.clone(),
        inbox: inbox.clone(),
    });
    Store {
        users: Arc::new(people::PgUsers { pool: pool.clone() }),
        invites: Arc::new(people::PgInvites { pool: pool.clone() }),
        menus: Arc::new(chats::PgMenus { pool: pool.clone() }),
        pins: Arc::new(pins::PgPins { pool: pool.clone() }),
        bills: Arc::new(bills::PgBills { pool: pool.clone() }),
        reminders: Arc::new(bills::PgReminders { pool: pool.clone() }),
        ledger,
        dialogue_states: Arc::new(chats::PgDialogues { pool }),
        backend,
        inbox: Some(inbox),
    }
}

/// How often a replica says it is alive, and sweeps.
const HEARTBEAT: Duration = Duration::from_secs(10);
const SWEEP: Duration = Duration::from_secs(60);

struct PgBackend {
    pool: Pool,
    ledger: Arc<ledger::PgLedger>,
    inbox: Arc<inbox::PgInbox>,
}

#[async_trait]
impl Backend for PgBackend {
    /// A committed transaction is on disk already.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The heartbeat, and once a minute the sweep of payments whose
    /// replica is gone and of the inbox's handled updates. A database that is away is retried at the next beat.
    async fn maintain(&self) {
        // Apart, so that a slow sweep never delays a heartbeat (other
        // replicas would take this one for dead).
        let beat = async {
            let mut beat = tokio::time::interval(HEARTBEAT);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                beat.tick().await;
                if let Err(e) = self.ledger.heartbeat().await {
                    tracing::warn!(error = %e, "replica heartbeat failed");
                }
            }
        };
        let sweep = async {
            let mut sweep = tokio::time::interval(SWEEP);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            sweep.tick().await;
            loop {
                sweep.tick().await;
                match self.ledger.sweep(chrono::Utc::now(), false).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        count = n,
                        "payments of a replica that is gone are now 'being checked'"
                    ),
                    Err(e) => tracing::warn!(error = %e, "sweep of abandoned payments failed"),
                }
                if let Err(e) = self.inbox.prune().await {
                    tracing::warn!(error = %e, "pruning the inbox failed");
                }
            }
        };
        tokio::join!(beat, sweep);
    }

    async fn retire(&self) {
        if let Err(e) = self.ledger.retire().await {
            tracing::warn!(error = %e, "could not retire this replica");
        }
    }

    async fn healthy(&self) -> bool {
        let check = async {
            let client = self.pool.get().await.map_err(pg)?;
            client.query_one("SELECT 1", &[]).await.map_err(pg)
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), check).await,
            Ok(Ok(_))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_password_never_shows() {
        let shown = redacted("postgres://bank:s3cret@db.internal:5432/faturabot");
        assert_eq!(shown, "postgres://bank:***@db.internal:5432/faturabot");
        assert!(!redacted("postgres://bank:s3cret@db").contains("s3cret"));
        assert_eq!(
            redacted("postgres://db/faturabot"),
            "postgres://db/faturabot"
        );
        assert!(!redacted("bank:s3cret@db").contains("s3cret"));
        let in_query = redacted("postgres://bank@db/faturabot?sslmode=require&password=s3cret");
        assert!(!in_query.contains("s3cret"), "{in_query}");
    }
}

#[cfg(test)]
mod replicas {
    use chrono::Utc;

    use super::{ledger::REPLICA_GONE_SECS, *};
    use crate::{
        payments::{Begin, PaymentState},
        storage::fixtures,
    };

    /// Two replicas on one database: a starting or sweeping replica never
    /// takes a payment another live replica makes; once that replica is
    /// gone (no heartbeat for a minute, by the database's clock), its
    /// payment in flight becomes "being checked".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_live_replicas_payment_is_never_swept() {
        let Some(url) = throwaway::database("replica sweep").await else {
            return;
        };
        let a = open_as(&url, "a").await.expect("replica a");
        let b = open_as(&url, "b").await.expect("replica b");
        let at = Utc::now();
        let started = a
            .ledger
            .begin(fixtures::record("a-pays", 7, "F1", at), None)
            .await;
        assert!(matches!(started, Ok(Begin::Started(_))));

        assert_eq!(b.ledger.settle_abandoned(at).await.expect("sweep"), 0);
        let paying = a
            .ledger
            .get(&fixtures::record("a-pays", 7, "F1", at).intent)
            .await;
        assert_eq!(
            paying.expect("get").map(|r| r.state),
            Some(PaymentState::InFlight)
        );
        // The periodic sweep of a live replica leaves its own payments be.
        let a_sweeps = replica_ledger(&pool(&url).expect("pool"), "a");
        assert_eq!(a_sweeps.sweep(at, false).await.expect("sweep"), 0);
        let paying = a
            .ledger
            .get(&fixtures::record("a-pays", 7, "F1", at).intent)
            .await;
        assert_eq!(
            paying.expect("get").map(|r| r.state),
            Some(PaymentState::InFlight)
        );

        // Replica a dies: its heartbeat ages past the limit.
        let pool = pool(&url).expect("pool");
        let client = pool.get().await.expect("client");
        let owner: String = client
            .query_one("SELECT owner FROM payments WHERE intent = 'a-pays'", &[])
            .await
            .expect("owner")
            .get(0);
        client
            .execute(
                "UPDATE replicas SET seen_at = now() - make_interval(secs => $2) WHERE id = $1",
                &[&owner, &((REPLICA_GONE_SECS + 5) as f64)],
            )
            .await
            .expect("age the heartbeat");
        assert_eq!(b.ledger.settle_abandoned(at).await.expect("sweep"), 1);
        let swept = b
            .ledger
            .get(&fixtures::record("a-pays", 7, "F1", at).intent)
            .await;
        assert_eq!(
            swept.expect("get").map(|r| r.state),
            Some(PaymentState::Unknown)
        );
    }

    /// A live replica's own sweep leaves its payments be; one that starts
    /// again under its name settles what its last run left in flight at
    /// once, without waiting for the heartbeat to age.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_replica_settles_its_own_at_once() {
        let Some(url) = throwaway::database("replica restart").await else {
            return;
        };
        let before = open_as(&url, "a").await.expect("replica a");
        let at = Utc::now();
        let r = fixtures::record("left", 7, "F1", at);
        assert!(matches!(
            before.ledger.begin(r.clone(), None).await,
            Ok(Begin::Started(_))
        ));
        let own_sweep = replica_ledger(&pool(&url).expect("pool"), "a");
        assert_eq!(own_sweep.sweep(at, false).await.expect("sweep"), 0);
        // One whose answer could not be recorded, in flight for ten minutes
        // on a live replica: swept by that replica itself.
        let stuck = fixtures::record("stuck", 7, "F2", at);
        assert!(matches!(
            before.ledger.begin(stuck.clone(), None).await,
            Ok(Begin::Started(_))
        ));
        let client = pool(&url).expect("pool").get().await.expect("client");
        client
            .execute(
                "UPDATE payments SET held_since = now() - interval '10 minutes' WHERE intent = 'stuck'",
                &[],
            )
            .await
            .expect("age it");
        assert_eq!(own_sweep.sweep(at, false).await.expect("sweep"), 1);
        let swept = before
            .ledger
            .get(&stuck.intent)
            .await
            .expect("get")
            .map(|r| r.state);
        assert_eq!(swept, Some(PaymentState::Unknown));
        let other = open_as(&url, "b").await.expect("replica b");
        assert_eq!(other.ledger.settle_abandoned(at).await.expect("start"), 0);
        let again = open_as(&url, "a").await.expect("replica a, again");
        assert_eq!(again.ledger.settle_abandoned(at).await.expect("start"), 1);
        let left = again
            .ledger
            .get(&r.intent)
            .await
            .expect("get")
            .map(|r| r.state);
        assert_eq!(left, Some(PaymentState::Unknown));
    }
}
