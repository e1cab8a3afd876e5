//! The magic subscriber numbers of query, payment and receipt.

use std::time::Instant;

use serde_json::json;

use super::*;

#[tokio::test]
async fn query_magic_numbers() {
    let t = T::new().await;
    assert_eq!(t.query("ISKI", "9000001").await.error_code(), Some(1250));
    assert_eq!(t.query("ISKI", "9000002").await.status, 500);
    let start = Instant::now();
    let slow = t.query("ISKI", "9000003").await;
    assert!(start.elapsed() >= SLOW);
    assert_eq!(
        slow.json["Data"]["Response"]["BillInformation"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let nj = t.query("ISKI", "9000004").await;
    assert_eq!(nj.status, 200);
    assert!(nj.json.is_string());
    let ws = t.query("ISKI", "9000005").await;
    assert!(ws.json.is_object() && ws.json.get("Data").is_none() && ws.json.get("Error").is_none());
    let r = t.query("ISKI", "9000006").await;
    assert_eq!(r.json["Data"]["Response"]["ResponseCode"], "05");
    assert_eq!(
        r.json["Data"]["Response"]["ResponseMessage"],
        "Kurum sisteminde geçici bir sorun var"
    );
    t.assert_clean();
}

#[tokio::test]
async fn payment_magic_numbers() {
    let t = T::new().await;
    let mut outcomes = Vec::new();
    for sub in [
        "9100001", "9100002", "9100003", "9100004", "9100005", "9100006",
    ] {
        let bill = t.bills("ASKI", sub).await.remove(0);
        let start = Instant::now();
        let a = t.pay("ASKI", &bill).await;
        outcomes.push((
            sub,
            a.status,
            a.error_code(),
            state_of(&a),
            a.json.is_string(),
            start.elapsed() >= SLOW,
        ));
    }
    assert_eq!(
        outcomes,
        [
            ("9100001", 200, Some(2030), None, false, false),
            ("9100002", 500, None, None, false, false),
            ("9100003", 200, None, Some(2), false, true),
            ("9100004", 200, None, None, true, false),
            ("9100005", 200, None, Some(3), false, false),
            ("9100006", 200, Some(2041), None, false, false),
        ]
    );
    // Only the slow one went through.
    let paid: Vec<_> = t
        .sb()
        .payments()
        .into_iter()
        .map(|p| p.subscriber_number)
        .collect();
    assert_eq!(paid, ["9100003"]);
    assert_eq!(t.bills("ASKI", "9100001").await.len(), 1);
    assert!(t.bills("ASKI", "9100003").await.is_empty());
    t.assert_clean();
}

#[tokio::test]
async fn receipt_magic_numbers_and_refusals() {
    let t = T::new().await;
    let mut ids = Vec::new();
    for sub in ["9200001", "9200002", "9200003"] {
        let bill = t.bills("IGDAS", sub).await.remove(0);
        ids.push(
            t.pay("IGDAS", &bill).await.json["Data"]["TransactionId"]
                .as_u64()
                .unwrap(),
        );
    }
    let r = t.receipt(&ids[..1]).await;
    assert_eq!(
        (r.json["result"].clone(), r.json["resultCode"].clone()),
        (json!(false), json!(2))
    );
    assert!(r.json["resultMessage"].is_string());
    assert_eq!(t.receipt(&ids[1..2]).await.status, 500);
    let start = Instant::now();
    let r = t.receipt(&ids[2..3]).await;
    assert!(start.elapsed() >= SLOW);
    assert_eq!(r.json["result"], true);
    assert_eq!(
        r.json["invoiceReceiptList"][0]["sootType"],
        "Doğalgaz Faturası"
    );

    let r = t.receipt(&[424242]).await;
    assert_eq!(
        (r.json["result"].clone(), r.json["resultCode"].clone()),
        (json!(false), json!(2))
    );
    assert_eq!(r.json["resultMessage"], "Kayıt bulunamadı");
    t.assert_clean();

    // The list key in the documented case works too.
    let req = t
        .http
        .post(format!("{}/invoices/invoicereceipt", t.rs.url))
        .header("ApiKey", API_KEY)
        .header("SecretKey", SECRET)
        .json(&json!({"InvoicePaymentList": [{"invoicePaymentId": ids[2]}]}));
    assert_eq!(t.send(req).await.json["result"], true);
    t.assert_clean();

    // Wrong secret: 401 and a violation.
    let req = t
        .http
        .post(format!("{}/invoices/invoicereceipt", t.rs.url))
        .header("ApiKey", API_KEY)
        .header("SecretKey", "wrong")
        .json(&json!({"invoicePaymentList": [{"invoicePaymentId": ids[2]}]}));
    let r = t.send(req).await;
    assert_eq!((r.status, r.json["result"].clone()), (401, json!(false)));
    assert!(!r.text.contains(SECRET));
    t.assert_violation("header SecretKey does not match");

    // Id as a string: 400.
    let req = t
        .http
        .post(format!("{}/invoices/invoicereceipt", t.rs.url))
        .header("ApiKey", API_KEY)
        .header("SecretKey", SECRET)
        .json(&json!({"invoicePaymentList": [{"invoicePaymentId": "1"}]}));
    assert_eq!(t.send(req).await.status, 400);
    t.assert_violation("invoicePaymentList[0]");
}

#[test]
fn magic_numbers_are_documented() {
    for n in [
        "1000000", "1000001", "1000002", "9000001", "9000006", "9100001", "9100006", "9200003",
        "9300001",
    ] {
        assert!(MAGIC_NUMBERS.iter().any(|(k, _)| *k == n), "{n}");
    }
}
