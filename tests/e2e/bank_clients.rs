//! The two clients against the sandbox over real HTTP: every method, every
//! failure mode, and requests shaped exactly like the seed's samples.

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

#[tokio::test]
async fn catalog_methods_and_request_shapes() {
    let f = fixture().await;
    let session = SessionId::new();

    let groups = f.bank.groups(&session).await.unwrap();
    assert!(groups.iter().any(|g| g.name == "SU"));
    assert!(groups.iter().all(|g| !g.code.starts_with('$')));
    let water = groups.iter().find(|g| g.name == "SU").unwrap();
    let list = f.bank.associations(&session, &water.code).await.unwrap();
    assert!(list.len() > 20, "a long list: {}", list.len());
    let screen = f.bank.screen(&session, "BASKENTEDAS").await.unwrap();
    assert_eq!(screen.query_fields.len(), 2);

    for (method, sample) in [
        ("GetAssociationCollectionGroup", "groups_request.json"),
        ("GetAssociationList", "association_list_request.json"),
        ("GetScreenDefinition", "screen_definition_request.json"),
    ] {
        assert_eq!(
            shape(&last_body(&f, method)),
            shape(&seed(sample)),
            "{method}"
        );
    }
    let recorded = f.sandbox.sandbox.recorded();
    assert!(recorded.iter().all(|c| {
        c.headers
            .get("ocp-apim-subscription-key")
            .map(String::as_str)
            == Some("sub-key")
    }));
    // One session, a fresh request id each time.
    let bodies: Vec<Value> = recorded.iter().map(|c| c.body.clone()).collect();
    let mut ids: Vec<&str> = bodies
        .iter()
        .filter_map(|b| b["Header"]["ChannelRequestId"].as_str())
        .collect();
    assert!(
        bodies
            .iter()
            .all(|b| b["Header"]["ChannelSessionId"] == Value::String(session.0.clone()))
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), bodies.len());
    assert!(
        f.sandbox.sandbox.violations().is_empty(),
        "{:?}",
        f.sandbox.sandbox.violations()
    );
}

