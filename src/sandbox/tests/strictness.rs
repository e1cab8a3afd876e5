//! Strictness: request ids, keys, header, field types, the echoed bag.

use serde_json::json;

use super::*;

#[tokio::test]
async fn reused_request_id_is_a_violation() {
    let t = T::new().await;
    let header = T::header();
    let body = json!({"Header": header, "Parameters": [{}]});
    assert!(
        t.post_raw("GetAssociationCollectionGroup", &body)
            .await
            .json
            .get("Data")
            .is_some()
    );
    let again = json!({"Header": header, "Parameters": [{"CollectionGroup": "2"}]});
    let a = t.post_raw("GetAssociationList", &again).await;
    assert_eq!(a.error_code(), Some(1001));
    assert!(a.description().contains("ChannelRequestId"));
    t.assert_violation("GetAssociationList: Header.ChannelRequestId");
}

#[tokio::test]
async fn keys_and_header_are_checked() {
    let t = T::new().await;
    // Wrong subscription key.
    let req = t
        .http
        .post(format!("{}/GetAssociationCollectionGroup", t.rs.url))
        .header("Ocp-Apim-Subscription-Key", "nope")
        .json(&json!({"Header": T::header(), "Parameters": [{}]}));
    let a = t.send(req).await;
    assert_eq!(a.error_code(), Some(1001));
    assert!(!a.text.contains(SUB_KEY));
    t.assert_violation("Ocp-Apim-Subscription-Key does not match");

    // Wrong AppKey, empty session id.
    let mut h = T::header();
    h["AppKey"] = json!("other");
    h["ChannelSessionId"] = json!("");
    let a = t
        .post_raw(
            "GetAssociationCollectionGroup",
            &json!({"Header": h, "Parameters": [{}]}),
        )
        .await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("Header.AppKey does not match");
    t.assert_violation("Header.ChannelSessionId must not be empty");

    // Two parameter objects.
    let a = t
        .post_raw(
            "GetAssociationCollectionGroup",
            &json!({"Header": T::header(), "Parameters": [{}, {}]}),
        )
        .await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("exactly one object");

    // Not JSON, wrong content type.
    let req = t
        .http
        .post(format!("{}/GetAssociationCollectionGroup", t.rs.url))
        .header("Ocp-Apim-Subscription-Key", SUB_KEY)
        .header("Content-Type", "text/plain")
        .body("Header=1");
    let a = t.send(req).await;
    assert_eq!((a.status, a.error_code()), (200, Some(1001)));
    t.assert_violation("the body is not JSON");
    t.assert_violation("Content-Type");
}

#[tokio::test]
async fn query_field_types_are_checked() {
    let t = T::new().await;
    let a = t
        .bank(
            "QueryInvoices",
            json!({"Request": {"AssociationCode": "ISKI", "SubscriberNumber": 1000001}, "CustomerNo": "3488017"}),
        )
        .await;
    assert_eq!(a.error_code(), Some(1001));
    let v = t.sb().violations();
    assert_eq!(v.len(), 3, "{v:#?}");
    t.assert_violation("Parameters[0].SubDealerCode is missing");
    t.assert_violation("CustomerNo must be a JSON integer");
    t.assert_violation("Request.SubscriberNumber must be a string");

    let a = t.query("NOT AN INSTITUTION", "1000001").await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("is not an institution of this bank");
}

#[tokio::test]
async fn altered_bag_and_wrong_amount_are_violations() {
    let t = T::new().await;
    let bills = t.bills("IZSU", "1000002").await;

    let mut bag = bills[0].clone();
    bag["PaymentAmount"] = json!(1234.5);
    let a = t.pay("IZSU", &bag).await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("InvoiceMessageBag.PaymentAmount: sent 1234.5, the bank sent 1234.56");

    let mut bag = bills[0].clone();
    bag.as_object_mut().unwrap().remove("ParametricCode");
    t.pay("IZSU", &bag).await;
    t.assert_violation("InvoiceMessageBag.ParametricCode: missing");

    let mut body = T::payment("IZSU", &bills[0]);
    body["Amount"] = json!(1234);
    assert_eq!(
        t.bank("InvoicePayment", body).await.error_code(),
        Some(1001)
    );
    t.assert_violation("Amount 1234 is not the bill's PaymentAmount 1234.56");

    let mut body = T::payment("IZSU", &bills[0]);
    body["Amount"] = json!("1234.56");
    t.bank("InvoicePayment", body).await;
    t.assert_violation("Amount must be a JSON number");

    let mut body = T::payment("IZSU", &bills[0]);
    body["PaymentEntry"]["AccountNumber"] = json!(1);
    body["SourceAccount"]
        .as_object_mut()
        .unwrap()
        .remove("BranchCode");
    t.bank("InvoicePayment", body).await;
    t.assert_violation("PaymentEntry.AccountNumber 1 must be the CustomerNo");
    t.assert_violation("SourceAccount.BranchCode is missing");

    // A bill of another institution.
    let a = t.pay("ISKI", &bills[0]).await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("is not a bill this bank served");

    // None of that paid anything.
    assert!(t.sb().payments().is_empty());
    assert_eq!(state_of(&t.pay("IZSU", &bills[0]).await), Some(2));
}
