//! The benchmark (not run by default):
//!
//! `cargo test --release --test e2e -- --ignored --nocapture bench_`
//!
//! It drives the real release binary (`faturabot run`, a process of its
//! own, so its peak RSS is the bot's alone) against the fake Bot API and
//! the sandbox bank in this process. Knobs (environment):
//! BENCH_USERS, BENCH_TAPS (page turns per user), BENCH_BANK_LATENCY_MS,
//! BENCH_DIALOGUES (stored dialogues before start), BENCH_SEND_RATE.

use std::{collections::HashMap, process::Child, sync::Mutex};

use faturabot::{bot::pin::PinMode, fakegram::BotEvent};

use super::*;
use common::{ISKI, SUBSCRIBER_FIELD, filled, page_turn, percentiles};

pub fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Users `first..first + n` linked, and `dialogues` other chats with a
/// stored dialogue, written before the bot starts.
pub async fn prepopulate(h: &Harness, first: u64, n: u64, dialogues: u64) {
    let store = h.open_store().await;
    let stored = store.dialogues::<State>();
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let store = store.clone();
        tasks.spawn(async move {
            let user = TelegramUserId(first + i);
            let now = chrono::Utc::now();
            let invites = &store.invites;
            let token = invites.create(account(), user, now).await.expect("invite");
            invites
                .redeem(&token, user, Lang::Tr, now)
                .await
                .expect("user");
        });
    }
    join_all(tasks).await;
    for chunk in (0..dialogues).collect::<Vec<_>>().chunks(1000) {
        let mut tasks = JoinSet::new();
        for &k in chunk {
            let stored = stored.clone();
            tasks.spawn(async move {
                Storage::<State>::update_dialogue(
                    stored,
                    ChatId(800_000_000 + k as i64),
                    State::Idle,
                )
                .await
                .expect("dialogue");
            });
        }
        join_all(tasks).await;
    }
    store.flush().await.expect("flush");
    drop(stored);
    drop(store);
    // sled lets its file lock go with the last reference.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// `BENCH_REPLICAS` (default 1) `faturabot run` processes as replicas do
/// on PostgreSQL: webhook mode, the fake POSTing round-robin to them,
/// updates through the inbox. On sled: one process, long polling.
pub async fn spawn_replicas(h: &Harness) -> Vec<Child> {
    if h.database.is_none() {
        return vec![spawn_bot(h)];
    }
    use teloxide::{payloads::SetWebhookSetters as _, prelude::Requester as _};
    let url = "http://127.0.0.1:9/telegram";
    h.tg.bot()
        .set_webhook(url.parse().expect("url"))
        .secret_token(common::WEBHOOK_SECRET.to_owned())
        .await
        .expect("setWebhook");
    let mut targets = Vec::new();
    let mut bots = Vec::new();
    for n in 0..knob("BENCH_REPLICAS", 1) {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let extra = [
            ("RUST_LOG", "warn".to_owned()),
            (
                "FATURABOT_SEND_RATE",
                knob("BENCH_SEND_RATE", 30).to_string(),
            ),
            ("FATURABOT_BANK_TIMEOUT_SECS", "30".to_owned()),
            ("FATURABOT_WEBHOOK_URL", url.to_owned()),
            ("FATURABOT_WEBHOOK_LISTEN", addr.to_string()),
            (
                "FATURABOT_WEBHOOK_SECRET",
                common::WEBHOOK_SECRET.to_owned(),
            ),
            ("FATURABOT_REPLICA_ID", format!("bench-{n}")),
        ];
        let log = h.dir.0.with_extension(format!("bench-{n}.log"));
        bots.push(common::spawn_bot(h, &extra, &log));
        targets.push(addr);
    }
    h.tg.deliver_to(targets);
    bots
}

pub fn spawn_bot(h: &Harness) -> Child {
    let extra = [
        ("RUST_LOG", "warn".to_owned()),
        (
            "FATURABOT_SEND_RATE",
            knob("BENCH_SEND_RATE", 30).to_string(),
        ),
        ("FATURABOT_BANK_TIMEOUT_SECS", "30".to_owned()),
    ];
    common::spawn_bot(h, &extra, &h.dir.0.with_extension("bench.log"))
}