#[tokio::test]
async fn query_pay_receipt_cancel_round_trip() {
    let f = fixture().await;
    let session = SessionId::new();
    let bills = f
        .bank
        .query_invoices(&session, &query("1000002"))
        .await
        .unwrap();
    assert_eq!(bills.len(), 3);
    let amounts: Vec<String> = bills.iter().map(|b| b.amount.to_string()).collect();
    assert!(amounts.contains(&"1234.56".to_owned()), "{amounts:?}");
    assert_eq!(
        shape(&last_body(&f, "QueryInvoices")),
        shape(&seed("query_invoices_request.json"))
    );

    let bill = bills
        .iter()
        .find(|b| b.amount.to_string() == "1234.56")
        .unwrap()
        .clone();
    let payment = PaymentRequest {
        association_code: "ISKI".into(),
        bill: bill.clone(),
        account: account(),
    };
    let tx = f
        .bank
        .pay(&session, &RequestId::new(), &payment)
        .await
        .unwrap()
        .expect("a TransactionId");

    // The bag went back exactly as served, and Amount as its decimal text.
    let body = last_body(&f, "InvoicePayment");
    let sent = &body["Parameters"][0];
    let served: Value = serde_json::from_str(&bill.raw).unwrap();
    assert_eq!(sent["InvoiceMessageBag"], served);
    let raw = f
        .sandbox
        .sandbox
        .recorded()
        .into_iter()
        .rev()
        .find(|c| c.method == "InvoicePayment")
        .unwrap()
        .raw_body;
    assert!(raw.contains("\"Amount\":1234.56"), "{raw}");
    let mut expected = shape(&seed("invoice_payment_request.json"));
    let mut actual = shape(&body);
    // The bag's keys are the bank's own, not a fixed shape.
    expected["Parameters"][0]["InvoiceMessageBag"] = Value::Null;
    actual["Parameters"][0]["InvoiceMessageBag"] = Value::Null;
    assert_eq!(actual, expected);

    let receipt = f.receipts.receipt(tx).await.unwrap();
    assert!(
        receipt.item.qr_code.starts_with("BP022"),
        "{:?}",
        receipt.item
    );
    assert_eq!(receipt.item.invoice_amount, Some(bill.amount));
    let rbody = last_body(&f, "invoicereceipt");
    assert_eq!(
        rbody["invoicePaymentList"][0]["invoicePaymentId"],
        Value::from(tx)
    );

    // Paid: gone from the open invoices.
    let after = f
        .bank
        .query_invoices(&session, &query("1000002"))
        .await
        .unwrap();
    assert_eq!(after.len(), 2);

    let today = faturabot::clock::Clock::system().today_istanbul();
    let cancel = CancelRequest {
        association_code: "ISKI".into(),
        subscriber_number: bill.subscriber_number.clone(),
        invoice_number: bill.invoice_number.clone(),
        payment_date: today,
        amount: bill.amount,
        customer_no: 3488017,
    };
    f.bank
        .cancel(&session, &RequestId::new(), &cancel)
        .await
        .unwrap();
    let cbody = last_body(&f, "CancelPayment");
    assert_eq!(shape(&cbody), shape(&seed("cancel_payment_request.json")));
    assert_eq!(
        cbody["Parameters"][0]["PaymentDate"],
        Value::String(format!("{today}T00:00:00"))
    );
    // Cancelling twice is refused by the bank.
    assert!(matches!(
        f.bank.cancel(&session, &RequestId::new(), &cancel).await,
        Err(BankError::Rejected { .. })
    ));
    assert!(
        f.sandbox.sandbox.violations().is_empty(),
        "{:?}",
        f.sandbox.sandbox.violations()
    );
}

