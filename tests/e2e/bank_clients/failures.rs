//! Each failure of the bank and the receipt service has its error; reads
//! are retried once, payments never; wrong keys and no answer.

use super::*;

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
