//! Under load: many customers at once against the real dispatcher, sled
//! storage, the fake Bot API and the sandbox bank. Each test bounds its own
//! time, so a bot that freezes fails here instead of hanging the suite.

use crate::common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{AGENT_ID, Harness, WAIT};
use faturabot::{
    bank::Account,
    bot::{State, callbacks::Action, launch::telegram_limits},
    fakegram::FakeUser,
    i18n::Lang,
    sandbox::FailMode,
    storage::{PaymentRecord, PaymentState, Store, payments::Begin},
};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};
use tokio::task::JoinSet;

/// Runs `body`, failing the test if it takes longer than `limit`. A freeze
/// can block the runtime's own threads (sled's asynchronous flush did), so
/// a plain thread watches too and ends the process if the timer cannot.
async fn within<T>(limit: Duration, what: &str, body: impl Future<Output = T>) -> T {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = done.clone();
    let name = what.to_owned();
    std::thread::spawn(move || {
        std::thread::sleep(limit + Duration::from_secs(10));
        if !watching.load(std::sync::atomic::Ordering::SeqCst) {
            // Not `eprintln!`: the test harness would swallow it.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "{name}: not done within {limit:?} and the runtime is stuck; failing"
            );
            std::process::abort();
        }
    });
    let result = tokio::time::timeout(limit, body).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    match result {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {limit:?}; the bot froze?"),
    }
}

/// Waits for every task, re-raising the first panic.
async fn join_all(mut set: JoinSet<()>) {
    while let Some(done) = set.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// An agent's `/invite`: the token of the link in the reply.
async fn invite(h: &Harness, agent: &FakeUser) -> String {
    let reply = h.say(agent, "/invite 3488017 9142 357", "start=").await;
    reply
        .plain()
        .split("start=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a token in the link")
        .to_owned()
}

/// `n` customers linked at once through `agents` agents (each agent issues
/// its share of invites one after another, then every customer opens their
/// link at the same moment).
async fn link_at_once(h: &Arc<Harness>, first_id: u64, n: u64, agents: &[u64]) -> Vec<FakeUser> {
    let customers: Vec<FakeUser> = (0..n).map(|i| h.customer(first_id + i, "tr")).collect();
    let mut issuing = JoinSet::new();
    let share = n.div_ceil(agents.len() as u64);
    for (k, agent_id) in agents.iter().enumerate() {
        let (h, agent_id) = (h.clone(), *agent_id);
        let wanted = share.min(n.saturating_sub(k as u64 * share));
        issuing.spawn(async move {
            let agent = h.agent_with_id(agent_id);
            let mut tokens = Vec::new();
            for _ in 0..wanted {
                tokens.push(invite(&h, &agent).await);
            }
            tokens
        });
    }
    let mut tokens = Vec::new();
    while let Some(done) = issuing.join_next().await {
        tokens.extend(done.expect("agent task"));
    }
    assert_eq!(tokens.len() as u64, n);
    let mut opening = JoinSet::new();
    for (customer, token) in customers.iter().cloned().zip(tokens) {
        let h = h.clone();
        opening.spawn(async move {
            h.say_key(&customer, &format!("/start {token}"), "link.done")
                .await;
        });
    }
    join_all(opening).await;
    customers
}

fn agent_ids(n: u64) -> Vec<u64> {
    (0..n).map(|i| AGENT_ID + i).collect()
}

async fn harness_with_agents(agents: &[u64]) -> Arc<Harness> {
    let mut h = Harness::without_bot(Duration::from_secs(5)).await;
    h.agents = agents.to_vec();
    h.launch().await;
    Arc::new(h)
}

/// Waits until every callback query pressed so far has been answered.
async fn all_callbacks_answered(h: &Harness, pressed: usize) {
    let deadline = Instant::now() + WAIT;
    while h.tg.callback_answers().len() < pressed && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.tg.callback_answers().len(),
        pressed,
        "every callback query is answered, once"
    );
}

fn account() -> Account {
    Account {
        customer_no: 3488017,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    }
}

