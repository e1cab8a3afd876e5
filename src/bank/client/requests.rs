//! What callers ask for ([`QueryRequest`], [`PaymentRequest`],
//! [`CancelRequest`], with their session and request ids), and the JSON
//! bodies the bank is sent for them.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::{
    bank::wire::{Account, Bill},
    money::Amount,
};

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

#[derive(Serialize)]
pub(super) struct Header<'a> {
    #[serde(rename = "Channel")]
    pub(super) channel: &'a str,
    #[serde(rename = "AppKey")]
    pub(super) app_key: &'a str,
    #[serde(rename = "ChannelSessionId")]
    pub(super) session: &'a str,
    #[serde(rename = "ChannelRequestId")]
    pub(super) request: &'a str,
}

#[derive(Serialize)]
pub(super) struct Request<'a, P: Serialize> {
    #[serde(rename = "Header")]
    pub(super) header: Header<'a>,
    #[serde(rename = "Parameters")]
    pub(super) parameters: [P; 1],
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupParam<'a> {
    pub(super) collection_group: &'a str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ScreenParam<'a> {
    pub(super) association_code: &'a str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct QueryParam<'a> {
    pub(super) sub_dealer_code: &'a str,
    pub(super) request: serde_json::Map<String, serde_json::Value>,
    pub(super) customer_no: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PaymentParam<'a> {
    pub(super) sub_dealer_code: &'a str,
    pub(super) association_code: &'a str,
    pub(super) customer_no: u64,
    pub(super) amount: Amount,
    pub(super) invoice_message_bag: &'a RawValue,
    pub(super) payment_entry: PaymentEntry<'a>,
    pub(super) source_account: SourceAccount<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PaymentEntry<'a> {
    pub(super) account_branch_code: u32,
    pub(super) account_number: u64,
    pub(super) account_suffix: u32,
    pub(super) currency_code: &'a str,
    pub(super) dealer_code: &'a str,
    pub(super) sub_dealer_code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SourceAccount<'a> {
    pub(super) customer_no: u64,
    pub(super) branch_code: u32,
    pub(super) account_suffix: u32,
    pub(super) currency_code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CancelParam<'a> {
    pub(super) sub_dealer_code: &'a str,
    pub(super) association_code: &'a str,
    pub(super) subscriber_number: &'a str,
    pub(super) invoice_number: &'a str,
    pub(super) payment_date: String,
    pub(super) payment_amount: Amount,
    pub(super) customer_no: u64,
}
