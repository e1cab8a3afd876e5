//! Everything behind the chat: the sandbox bank, the stand-in for Telegram
//! and the real bot, started with the demo user linked; and the data folder.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::Context as _;
use secrecy::SecretString;
use tokio::sync::broadcast;

use super::{BANK_TIMEOUT, DEMO_PIN, DEMO_USER_ID, SHUTDOWN_MAX, SLOW_DELAY, demo_account};
use crate::{
    bot::{
        App,
        launch::{self, Service, Settings},
    },
    clock::Clock,
    config::{BankConfig, ReceiptConfig},
    fakegram::{self, BotEvent, FakeTelegram, FakeUser},
    payments::TelegramUserId,
    sandbox::{RunningSandbox, Sandbox, SandboxConfig},
    storage::Store,
};

/// The language of the demo user's Telegram client, from the locale.
fn locale_language() -> &'static str {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("tr") {
        "tr"
    } else {
        "en"
    }
}

/// When `faturabot run`'s reminder run starts each day by default
/// (Europe/Istanbul), as the demo tells it.
pub(super) fn reminder_time() -> chrono::NaiveTime {
    crate::config::default_reminder_time()
}

/// The demo's daily time: the day's last instant, so reminders run when
/// `/remindnow` asks and (practically) never by themselves: no run at start
/// checks the saved bills of a kept `FATURABOT_DATA_DIR` for the day before
/// the person asks, and none comes unasked in the middle of a payment.
fn not_by_itself() -> chrono::NaiveTime {
    chrono::NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap_or(chrono::NaiveTime::MIN)
}

/// Where the database lives, and whether to remove it at the end.
pub(super) struct DataDir {
    pub(super) path: PathBuf,
    pub(super) temporary: bool,
}

impl DataDir {
    pub(super) fn choose() -> anyhow::Result<DataDir> {
        if let Some(dir) = std::env::var_os("FATURABOT_DATA_DIR").filter(|d| !d.is_empty()) {
            let path = PathBuf::from(dir);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating FATURABOT_DATA_DIR {}", path.display()))?;
            return Ok(DataDir {
                path,
                temporary: false,
            });
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("faturabot-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("creating a temporary folder {}", path.display()))?;
        Ok(DataDir {
            path,
            temporary: true,
        })
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Everything running behind the chat.
pub(super) struct World {
    pub(super) tg: FakeTelegram,
    /// Kept alive as long as the bot runs.
    pub(super) _sandbox: RunningSandbox,
    pub(super) store: Store,
    /// The bot's shared state: its store, bank and reminder trigger.
    pub(super) app: Arc<App>,
    pub(super) user: FakeUser,
    /// Sent to stop the bot gracefully.
    pub(super) shutdown: tokio::sync::oneshot::Sender<()>,
    pub(super) bot_task: tokio::task::JoinHandle<()>,
}

pub(super) async fn start_world(
    data: &DataDir,
) -> anyhow::Result<(World, broadcast::Receiver<BotEvent>)> {
    let tg = FakeTelegram::start()
        .await
        .context("starting the stand-in for Telegram")?;
    let sandbox = Sandbox::new(SandboxConfig {
        slow_delay: SLOW_DELAY,
        ..SandboxConfig::default()
    })
    .spawn()
    .await
    .context("starting the sandbox bank")?;
    let url: url::Url = sandbox.url.parse().context("sandbox URL")?;
    let store = Store::open(&data.path)
        .with_context(|| format!("opening the database in {}", data.path.display()))?;
    let settings = Settings {
        token: SecretString::from(fakegram::TOKEN),
        api_url: Some(tg.api_url()),
        store: store.clone(),
        bank: BankConfig {
            url: url.clone(),
            subscription_key: SecretString::from("demo"),
            channel: "DEMO".into(),
            app_key: SecretString::from("demo"),
            dealer_code: String::new(),
            sub_dealer_code: String::new(),
            timeout: BANK_TIMEOUT,
        },
        receipt: ReceiptConfig {
            url,
            api_key: SecretString::from("demo"),
            secret_key: SecretString::from("demo"),
            timeout: BANK_TIMEOUT,
        },
        agents: [DEMO_USER_ID].into_iter().collect(),
        catalog_ttl: Duration::from_secs(600),
        clock: Clock::system(),
        limits: launch::telegram_limits(crate::config::DEFAULT_SEND_RATE),
        webhook: None,
        metrics_listen: None,
        drain: SHUTDOWN_MAX,
        replicated: false,
        pin: crate::bot::pin::PinMode::Required,
        daily_limit: None,
        // When `/remindnow` asks.
        reminders: Some(crate::bot::reminders::Schedule {
            at: not_by_itself(),
            days_before: crate::config::DEFAULT_REMINDER_DAYS_BEFORE,
            per_second: crate::config::DEFAULT_REMINDER_RATE,
            send_rate: crate::config::DEFAULT_SEND_RATE,
        }),
    };
    let service = Service::build(settings).await?;

    let user = FakeUser::new(DEMO_USER_ID, "Demo").language(locale_language());
    tg.register(&user);
    // Link the account as an invite link would, without typing.
    let app = service.app().clone();
    let token = app
        .store
        .invites
        .create(
            demo_account(),
            TelegramUserId(DEMO_USER_ID),
            app.clock.now(),
        )
        .await
        .context("creating the demo invite")?;
    // The demo's PIN is chosen already, and told in the introduction.
    let pin = crate::payments::Pin::parse(DEMO_PIN).context("the demo PIN")?;
    app.payments
        .choose_pin(TelegramUserId(DEMO_USER_ID), &pin)
        .await
        .context("choosing the demo PIN")?;

    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
    // Subscribed before anything is sent: no reply is missed.
    let events = tg.subscribe();
    let bot_task = tokio::spawn(async move {
        let stop = async {
            let _ = stop.await;
        };
        if let Err(e) = service.run(stop).await {
            tracing::warn!(error = %format!("{e:#}"), "the demo bot stopped badly");
        }
    });
    tg.send_text(&user, &format!("/start {token}"));
    Ok((
        World {
            tg,
            _sandbox: sandbox,
            store,
            app,
            user,
            shutdown,
            bot_task,
        },
        events,
    ))
}
