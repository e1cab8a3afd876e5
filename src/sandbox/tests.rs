//! The sandbox over real HTTP on 127.0.0.1, driven with reqwest.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;

const SUB_KEY: &str = "sub-key-123";
const CHANNEL: &str = "FATURABOT";
const APP_KEY: &str = "app-key-456";
const API_KEY: &str = "receipt-api";
const SECRET: &str = "receipt-secret";
const SLOW: Duration = Duration::from_millis(300);
const CUSTOMER: i64 = 3488017;

fn strict_config() -> SandboxConfig {
    SandboxConfig {
        subscription_key: Some(SUB_KEY.into()),
        channel: Some(CHANNEL.into()),
        app_key: Some(APP_KEY.into()),
        receipt_api_key: Some(API_KEY.into()),
        receipt_secret_key: Some(SECRET.into()),
        slow_delay: SLOW,
        latency: Duration::ZERO,
    }
}

struct T {
    rs: RunningSandbox,
    http: reqwest::Client,
}

/// An answer: status, raw text, JSON (or `Value::String(text)`).
struct Ans {
    status: u16,
    text: String,
    json: Value,
}

impl Ans {
    fn error_code(&self) -> Option<i64> {
        self.json["Error"]["Code"].as_i64()
    }
    fn description(&self) -> String {
        self.json["Error"]["Description"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl T {
    async fn new() -> T {
        T::with(Sandbox::new(strict_config())).await
    }

    async fn with(sb: Sandbox) -> T {
        T {
            rs: sb.spawn().await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    fn sb(&self) -> &Sandbox {
        &self.rs.sandbox
    }

    fn header() -> Value {
        json!({
            "Channel": CHANNEL,
            "AppKey": APP_KEY,
            "ChannelSessionId": "session-1",
            "ChannelRequestId": uuid::Uuid::new_v4().to_string(),
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Ans {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Ans { status, text, json }
    }

    async fn post_raw(&self, path: &str, body: &Value) -> Ans {
        let req = self
            .http
            .post(format!("{}/{path}", self.rs.url))
            .header("Ocp-Apim-Subscription-Key", SUB_KEY)
            .json(body);
        self.send(req).await
    }

    async fn bank(&self, method: &str, params: Value) -> Ans {
        self.post_raw(
            method,
            &json!({"Header": T::header(), "Parameters": [params]}),
        )
        .await
    }

    async fn query(&self, assoc: &str, sub: &str) -> Ans {
        self.bank(
            "QueryInvoices",
            json!({"SubDealerCode": "", "Request": {"AssociationCode": assoc, "SubscriberNumber": sub}, "CustomerNo": CUSTOMER}),
        )
        .await
    }

    async fn bills(&self, assoc: &str, sub: &str) -> Vec<Value> {
        let a = self.query(assoc, sub).await;
        assert_eq!(
            a.json["Data"]["Response"]["ResponseCode"], "00",
            "{}",
            a.text
        );
        a.json["Data"]["Response"]["BillInformation"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn payment(assoc: &str, bill: &Value) -> Value {
        json!({
            "SubDealerCode": "",
            "AssociationCode": assoc,
            "CustomerNo": CUSTOMER,
            "Amount": bill["PaymentAmount"],
            "InvoiceMessageBag": bill,
            "PaymentEntry": {"AccountBranchCode": 9142, "AccountNumber": CUSTOMER, "AccountSuffix": 357,
                             "CurrencyCode": "TRY", "DealerCode": "", "SubDealerCode": ""},
            "SourceAccount": {"CustomerNo": CUSTOMER, "BranchCode": 9142, "AccountSuffix": 357, "CurrencyCode": "TRY"},
        })
    }

    async fn pay(&self, assoc: &str, bill: &Value) -> Ans {
        self.bank("InvoicePayment", T::payment(assoc, bill)).await
    }

    async fn cancel(&self, assoc: &str, bill: &Value, date: &str) -> Ans {
        self.bank(
            "CancelPayment",
            json!({
                "SubDealerCode": "",
                "AssociationCode": assoc,
                "SubscriberNumber": bill["SubscriberNumber"],
                "InvoiceNumber": bill["InvoiceNumber"],
                "PaymentDate": date,
                "PaymentAmount": bill["PaymentAmount"],
                "CustomerNo": CUSTOMER,
            }),
        )
        .await
    }

    async fn receipt(&self, ids: &[u64]) -> Ans {
        let list: Vec<Value> = ids
            .iter()
            .map(|id| json!({"invoicePaymentId": id}))
            .collect();
        let req = self
            .http
            .post(format!("{}/invoices/invoicereceipt", self.rs.url))
            .header("ApiKey", API_KEY)
            .header("SecretKey", SECRET)
            .json(&json!({"invoicePaymentList": list}));
        self.send(req).await
    }

    fn today(&self) -> String {
        format!(
            "{}T00:00:00",
            self.sb().clock().today_istanbul().format("%Y-%m-%d")
        )
    }

    fn assert_clean(&self) {
        assert_eq!(self.sb().violations(), Vec::<String>::new());
    }

    /// Exactly one new violation, containing `needle`.
    fn assert_violation(&self, needle: &str) {
        let v = self.sb().violations();
        assert!(
            v.iter().any(|x| x.contains(needle)),
            "no violation containing {needle:?} in {v:#?}"
        );
    }
}

fn state_of(a: &Ans) -> Option<i64> {
    a.json["Data"]["State"].as_i64()
}

// ---- catalog shapes ----

#[tokio::test]
async fn groups_are_shaped_like_the_seed() {
    let t = T::new().await;
    let a = t.bank("GetAssociationCollectionGroup", json!({})).await;
    assert_eq!(a.status, 200);
    assert!(a.text.starts_with(r#"{"$type":"ServiceResponseMessage","Data":{"$type":"AssociationCollectionGroupsQueryMessage","AsociationCollectionGroups":{"$type":"Dictionary`2","1":"ELEKTRİK","2":"SU""#), "{}", a.text);
    let groups = a.json["Data"]["AsociationCollectionGroups"]
        .as_object()
        .unwrap();
    assert_eq!(groups["11"], "HAYAT SIGORTASI KURUMLARI");
    assert_eq!(groups["3"], "DOĞALGAZ");
    t.assert_clean();
}

#[tokio::test]
async fn association_list_is_long_and_realistic() {
    let t = T::new().await;
    let a = t
        .bank("GetAssociationList", json!({"CollectionGroup": "2"}))
        .await;
    let list = a.json["Data"]["Response"].as_array().unwrap();
    assert!(list.len() >= 25);
    assert_eq!(a.json["Data"]["$type"], "AssociationListQueryMessage");
    let find = |code: &str| {
        list.iter()
            .find(|i| i["AssociationCode"] == code)
            .unwrap_or_else(|| panic!("{code}"))
            .clone()
    };
    assert_eq!(
        find("ISKI")["AssociationName"],
        "İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ"
    );
    assert_eq!(
        find("IGDIR SU")["AssociationName"],
        "IĞDIR BELEDİYESİ SU İŞLERİ"
    );
    assert_eq!(find("ADANA SU")["ValidCityCodes"], json!(["01"]));
    assert_eq!(find("ARTVINSU")["AssociationName"], "ARTVİN BELEDİYESİ SU");
    assert_eq!(
        find("AB SU KOOP")["AssociationName"],
        "A&B <SU> KOOPERATİFİ"
    );
    assert!(find(LONG_CODE)["AssociationCode"].as_str().unwrap().len() > 40);
    for i in list {
        assert_eq!(i["$type"], "Association");
        assert_eq!(i["CollectionGroup"], "2");
    }
    // An unknown group is a business error, not a violation.
    let a = t
        .bank("GetAssociationList", json!({"CollectionGroup": "99"}))
        .await;
    assert_eq!(a.error_code(), Some(1101));
    t.assert_clean();
}

#[tokio::test]
async fn screen_definition_is_doubly_nested_with_repeated_mappings() {
    let t = T::new().await;
    let a = t
        .bank(
            "GetScreenDefinition",
            json!({"AssociationCode": "ARTVINSU"}),
        )
        .await;
    let inner = &a.json["Data"]["Response"]["Response"];
    assert_eq!(a.json["Data"]["$type"], "ScreenDefinitionQueryMessage");
    assert_eq!(
        a.json["Data"]["Response"]["$type"],
        "ScreenDefinitionEntity"
    );
    assert_eq!(inner["$type"], "ScreenDefinitionEntity");
    assert_eq!(
        inner["QueryInputFields"],
        json!([{"$type": "FieldMapping", "CodeString": "Abone Numarası", "FieldName": "SubscriberNumber"}])
    );
    let mappings: Vec<&str> = inner["PaymentInputMappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["PaymentInputParam"].as_str().unwrap())
        .collect();
    assert_eq!(
        mappings,
        [
            "AssociationCode",
            "AssociationCode",
            "SubscriberNumber",
            "InvoiceNumber",
            "ParametricCode"
        ]
    );

    let a = t
        .bank(
            "GetScreenDefinition",
            json!({"AssociationCode": "BASKENTEDAS"}),
        )
        .await;
    let fields: Vec<&str> = a.json["Data"]["Response"]["Response"]["QueryInputFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FieldName"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["InstallationNumber", "SubscriberNumber"]);

    let a = t
        .bank("GetScreenDefinition", json!({"AssociationCode": "NOPE"}))
        .await;
    assert_eq!(a.error_code(), Some(1102));
    t.assert_clean();
}

// ---- the payment round trip ----

#[tokio::test]
async fn query_pay_receipt_cancel_round_trip() {
    let t = T::new().await;
    let a = t.query("ISKI", "1000001").await;
    assert!(a.text.contains(r#""PaymentAmount":29.2,"#), "{}", a.text);
    assert_eq!(
        a.json["Data"]["Response"]["$type"],
        "InvoiceMessageBagEntity"
    );
    let bill = a.json["Data"]["Response"]["BillInformation"][0].clone();
    for field in [
        "$type",
        "SubscriberName",
        "SubscriberNumber",
        "InvoiceNumber",
        "LastPaymentDate",
        "InvoiceAmount",
        "PaymentAmount",
        "InvoiceDate",
        "InvoiceCurrency",
        "PaymentCurrency",
        "CurrencyCode",
        "AssociationCode",
        "ParametricCode",
    ] {
        assert!(bill.get(field).is_some(), "missing {field}");
    }

    // The bag may drop $type.
    let mut bag = bill.clone();
    bag.as_object_mut().unwrap().remove("$type");
    let paid = t.pay("ISKI", &bag).await;
    assert_eq!(state_of(&paid), Some(2), "{}", paid.text);
    assert_eq!(paid.json["Data"]["$type"], "PaymentEsbTransactionMessage");
    let id = paid.json["Data"]["TransactionId"].as_u64().unwrap();
    assert!(id > 100_000, "ids start above 100000: {id}");

    // Paid: gone from the open invoices; paying again is refused.
    assert!(t.bills("ISKI", "1000001").await.is_empty());
    let again = t.pay("ISKI", &bill).await;
    assert_eq!(again.error_code(), Some(2041));
    assert_eq!(again.description(), "Fatura daha önce ödenmiş");

    let r = t.receipt(&[id]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["result"], true);
    assert_eq!(r.json["resultCode"], 1);
    assert_eq!(r.json["resultMessage"], "İşlem Başarılı");
    assert!(r.json["merchantData"]["merchantCode"].is_string());
    let item = &r.json["invoiceReceiptList"][0];
    assert_eq!(item["referenceNo"], format!("FOY{id}"));
    assert_eq!(item["qrCode"], format!("BP022FOY{id}"));
    assert_eq!(item["sootType"], "Su Faturası");
    assert_eq!(item["sootName"], "İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ");
    assert_eq!(item["invoiceNo"], bill["InvoiceNumber"]);
    assert_eq!(item["subscriberNo"], "1000001");
    assert!(item["customerName"].as_str().unwrap().contains("***"));
    assert!(
        r.text.contains(
            r#""invoiceAmount":29.20,"profit":1.82,"operationProfit":0.00,"totalAmount":31.02"#
        ),
        "{}",
        r.text
    );
    let date = item["transactionDate"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(date, "%-d.%m.%Y %H:%M:%S").is_ok(),
        "{date}"
    );

    let c = t.cancel("ISKI", &bill, &t.today()).await;
    assert_eq!(state_of(&c), Some(2), "{}", c.text);
    assert_eq!(c.json["Data"]["$type"], "CancelPaymentTransactionMessage");
    // Cancelled: the invoice is open again, and cannot be cancelled twice.
    assert_eq!(t.bills("ISKI", "1000001").await.len(), 1);
    assert_eq!(
        t.cancel("ISKI", &bill, &t.today()).await.error_code(),
        Some(2053)
    );
    assert!(t.sb().payments()[0].cancelled);
    t.assert_clean();
    assert_eq!(t.sb().calls("InvoicePayment"), 2);
    assert_eq!(t.sb().calls("invoicereceipt"), 1);
}

#[tokio::test]
async fn three_invoices_keep_exact_amounts_and_pay_one_by_one() {
    let t = T::new().await;
    let a = t.query("ADANA SU", "1000002").await;
    for raw in [
        r#""PaymentAmount":1234.56,"#,
        r#""PaymentAmount":0.10,"#,
        r#""PaymentAmount":20000,"#,
    ] {
        assert!(a.text.contains(raw), "{raw} in {}", a.text);
    }
    let bills = a.json["Data"]["Response"]["BillInformation"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(bills.len(), 3);
    let numbers: std::collections::HashSet<_> =
        bills.iter().map(|b| b["InvoiceNumber"].clone()).collect();
    let dues: std::collections::HashSet<_> =
        bills.iter().map(|b| b["LastPaymentDate"].clone()).collect();
    assert_eq!((numbers.len(), dues.len()), (3, 3));
    assert!(
        bills
            .iter()
            .all(|b| b["ParametricCode"].as_str().unwrap().starts_with("P-"))
    );

    // serde_json reads 0.10 as 0.1 and sends it so: equal as decimals.
    let p = t.pay("ADANA SU", &bills[1]).await;
    assert_eq!(state_of(&p), Some(2), "{}", p.text);
    assert_eq!(t.bills("ADANA SU", "1000002").await.len(), 2);
    // Same subscriber elsewhere is untouched.
    assert_eq!(t.bills("ISKI", "1000002").await.len(), 3);
    t.assert_clean();
}

#[tokio::test]
async fn two_field_institution_needs_both_fields() {
    let t = T::new().await;
    let q = |inst: Value| json!({"SubDealerCode": "", "Request": inst, "CustomerNo": CUSTOMER});
    let a = t
        .bank(
            "QueryInvoices",
            q(json!({"AssociationCode": "BASKENTEDAS", "SubscriberNumber": "1000001"})),
        )
        .await;
    assert_eq!(a.error_code(), Some(1001));
    t.assert_violation("Request.InstallationNumber is missing");

    let a = t
        .bank(
            "QueryInvoices",
            q(json!({"AssociationCode": "BASKENTEDAS", "InstallationNumber": "4455667", "SubscriberNumber": "1000001"})),
        )
        .await;
    let bill = a.json["Data"]["Response"]["BillInformation"][0].clone();
    assert_eq!(bill["InstallationNumber"], "4455667");
    assert_eq!(state_of(&t.pay("BASKENTEDAS", &bill).await), Some(2));
}

#[tokio::test]
async fn no_debt_and_unknown_subscriber() {
    let t = T::new().await;
    let a = t.query("ISKI", "1000000").await;
    assert_eq!(a.json["Data"]["Response"]["ResponseCode"], "00");
    assert_eq!(a.json["Data"]["Response"]["BillInformation"], json!([]));
    let a = t.query("ISKI", "5555555").await;
    assert_eq!(a.json["Data"]["Response"]["ResponseCode"], "14");
    assert_eq!(
        a.json["Data"]["Response"]["ResponseMessage"],
        "Abone bulunamadı"
    );
    t.assert_clean();
}

// ---- magic numbers ----

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

#[tokio::test]
async fn cancel_refused_with_state_3() {
    let t = T::new().await;
    let bill = t.bills("TURKCELL", "9300001").await.remove(0);
    assert_eq!(state_of(&t.pay("TURKCELL", &bill).await), Some(2));
    let c = t.cancel("TURKCELL", &bill, &t.today()).await;
    assert_eq!(state_of(&c), Some(3));
    assert!(!t.sb().payments()[0].cancelled);
    t.assert_clean();
}

#[tokio::test]
async fn cancel_only_today() {
    // 2026-03-10 20:30 UTC is 23:30 in Istanbul; a day later it is the 11th.
    let day1 = Utc.with_ymd_and_hms(2026, 3, 10, 20, 30, 0).unwrap();
    let sb = Sandbox::new(strict_config()).with_clock(crate::clock::Clock::fixed(day1));
    let t = T::with(sb).await;
    let bill = t.bills("ISKI", "1000001").await.remove(0);
    assert_eq!(state_of(&t.pay("ISKI", &bill).await), Some(2));
    assert_eq!(
        t.sb().payments()[0].date,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    );

    t.sb()
        .set_clock(crate::clock::Clock::fixed(day1 + chrono::Duration::days(1)));
    let c = t.cancel("ISKI", &bill, "2026-03-10T00:00:00").await;
    assert_eq!(c.error_code(), Some(2052), "{}", c.text);
    // Today's date does not match the payment either.
    assert_eq!(
        t.cancel("ISKI", &bill, "2026-03-11T00:00:00")
            .await
            .error_code(),
        Some(2051)
    );
    // A wrongly formatted date is a violation.
    let c = t.cancel("ISKI", &bill, "2026-03-11").await;
    assert_eq!(c.error_code(), Some(1001));
    t.assert_violation("PaymentDate");
}

#[tokio::test]
async fn cancel_of_unknown_payment() {
    let t = T::new().await;
    let bill = t.bills("ISKI", "1000001").await.remove(0);
    assert_eq!(
        t.cancel("ISKI", &bill, &t.today()).await.error_code(),
        Some(2051)
    );
    t.assert_clean();
}

// ---- strictness ----

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

// ---- failure injection and plumbing ----

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

#[test]
fn magic_numbers_are_documented() {
    for n in [
        "1000000", "1000001", "1000002", "9000001", "9000006", "9100001", "9100006", "9200003",
        "9300001",
    ] {
        assert!(MAGIC_NUMBERS.iter().any(|(k, _)| *k == n), "{n}");
    }
}
