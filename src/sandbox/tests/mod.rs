//! The sandbox over real HTTP on 127.0.0.1, driven with reqwest: the harness
//! here, the tests by topic in the submodules.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

mod added;
mod cancel;
mod catalog;
mod magic;
mod payment;
mod plumbing;
mod strictness;

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
