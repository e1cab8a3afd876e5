//! The end-to-end harness: the real dispatcher and sled storage, pointed at
//! the fake Telegram Bot API over HTTP and at the sandbox bank.

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
    bot::{
        callbacks::{Action, CallbackData},
        launch::{Service, Settings},
    },
    clock::Clock,
    config::{BankConfig, ReceiptConfig},
    fakegram::{BotMessage, FakeTelegram, FakeUser, TOKEN},
    i18n::{I18n, Lang},
    sandbox::{RunningSandbox, Sandbox, SandboxConfig},
    storage::Store,
};
use secrecy::SecretString;
use teloxide::adaptors::throttle::Limits;

pub const WAIT: Duration = Duration::from_secs(10);
pub const AGENT_ID: u64 = 900_001;

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
            clock: TestClock(Arc::new(Mutex::new(None))),
            bot_task: None,
            shutdown: None,
            bank_timeout,
            agents: vec![AGENT_ID],
            limits: FAST_LIMITS,
            wait: WAIT,
        }
    }

    /// The environment for `faturabot run` against this harness.
    pub fn binary_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TELOXIDE_TOKEN", TOKEN.to_owned()),
            ("TELOXIDE_API_URL", self.tg.api_url().to_string()),
            ("FATURABOT_DATA_DIR", self.dir.0.display().to_string()),
            ("FATURABOT_BANK_URL", self.sandbox.url.clone()),
            ("FATURABOT_BANK_SUBSCRIPTION_KEY", "sub-key".into()),
            ("FATURABOT_BANK_CHANNEL", "TG".into()),
            ("FATURABOT_BANK_APP_KEY", "app-key".into()),
            ("FATURABOT_RECEIPT_URL", self.sandbox.url.clone()),
            ("FATURABOT_RECEIPT_API_KEY", "api-key".into()),
            ("FATURABOT_RECEIPT_SECRET_KEY", "secret-key".into()),
            ("FATURABOT_AGENTS", AGENT_ID.to_string()),
            ("RUST_LOG", "debug".into()),
        ]
    }

    /// Starts the bot (the product's composition root) on the harness's
    /// data dir.
    pub async fn launch(&mut self) {
        let url: url::Url = self.sandbox.url.parse().unwrap();
        let store = open_store(&self.dir.0).await;
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
            webhook: None,
            metrics_listen: None,
            drain: Duration::from_secs(30),
        };
        let service = Service::build(settings).await.expect("the bot builds");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.shutdown = Some(stop);
        self.bot_task = Some(tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            service.run(shutdown).await.expect("the bot runs");
        }));
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

    /// Sends `text` as `user` and waits for a bot message matching `want`.
    pub async fn say(&self, user: &FakeUser, text: &str, want: &str) -> BotMessage {
        let before = self
            .tg
            .chat(user.chat_id())
            .iter()
            .map(|m| m.message_id)
            .max()
            .unwrap_or(0);
        self.tg.send_text(user, text);
        self.expect_new(user, before, want).await
    }

    /// Presses the button whose text contains `button` on `msg`, and waits
    /// for a message (new or edited) containing `want`.
    pub async fn press(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        button: &str,
        want: &str,
    ) -> BotMessage {
        let b = msg
            .button(button)
            .unwrap_or_else(|| panic!("no button {button:?} in {:?}", msg.buttons))
            .clone();
        let data = b.callback_data.clone().expect("a callback button");
        self.tg.press(user, msg.message_id, &data);
        self.expect(user, want).await
    }

    /// Sends `text` and waits for a new message showing locale text `key`.
    pub async fn say_key(&self, user: &FakeUser, text: &str, key: &str) -> BotMessage {
        self.say(user, text, &needle(user, key)).await
    }

    /// Presses the button whose text contains `button` (a name from the
    /// bank, an amount) and waits for locale text `key`.
    pub async fn press_key(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        button: &str,
        key: &str,
    ) -> BotMessage {
        self.press(user, msg, button, &needle(user, key)).await
    }

    /// Presses the dialogue button of `msg` that does `action`, and waits
    /// for locale text `key`.
    pub async fn press_action(
        &self,
        user: &FakeUser,
        msg: &BotMessage,
        action: Action,
        key: &str,
    ) -> BotMessage {
        let data = msg
            .all_buttons()
            .filter_map(|b| b.callback_data.clone())
            .find(|d| {
                matches!(CallbackData::decode(d), Some(CallbackData::Dialogue(_, a)) if a == action)
            })
            .unwrap_or_else(|| panic!("no {action:?} button in {:?}", msg.buttons));
        self.tg.press(user, msg.message_id, &data);
        self.expect(user, &needle(user, key)).await
    }

    /// Waits for a message in the user's chat containing `want`.
    pub async fn expect(&self, user: &FakeUser, want: &str) -> BotMessage {
        let want_owned = want.to_owned();
        self.tg
            .wait_for_message(
                user.chat_id(),
                move |m| m.plain().contains(&want_owned),
                self.wait,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no message with {want:?}; chat: {:#?}",
                    self.transcript(user)
                )
            })
    }

    async fn expect_new(&self, user: &FakeUser, after: i32, want: &str) -> BotMessage {
        let want_owned = want.to_owned();
        self.tg
            .wait_for_message(
                user.chat_id(),
                move |m| m.message_id > after && m.plain().contains(&want_owned),
                self.wait,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no new message with {want:?}; chat: {:#?}",
                    self.transcript(user)
                )
            })
    }

    pub fn transcript(&self, user: &FakeUser) -> Vec<String> {
        self.tg
            .chat(user.chat_id())
            .iter()
            .map(|m| {
                let buttons: Vec<String> = m.all_buttons().map(|b| b.text.clone()).collect();
                format!("#{} {} {:?}", m.message_id, m.plain(), buttons)
            })
            .collect()
    }

    /// Agent invites, customer opens the link: the customer is linked to
    /// account 3488017/9142/357.
    pub async fn link(&self, customer: &FakeUser) {
        let agent = self.agent();
        self.link_via(&agent, customer).await;
    }

    /// An agent with this id (one of [`Harness::agents`] to be obeyed).
    pub fn agent_with_id(&self, id: u64) -> FakeUser {
        let u = FakeUser::new(id, format!("Ajan {id}")).language("tr");
        self.tg.register(&u);
        u
    }

    /// `link` through the given agent.
    pub async fn link_via(&self, agent: &FakeUser, customer: &FakeUser) {
        let invite = self.say(agent, "/invite 3488017 9142 357", "start=").await;
        let text = invite.plain();
        let token = text
            .split("start=")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .expect("a token in the link")
            .to_owned();
        self.say_key(customer, &format!("/start {token}"), "link.done")
            .await;
    }

    pub fn bank_violations(&self) -> Vec<String> {
        self.sandbox.sandbox.violations()
    }
}

