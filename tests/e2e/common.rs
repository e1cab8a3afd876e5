//! The end-to-end harness: the real dispatcher and sled storage, pointed at
//! the fake Telegram Bot API over HTTP and at the sandbox bank.
//!
//! - [`chat`]: sending, pressing and waiting, as a user.
//! - [`locale`]: the bot's wording by locale key ([`Key`]).
//! - [`flows`]: linking, the way to the invoices, the binary.
//! - [`pin`]: the PIN keypad, digit by digit.
//! - [`bills`]: paying and saving a bill, `/bills`, bills seeded in the store.
//! - [`reminders`]: one clock for the bot and the bank, a reminder run
//!   asked for and waited on, reminders per chat, many bills seeded.

mod bills;
mod chat;
mod flows;
mod locale;
mod pin;
mod reminders;
mod stats;

pub use bills::{iski_bill, linked_account, save_data};
pub use chat::{action_data, labelled};
pub use flows::{
    page_turn, pay_and_wait_for_the_bank, spawn_bot, to_invoices, to_subscriber_prompt,
};
pub use locale::{Key, filled, needle, read, words};
pub use pin::{PIN, confirm_data};
pub use reminders::{
    Told, bounded, day, istanbul, join_all_within, link_in, reminder_pay_data, schedule,
};
pub use stats::percentiles;

use std::{
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use faturabot::{
    bot::App,
    bot::launch::{Service, Settings},
    bot::pin::PinMode,
    bot::reminders::Schedule,
    clock::Clock,
    config::{BankConfig, ReceiptConfig, WebhookConfig},
    fakegram::{FakeTelegram, FakeUser, TOKEN},
    money::Amount,
    sandbox::{RunningSandbox, Sandbox, SandboxConfig},
    storage::Store,
};
use secrecy::SecretString;
use teloxide::adaptors::throttle::Limits;

pub const WAIT: Duration = Duration::from_secs(10);
pub const AGENT_ID: u64 = 900_001;
/// The webhook secret of the harness's replicated mode.
pub const WEBHOOK_SECRET: &str = "harness-webhook-secret";

/// The sandbox's İSKİ, as its buttons show it and in full.
pub const ISKI: &str = "İSKİ İSTANBUL";
pub const ISKI_NAME: &str = "İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ";
/// The bank's label of İSKİ's one field.
pub const SUBSCRIBER_FIELD: &str = "Abone Numarası";

/// A folder under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "faturabot-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A clock the test can move.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<Option<DateTime<Utc>>>>);

impl TestClock {
    pub fn clock(&self) -> Clock {
        let at = self.0.clone();
        Clock::from_fn(move || {
            at.lock()
                .map(|t| t.unwrap_or_else(Utc::now))
                .unwrap_or_else(|_| Utc::now())
        })
    }
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = Some(at);
        }
    }
}

pub struct Harness {
    pub tg: FakeTelegram,
    pub sandbox: RunningSandbox,
    pub dir: TempDir,
    /// The PostgreSQL database of this test, in the `e2e_postgres` binary;
    /// `None`: sled in `dir`.
    pub database: Option<String>,
    pub clock: TestClock,
    bot_task: Option<tokio::task::JoinHandle<()>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub bank_timeout: Duration,
    /// Telegram user ids of agents, for the next `launch`.
    pub agents: Vec<u64>,
    /// The bot's send limits, for the next `launch`: generous by default,
    /// so tests are not paced like a real chat.
    pub limits: Limits,
    /// How long `say`, `press` and `expect` wait for the bot.
    pub wait: Duration,
    /// Whether payments take a PIN ([`PIN_MODE`] unless a test says).
    pub pin: PinMode,
    /// `FATURABOT_DAILY_LIMIT` for the next `launch`; none by default.
    pub daily_limit: Option<Amount>,
    /// The reminder run of the next `launch`; off by default.
    pub reminders: Option<Schedule>,
    /// The running bot's [`App`] (its store, metrics and reminder
    /// trigger); `None` while it is stopped, so sled's lock goes with it.
    app: Option<Arc<App>>,
}