/// (a) 500 tasks each make their writes durable through the real storage
/// types at once: a dialogue step, a user record, an invite and a ledger
/// record. sled 0.34's asynchronous flush hung here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_under_contention_never_hangs() {
    within(Duration::from_secs(60), "500 durable writers", async {
        let dir = common::TempDir::new();
        let store = Store::open(&dir.0).expect("store");
        let dialogues = Arc::new(store.dialogues().expect("dialogues"));
        let mut tasks = JoinSet::new();
        for i in 0..500u64 {
            tasks.spawn(durable_writes(store.clone(), dialogues.clone(), i));
        }
        join_all(tasks).await;
        assert_eq!(dialogues.len(), 500);
        for i in [0u64, 250, 499] {
            let user = store.users.get(10_000 + i).await.expect("user");
            assert_eq!(user.lang, Some(Lang::En));
            let record = store.ledger.get(&format!("load-{i}")).await.expect("get");
            assert!(record.is_some());
        }
        assert!(store.healthy().await);
    })
    .await;
}

/// One customer's worth of durable writes: a dialogue step, a user record,
/// an invite and a ledger record.
async fn durable_writes(store: Store, dialogues: Arc<faturabot::storage::SledDialogues>, i: u64) {
    let chat = ChatId(10_000 + i as i64);
    Storage::<State>::update_dialogue(dialogues, chat, State::Idle)
        .await
        .expect("dialogue");
    store
        .users
        .set_lang(10_000 + i, Lang::En)
        .await
        .expect("user");
    store
        .invites
        .create(account(), AGENT_ID, chrono::Utc::now())
        .await
        .expect("invite");
    let record = PaymentRecord {
        intent: format!("load-{i}"),
        payer: 10_000 + i,
        chat_id: chat.0,
        account: account(),
        association_code: "ISKI".into(),
        association_name: "İSKİ".into(),
        subscriber: "1000001".into(),
        invoice_number: i.to_string(),
        amount: "29.2".parse().expect("amount"),
        currency: "TRY".into(),
        created_at: chrono::Utc::now(),
        session: faturabot::bank::SessionId::new(),
        request_id: faturabot::bank::RequestId::new(),
        transaction_id: None,
        state: PaymentState::InFlight,
        history: Vec::new(),
    };
    let started = store.ledger.begin(record).await.expect("ledger");
    assert!(matches!(started, Begin::Started(_)));
}

/// (b) 100 customers link at once through 10 agents, then all pay one bill
/// at the same moment: every payment is made once, every receipt arrives,
/// every callback query is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_customers_link_and_pay_at_once() {
    within(Duration::from_secs(150), "100 customers paying", async {
        let agents = agent_ids(10);
        let h = harness_with_agents(&agents).await;
        let customers = link_at_once(&h, 30_000, 100, &agents).await;

        let ready = Arc::new(tokio::sync::Barrier::new(customers.len()));
        let mut paying = JoinSet::new();
        for (i, user) in customers.iter().cloned().enumerate() {
            let (h, ready) = (h.clone(), ready.clone());
            paying.spawn(async move {
                // A bill of their own each.
                let subscriber = (1_200_000 + i).to_string();
                let invoices = common::to_invoices(&h, &user, &subscriber).await;
                let confirm = h
                    .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
                    .await;
                ready.wait().await;
                h.press_action(&user, &confirm, Action::Confirm, "status.completed")
                    .await;
                h.tg.wait_for_message(user.chat_id(), |m| m.photo.is_some(), WAIT)
                    .await
                    .expect("the receipt's QR image");
            });
        }
        join_all(paying).await;

        assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 100);
        for user in &customers {
            let photos =
                h.tg.chat(user.chat_id())
                    .iter()
                    .filter(|m| m.photo.is_some())
                    .count();
            assert_eq!(photos, 1, "one receipt for customer {}", user.id);
        }
        // SU, İSKİ, the invoice, confirm: four presses each.
        all_callbacks_answered(&h, 4 * customers.len()).await;
        assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
    })
    .await;
}

/// (c) 200 customers page an institution list at once, each tap after the
/// last edit: every tap is answered and edits the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_customers_page_lists_at_once() {
    within(Duration::from_secs(150), "200 customers paging", async {
        let agents = agent_ids(10);
        let h = harness_with_agents(&agents).await;
        let customers = link_at_once(&h, 40_000, 200, &agents).await;
        let ready = Arc::new(tokio::sync::Barrier::new(customers.len()));
        let mut paging = JoinSet::new();
        for user in customers.iter().cloned() {
            let (h, ready) = (h.clone(), ready.clone());
            paging.spawn(async move {
                let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
                let mut page = h
                    .press_key(&user, &groups, "SU", "pay.choose_institution")
                    .await;
                ready.wait().await;
                for i in 0..4 {
                    let (button, want) = if i % 2 == 0 {
                        ("Sonraki", "sayfa 2/")
                    } else {
                        ("Önceki", "sayfa 1/")
                    };
                    page = h.press(&user, &page, button, want).await;
                }
            });
        }
        join_all(paging).await;
        // SU and four page turns each.
        all_callbacks_answered(&h, 5 * customers.len()).await;
    })
    .await;
}