/// `faturabot run` against this harness, with `extra` variables on top
/// and its log in the file `log` (a pipe nobody reads could fill up).
pub fn spawn_bot(
    h: &Harness,
    extra: &[(&str, String)],
    log: &std::path::Path,
) -> std::process::Child {
    let file = std::fs::File::create(log).expect("log file");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_faturabot"));
    cmd.arg("run")
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(file);
    for (k, v) in h.binary_env() {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("binary starts")
}

/// Presses the pay button of `confirm` and waits until the bank has the
/// `InvoicePayment` call; returns the button's data, to press it again.
pub async fn pay_and_wait_for_the_bank(
    h: &Harness,
    user: &FakeUser,
    confirm: &BotMessage,
) -> String {
    let data = confirm
        .all_buttons()
        .filter_map(|b| b.callback_data.clone())
        .find(|d| {
            matches!(
                CallbackData::decode(d),
                Some(CallbackData::Dialogue(_, Action::Confirm))
            )
        })
        .expect("a pay button");
    h.tg.press(user, confirm.message_id, &data);
    let deadline = std::time::Instant::now() + WAIT;
    while h.sandbox.sandbox.calls("InvoicePayment") == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "the call is in flight"
    );
    data
}

/// The words of locale text `key` that a user sees whatever fills it in:
/// its longest piece between placeholders, without HTML tags. Tests wait
/// for these instead of copying the wording.
pub fn needle(user: &FakeUser, key: &str) -> String {
    static TEXTS: std::sync::OnceLock<I18n> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| I18n::load().expect("locales"));
    let lang = Lang::from_code(user.language_code.as_deref());
    let template = texts.get(lang, key);
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pieces.push(&rest[..open]);
        rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
    }
    pieces.push(rest);
    pieces
        .into_iter()
        .map(|p| strip_tags(p).trim().to_owned())
        .max_by_key(|p| p.chars().count())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| panic!("{key} has no fixed words to wait for"))
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The store in `dir`, once the bot that had it (stopped as a crash
/// would) has let go: sled keeps its file lock until its own threads end.
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

/// A Turkish customer's /pay → SU → "iski" → İSKİ İSTANBUL → `subscriber`:
/// the first message after the subscriber number (the invoices, or the
/// bank's answer).
pub async fn to_invoices(h: &Harness, user: &FakeUser, subscriber: &str) -> BotMessage {
    let groups = h.say_key(user, "/pay", "pay.choose_group").await;
    h.press_key(user, &groups, "SU", "pay.choose_institution")
        .await;
    let found = h.say_key(user, "iski", "pay.filter_some").await;
    // `iski` finds İSKİ (and DİSKİ, TİSKİ: Turkish-aware, by substring).
    assert!(
        found.button("İSKİ İSTANBUL").is_some(),
        "{:?}",
        found.buttons
    );
    h.press_key(user, &found, "İSKİ İSTANBUL", "pay.enter_field")
        .await;
    h.say(user, subscriber, "").await
}