/// Send limits that never pace a test.
pub const FAST_LIMITS: Limits = Limits {
    messages_per_sec_chat: 100,
    messages_per_min_chat: 6000,
    messages_per_min_channel_or_supergroup: 6000,
    messages_per_sec_overall: 1000,
};

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(Duration::from_secs(2)).await
    }

    pub async fn start_with(bank_timeout: Duration) -> Harness {
        let mut h = Harness::without_bot(bank_timeout).await;
        h.launch().await;
        h
    }

    /// The fake Telegram and the sandbox only: for running the real binary.
    pub async fn without_bot(bank_timeout: Duration) -> Harness {
        Harness::with_bank_latency(bank_timeout, Duration::ZERO).await
    }

    /// `without_bot`, with a bank that takes `latency` over every answer.
    pub async fn with_bank_latency(bank_timeout: Duration, latency: Duration) -> Harness {
        let tg = FakeTelegram::start().await.expect("fake telegram");
        let sandbox = Sandbox::new(SandboxConfig {
            subscription_key: Some("sub-key".into()),
            channel: Some("TG".into()),
            app_key: Some("app-key".into()),
            receipt_api_key: Some("api-key".into()),
            receipt_secret_key: Some("secret-key".into()),
            slow_delay: bank_timeout + Duration::from_secs(1),
            latency,
        })
        .spawn()
        .await
        .expect("sandbox");
        Harness {
            tg,
            sandbox,
            dir: TempDir::new(),
            database: backend_database().await,
            clock: TestClock(Arc::new(Mutex::new(None))),
            bot_task: None,
            shutdown: None,
            bank_timeout,
            agents: vec![AGENT_ID],
            limits: FAST_LIMITS,
            wait: WAIT,
            pin: PIN_MODE,
            daily_limit: None,
            reminders: None,
            app: None,
        }
    }

    /// The environment for `faturabot run` against this harness.
    pub fn binary_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TELOXIDE_TOKEN", TOKEN.to_owned()),
            ("TELOXIDE_API_URL", self.tg.api_url().to_string()),
            ("FATURABOT_DATA_DIR", self.dir.0.display().to_string()),
            (
                "FATURABOT_DATABASE_URL",
                self.database.clone().unwrap_or_default(),
            ),
            ("FATURABOT_BANK_URL", self.sandbox.url.clone()),
            ("FATURABOT_BANK_SUBSCRIPTION_KEY", "sub-key".into()),
            ("FATURABOT_BANK_CHANNEL", "TG".into()),
            ("FATURABOT_BANK_APP_KEY", "app-key".into()),
            ("FATURABOT_RECEIPT_URL", self.sandbox.url.clone()),
            ("FATURABOT_RECEIPT_API_KEY", "api-key".into()),
            ("FATURABOT_RECEIPT_SECRET_KEY", "secret-key".into()),
            ("FATURABOT_AGENTS", AGENT_ID.to_string()),
            (
                "FATURABOT_PAYMENT_PIN",
                match self.pin {
                    PinMode::Required => "required",
                    PinMode::Off => "off",
                }
                .into(),
            ),
            ("RUST_LOG", "debug".into()),
        ]
    }

    /// Starts the bot (the product's composition root) on the harness's
    /// data dir.
    pub async fn launch(&mut self) {
        let url: url::Url = self.sandbox.url.parse().unwrap();
        let store = self.open_store().await;
        let settings = Settings {
            token: SecretString::from(TOKEN),
            api_url: Some(self.tg.api_url()),
            store,
            bank: BankConfig {
                url: url.clone(),
                subscription_key: SecretString::from("sub-key"),
                channel: "TG".into(),
                app_key: SecretString::from("app-key"),
                dealer_code: String::new(),
                sub_dealer_code: String::new(),
                timeout: self.bank_timeout,
            },
            receipt: ReceiptConfig {
                url,
                api_key: SecretString::from("api-key"),
                secret_key: SecretString::from("secret-key"),
                timeout: self.bank_timeout,
            },
            agents: self.agents.iter().copied().collect(),
            catalog_ttl: Duration::from_secs(600),
            clock: self.clock.clock(),
            limits: self.limits,
            webhook: self.replicated_webhook().await,
            metrics_listen: None,
            drain: Duration::from_secs(30),
            replicated: self.database.is_some(),
            pin: self.pin,
            daily_limit: self.daily_limit,
            reminders: self.reminders,
        };
        let service = Service::build(settings).await.expect("the bot builds");
        self.app = Some(service.app().clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.shutdown = Some(stop);
        self.bot_task = Some(tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            service.run(shutdown).await.expect("the bot runs");
        }));
    }

    /// On PostgreSQL the bot runs as one of several replicas would: in
    /// webhook mode, updates through the inbox. The fake POSTs them to a
    /// fresh port, registered as `faturabot webhook set` would.
    async fn replicated_webhook(&self) -> Option<WebhookConfig> {
        self.database.as_ref()?;
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let url: url::Url = format!("http://{listen}/telegram").parse().expect("url");
        use teloxide::{payloads::SetWebhookSetters as _, prelude::Requester as _};
        self.tg
            .bot()
            .set_webhook(url.clone())
            .secret_token(WEBHOOK_SECRET.to_owned())
            .await
            .expect("setWebhook");
        Some(WebhookConfig {
            url,
            listen,
            secret: Some(SecretString::from(WEBHOOK_SECRET)),
        })
    }

    /// Stops the bot as a crash would (no graceful shutdown), then starts
    /// a new one on the same data dir.
    pub async fn crash_and_restart(&mut self) {
        self.crash().await;
        self.launch().await;
    }

    /// Stops the bot as a crash would; `launch` starts it again.
    pub async fn crash(&mut self) {
        if let Some(task) = self.bot_task.take() {
            task.abort();
            let _ = task.await;
        }
        self.shutdown = None;
        self.app = None;
        // Let sled's file lock go with the last reference.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    pub fn customer(&self, id: u64, lang: &str) -> FakeUser {
        let u = FakeUser::new(id, format!("Müşteri {id}")).language(lang);
        self.tg.register(&u);
        u
    }

    pub fn agent(&self) -> FakeUser {
        let u = FakeUser::new(AGENT_ID, "Ajan").language("tr");
        self.tg.register(&u);
        u
    }

    /// An agent with this id (one of [`Harness::agents`] to be obeyed).
    pub fn agent_with_id(&self, id: u64) -> FakeUser {
        let u = FakeUser::new(id, format!("Ajan {id}")).language("tr");
        self.tg.register(&u);
        u
    }

    pub fn bank_violations(&self) -> Vec<String> {
        self.sandbox.sandbox.violations()
    }
}

