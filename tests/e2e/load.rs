//! Under load: many customers at once against the real dispatcher, sled
//! storage, the fake Bot API and the sandbox bank. Each test bounds its own
//! time, so a bot that freezes fails here instead of hanging the suite.

use crate::common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{AGENT_ID, Harness};
use faturabot::{
    bank::Account,
    bot::{State, callbacks::Action, launch::telegram_limits},
    fakegram::FakeUser,
    i18n::Lang,
    payments::{Begin, PaymentIntent, PaymentRecord, PaymentState, TelegramUserId},
    sandbox::FailMode,
    storage::{Dialogues, Store},
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
            h.choose_first_pin(&customer).await;
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
    // A hundred customers typing their PINs at once on two cores: each
    // step may wait behind the others' (the bound is for a freeze).
    h.wait = Duration::from_secs(30);
    h.launch().await;
    Arc::new(h)
}

/// Waits until every callback query pressed so far has been answered.
async fn all_callbacks_answered(h: &Harness, pressed: usize) {
    let deadline = Instant::now() + h.wait;
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
        let store = common::fresh_store(&dir.0).await;
        let dialogues = store.dialogues::<State>();
        let mut tasks = JoinSet::new();
        for i in 0..500u64 {
            tasks.spawn(durable_writes(store.clone(), dialogues.clone(), i));
        }
        join_all(tasks).await;
        assert_eq!(dialogues.count().await.expect("count"), 500);
        for i in [0u64, 250, 499] {
            let user = store
                .users
                .get(TelegramUserId(10_000 + i))
                .await
                .expect("user");
            assert_eq!(user.lang, Some(Lang::En));
            let intent = PaymentIntent::from_raw(format!("load-{i}"));
            let record = store.ledger.get(&intent).await.expect("get");
            assert!(record.is_some());
        }
        assert!(store.healthy().await);
    })
    .await;
}

/// One customer's worth of durable writes: a dialogue step, a user record,
/// an invite and a ledger record.
async fn durable_writes(store: Store, dialogues: Arc<Dialogues<State>>, i: u64) {
    let chat = ChatId(10_000 + i as i64);
    Storage::<State>::update_dialogue(dialogues, chat, State::Idle)
        .await
        .expect("dialogue");
    store
        .users
        .set_lang(TelegramUserId(10_000 + i), Lang::En)
        .await
        .expect("user");
    store
        .invites
        .create(account(), TelegramUserId(AGENT_ID), chrono::Utc::now())
        .await
        .expect("invite");
    let record = PaymentRecord {
        query: None,
        intent: PaymentIntent::from_raw(format!("load-{i}")),
        payer: TelegramUserId(10_000 + i),
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
    let started = store.ledger.begin(record, None).await.expect("ledger");
    assert!(matches!(started, Begin::Started(_)));
}

/// (b) 100 customers link at once through 10 agents, then all pay one bill
/// at the same moment: every payment is made once, every receipt arrives,
/// every callback query is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_customers_link_and_pay_at_once() {
    // With the PIN each customer also presses 18 keys (two PIN hashes):
    // the bound is for a freeze, not a pace.
    within(Duration::from_secs(400), "100 customers paying", async {
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
                h.tg.wait_for_message(user.chat_id(), |m| m.photo.is_some(), h.wait)
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
        // With the PIN: twelve keys to choose it, six to pay.
        let pin_keys = if common::PIN_OFF { 0 } else { 12 + 6 };
        all_callbacks_answered(&h, (4 + pin_keys) * customers.len()).await;
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
        for user in customers.clone() {
            let (h, ready) = (h.clone(), ready.clone());
            paging.spawn(async move {
                let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
                let mut page = h
                    .press_key(&user, &groups, "SU", "pay.choose_institution")
                    .await;
                ready.wait().await;
                for i in 0..4 {
                    let (action, shows) = common::page_turn(i);
                    page = h.press_action(&user, &page, action, shows).await;
                }
            });
        }
        join_all(paging).await;
        // SU and four page turns each.
        let pin_keys = if common::PIN_OFF { 0 } else { 12 };
        all_callbacks_answered(&h, (5 + pin_keys) * customers.len()).await;
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
            for user in customers.clone() {
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

// The benchmark, not run by default: [`bench`].
mod bench;
