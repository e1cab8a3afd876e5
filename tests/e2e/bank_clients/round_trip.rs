//! Every method of both clients, requests shaped like the seed's samples,
//! and the catalog served from the cache.

use super::*;

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