/// A bank that hangs costs each of 50 users one time-out, not one per user
/// ahead of them: the failed catalog fetch is shared and remembered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_outage_costs_each_user_one_timeout() {
    within(
        Duration::from_secs(60),
        "50 users during an outage",
        async {
            let agents = agent_ids(5);
            let h = harness_with_agents(&agents).await;
            let customers = link_at_once(&h, 50_000, 50, &agents).await;
            h.sandbox
                .sandbox
                .fail_next("GetAssociationCollectionGroup", FailMode::Slow, 1000);
            let started = Instant::now();
            let mut asking = JoinSet::new();
            for user in customers.iter().cloned() {
                let h = h.clone();
                asking.spawn(async move {
                    h.say_key(&user, "/pay", "bank.timeout").await;
                });
            }
            join_all(asking).await;
            let took = started.elapsed();
            assert!(
                took < h.bank_timeout * 2,
                "all 50 told within about one bank time-out ({:?}), took {took:?}",
                h.bank_timeout
            );
            assert!(
                h.sandbox.sandbox.calls("GetAssociationCollectionGroup") <= 2,
                "the dead bank is not asked once per user"
            );
        },
    )
    .await;
}

/// Telegram's real pace for a private chat (about one message a second,
/// not 20 a minute): an agent's 40 invites in a row each come back within
/// about a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_forty_invites_each_come_back_within_a_second() {
    within(Duration::from_secs(90), "40 invites", async {
        let mut h = Harness::without_bot(Duration::from_secs(5)).await;
        h.limits = telegram_limits(30);
        h.launch().await;
        let agent = h.agent();
        let mut slowest = Duration::ZERO;
        for _ in 0..40 {
            let t0 = Instant::now();
            invite(&h, &agent).await;
            slowest = slowest.max(t0.elapsed());
        }
        assert!(
            slowest < Duration::from_millis(1600),
            "slowest invite reply took {slowest:?}"
        );
    })
    .await;
}

// ---- The benchmark (not run by default) ----
//
// cargo test --release --test e2e -- --ignored --nocapture bench_
//
// It drives the real release binary (`faturabot run`, a process of its
// own, so its peak RSS is the bot's alone) against the fake Bot API and
// the sandbox bank in this process. Knobs (environment):
// BENCH_USERS, BENCH_TAPS (page turns per user), BENCH_BANK_LATENCY_MS,
// BENCH_DIALOGUES (stored dialogues before start), BENCH_SEND_RATE.

mod bench {
    use std::{collections::HashMap, path::Path, process::Child, sync::Mutex};

    use faturabot::fakegram::BotEvent;

    use super::*;

