//! The binary as an operator meets it: configuration errors, and the
//! standalone sandbox answering all seven endpoints.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

const BIN: &str = env!("CARGO_BIN_EXE_faturabot");

/// `faturabot <args>` with a clean environment plus `vars`.
fn run(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn run_without_bank_url_exits_2_naming_it() {
    for args in [&["run"][..], &[][..]] {
        let out = run(args, &[("TELOXIDE_TOKEN", "123:abc")]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("FATURABOT_BANK_URL"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn malformed_values_exit_2_naming_the_variable() {
    let base = [
        ("TELOXIDE_TOKEN", "123:abc"),
        ("FATURABOT_BANK_URL", "http://127.0.0.1:9"),
        ("FATURABOT_BANK_CHANNEL", "TG"),
        ("FATURABOT_BANK_APP_KEY", "k"),
        ("FATURABOT_RECEIPT_URL", "http://127.0.0.1:9"),
        ("FATURABOT_RECEIPT_API_KEY", "k"),
        ("FATURABOT_RECEIPT_SECRET_KEY", "very-secret-value"),
    ];
    for (var, bad) in [
        ("FATURABOT_BANK_URL", "bank.example"),
        ("FATURABOT_BANK_TIMEOUT_SECS", "soon"),
        ("FATURABOT_AGENTS", "12,x"),
        ("FATURABOT_CATALOG_TTL_SECS", "0"),
        ("TELOXIDE_TOKEN", "nocolon"),
        ("FATURABOT_DAILY_LIMIT", "0"),
        ("FATURABOT_DAILY_LIMIT", "2.500,50"),
    ] {
        let mut vars: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != var).collect();
        vars.push((var, bad));
        let out = run(&["run"], &vars);
        assert_eq!(out.status.code(), Some(2), "{var}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(var), "{var}: {err}");
        assert!(!err.contains("very-secret-value"), "a secret leaked: {err}");
    }
}

#[test]
fn sandbox_mode_needs_only_a_token() {
    let out = run(&["run", "--sandbox"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("TELOXIDE_TOKEN"));
}

#[tokio::test]
async fn standalone_sandbox_answers_all_seven_endpoints() {
    let mut child = Command::new(BIN)
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let header = |n: u32| serde_json::json!({"Channel": "TG", "AppKey": "k", "ChannelSessionId": "s1", "ChannelRequestId": format!("r{n}")});
    let calls = [
        ("GetAssociationCollectionGroup", serde_json::json!({})),
        (
            "GetAssociationList",
            serde_json::json!({"CollectionGroup": "2"}),
        ),
        (
            "GetScreenDefinition",
            serde_json::json!({"AssociationCode": "ISKI"}),
        ),
        (
            "QueryInvoices",
            serde_json::json!({"SubDealerCode": "", "Request": {"AssociationCode": "ISKI", "SubscriberNumber": "1000001"}, "CustomerNo": 3488017}),
        ),
    ];
    let mut bill = serde_json::Value::Null;
    for (i, (method, params)) in calls.iter().enumerate() {
        let body = serde_json::json!({"Header": header(i as u32), "Parameters": [params]});
        let resp = post_json(&http, format!("{url}/{method}"), &body).await;
        assert_eq!(resp["$type"], "ServiceResponseMessage", "{method}: {resp}");
        assert!(resp.get("Data").is_some(), "{method}: {resp}");
        if *method == "QueryInvoices" {
            bill = resp["Data"]["Response"]["BillInformation"][0].clone();
        }
    }
    let pay = serde_json::json!({"Header": header(10), "Parameters": [{
        "SubDealerCode": "", "AssociationCode": "ISKI", "CustomerNo": 3488017,
        "Amount": bill["PaymentAmount"], "InvoiceMessageBag": bill,
        "PaymentEntry": {"AccountBranchCode": 9142, "AccountNumber": 3488017, "AccountSuffix": 357, "CurrencyCode": "TRY", "DealerCode": "", "SubDealerCode": ""},
        "SourceAccount": {"CustomerNo": 3488017, "BranchCode": 9142, "AccountSuffix": 357, "CurrencyCode": "TRY"}}]});
    let resp = post_json(&http, format!("{url}/InvoicePayment"), &pay).await;
    assert_eq!(resp["Data"]["State"], 2, "{resp}");
    let tx = resp["Data"]["TransactionId"].clone();

    let receipt = post_json(
        &http,
        format!("{url}/invoices/invoicereceipt"),
        &serde_json::json!({"invoicePaymentList": [{"invoicePaymentId": tx}]}),
    )
    .await;
    assert_eq!(receipt["result"], true, "{receipt}");
    assert!(
        receipt["invoiceReceiptList"][0]["qrCode"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );

    let today = faturabot::clock::Clock::system().today_istanbul();
    let cancel = serde_json::json!({"Header": header(11), "Parameters": [{
        "SubDealerCode": "", "AssociationCode": "ISKI", "SubscriberNumber": bill["SubscriberNumber"],
        "InvoiceNumber": bill["InvoiceNumber"], "PaymentDate": format!("{today}T00:00:00"),
        "PaymentAmount": bill["PaymentAmount"], "CustomerNo": 3488017}]});
    let resp = post_json(&http, format!("{url}/CancelPayment"), &cancel).await;
    assert_eq!(resp["Data"]["State"], 2, "{resp}");

    // README's way to make a method fail by hand.
    let armed = http
        .post(format!("{url}/_sandbox/fail"))
        .json(&serde_json::json!({"method": "GetAssociationList", "mode": "http500", "times": 1}))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success());
    let body = serde_json::json!({"Header": header(20), "Parameters": [{"CollectionGroup": "2"}]});
    let failed = http
        .post(format!("{url}/GetAssociationList"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);

    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn readme_documents_every_magic_number() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (number, _) in faturabot::sandbox::MAGIC_NUMBERS {
        if !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        assert!(
            readme.contains(&format!("`{number}`")),
            "README lacks {number}"
        );
    }
}

/// POSTs `body` as JSON and reads the answer as JSON.
async fn post_json(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    body: &serde_json::Value,
) -> serde_json::Value {
    http.post(url)
        .json(body)
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON answer")
}

/// `faturabot migrate`: applies the schema once; again, changes nothing.
/// Without a database URL, or with one that cannot be reached, one line
/// naming the variable (never its password) and exit 2; `run` the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_once_and_names_the_variable() {
    let out = run(&["migrate"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("FATURABOT_DATABASE_URL"));

    let unreachable = "postgres://bot:hunter2@127.0.0.1:9/faturabot";
    let out = run(&["migrate"], &[("FATURABOT_DATABASE_URL", unreachable)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("FATURABOT_DATABASE_URL") && !err.contains("hunter2"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    let out = run(
        &["run", "--sandbox"],
        &[
            ("TELOXIDE_TOKEN", "123:abc"),
            ("FATURABOT_DATABASE_URL", unreachable),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("FATURABOT_DATABASE_URL") && !err.contains("hunter2"),
        "{err}"
    );

    let Some(url) = faturabot::storage::postgres::throwaway::database("migrate").await else {
        return;
    };
    let first = run(&["migrate"], &[("FATURABOT_DATABASE_URL", &url)]);
    let said = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        said.contains("applied migrations [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"),
        "{said}"
    );
    let second = run(&["migrate"], &[("FATURABOT_DATABASE_URL", &url)]);
    let said = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(
        second.status.success() && said.contains("up to date"),
        "{said}"
    );
}

/// `faturabot webhook set|info|delete` registers the webhook once for all
/// replicas, with its secret; `set` without the secret is refused (exit 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_set_info_delete() {
    let tg = faturabot::fakegram::FakeTelegram::start()
        .await
        .expect("fake telegram");
    let api = tg.api_url().to_string();
    let hook = "https://bot.example.test/telegram";
    let vars = [
        ("TELOXIDE_TOKEN", faturabot::fakegram::TOKEN),
        ("TELOXIDE_API_URL", api.as_str()),
        ("FATURABOT_WEBHOOK_URL", hook),
    ];
    let refused = run(&["webhook", "set"], &vars);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("FATURABOT_WEBHOOK_SECRET"));
    assert_eq!(tg.webhook(), None);

    let mut with_secret = vars.to_vec();
    with_secret.push(("FATURABOT_WEBHOOK_SECRET", "s3cret-token"));
    let set = run(&["webhook", "set"], &with_secret);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(!String::from_utf8_lossy(&set.stdout).contains("s3cret"));
    assert_eq!(
        tg.webhook(),
        Some((hook.to_owned(), Some("s3cret-token".to_owned())))
    );

    let info = run(&["webhook", "info"], &vars);
    let said = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(info.status.success() && said.contains(hook), "{said}");

    let delete = run(&["webhook", "delete"], &vars);
    assert!(delete.status.success(), "{}", stderr(&delete));
    assert_eq!(tg.webhook(), None);
}

/// Replicas on one database must refuse updates without the secret header.
#[test]
fn a_replicated_webhook_needs_its_secret() {
    let out = run(
        &["run", "--sandbox"],
        &[
            ("TELOXIDE_TOKEN", "123:abc"),
            (
                "FATURABOT_DATABASE_URL",
                "postgres://bot@127.0.0.1:9/faturabot",
            ),
            ("FATURABOT_WEBHOOK_URL", "https://bot.example.test/telegram"),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("FATURABOT_WEBHOOK_SECRET"), "{err}");
}
