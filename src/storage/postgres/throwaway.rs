//! A PostgreSQL server for tests: `FATURABOT_TEST_DATABASE_URL` when set,
//! else a throw-away cluster started once per test binary from Debian's
//! `postgresql` (`/usr/lib/postgresql/*/bin`), run as the `postgres` user
//! when we are root (the server refuses root), on a free port, in a folder
//! that user owns. Each test gets a database of its own.
//!
//! In the product crate because the unit tests (the storage contract) and
//! the integration tests both use it. A watcher process stops the cluster
//! and removes its folder once the test binary has exited.
//!
//! Without a server the tests say they were skipped; under `CI=true` a
//! skip is a failure.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

use super::pg;
use crate::payments::StoreError;

/// Where tests find their server.
pub struct Server {
    /// A URL of the server's `postgres` database, to create others from.
    admin: String,
    next: AtomicU32,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The server of this test binary, started on first use (blocking).
pub fn server() -> Result<&'static Server, String> {
    SERVER
        .get_or_init(|| match std::env::var("FATURABOT_TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Ok(Server {
                admin: url,
                next: AtomicU32::new(0),
            }),
            _ => start_cluster(),
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A fresh, empty database for one test, or `None` (said on stderr) when
/// no server can be had. Under `CI=true` that is a failure.
pub async fn database(test: &str) -> Option<String> {
    let found = tokio::task::spawn_blocking(server).await;
    let server = match found {
        Ok(Ok(server)) => server,
        Ok(Err(why)) => return skipped(test, &why),
        Err(e) => return skipped(test, &e.to_string()),
    };
    match server.fresh().await {
        Ok(url) => Some(url),
        Err(e) => skipped(test, &e.to_string()),
    }
}

fn skipped(test: &str, why: &str) -> Option<String> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: needs PostgreSQL, and under CI=true a skip is a failure: {why}");
    }
    eprintln!("skipped {test}: no PostgreSQL server ({why})");
    None
}

impl Server {
    async fn fresh(&self) -> Result<String, StoreError> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let name = format!("faturabot_test_{}_{n}", std::process::id());
        let (client, connection) = tokio_postgres::connect(&self.admin, tokio_postgres::NoTls)
            .await
            .map_err(pg)?;
        let task = tokio::spawn(connection);
        let mut created = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await;
        if created.is_ok() {
            created = client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await;
        }
        drop(client);
        let _ = task.await;
        created.map_err(pg)?;
        let mut url = url::Url::parse(&self.admin).map_err(pg)?;
        url.set_path(&name);
        Ok(url.to_string())
    }
}

fn bin_dir() -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("/usr/lib/postgresql: {e} (apt-get install postgresql)"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program` with `args`, as the `postgres` user when we are root.
fn as_server_user(root: bool, program: &Path, args: &[&str]) -> Command {
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).stdin(Stdio::null());
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Err(format!("{what} failed: {}", err.trim()))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn start_cluster() -> Result<Server, String> {
    let cluster = Cluster::start("shared")?;
    let admin = cluster.url("postgres");
    // The shared cluster lives as long as the test binary (its watcher
    // stops it then).
    std::mem::forget(cluster);
    Ok(Server {
        admin,
        next: AtomicU32::new(0),
    })
}

/// A cluster of one test's own, which it may stop and start again (a
/// database that goes away during a run). Stopped when dropped.
pub struct Cluster {
    bin: PathBuf,
    root: bool,
    data: String,
    options: String,
    log: String,
    port: u16,
}

impl Cluster {
    /// Starts a new cluster (blocking: call it off the async workers).
    pub fn start(name: &str) -> Result<Cluster, String> {
        let bin = bin_dir()?;
        let root = is_root();
        let dir = std::env::temp_dir().join(format!("faturabot-pg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if root {
            let mut chown = Command::new("chown");
            chown.args(["postgres:postgres"]).arg(&dir);
            run(chown, "chown")?;
        }
        let data = dir.join("data").to_string_lossy().into_owned();
        let dir_s = dir.to_string_lossy().into_owned();
        let initdb = [
            "-D",
            &data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ];
        run(as_server_user(root, &bin.join("initdb"), &initdb), "initdb")?;
        let log = dir.join("server.log").to_string_lossy().into_owned();
        // A port found free may be taken before the server binds it (other
        // test binaries start clusters too): then another one.
        let mut tries = 0;
        let cluster = loop {
            let port = free_port()?;
            let options = format!(
                "-p {port} -k {dir_s} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            );
            let cluster = Cluster {
                bin: bin.clone(),
                root,
                data: data.clone(),
                options,
                log: log.clone(),
                port,
            };
            match cluster.resume() {
                Ok(()) => break cluster,
                Err(e) if tries >= 3 => {
                    let _ = std::fs::remove_dir_all(&dir);
                    std::mem::forget(cluster);
                    return Err(e);
                }
                Err(_) => {
                    tries += 1;
                    std::mem::forget(cluster);
                }
            }
        };
        watch(root, &cluster.bin, &cluster.data, &dir_s);
        Ok(cluster)
    }

    /// A URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The server goes away (fast shutdown: connections are cut).
    pub fn stop(&self) -> Result<(), String> {
        let args = ["-D", self.data.as_str(), "-m", "fast", "-w", "stop"];
        run(
            as_server_user(self.root, &self.bin.join("pg_ctl"), &args),
            "pg_ctl stop",
        )
    }

    /// The server comes back, on the same port.
    pub fn resume(&self) -> Result<(), String> {
        let args = [
            "-D",
            self.data.as_str(),
            "-o",
            self.options.as_str(),
            "-l",
            self.log.as_str(),
            "-w",
            "-t",
            "30",
            "start",
        ];
        run(
            as_server_user(self.root, &self.bin.join("pg_ctl"), &args),
            "pg_ctl start",
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Stops the cluster and removes its folder once this process is gone.
fn watch(root: bool, bin: &Path, data: &str, dir: &str) {
    let pg_ctl = bin.join("pg_ctl").to_string_lossy().into_owned();
    let stop = if root {
        format!("runuser -u postgres -- {pg_ctl} -D {data} stop -m immediate")
    } else {
        format!("{pg_ctl} -D {data} stop -m immediate")
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id()
    );
    let spawned = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("the test cluster in {dir} will outlive the tests: {e}");
    }
}