    pub fn knob(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// Users `first..first + n` linked, and `dialogues` other chats with a
    /// stored dialogue, written before the bot starts.
    pub async fn prepopulate(dir: &Path, first: u64, n: u64, dialogues: u64) {
        let store = Store::open(dir).expect("store");
        let stored = Arc::new(store.dialogues().expect("dialogues"));
        let mut tasks = JoinSet::new();
        for i in 0..n {
            let store = store.clone();
            tasks.spawn(async move {
                store
                    .users
                    .update(first + i, |r| r.accounts = vec![account()])
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
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
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

    pub fn percentiles(samples: &[Duration]) -> String {
        if samples.is_empty() {
            return "no samples".into();
        }
        let at = |p: f64| {
            let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i].as_secs_f64() * 1000.0
        };
        format!(
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
            at(0.50),
            at(0.95),
            at(0.99),
            at(1.0),
            samples.len()
        )
    }

    /// Sends `text` and waits for the reply containing `want`, timed.
    pub async fn say(
        h: &Harness,
        r: &Recorder,
        u: &FakeUser,
        text: &str,
        want: &str,
    ) -> faturabot::fakegram::BotMessage {
        r.mark(u);
        h.say(u, text, want).await
    }

    pub async fn press(
        h: &Harness,
        r: &Recorder,
        u: &FakeUser,
        msg: &faturabot::fakegram::BotMessage,
        button: &str,
        want: &str,
    ) -> faturabot::fakegram::BotMessage {
        r.mark(u);
        h.press(u, msg, button, want).await
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
}

/// U customers do a whole payment each, all confirming at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_pay() {
    use bench::*;
    let users = knob("BENCH_USERS", 100);
    let latency = Duration::from_millis(knob("BENCH_BANK_LATENCY_MS", 0));
    let mut h = Harness::with_bank_latency(Duration::from_secs(30), latency).await;
    // Telegram's 30 messages a second overall make the last of 300
    // customers wait 10 s for each reply.
    h.wait = Duration::from_secs(120);
    let h = Arc::new(h);
    prepopulate(&h.dir.0, 60_000, users, knob("BENCH_DIALOGUES", 0)).await;
    let mut bot = spawn_bot(&h);
    let recorder = Recorder::start(&h);
    let ready = Arc::new(tokio::sync::Barrier::new(users as usize));
    let started = Instant::now();
    let mut paying = JoinSet::new();
    for i in 0..users {
        let (h, r, ready) = (h.clone(), recorder.clone(), ready.clone());
        paying.spawn(async move {
            let u = h.customer(60_000 + i, "tr");
            let groups = say(&h, &r, &u, "/pay", "Hangi tür").await;
            press(&h, &r, &u, &groups, "SU", "kurumu seçin").await;
            let found = say(&h, &r, &u, "iski", "eşleşen").await;
            press(&h, &r, &u, &found, "İSKİ İSTANBUL", "Abone Numarası").await;
            let invoices = say(&h, &r, &u, &(1_200_000 + i).to_string(), "ödenmemiş").await;
            let confirm = press(&h, &r, &u, &invoices, "₺29,20", "onaylayın").await;
            ready.wait().await;
            press(&h, &r, &u, &confirm, "öde", "ödendi").await;
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
        "bench_pay: {users} customers, bank latency {latency:?}, send rate {}/s",
        knob("BENCH_SEND_RATE", 30)
    );
    println!(
        "  all paid in {:.1} s; {:.0} updates/s; update → first reply: {}",
        took.as_secs_f64(),
        (7 * users) as f64 / took.as_secs_f64(),
        percentiles(&samples)
    );
    println!(
        "  InvoicePayment calls {paid} (exactly one each: {}); bank calls per payment {:.2}; bot peak RSS {:.1} MiB",
        paid as u64 == users,
        bank_calls(&h) as f64 / users as f64,
        peak_rss_mib(&bot)
    );
    let _ = bot.kill();
    let _ = bot.wait();
    assert_eq!(paid as u64, users, "each customer paid exactly once");
}

/// U customers page an institution list at once, each tap after the last
/// edit, with BENCH_DIALOGUES other dialogues stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_page() {
    use bench::*;
    let users = knob("BENCH_USERS", 64);
    let taps = knob("BENCH_TAPS", 40);
    let dialogues = knob("BENCH_DIALOGUES", 10_000);
    let h = Arc::new(Harness::without_bot(Duration::from_secs(30)).await);
    prepopulate(&h.dir.0, 70_000, users, dialogues).await;
    let mut bot = spawn_bot(&h);
    let recorder = Recorder::start(&h);
    let ready = Arc::new(tokio::sync::Barrier::new(users as usize + 1));
    let mut paging = JoinSet::new();
    for i in 0..users {
        let (h, r, ready) = (h.clone(), recorder.clone(), ready.clone());
        paging.spawn(async move {
            let u = h.customer(70_000 + i, "tr");
            let groups = h.say(&u, "/pay", "Hangi tür").await;
            let mut page = h.press(&u, &groups, "SU", "sayfa 1/").await;
            ready.wait().await;
            for t in 0..taps {
                let (button, want) = if t % 2 == 0 {
                    ("Sonraki", "sayfa 2/")
                } else {
                    ("Önceki", "sayfa 1/")
                };
                page = press(&h, &r, &u, &page, button, want).await;
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
    use bench::*;
    let dialogues = knob("BENCH_DIALOGUES", 100_000);
    let h = Harness::without_bot(Duration::from_secs(30)).await;
    prepopulate(&h.dir.0, 80_000, 1, dialogues).await;
    let u = h.customer(80_000, "tr");
    let started = Instant::now();
    let mut bot = spawn_bot(&h);
    h.say(&u, "/pay", "Hangi tür").await;
    let took = started.elapsed();
    println!(
        "bench_restart: {dialogues} stored dialogues; first update answered {:.0} ms after the process started; peak RSS {:.1} MiB",
        took.as_secs_f64() * 1000.0,
        peak_rss_mib(&bot)
    );
    let _ = bot.kill();
    let _ = bot.wait();
}
