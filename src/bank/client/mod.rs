//! [`BankClient`]: the inter-API Invoice Payment service, all six methods.
//!
//! Every request is `POST {base}/{Method}` with the `Header` envelope and the
//! `Ocp-Apim-Subscription-Key` header. Reads are tried a second time when the
//! service could not be reached or failed with 5xx; a payment or a
//! cancellation is sent once, and its caller decides what an unknown outcome
//! means.
//!
//! The request types and the JSON bodies built from them are in `requests`;
//! one exchange (envelope, observer, retry of reads, what the answer means)
//! is in `transport`.

mod requests;
mod transport;

use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use url::Url;

use super::{
    BankError,
    wire::{
        self, Association, AssociationsData, Bill, Group, GroupsData, ScreenDefinition,
        TransactionData,
    },
};
use crate::config::BankConfig;
use requests::{
    CancelParam, GroupParam, PaymentEntry, PaymentParam, QueryParam, ScreenParam, SourceAccount,
};

pub use requests::{CancelRequest, PaymentRequest, QueryRequest, RequestId, SessionId};
pub(crate) use transport::{exchange, http_client};

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
