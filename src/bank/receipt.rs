//! [`ReceiptClient`]: the Invoice Receipt Service.
//!
//! `POST {base}/invoices/invoicereceipt` with `ApiKey`/`SecretKey` headers;
//! the answer says `result`, `resultCode`, `resultMessage`.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{
    BankError,
    client::{CallObserver, exchange, http_client},
    wire,
};
use crate::{config::ReceiptConfig, money::Amount};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub merchant_code: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub merchant_name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub merchant_address: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub merchant_phone: String,
}

/// One entry of `invoiceReceiptList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptItem {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub reference_no: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub transaction_date: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub soot_type: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub soot_name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub invoice_no: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub subscriber_no: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub customer_name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub last_date: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub payment_type: String,
    #[serde(default)]
    pub invoice_amount: Option<Amount>,
    #[serde(default)]
    pub profit: Option<Amount>,
    #[serde(default)]
    pub operation_profit: Option<Amount>,
    #[serde(default)]
    pub total_amount: Option<Amount>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub qr_code: String,
}

/// A string field the service may send as `null`: read as empty.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// The receipt of one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub merchant: Merchant,
    pub item: ReceiptItem,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptResponse {
    result: Option<bool>,
    #[serde(default)]
    result_code: Option<serde_json::Value>,
    #[serde(default)]
    result_message: Option<String>,
    #[serde(default)]
    merchant_data: Option<Merchant>,
    #[serde(default)]
    invoice_receipt_list: Option<Vec<ReceiptItem>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptRequest {
    invoice_payment_list: [PaymentId; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentId {
    invoice_payment_id: i64,
}

#[derive(Clone)]
pub struct ReceiptClient {
    http: reqwest::Client,
    url: Url,
    api_key: SecretString,
    secret_key: SecretString,
    timeout: Duration,
    observer: Option<CallObserver>,
}

impl std::fmt::Debug for ReceiptClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptClient")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl ReceiptClient {
    pub fn new(config: &ReceiptConfig) -> Result<Self, BankError> {
        let http = http_client(config.timeout)?;
        let mut url = config.url.clone();
        let path = format!(
            "{}/invoices/invoicereceipt",
            url.path().trim_end_matches('/')
        );
        url.set_path(&path);
        Ok(ReceiptClient {
            http,
            url,
            api_key: config.api_key.clone(),
            secret_key: config.secret_key.clone(),
            timeout: config.timeout,
            observer: None,
        })
    }

    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The receipt of payment `payment_id` (the bank's `TransactionId`).
    /// A read: tried once more when the service is unreachable or fails 5xx.
    pub async fn receipt(&self, payment_id: i64) -> Result<Receipt, BankError> {
        match self.fetch(payment_id).await {
            Err(e) if e.retryable_read() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.fetch(payment_id).await
            }
            other => other,
        }
    }

    async fn fetch(&self, payment_id: i64) -> Result<Receipt, BankError> {
        let started = Instant::now();
        let result = self.fetch_once(payment_id).await;
        let elapsed = started.elapsed();
        if let Some(observe) = &self.observer {
            observe("invoicereceipt", elapsed, result.is_ok());
        }
        if let Err(e) = &result {
            tracing::warn!(payment_id, ms = elapsed.as_millis() as u64, error = %e, "receipt call failed");
        }
        result
    }

    async fn fetch_once(&self, payment_id: i64) -> Result<Receipt, BankError> {
        let body = ReceiptRequest {
            invoice_payment_list: [PaymentId {
                invoice_payment_id: payment_id,
            }],
        };
        let request = self
            .http
            .post(self.url.clone())
            .header("ApiKey", self.api_key.expose_secret())
            .header("SecretKey", self.secret_key.expose_secret())
            .json(&body);
        let (status, text) = exchange(request, self.timeout).await?;
        if !status.is_success() {
            return Err(BankError::Status {
                status: status.as_u16(),
            });
        }
        parse_receipt(&text)
    }
}

/// A receipt-service answer: the first receipt, or why there is none.
pub fn parse_receipt(text: &str) -> Result<Receipt, BankError> {
    let r: ReceiptResponse = wire::parse("receipt", text)?;
    let code = match &r.result_code {
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    // Success is `result: true` with `resultCode` 1; a service that says
    // true with another code is not trusted with a receipt.
    let code_ok = code.is_empty() || code.trim() == "1";
    match r.result {
        Some(true) if code_ok => {}
        Some(_) => {
            return Err(BankError::Refused {
                code,
                message: r.result_message.filter(|m| !m.trim().is_empty()),
            });
        }
        None => return Err(BankError::malformed("receipt answer without `result`")),
    }
    let item = r
        .invoice_receipt_list
        .and_then(|list| list.into_iter().next())
        .ok_or_else(|| BankError::malformed("receipt answer with an empty invoiceReceiptList"))?;
    Ok(Receipt {
        merchant: r.merchant_data.unwrap_or_default(),
        item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_strings_read_as_empty() {
        let body = r#"{"result": true, "resultCode": 1, "merchantData": {"merchantName": null},
            "invoiceReceiptList": [{"referenceNo": "FOY1", "customerName": null, "qrCode": "BP022FOY1",
            "invoiceAmount": 10.00, "totalAmount": null}]}"#;
        let r = parse_receipt(body).expect("parses");
        assert_eq!(r.item.customer_name, "");
        assert_eq!(r.merchant.merchant_name, "");
        assert_eq!(r.item.total_amount, None);
    }

    #[test]
    fn true_with_another_code_is_a_refusal() {
        let body = r#"{"result": true, "resultCode": 7, "resultMessage": "Kısmi", "invoiceReceiptList": []}"#;
        assert!(matches!(parse_receipt(body), Err(BankError::Refused { code, .. }) if code == "7"));
        let body = r#"{"result": false, "resultCode": 2, "resultMessage": "Kayıt bulunamadı"}"#;
        assert!(matches!(
            parse_receipt(body),
            Err(BankError::Refused {
                message: Some(_),
                ..
            })
        ));
        assert!(matches!(
            parse_receipt("{}"),
            Err(BankError::Malformed { .. })
        ));
        assert!(matches!(
            parse_receipt("<html>"),
            Err(BankError::Malformed { .. })
        ));
    }
}
