//! Operating the real binary: check-config, webhooks, health and metrics,
//! graceful shutdown on SIGTERM.

use crate::common;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Harness, Key, WAIT, words};
use faturabot::bot::callbacks::Action;

const BIN: &str = env!("CARGO_BIN_EXE_faturabot");

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn command(h: &Harness, args: &[&str], extra: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().stdin(Stdio::null());
    for (k, v) in h.binary_env() {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

fn spawn(h: &Harness, extra: &[(&str, String)]) -> Child {
    command(h, &["run"], extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

async fn wait_http(url: &str) -> reqwest::Response {
    let deadline = Instant::now() + WAIT;
    loop {
        match reqwest::get(url).await {
            Ok(r) => return r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{url}: {e}"),
        }
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_reaches_every_service() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let out = command(&h, &["check-config"], &[]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "configuration: ok",
        "telegram: ok",
        "bank: ok",
        "receipt service: ok",
    ] {
        assert!(stdout.contains(line), "{line} missing: {stdout}");
    }

    let out = command(
        &h,
        &["check-config"],
        &[("FATURABOT_RECEIPT_SECRET_KEY", "wrong".into())],
    )
    .output()
    .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("receipt service: FAILED") && stdout.contains("bank: ok"),
        "{stdout}"
    );
    assert!(!stdout.contains("wrong"), "the key is not echoed: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_graceful_sigterm() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let port = free_port();
    let mut bot = spawn(
        &h,
        &[("FATURABOT_METRICS_LISTEN", format!("127.0.0.1:{port}"))],
    );

    let ready = wait_http(&format!("http://127.0.0.1:{port}/readyz")).await;
    assert_eq!(ready.status(), 200);
    let health = wait_http(&format!("http://127.0.0.1:{port}/healthz")).await;
    assert_eq!(health.status(), 200);
    let body = health.text().await.unwrap();
    assert!(
        body.contains("\"database\":\"ok\"") && body.contains("\"bank\":\"ok\""),
        "{body}"
    );

    let user = h.customer(3001, "en");
    h.say_key(&user, "/help", "help.title").await;
    let metrics = wait_http(&format!("http://127.0.0.1:{port}/metrics"))
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("faturabot_updates_total 1"), "{metrics}");
    assert!(
        metrics.contains("faturabot_catalog_cache_total{result=\"hit\"}"),
        "{metrics}"
    );

    // The container HEALTHCHECK command.
    let check = command(
        &h,
        &["healthcheck"],
        &[("FATURABOT_METRICS_LISTEN", format!("0.0.0.0:{port}"))],
    )
    .output()
    .expect("runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    sigterm(&bot);
    let status = wait_exit(&mut bot, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    if let Some(mut err) = bot.stderr.take() {
        use std::io::Read;
        let _ = err.read_to_string(&mut log);
    }
    assert!(log.contains("database flushed"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_serves_updates_with_the_secret_only() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/telegram");
    let mut bot = spawn(
        &h,
        &[
            ("FATURABOT_WEBHOOK_URL", url.clone()),
            ("FATURABOT_WEBHOOK_LISTEN", format!("127.0.0.1:{port}")),
            ("FATURABOT_WEBHOOK_SECRET", "s3cret_token".into()),
        ],
    );
    // A single node registers its webhook; one of several replicas (on
    // PostgreSQL) leaves that to `faturabot webhook set`.
    if h.database.is_none() {
        let set =
            h.tg.wait_for_call("setWebhook", |_| true, WAIT)
                .await
                .expect("setWebhook called");
        assert_eq!(set.param_str("url").as_deref(), Some(url.as_str()));
        assert_eq!(
            set.param_str("secret_token").as_deref(),
            Some("s3cret_token")
        );
    }

    let user = h.customer(3002, "en");
    let update = serde_json::json!({
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 1_700_000_000,
            "chat": {"id": 3002, "type": "private", "first_name": "W"},
            "from": {"id": 3002, "is_bot": false, "first_name": "W", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]
        }
    });
    let http = reqwest::Client::new();
    // Wait for the listener, then a wrong secret is refused.
    let deadline = Instant::now() + WAIT;
    let wrong = loop {
        match http
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", "nope")
            .json(&update)
            .send()
            .await
        {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(wrong.status(), 401);
    let ok = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret_token")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success());
    let reply = h.expect_key(&user, "help.title").await;
    assert!(reply.plain().contains("/pay"));
    assert_eq!(
        h.tg.chat(user.chat_id()).len(),
        1,
        "the refused update did nothing"
    );

    // A command in a group gets a pointer to the private chat, nothing else.
    let group_update = serde_json::json!({
        "update_id": 2,
        "message": {
            "message_id": 7, "date": 1_700_000_000,
            "chat": {"id": -100_555, "type": "supergroup", "title": "Aile"},
            "from": {"id": 3002, "is_bot": false, "first_name": "W", "language_code": "en"},
            "text": "/pay",
            "entities": [{"type": "bot_command", "offset": 0, "length": 4}]
        }
    });
    let ok = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret_token")
        .json(&group_update)
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success());
    let pointer =
        h.tg.wait_for_call(
            "sendMessage",
            |c| c.params["chat_id"] == serde_json::json!(-100_555),
            WAIT,
        )
        .await
        .expect("an answer in the group");
    let text = pointer.param_str("text").unwrap_or_default();
    assert!(
        Key::from("group.private_only").shown_in(&user, &text)
            && text.contains("https://t.me/faturabot_test_bot"),
        "{text}"
    );
    assert!(
        h.sandbox.sandbox.recorded().is_empty(),
        "nothing reached the bank"
    );

    sigterm(&bot);
    assert!(wait_exit(&mut bot, Duration::from_secs(15)).success());
    let (set, deleted) = (h.tg.count("setWebhook"), h.tg.count("deleteWebhook"));
    if h.database.is_some() {
        assert_eq!(
            (set, deleted),
            (0, 0),
            "a replica neither sets nor deletes it"
        );
    } else {
        assert_eq!(
            (set, deleted),
            (1, 1),
            "a single node sets it and deletes it"
        );
    }
}

/// README's first command: `run --sandbox` needs only a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sandbox_pays_with_only_a_token() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let log = h.dir.0.with_extension("sandbox.log");
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--sandbox"])
        .env_clear()
        .env("TELOXIDE_TOKEN", faturabot::fakegram::TOKEN)
        .env("TELOXIDE_API_URL", h.tg.api_url().to_string())
        .env("FATURABOT_DATA_DIR", h.dir.0.display().to_string())
        .env("FATURABOT_AGENTS", common::AGENT_ID.to_string())
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    let mut bot = cmd.spawn().expect("starts");
    let user = h.customer(3003, "tr");
    h.link_only(&user).await;
    // The default asks for a PIN: chosen at the first payment.
    h.choose_pin_at_first_payment(&user).await;
    let invoices = common::to_invoices(&h, &user, "1000001").await;
    assert!(
        Key::from("pay.choose_invoice").shown_in(&user, &invoices.plain()),
        "{}",
        invoices.plain()
    );
    let confirm = h.press_key(&user, &invoices, "₺29,20", "pay.confirm").await;
    h.pay_with_pin(&user, &confirm, common::PIN, "status.completed")
        .await;
    // Not the harness's sandbox: the embedded one was used.
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
    sigterm(&bot);
    assert!(wait_exit(&mut bot, Duration::from_secs(15)).success());
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("faturabot started"), "the log is there");
    assert!(!logged.contains(common::PIN), "the PIN is never logged");
    let _ = std::fs::remove_file(log);
}

fn spawn_logged(h: &Harness, extra: &[(&str, String)], log: &std::path::Path) -> Child {
    common::spawn_bot(h, extra, log)
}

/// SIGTERM at any moment of start-up stops the process at once: while
/// `getMe` hangs (a Bot API that accepts and never answers), and at many
/// moments around the dispatcher's start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_start_up_stops_at_once() {
    let h = Harness::without_bot(Duration::from_secs(3)).await;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_url = format!("http://{}", silent.local_addr().expect("addr"));
    let log = h.dir.0.with_extension("startup.log");
    let mut bot = spawn_logged(&h, &[("TELOXIDE_API_URL", silent_url)], &log);
    tokio::time::sleep(Duration::from_millis(800)).await;
    sigterm(&bot);
    let status = wait_exit(&mut bot, Duration::from_secs(3));
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("stopped during start-up"), "{text}");

    for delay_ms in [50u64, 150, 300, 500, 800, 1200, 2000] {
        let mut bot = spawn_logged(&h, &[], &log);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        sigterm(&bot);
        // Before the runtime listens, SIGTERM's default action ends the
        // process; after, the bot stops itself. Either way: promptly.
        wait_exit(&mut bot, Duration::from_secs(5));
    }
    let _ = std::fs::remove_file(log);
}

/// A handler stuck in a bank call longer than `FATURABOT_SHUTDOWN_SECS`
/// does not keep the process alive: it exits at the drain limit, names the
/// update in progress, and after a restart that payment is "being checked",
/// never paid again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_stuck_payment_exits_at_the_drain_limit() {
    // The bank answers 9100003's payment after 21 s; the bot waits 20.
    let h = Harness::without_bot(Duration::from_secs(20)).await;
    let log = h.dir.0.with_extension("drain.log");
    let extra = [
        ("FATURABOT_BANK_TIMEOUT_SECS", "20".to_owned()),
        ("FATURABOT_SHUTDOWN_SECS", "2".to_owned()),
    ];
    let mut bot = spawn_logged(&h, &extra, &log);
    let user = h.customer(3004, "tr");
    h.link(&user).await;
    let invoices = common::to_invoices(&h, &user, "9100003").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    let data = common::pay_and_wait_for_the_bank(&h, &user, &confirm).await;

    let t0 = Instant::now();
    sigterm(&bot);
    let status = wait_exit(&mut bot, Duration::from_secs(8));
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(5), "exited after {took:?}");
    assert!(!status.success(), "cut short: not a clean exit");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("drain limit reached") && text.contains("(user 3004"),
        "{text}"
    );

    let mut bot = spawn_logged(&h, &extra, &log);
    h.tg.press(&user, confirm.message_id, &data);
    h.expect_key(&user, "status.unknown").await;
    let history = h.say_key(&user, "/history", "history.title").await;
    assert!(
        history.plain().contains(&words(&user, "state.unknown")),
        "{}",
        history.plain()
    );
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1, "never twice");
    sigterm(&bot);
    assert!(wait_exit(&mut bot, Duration::from_secs(15)).success());
    let _ = std::fs::remove_file(log);
}
