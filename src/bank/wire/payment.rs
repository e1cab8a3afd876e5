//! Invoice queries, payments and cancellations: the bills, the outcome of a
//! transaction, and the account paid from.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, value::RawValue};

use super::parse;
use crate::{bank::BankError, money::Amount};

/// `Data` of `QueryInvoices`.
#[derive(Debug, Deserialize)]
pub struct InvoicesData {
    #[serde(rename = "Response")]
    pub response: InvoicesResponse,
}

#[derive(Debug, Deserialize)]
pub struct InvoicesResponse {
    #[serde(rename = "ResponseCode", default)]
    pub code: Option<Value>,
    #[serde(rename = "ResponseMessage", default)]
    pub message: Option<String>,
    #[serde(rename = "BillInformation", default)]
    pub bills: Option<Vec<Box<RawValue>>>,
}

/// One open invoice: its verbatim JSON and the fields the bot shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    /// The `BillInformation` item exactly as received.
    pub raw: String,
    pub invoice_number: String,
    pub subscriber_number: String,
    pub subscriber_name: Option<String>,
    /// `LastPaymentDate`, as the bank wrote it.
    pub due_date: Option<String>,
    /// `PaymentAmount`: what is paid and sent as `Amount`.
    pub amount: Amount,
    pub currency: String,
}

#[derive(Debug, Deserialize)]
struct BillFields {
    #[serde(rename = "InvoiceNumber")]
    invoice_number: String,
    #[serde(rename = "SubscriberNumber", default)]
    subscriber_number: Option<String>,
    #[serde(rename = "SubscriberName", default)]
    subscriber_name: Option<String>,
    #[serde(rename = "LastPaymentDate", default)]
    due_date: Option<String>,
    #[serde(rename = "PaymentAmount")]
    amount: Amount,
    #[serde(rename = "PaymentCurrency", default)]
    payment_currency: Option<String>,
    #[serde(rename = "InvoiceCurrency", default)]
    invoice_currency: Option<String>,
}

impl Bill {
    pub fn from_raw(raw: &RawValue) -> Result<Bill, BankError> {
        let f: BillFields = parse("BillInformation item", raw.get())?;
        if f.amount.value().is_sign_negative() {
            return Err(BankError::malformed("negative PaymentAmount"));
        }
        Ok(Bill {
            raw: raw.get().to_owned(),
            invoice_number: f.invoice_number,
            subscriber_number: f.subscriber_number.unwrap_or_default(),
            subscriber_name: f.subscriber_name.filter(|n| !n.trim().is_empty()),
            due_date: f.due_date,
            amount: f.amount,
            currency: f
                .payment_currency
                .or(f.invoice_currency)
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "TRY".to_owned()),
        })
    }

    /// The due date's day (`2020-01-25`), when the bank sent an ISO date.
    pub fn due_day(&self) -> Option<chrono::NaiveDate> {
        let text = self.due_date.as_deref()?;
        chrono::NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
    }

    pub fn raw_value(&self) -> Result<Box<RawValue>, BankError> {
        RawValue::from_string(self.raw.clone()).map_err(BankError::malformed)
    }
}

/// The outcome of `QueryInvoices`: the open bills, or a refusal.
pub fn parse_invoices(data: &str) -> Result<Vec<Bill>, BankError> {
    let data: InvoicesData = parse("invoice query", data)?;
    let r = data.response;
    let code = match &r.code {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => format!("{n:0>2}"),
        None => return Err(BankError::malformed("invoice query without ResponseCode")),
        Some(other) => return Err(BankError::malformed(format!("ResponseCode {other}"))),
    };
    if code != "00" {
        return Err(BankError::Refused {
            code,
            message: r.message.filter(|m| !m.trim().is_empty()),
        });
    }
    r.bills
        .unwrap_or_default()
        .iter()
        .map(|raw| Bill::from_raw(raw))
        .collect()
}

/// `Data` of `InvoicePayment` and `CancelPayment`.
#[derive(Debug, Deserialize)]
pub struct TransactionData {
    #[serde(rename = "State")]
    pub state: Value,
    #[serde(rename = "TransactionId", default)]
    pub transaction_id: Option<Value>,
}

impl TransactionData {
    /// `Ok(transaction id)` when the state is 2 (completed).
    pub fn completed(&self) -> Result<Option<i64>, BankError> {
        let state = match &self.state {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| BankError::malformed(format!("State {}", self.state)))?;
        if state != 2 {
            return Err(BankError::NotCompleted { state });
        }
        Ok(match &self.transaction_id {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        })
    }
}

/// The account a customer pays from: what an agent's invite carries. Its
/// `Debug` masks the customer number, like [`Account::masked`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub customer_no: u64,
    pub branch_code: u32,
    pub suffix: u32,
    pub currency: String,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({})", self.masked())
    }
}

impl Account {
    /// `9142-•••017-357`: enough for the customer to recognise it.
    pub fn masked(&self) -> String {
        let no = self.customer_no.to_string();
        let tail = &no[no.len().saturating_sub(3)..];
        format!(
            "{}-•••{tail}-{} {}",
            self.branch_code, self.suffix, self.currency
        )
    }
}