#[tokio::test]
async fn query_failures_each_have_their_variant() {
    let f = fixture_with(Duration::from_millis(700), Duration::from_secs(3)).await;
    let s = SessionId::new();
    let q = |n: &'static str| {
        let (bank, s) = (f.bank.clone(), s.clone());
        async move { bank.query_invoices(&s, &query(n)).await }
    };
    assert_eq!(q("1000000").await.unwrap().len(), 0);
    assert!(matches!(
        q("9000001").await,
        Err(BankError::Rejected { .. })
    ));
    assert_eq!(q("9000002").await, Err(BankError::Status { status: 500 }));
    assert_eq!(
        q("9000003").await,
        Err(BankError::Timeout(Duration::from_millis(700)))
    );
    assert!(matches!(
        q("9000004").await,
        Err(BankError::Malformed { .. })
    ));
    assert!(matches!(
        q("9000005").await,
        Err(BankError::Malformed { .. })
    ));
    match q("9000006").await {
        Err(BankError::Refused { code, message }) => {
            assert_eq!(code, "05");
            assert!(message.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(q("5555555").await, Err(BankError::Refused { .. })));
}

#[tokio::test]
async fn reads_are_retried_once_payments_never() {
    let f = fixture().await;
    let s = SessionId::new();
    f.sandbox
        .sandbox
        .fail_next("GetAssociationCollectionGroup", FailMode::Http500, 1);
    assert!(
        f.bank.groups(&s).await.is_ok(),
        "a 500 on a read is retried"
    );
    assert_eq!(f.sandbox.sandbox.calls("GetAssociationCollectionGroup"), 2);

    let payment = first_bill(&f, &s, "9100002").await;
    let err = f
        .bank
        .pay(&s, &RequestId::new(), &payment)
        .await
        .unwrap_err();
    assert_eq!(err, BankError::Status { status: 500 });
    assert!(err.outcome_unknown());
    assert_eq!(
        f.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "never retried"
    );
}

#[tokio::test]
async fn payment_failures_each_have_their_variant() {
    let f = fixture_with(Duration::from_millis(700), Duration::from_secs(3)).await;
    let s = SessionId::new();
    let mut outcomes = Vec::new();
    for n in [
        "9100001", "9100002", "9100003", "9100004", "9100005", "9100006",
    ] {
        let payment = first_bill(&f, &s, n).await;
        outcomes.push(
            f.bank
                .pay(&s, &RequestId::new(), &payment)
                .await
                .unwrap_err(),
        );
    }
    assert!(matches!(outcomes[0], BankError::Rejected { .. }));
    assert_eq!(outcomes[1], BankError::Status { status: 500 });
    assert!(matches!(outcomes[2], BankError::Timeout(_)));
    assert!(matches!(outcomes[3], BankError::Malformed { .. }));
    assert_eq!(outcomes[4], BankError::NotCompleted { state: 3 });
    assert!(matches!(outcomes[5], BankError::Rejected { .. }));
    let unknown: Vec<bool> = outcomes.iter().map(BankError::outcome_unknown).collect();
    assert_eq!(unknown, [false, true, true, true, false, false]);
}

#[tokio::test]
async fn receipt_failures() {
    let f = fixture_with(Duration::from_millis(700), Duration::from_secs(3)).await;
    let s = SessionId::new();
    let mut outcomes = Vec::new();
    for n in ["9200001", "9200002", "9200003"] {
        let payment = first_bill(&f, &s, n).await;
        let tx = f
            .bank
            .pay(&s, &RequestId::new(), &payment)
            .await
            .unwrap()
            .unwrap();
        outcomes.push(f.receipts.receipt(tx).await.unwrap_err());
    }
    assert!(matches!(outcomes[0], BankError::Refused { .. }));
    assert_eq!(outcomes[1], BankError::Status { status: 500 });
    assert!(matches!(outcomes[2], BankError::Timeout(_)));
    // An id the service does not know.
    assert!(matches!(
        f.receipts.receipt(424242).await,
        Err(BankError::Refused { .. })
    ));
}

#[tokio::test]
async fn wrong_keys_are_refused_and_unreachable_is_its_own_error() {
    let f = fixture().await;
    let bad = BankClient::new(&BankConfig {
        url: f.sandbox.url.parse().unwrap(),
        subscription_key: SecretString::from("wrong"),
        channel: "TG".into(),
        app_key: SecretString::from("app-key"),
        dealer_code: String::new(),
        sub_dealer_code: String::new(),
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    assert!(bad.groups(&SessionId::new()).await.is_err());

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let nowhere = BankClient::new(&BankConfig {
        url: url.parse().unwrap(),
        subscription_key: SecretString::from("k"),
        channel: "TG".into(),
        app_key: SecretString::from("k"),
        dealer_code: String::new(),
        sub_dealer_code: String::new(),
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    assert!(matches!(
        nowhere.groups(&SessionId::new()).await,
        Err(BankError::Unreachable { .. })
    ));
}

#[tokio::test]
async fn catalog_is_served_from_cache() {
    let f = fixture().await;
    let catalog = faturabot::bank::Catalog::new(f.bank.clone(), Duration::from_secs(600));
    let mut tasks = Vec::new();
    let catalog = std::sync::Arc::new(catalog);
    for _ in 0..100 {
        let c = catalog.clone();
        tasks.push(tokio::spawn(async move {
            let s = SessionId::new();
            c.groups(&s).await.unwrap();
            c.associations(&s, "2").await.unwrap();
            c.screen(&s, "ISKI").await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = &f.sandbox.sandbox;
    let calls = s.calls("GetAssociationCollectionGroup")
        + s.calls("GetAssociationList")
        + s.calls("GetScreenDefinition");
    assert_eq!(
        calls, 3,
        "100 users browsing cost the bank one call per key"
    );
    let _ = Amount::ZERO;
}
