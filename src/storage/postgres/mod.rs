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
//! - `chats`: dialogue states and menus.

mod chats;
mod ledger;
pub mod migrations;
mod people;
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
            u.to_string()
        }
        _ => "(not a postgres:// URL)".into(),
    }
}

/// A pool for `url` (`postgres://user:password@host:port/db?sslmode=…`).
/// TLS with the web's root certificates when `sslmode` asks for it.
pub fn pool(url: &str) -> Result<Pool, StoreError> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|_| StoreError::Backend("not a PostgreSQL connection URL".into()))?;
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
        .max_size(POOL_SIZE)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(WAIT))
        .create_timeout(Some(WAIT))
        .recycle_timeout(Some(WAIT))
        .build()
        .map_err(pg)
}

/// The PostgreSQL store: connects, applies the migrations, and checks.
pub async fn open(url: &str) -> Result<Store, StoreError> {
    let pool = pool(url)?;
    let applied = migrations::migrate(&pool).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "database migrations applied");
    }
    Ok(store(pool))
}

pub fn store(pool: Pool) -> Store {
    let backend = Arc::new(PgBackend { pool: pool.clone() });
    Store {
        users: Arc::new(people::PgUsers { pool: pool.clone() }),
        invites: Arc::new(people::PgInvites { pool: pool.clone() }),
        menus: Arc::new(chats::PgMenus { pool: pool.clone() }),
        ledger: Arc::new(ledger::PgLedger { pool: pool.clone() }),
        dialogue_states: Arc::new(chats::PgDialogues { pool }),
        backend,
    }
}

struct PgBackend {
    pool: Pool,
}

#[async_trait]
impl Backend for PgBackend {
    /// A committed transaction is on disk already.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
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
    }
}
