//! The two clients against the sandbox over real HTTP: every method, every
//! failure mode, and requests shaped exactly like the seed's samples.
//!
//! - [`round_trip`]: every method, its requests' shapes, the catalog cache.
//! - [`failures`]: each failure's error, retries, wrong keys.

mod failures;
mod round_trip;

use std::time::Duration;

use faturabot::{
    bank::{
        Account, BankClient, BankError, CancelRequest, PaymentRequest, QueryRequest, ReceiptClient,
        RequestId, SessionId,
    },
    config::{BankConfig, ReceiptConfig},
    money::Amount,
    sandbox::{FailMode, RunningSandbox, Sandbox, SandboxConfig},
};
use secrecy::SecretString;
use serde_json::Value;

struct Fixture {
    sandbox: RunningSandbox,
    bank: BankClient,
    receipts: ReceiptClient,
}

async fn fixture_with(timeout: Duration, slow: Duration) -> Fixture {
    let sandbox = Sandbox::new(SandboxConfig {
        subscription_key: Some("sub-key".into()),
        channel: Some("TG".into()),
        app_key: Some("app-key".into()),
        receipt_api_key: Some("api-key".into()),
        receipt_secret_key: Some("secret-key".into()),
        slow_delay: slow,
        ..SandboxConfig::default()
    })
    .spawn()
    .await
    .expect("sandbox starts");
    let url: url::Url = sandbox.url.parse().unwrap();
    let bank = BankClient::new(&BankConfig {
        url: url.clone(),
        subscription_key: SecretString::from("sub-key"),
        channel: "TG".into(),
        app_key: SecretString::from("app-key"),
        dealer_code: String::new(),
        sub_dealer_code: String::new(),
        timeout,
    })
    .unwrap();
    let receipts = ReceiptClient::new(&ReceiptConfig {
        url,
        api_key: SecretString::from("api-key"),
        secret_key: SecretString::from("secret-key"),
        timeout,
    })
    .unwrap();
    Fixture {
        sandbox,
        bank,
        receipts,
    }
}

async fn fixture() -> Fixture {
    fixture_with(Duration::from_secs(5), Duration::from_secs(3)).await
}

fn account() -> Account {
    Account {
        customer_no: 3488017,
        branch_code: 9142,
        suffix: 357,
        currency: "TRY".into(),
    }
}

fn query(subscriber: &str) -> QueryRequest {
    QueryRequest {
        association_code: "ISKI".into(),
        fields: vec![("SubscriberNumber".into(), subscriber.into())],
        customer_no: 3488017,
    }
}

/// A payment of the first open invoice of `subscriber` at İSKİ.
async fn first_bill(f: &Fixture, s: &SessionId, subscriber: &str) -> PaymentRequest {
    let bill = f
        .bank
        .query_invoices(s, &query(subscriber))
        .await
        .expect("invoices")
        .remove(0);
    PaymentRequest {
        association_code: "ISKI".into(),
        bill,
        account: account(),
    }
}

/// The JSON "shape" of a value: keys and kinds, values left out.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
        Value::Number(_) => Value::String("number".into()),
        Value::String(_) => Value::String("string".into()),
        Value::Bool(_) => Value::String("bool".into()),
        Value::Null => Value::Null,
    }
}

fn seed(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/seed/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn last_body(f: &Fixture, method: &str) -> Value {
    f.sandbox
        .sandbox
        .recorded()
        .into_iter()
        .rev()
        .find(|c| c.method == method)
        .unwrap_or_else(|| panic!("no {method} call"))
        .body
}
