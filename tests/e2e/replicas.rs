//! Two `faturabot run` replicas on one PostgreSQL behind the fake Bot
//! API's webhook (round-robin, like a load balancer): 50 customers pay at
//! once, each double tap reaches both replicas, and one replica is killed
//! with SIGKILL while payments are in flight. Telegram delivers again what
//! the dead one did not acknowledge; what it did acknowledge is in the
//! inbox, and the survivor handles it once that replica's leases end.

use std::{
    collections::BTreeMap,
    process::{Child, Command},
    sync::Arc,
    time::{Duration, Instant},
};

use crate::common::{self, Harness, needle, to_invoices, words};
use faturabot::{
    bank::Account,
    bot::callbacks::Action,
    bot::pin::PinMode,
    fakegram::{FakeUser, UpdateSpec},
    payments::{PaymentState, TelegramUserId},
};
use tokio::task::JoinSet;

const CUSTOMERS: u64 = 50;
const SECRET: &str = "replicas-s3cret";

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

pub(crate) struct Replica {
    pub child: Child,
    pub webhook: u16,
    pub metrics: u16,
    pub log: std::path::PathBuf,
}

/// A failing assertion must not leave replicas running.
impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `faturabot run` as replica `name` behind webhook `url`, with `extra`
/// variables as well.
pub(crate) fn replica(h: &Harness, name: &str, url: &str, extra: &[(&str, String)]) -> Replica {
    let (webhook, metrics) = (free_port(), free_port());
    let log = h.dir.0.with_extension(format!("replica-{name}.log"));
    let mut env = vec![
        ("FATURABOT_WEBHOOK_URL", url.to_owned()),
        ("FATURABOT_WEBHOOK_LISTEN", format!("127.0.0.1:{webhook}")),
        ("FATURABOT_WEBHOOK_SECRET", SECRET.into()),
        ("FATURABOT_REPLICA_ID", name.into()),
        ("FATURABOT_METRICS_LISTEN", format!("127.0.0.1:{metrics}")),
        ("FATURABOT_SEND_RATE", "200".into()),
        ("RUST_LOG", "info".into()),
    ];
    env.extend(extra.iter().cloned());
    let child = common::spawn_bot(h, &env, &log);
    Replica {
        child,
        webhook,
        metrics,
        log,
    }
}

pub(crate) async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let r = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.unwrap_or_default()))
}