/// The store in `dir`, once the bot that had it (stopped as a crash
/// would) has let go: sled keeps its file lock until its own threads end.
/// Whether this binary runs the suite on PostgreSQL (`e2e_postgres`: the
/// same sources as `e2e`, built twice).
pub const POSTGRES: bool = matches!(env!("CARGO_CRATE_NAME").as_bytes(), b"e2e_postgres");

/// Whether this binary runs the suite with `FATURABOT_PAYMENT_PIN=off`
/// (`e2e_pin_off`); the others choose and type a PIN, as customers do.
pub const PIN_OFF: bool = matches!(env!("CARGO_CRATE_NAME").as_bytes(), b"e2e_pin_off");

/// The PIN mode of this binary's harnesses.
pub const PIN_MODE: PinMode = if PIN_OFF {
    PinMode::Off
} else {
    PinMode::Required
};

/// A fresh database for a harness of the `e2e_postgres` binary. Without a
/// server (outside CI) the test says so and runs on sled.
pub async fn backend_database() -> Option<String> {
    if !POSTGRES {
        return None;
    }
    faturabot::storage::postgres::throwaway::database("an e2e test").await
}

/// A store on this binary's backend, for tests of storage under load.
pub async fn fresh_store(dir: &std::path::Path) -> Store {
    match backend_database().await {
        Some(url) => faturabot::storage::postgres::open(&url)
            .await
            .expect("the test database"),
        None => open_store(dir).await,
    }
}

impl Harness {
    /// The harness's store: its database, or the sled folder (once the bot
    /// that had it has let go).
    pub async fn open_store(&self) -> Store {
        match &self.database {
            Some(url) => faturabot::storage::postgres::open(url)
                .await
                .expect("the test database"),
            None => open_store(&self.dir.0).await,
        }
    }
}

pub async fn open_store(dir: &std::path::Path) -> Store {
    let mut tries = 0;
    loop {
        match Store::open(dir) {
            Ok(store) => return store,
            Err(e) if tries < 50 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the database stays locked: {e}"),
        }
    }
}

/// The QR code in a PNG, decoded (exactly one code expected).
pub fn decode_qr(png: &[u8]) -> String {
    faturabot::receipt::decode_qr(png).expect("a QR code in the image")
}