/// The process's peak resident set (VmHWM), in MiB.
pub fn peak_rss_mib(child: &Child) -> f64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// CPU seconds (user + system) the process has used.
pub fn cpu_secs(child: &Child) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
    // Fields after the command name (which ends with ')').
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5): 11 and 12 here.
    (ticks(11) + ticks(12)) / 100.0
}

/// Time from an update to the first message the bot sends or edits in
/// that chat.
#[derive(Default)]
pub struct Recorder {
    pending: Mutex<HashMap<i64, Instant>>,
    samples: Mutex<Vec<Duration>>,
}

impl Recorder {
    pub fn start(h: &Harness) -> Arc<Recorder> {
        let recorder = Arc::new(Recorder::default());
        let mut events = h.tg.subscribe();
        let r = recorder.clone();
        tokio::spawn(async move {
            loop {
                let chat = match events.recv().await {
                    Ok(BotEvent::Sent { chat_id, .. } | BotEvent::Edited { chat_id, .. }) => {
                        chat_id
                    }
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                let at = r.pending.lock().expect("lock").remove(&chat);
                if let Some(at) = at {
                    r.samples.lock().expect("lock").push(at.elapsed());
                }
            }
        });
        recorder
    }

    pub fn mark(&self, user: &FakeUser) {
        self.pending
            .lock()
            .expect("lock")
            .insert(user.chat_id(), Instant::now());
    }

    pub fn take(&self) -> Vec<Duration> {
        let mut v = std::mem::take(&mut *self.samples.lock().expect("lock"));
        v.sort();
        v
    }
}

/// `step` (a message sent or a button pressed, and the wait for the
/// answer), timed from the moment it starts.
pub async fn timed<T>(r: &Recorder, u: &FakeUser, step: impl Future<Output = T>) -> T {
    r.mark(u);
    step.await
}

pub fn bank_calls(h: &Harness) -> usize {
    [
        "GetAssociationCollectionGroup",
        "GetAssociationList",
        "GetScreenDefinition",
        "QueryInvoices",
        "InvoicePayment",
        "CancelPayment",
    ]
    .iter()
    .map(|m| h.sandbox.sandbox.calls(m))
    .sum()
}

/// U customers do a whole payment each, all confirming at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_pay() {
    let users = knob("BENCH_USERS", 100);
    let latency = Duration::from_millis(knob("BENCH_BANK_LATENCY_MS", 0));
    let mut h = Harness::with_bank_latency(Duration::from_secs(30), latency).await;
    // The dialogue and the payment; the PIN's own cost is argon2's (see
    // the core's 300 checks at once).
    h.pin = PinMode::Off;
    // Telegram's 30 messages a second overall make the last of 300
    // customers wait 10 s for each reply.
    h.wait = Duration::from_secs(120);
    let h = Arc::new(h);
    prepopulate(&h, 60_000, users, knob("BENCH_DIALOGUES", 0)).await;
    let mut bots = spawn_replicas(&h).await;
    let recorder = Recorder::start(&h);
    let ready = Arc::new(tokio::sync::Barrier::new(users as usize));
    let started = Instant::now();
    let mut paying = JoinSet::new();
    for i in 0..users {
        let (h, r, ready) = (h.clone(), recorder.clone(), ready.clone());
        paying.spawn(async move {
            let u = h.customer(60_000 + i, "tr");
            let groups = timed(&r, &u, h.say_key(&u, "/pay", "pay.choose_group")).await;
            let list = h.press_key(&u, &groups, "SU", "pay.choose_institution");
            timed(&r, &u, list).await;
            let found = timed(&r, &u, h.say_key(&u, "iski", "pay.filter_some")).await;
            let field = filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]);
            timed(&r, &u, h.press_key(&u, &found, ISKI, field)).await;
            let subscriber = (1_200_000 + i).to_string();
            let invoices = h.say_key(&u, &subscriber, "pay.choose_invoice");
            let invoices = timed(&r, &u, invoices).await;
            let confirm = h.press_key(&u, &invoices, "₺29,20", "pay.confirm");
            let confirm = timed(&r, &u, confirm).await;
            ready.wait().await;
            let paid = h.press_action(&u, &confirm, Action::Confirm, "status.completed");
            timed(&r, &u, paid).await;
        });
    }
    within(
        Duration::from_secs(600),
        "the payment benchmark",
        join_all(paying),
    )
    .await;
    let took = started.elapsed();
    let samples = recorder.take();
    let paid = h.sandbox.sandbox.calls("InvoicePayment");
    println!(
        "bench_pay: {users} customers, bank latency {latency:?}, send rate {}/s, {}",
        knob("BENCH_SEND_RATE", 30),
        if h.database.is_some() {
            format!("{} replica(s), webhook and inbox", bots.len())
        } else {
            "long polling".to_owned()
        }
    );
    println!(
        "  all paid in {:.1} s; {:.0} updates/s; update → first reply: {}",
        took.as_secs_f64(),
        (7 * users) as f64 / took.as_secs_f64(),
        percentiles(&samples)
    );
    println!(
        "  InvoicePayment calls {paid} (exactly one each: {}); bank calls per payment {:.2}; peak RSS per process {:?} MiB",
        paid as u64 == users,
        bank_calls(&h) as f64 / users as f64,
        bots.iter()
            .map(|b| (peak_rss_mib(b) * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    for bot in &mut bots {
        let _ = bot.kill();
        let _ = bot.wait();
    }
    assert_eq!(paid as u64, users, "each customer paid exactly once");
}

/// U customers page an institution list at once, each tap after the last
/// edit, with BENCH_DIALOGUES other dialogues stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_page() {
    let users = knob("BENCH_USERS", 64);
    let taps = knob("BENCH_TAPS", 40);
    let dialogues = knob("BENCH_DIALOGUES", 10_000);
    let mut h = Harness::without_bot(Duration::from_secs(30)).await;
    h.pin = PinMode::Off;
    let h = Arc::new(h);
    prepopulate(&h, 70_000, users, dialogues).await;
    let mut bot = spawn_bot(&h);
    let recorder = Recorder::start(&h);
    let ready = Arc::new(tokio::sync::Barrier::new(users as usize + 1));
    let mut paging = JoinSet::new();
    for i in 0..users {
        let (h, r, ready) = (h.clone(), recorder.clone(), ready.clone());
        paging.spawn(async move {
            let u = h.customer(70_000 + i, "tr");
            let groups = h.say_key(&u, "/pay", "pay.choose_group").await;
            let first = filled("pay.choose_institution", &[("page", "1")]);
            let mut page = h.press_key(&u, &groups, "SU", first).await;
            ready.wait().await;
            for t in 0..taps {
                let (action, shows) = page_turn(t);
                page = timed(&r, &u, h.press_action(&u, &page, action, shows)).await;
            }
        });
    }
    ready.wait().await;
    let started = Instant::now();
    let cpu_before = cpu_secs(&bot);
    within(
        Duration::from_secs(600),
        "the paging benchmark",
        join_all(paging),
    )
    .await;
    let took = started.elapsed();
    let bot_cpu = cpu_secs(&bot) - cpu_before;
    let samples = recorder.take();
    println!("bench_page: {users} customers × {taps} taps, {dialogues} other dialogues stored");
    println!(
        "  {:.0} taps/s; tap → edit: {}; bot peak RSS {:.1} MiB; the bot used {:.0}% of one core",
        (users * taps) as f64 / took.as_secs_f64(),
        percentiles(&samples),
        peak_rss_mib(&bot),
        100.0 * bot_cpu / took.as_secs_f64()
    );
    let _ = bot.kill();
    let _ = bot.wait();
}

/// A start with BENCH_DIALOGUES (default 100,000) stored dialogues: time
/// from starting the process to its answer to an update sent at that
/// moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_restart() {
    let dialogues = knob("BENCH_DIALOGUES", 100_000);
    let mut h = Harness::without_bot(Duration::from_secs(30)).await;
    h.pin = PinMode::Off;
    prepopulate(&h, 80_000, 1, dialogues).await;
    let u = h.customer(80_000, "tr");
    let started = Instant::now();
    let mut bot = spawn_bot(&h);
    h.say_key(&u, "/pay", "pay.choose_group").await;
    let took = started.elapsed();
    println!(
        "bench_restart: {dialogues} stored dialogues; first update answered {:.0} ms after the process started; peak RSS {:.1} MiB",
        took.as_secs_f64() * 1000.0,
        peak_rss_mib(&bot)
    );
    let _ = bot.kill();
    let _ = bot.wait();
}