pub(crate) async fn until_ready(r: &Replica) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(r.metrics, "/readyz").await.map(|(s, _)| s) != Some(200) {
        assert!(
            Instant::now() < deadline,
            "replica not ready: {:?}",
            std::fs::read_to_string(&r.log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `faturabot webhook set`: once for the whole deployment.
pub(crate) fn set_webhook(h: &Harness, url: &str) {
    let set = Command::new(env!("CARGO_BIN_EXE_faturabot"))
        .args(["webhook", "set"])
        .env_clear()
        .envs(h.binary_env())
        .env("FATURABOT_WEBHOOK_URL", url)
        .env("FATURABOT_WEBHOOK_SECRET", SECRET)
        .output()
        .expect("webhook set runs");
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
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

/// What the customer is told after the double tap: paid, or (when the
/// dead replica had the call) in progress or being checked.
fn outcome(h: &Harness, user: &FakeUser, after: i32, confirm: i32) -> Option<&'static str> {
    let shown: Vec<String> =
        h.tg.chat(user.chat_id())
            .iter()
            .filter(|m| m.message_id > after || m.message_id == confirm)
            .map(|m| m.plain())
            .collect();
    ["status.completed", "status.unknown", "status.in_flight"]
        .into_iter()
        .find(|key| {
            let n = needle(user, key);
            shown.iter().any(|t| t.contains(&n))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_one_killed_every_invoice_paid_at_most_once() {
    if !common::POSTGRES {
        return; // the sled binary has one process per database
    }
    let mut h =
        Harness::with_bank_latency(Duration::from_secs(10), Duration::from_millis(300)).await;
    let Some(database) = h.database.clone() else {
        return; // said by the harness: no server
    };
    // A replica killed holding a chat's update costs that chat a lease.
    h.wait = Duration::from_secs(45);
    let url = format!("http://127.0.0.1:{}/telegram", free_port());

    set_webhook(&h, &url);
    let mut a = replica(&h, "a", &url, &[]);
    let mut b = replica(&h, "b", &url, &[]);
    until_ready(&a).await;
    until_ready(&b).await;
    h.tg.deliver_to(vec![
        ([127, 0, 0, 1], a.webhook).into(),
        ([127, 0, 0, 1], b.webhook).into(),
    ]);

    // Arrange: 50 linked customers, each at the confirmation of a bill of
    // their own, through both replicas.
    let store = h.open_store().await;
    let h = Arc::new(h);
    let mut reaching = JoinSet::new();
    for i in 0..CUSTOMERS {
        let token = store
            .invites
            .create(
                account(),
                TelegramUserId(common::AGENT_ID),
                chrono::Utc::now(),
            )
            .await
            .expect("an invite");
        let h = h.clone();
        reaching.spawn(async move {
            let user = h.customer(7000 + i, "tr");
            h.say_key(&user, &format!("/start {token}"), "link.done")
                .await;
            h.choose_first_pin(&user).await;
            let invoices = to_invoices(&h, &user, &format!("{}", 1_270_000 + i)).await;
            let confirm = h
                .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
                .await;
            (user, confirm)
        });
    }
    let mut at_confirm = Vec::new();
    while let Some(done) = reaching.join_next().await {
        at_confirm.push(done.expect("a customer reaches the confirmation"));
    }

    // Act: every customer double-taps pay, each tap delivered to both
    // replicas as well; replica a is killed once the bank has some calls.
    let paid_before = h.sandbox.sandbox.calls("InvoicePayment");
    let mut paying = JoinSet::new();
    for (user, confirm) in at_confirm.iter().cloned() {
        let h = h.clone();
        paying.spawn(async move {
            let mut data = common::action_data(&confirm, Action::Confirm);
            if h.pin == PinMode::Required {
                // The PIN but its last digit; that digit is the tap that pays.
                h.tg.press(&user, confirm.message_id, &data);
                h.type_pin_if_asked_but_the_last(&user, confirm.message_id)
                    .await;
                data = h.last_digit_data(&user, confirm.message_id);
            }
            let before = h.last_id(&user);
            let taps = h.tg.enqueue_batch(vec![
                UpdateSpec::press(&user, confirm.message_id, &data),
                UpdateSpec::press(&user, confirm.message_id, &data),
            ]);
            for tap in &taps {
                h.tg.deliver_everywhere(tap.update_id);
            }
            let deadline = Instant::now() + h.wait;
            loop {
                if let Some(told) = outcome(&h, &user, before, confirm.message_id) {
                    return (user, told, Instant::now());
                }
                assert!(
                    Instant::now() < deadline,
                    "customer {} was never told the outcome",
                    user.id
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.sandbox.sandbox.calls("InvoicePayment") < paid_before + 10 {
        assert!(Instant::now() < deadline, "payments do not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a.child.kill().expect("SIGKILL");
    let _ = a.child.wait();
    let killed_at = Instant::now();
    eprintln!(
        "replica a killed after {} of {CUSTOMERS} payment calls",
        h.sandbox.sandbox.calls("InvoicePayment") - paid_before
    );
    // The survivor answers throughout: alive and ready right after.
    assert_eq!(get(b.metrics, "/healthz").await.map(|(s, _)| s), Some(200));

    let mut told = BTreeMap::new();
    while let Some(done) = paying.join_next().await {
        let (user, key, at) = done.expect("a customer is told the outcome");
        told.insert(
            user.id,
            (user, key, at.saturating_duration_since(killed_at)),
        );
    }

    // Assert: every invoice paid at most once, by the bank's own record.
    let mut paid: BTreeMap<String, usize> = BTreeMap::new();
    for p in h.sandbox.sandbox.payments() {
        *paid.entry(p.subscriber_number).or_default() += 1;
    }
    assert!(
        paid.values().all(|n| *n == 1),
        "an invoice paid twice: {paid:?}"
    );
    // Every completed payment is in the customer's /history, asked of the
    // survivor (Telegram's deliveries to the dead one fail and go on).
    let mut completed = 0;
    let mut checked = 0;
    for (user, key, _) in told.values() {
        let mine = store
            .ledger
            .for_payer(TelegramUserId(user.id), 0, 10)
            .await
            .expect("the ledger");
        assert_eq!(
            mine.len(),
            1,
            "one attempt for customer {}: {mine:?}",
            user.id
        );
        let state = &mine[0].state;
        assert!(
            matches!(
                state,
                PaymentState::Completed | PaymentState::InFlight | PaymentState::Unknown
            ),
            "{state:?}"
        );
        if *state == PaymentState::Completed {
            completed += 1;
            assert!(paid.contains_key(&mine[0].subscriber), "completed, so paid");
            let history = h.say_key(user, "/history", "history.title").await;
            assert!(
                history.plain().contains(&words(user, "state.completed")),
                "{}",
                history.plain()
            );
        } else {
            checked += 1;
            assert_ne!(*key, "status.completed", "told paid, recorded otherwise");
        }
    }
    assert!(completed > 0);
    let survivor_metrics = get(b.metrics, "/metrics").await.expect("metrics").1;
    let again = survivor_metrics
        .lines()
        .find(|l| l.starts_with("faturabot_inbox_total{outcome=\"again\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        again > 0,
        "deliveries again were recognised: {survivor_metrics}"
    );
    let slowest = told.values().map(|(_, _, d)| *d).max().unwrap_or_default();
    eprintln!(
        "{completed} completed, {checked} in flight or being checked (the dead replica's); \
         {} bank payments; the last customer was told {:.1} s after the kill; \
         {again} deliveries again recognised by the survivor",
        paid.len(),
        slowest.as_secs_f64()
    );
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
    let _ = database;

    let _ = b.child.kill();
    let _ = b.child.wait();
    for r in [&a, &b] {
        let log = std::fs::read_to_string(&r.log).unwrap_or_default();
        assert!(!log.contains(SECRET), "the webhook secret is never logged");
        let _ = std::fs::remove_file(&r.log);
    }
}
