//! [`BankClient`]: the inter-API Invoice Payment service, all six methods.
//!
//! Every request is `POST {base}/{Method}` with the `Header` envelope and the
//! `Ocp-Apim-Subscription-Key` header. Reads are tried a second time when the
//! service could not be reached or failed with 5xx; a payment or a
//! cancellation is sent once, and its caller decides what an unknown outcome
//! means.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::value::RawValue;
use url::Url;

use super::{
    BankError,
    wire::{
        self, Account, Association, AssociationsData, Bill, Envelope, Group, GroupsData,
        ScreenDefinition, TransactionData,
    },
};
use crate::{config::BankConfig, money::Amount};

/// `ChannelSessionId`: one per dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SessionId(pub String);

impl SessionId {
    pub fn new() -> Self {
        SessionId(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl Default for SessionId {
    fn default() -> Self {
        SessionId::new()
    }
}

/// `ChannelRequestId`: one per request. A payment's is chosen (and stored)
/// by the caller before the call, so that the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn new() -> Self {
        RequestId(uuid::Uuid::new_v4().to_string())
    }
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

/// What `QueryInvoices` needs.
#[derive(Debug, Clone)]
pub struct QueryRequest {
    pub association_code: String,
    /// `(FieldName, value)` in the screen's order.
    pub fields: Vec<(String, String)>,
    pub customer_no: u64,
}

/// What `InvoicePayment` needs: the bill as received and the account.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub association_code: String,
    pub bill: Bill,
    pub account: Account,
}

/// What `CancelPayment` needs, all from the payment's record.
#[derive(Debug, Clone)]
pub struct CancelRequest {
    pub association_code: String,
    pub subscriber_number: String,
    pub invoice_number: String,
    pub payment_date: chrono::NaiveDate,
    pub amount: Amount,
    pub customer_no: u64,
}

/// Called after each bank call, for metrics: method, duration, success.
pub type CallObserver = std::sync::Arc<dyn Fn(&'static str, Duration, bool) + Send + Sync>;

#[derive(Clone)]
pub struct BankClient {
    http: reqwest::Client,
    base: Url,
    channel: String,
    app_key: SecretString,
    subscription_key: SecretString,
    dealer_code: String,
    sub_dealer_code: String,
    timeout: Duration,
    observer: Option<CallObserver>,
}

impl std::fmt::Debug for BankClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankClient")
            .field("base", &self.base.as_str())
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    #[serde(rename = "Channel")]
    channel: &'a str,
    #[serde(rename = "AppKey")]
    app_key: &'a str,
    #[serde(rename = "ChannelSessionId")]
    session: &'a str,
    #[serde(rename = "ChannelRequestId")]
    request: &'a str,
}

#[derive(Serialize)]
struct Request<'a, P: Serialize> {
    #[serde(rename = "Header")]
    header: Header<'a>,
    #[serde(rename = "Parameters")]
    parameters: [P; 1],
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct GroupParam<'a> {
    collection_group: &'a str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct ScreenParam<'a> {
    association_code: &'a str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct QueryParam<'a> {
    sub_dealer_code: &'a str,
    request: serde_json::Map<String, serde_json::Value>,
    customer_no: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PaymentParam<'a> {
    sub_dealer_code: &'a str,
    association_code: &'a str,
    customer_no: u64,
    amount: Amount,
    invoice_message_bag: &'a RawValue,
    payment_entry: PaymentEntry<'a>,
    source_account: SourceAccount<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PaymentEntry<'a> {
    account_branch_code: u32,
    account_number: u64,
    account_suffix: u32,
    currency_code: &'a str,
    dealer_code: &'a str,
    sub_dealer_code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SourceAccount<'a> {
    customer_no: u64,
    branch_code: u32,
    account_suffix: u32,
    currency_code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CancelParam<'a> {
    sub_dealer_code: &'a str,
    association_code: &'a str,
    subscriber_number: &'a str,
    invoice_number: &'a str,
    payment_date: String,
    payment_amount: Amount,
    customer_no: u64,
}

/// The HTTP client of both services: `timeout` per request.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, BankError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("faturabot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BankError::Unreachable {
            reason: e.to_string(),
        })
}

/// Sends `request`; the answer's status and its body, which must be UTF-8.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(reqwest::StatusCode, String), BankError> {
    let response = request
        .send()
        .await
        .map_err(|e| BankError::from_reqwest(e, timeout))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| BankError::from_reqwest(e, timeout))?;
    let text =
        String::from_utf8(bytes.to_vec()).map_err(|_| BankError::malformed("body is not UTF-8"))?;
    Ok((status, text))
}

