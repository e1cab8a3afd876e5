//! Failure injection, the control endpoints, recording, lenient config.

use std::time::Instant;

use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn fail_next_modes() {
    let t = T::new().await;
    t.sb()
        .fail_next("GetAssociationCollectionGroup", FailMode::ErrorEnvelope, 2);
    t.sb()
        .fail_next("getassociationcollectiongroup", FailMode::Http500, 1);
    let g = || t.bank("GetAssociationCollectionGroup", json!({}));
    assert_eq!(g().await.error_code(), Some(9001));
    assert_eq!(g().await.error_code(), Some(9001));
    assert_eq!(g().await.status, 500);
    assert!(g().await.json["Data"].is_object());

    for (mode, check) in [
        (FailMode::NotJson, "not_json"),
        (FailMode::WrongShape, "wrong_shape"),
        (FailMode::Slow, "slow"),
    ] {
        t.sb().fail_next("GetAssociationList", mode, 1);
        let start = Instant::now();
        let a = t
            .bank("GetAssociationList", json!({"CollectionGroup": "1"}))
            .await;
        match check {
            "not_json" => assert!(a.json.is_string()),
            "wrong_shape" => assert!(a.json.get("Data").is_none() && a.json.get("Error").is_none()),
            _ => {
                assert!(start.elapsed() >= SLOW);
                assert!(a.json["Data"]["Response"].is_array());
            }
        }
    }

    // State 3 on payment and cancel; nothing paid by the failed one.
    let bill = t.bills("ISKI", "1000001").await.remove(0);
    t.sb()
        .fail_next("InvoicePayment", FailMode::StateNotCompleted, 1);
    assert_eq!(state_of(&t.pay("ISKI", &bill).await), Some(3));
    assert!(t.sb().payments().is_empty());
    assert_eq!(state_of(&t.pay("ISKI", &bill).await), Some(2));
    t.sb()
        .fail_next("CancelPayment", FailMode::StateNotCompleted, 1);
    assert_eq!(
        state_of(&t.cancel("ISKI", &bill, &t.today()).await),
        Some(3)
    );

    // Receipt: error → result false.
    let paid_id = t.sb().payments()[0].transaction_id;
    t.sb()
        .fail_next("invoicereceipt", FailMode::ErrorEnvelope, 1);
    assert_eq!(t.receipt(&[paid_id]).await.json["result"], false);
    assert_eq!(t.receipt(&[paid_id]).await.json["result"], true);

    // Disarm.
    t.sb().fail_next("QueryInvoices", FailMode::Http500, 5);
    t.sb().fail_next("QueryInvoices", FailMode::Http500, 0);
    assert_eq!(t.query("ISKI", "1000000").await.status, 200);
    t.assert_clean();
    assert_eq!(t.sb().calls("GetAssociationCollectionGroup"), 4);
}

#[tokio::test]
async fn http_control_endpoints() {
    let t = T::new().await;
    let health = t
        .send(t.http.get(format!("{}/_sandbox/health", t.rs.url)))
        .await;
    assert_eq!(health.status, 200);

    let arm = |body: Value| {
        t.http
            .post(format!("{}/_sandbox/fail", t.rs.url))
            .json(&body)
    };
    let a = t
        .send(arm(
            json!({"method": "QueryInvoices", "mode": "http500", "times": 1}),
        ))
        .await;
    assert_eq!((a.status, a.json["ok"].clone()), (200, json!(true)));
    assert_eq!(t.query("ISKI", "1000001").await.status, 500);
    assert_eq!(t.query("ISKI", "1000001").await.status, 200);
    assert_eq!(
        t.send(arm(json!({"method": "Nope", "mode": "slow"})))
            .await
            .status,
        400
    );
    assert_eq!(
        t.send(arm(json!({"method": "QueryInvoices", "mode": "boom"})))
            .await
            .status,
        400
    );
    assert_eq!(
        t.send(t.http.post(format!("{}/_sandbox/fail", t.rs.url)).body("{"))
            .await
            .status,
        400
    );
    t.assert_clean();

    // Unknown path: 404 JSON, recorded as a violation.
    let a = t.bank("PayEverything", json!({})).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.error_code(), Some(404));
    let a = t
        .send(t.http.get(format!("{}/QueryInvoices", t.rs.url)))
        .await;
    assert_eq!(a.status, 405);
    assert!(a.json["Error"].is_object());
    assert_eq!(t.sb().violations().len(), 2);

    let rec = t.sb().recorded();
    let q = rec.iter().find(|c| c.method == "QueryInvoices").unwrap();
    assert_eq!(
        q.headers
            .get("ocp-apim-subscription-key")
            .map(String::as_str),
        Some(SUB_KEY)
    );
    assert_eq!(
        q.body["Parameters"][0]["Request"]["AssociationCode"],
        "ISKI"
    );
}

#[tokio::test]
async fn lenient_config_accepts_any_keys() {
    let sb = Sandbox::new(SandboxConfig {
        slow_delay: SLOW,
        ..SandboxConfig::default()
    });
    let t = T::with(sb).await;
    let req = t
        .http
        .post(format!("{}/GetAssociationCollectionGroup", t.rs.url))
        .json(&json!({"Header": {"Channel": "x", "AppKey": "y", "ChannelSessionId": "null", "ChannelRequestId": "null"}, "Parameters": [{}]}));
    assert!(t.send(req).await.json["Data"].is_object());
    let req = t
        .http
        .post(format!("{}/invoices/invoicereceipt", t.rs.url))
        .json(&json!({"invoicePaymentList": [{"invoicePaymentId": 1}]}));
    assert_eq!(t.send(req).await.json["resultCode"], 2);
    t.assert_clean();
    assert!(!format!("{:?}", strict_config()).contains(SUB_KEY));
}