impl BankClient {
    pub fn new(config: &BankConfig) -> Result<Self, BankError> {
        Ok(BankClient {
            http: http_client(config.timeout)?,
            base: config.url.clone(),
            channel: config.channel.clone(),
            app_key: config.app_key.clone(),
            subscription_key: config.subscription_key.clone(),
            dealer_code: config.dealer_code.clone(),
            sub_dealer_code: config.sub_dealer_code.clone(),
            timeout: config.timeout,
            observer: None,
        })
    }

    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn url(&self, method: &str) -> Url {
        let mut url = self.base.clone();
        // `base` may or may not end in '/'; the method is always one segment.
        let path = format!("{}/{method}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// One POST, its envelope checked. Returns the raw `Data`.
    async fn call<P: Serialize>(
        &self,
        method: &'static str,
        session: &SessionId,
        request: &RequestId,
        params: P,
    ) -> Result<Box<RawValue>, BankError> {
        let body = Request {
            header: Header {
                channel: &self.channel,
                app_key: self.app_key.expose_secret(),
                session: &session.0,
                request: &request.0,
            },
            parameters: [params],
        };
        let body = serde_json::to_vec(&body).map_err(BankError::malformed)?;
        let started = Instant::now();
        let result = self.send(method, body).await;
        let elapsed = started.elapsed();
        if let Some(observe) = &self.observer {
            observe(method, elapsed, result.is_ok());
        }
        match &result {
            Ok(_) => tracing::debug!(method, ms = elapsed.as_millis() as u64, "bank call"),
            Err(e) => {
                tracing::warn!(method, ms = elapsed.as_millis() as u64, error = %e, "bank call failed")
            }
        }
        result
    }

    async fn send(&self, method: &'static str, body: Vec<u8>) -> Result<Box<RawValue>, BankError> {
        let request = self
            .http
            .post(self.url(method))
            .header(
                "Ocp-Apim-Subscription-Key",
                self.subscription_key.expose_secret(),
            )
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let (status, text) = exchange(request, self.timeout).await?;
        let text = text.as_str();
        if !status.is_success() {
            // A 4xx/5xx may still carry the bank's Error envelope; prefer its words.
            if let Ok(env) = serde_json::from_str::<Envelope>(text)
                && env.error.is_some()
            {
                return env.into_data();
            }
            return Err(BankError::Status {
                status: status.as_u16(),
            });
        }
        let envelope: Envelope = wire::parse(method, text)?;
        envelope.into_data()
    }

    /// A read, tried once more on a retryable failure with a fresh request id.
    async fn read<P: Serialize + Clone>(
        &self,
        method: &'static str,
        session: &SessionId,
        params: P,
    ) -> Result<Box<RawValue>, BankError> {
        match self
            .call(method, session, &RequestId::new(), params.clone())
            .await
        {
            Err(e) if e.retryable_read() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.call(method, session, &RequestId::new(), params).await
            }
            other => other,
        }
    }

    pub async fn groups(&self, session: &SessionId) -> Result<Vec<Group>, BankError> {
        #[derive(Serialize, Clone)]
        struct P {}
        let data = self
            .read("GetAssociationCollectionGroup", session, P {})
            .await?;
        let groups: GroupsData = wire::parse("groups", data.get())?;
        Ok(groups.groups.0)
    }

    pub async fn associations(
        &self,
        session: &SessionId,
        group: &str,
    ) -> Result<Vec<Association>, BankError> {
        let data = self
            .read(
                "GetAssociationList",
                session,
                GroupParam {
                    collection_group: group,
                },
            )
            .await?;
        let list: AssociationsData = wire::parse("association list", data.get())?;
        Ok(list
            .response
            .into_iter()
            .filter(|a| !a.code.trim().is_empty())
            .map(|mut a| {
                if a.name.trim().is_empty() {
                    a.name = a.code.clone();
                }
                a
            })
            .collect())
    }

    pub async fn screen(
        &self,
        session: &SessionId,
        association_code: &str,
    ) -> Result<ScreenDefinition, BankError> {
        let data = self
            .read(
                "GetScreenDefinition",
                session,
                ScreenParam { association_code },
            )
            .await?;
        wire::parse_screen(data.get(), association_code)
    }

    pub async fn query_invoices(
        &self,
        session: &SessionId,
        query: &QueryRequest,
    ) -> Result<Vec<Bill>, BankError> {
        let mut request = serde_json::Map::new();
        request.insert(
            "AssociationCode".into(),
            query.association_code.clone().into(),
        );
        for (name, value) in &query.fields {
            request.insert(name.clone(), value.clone().into());
        }
        let params = QueryParam {
            sub_dealer_code: &self.sub_dealer_code,
            request,
            customer_no: query.customer_no,
        };
        let data = self.read("QueryInvoices", session, params).await?;
        wire::parse_invoices(data.get())
    }

    /// `InvoicePayment`, sent exactly once. `Ok` carries the `TransactionId`
    /// when the bank gave one.
    pub async fn pay(
        &self,
        session: &SessionId,
        request_id: &RequestId,
        payment: &PaymentRequest,
    ) -> Result<Option<i64>, BankError> {
        let bag = payment.bill.raw_value()?;
        let a = &payment.account;
        let params = PaymentParam {
            sub_dealer_code: &self.sub_dealer_code,
            association_code: &payment.association_code,
            customer_no: a.customer_no,
            amount: payment.bill.amount,
            invoice_message_bag: &bag,
            payment_entry: PaymentEntry {
                account_branch_code: a.branch_code,
                account_number: a.customer_no,
                account_suffix: a.suffix,
                currency_code: &a.currency,
                dealer_code: &self.dealer_code,
                sub_dealer_code: &self.sub_dealer_code,
            },
            source_account: SourceAccount {
                customer_no: a.customer_no,
                branch_code: a.branch_code,
                account_suffix: a.suffix,
                currency_code: &a.currency,
            },
        };
        let data = self
            .call("InvoicePayment", session, request_id, params)
            .await?;
        let tx: TransactionData = wire::parse("payment", data.get())?;
        tx.completed()
    }

    /// `CancelPayment`, sent exactly once.
    pub async fn cancel(
        &self,
        session: &SessionId,
        request_id: &RequestId,
        cancel: &CancelRequest,
    ) -> Result<(), BankError> {
        let params = CancelParam {
            sub_dealer_code: &self.sub_dealer_code,
            association_code: &cancel.association_code,
            subscriber_number: &cancel.subscriber_number,
            invoice_number: &cancel.invoice_number,
            payment_date: cancel.payment_date.format("%Y-%m-%dT00:00:00").to_string(),
            payment_amount: cancel.amount,
            customer_no: cancel.customer_no,
        };
        let data = self
            .call("CancelPayment", session, request_id, params)
            .await?;
        let tx: TransactionData = wire::parse("cancellation", data.get())?;
        tx.completed().map(|_| ())
    }
}
