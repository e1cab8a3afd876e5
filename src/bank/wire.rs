//! The bank's JSON, read tolerantly and written exactly.
//!
//! Quirks of the real service that this module absorbs:
//! - `$type` keys on every object (ignored);
//! - `AsociationCollectionGroups` (sic; `AssociationCollectionGroups` is
//!   accepted too) is a map that also holds a `"$type"` entry, not a group;
//! - the screen definition sits at `Data.Response` or `Data.Response.Response`;
//! - `PaymentInputMappings` may repeat an entry;
//! - bill items are kept verbatim ([`Bill::raw`]) so that the payment sends
//!   back exactly what the query returned, fields unknown to us included.

use std::fmt;

use serde::{Deserialize, Serialize, de};
use serde_json::{Value, value::RawValue};

use super::BankError;
use crate::money::Amount;

/// The outer envelope of every answer.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "Data")]
    pub data: Option<Box<RawValue>>,
    #[serde(rename = "Error")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "Code", default)]
    pub code: Option<Value>,
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
}

impl Envelope {
    /// The `Data` of a successful answer, or the error it carries.
    pub fn into_data(self) -> Result<Box<RawValue>, BankError> {
        if let Some(err) = self.error {
            let code = match err.code {
                Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
                Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
                _ => -1,
            };
            return Err(BankError::Rejected {
                code,
                description: err.description.unwrap_or_default(),
            });
        }
        match self.data {
            Some(data) if data.get() != "null" => Ok(data),
            _ => Err(BankError::malformed("neither Data nor Error in the answer")),
        }
    }
}

pub fn parse<'a, T: Deserialize<'a>>(what: &str, text: &'a str) -> Result<T, BankError> {
    serde_json::from_str(text)
        .map_err(|e| BankError::malformed(format!("{what}: {}", redacted(&e))))
}

/// serde_json's message without the value it quotes: `invalid type: string
/// "…", expected u64` would carry a subscriber's name or a customer number
/// from the body into logs and the ledger's notes.
fn redacted(e: &serde_json::Error) -> String {
    let message = e.to_string();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let kind = rest.split([' ', ',']).next().unwrap_or_default();
            let expected = rest.rfind(", expected").map_or("", |i| &rest[i..]);
            return format!("{prefix}{kind}{expected}");
        }
    }
    message
}

/// An institution group (`"2"` → `"SU"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub code: String,
    pub name: String,
}

/// `Data` of `GetAssociationCollectionGroup`.
#[derive(Debug, Deserialize)]
pub struct GroupsData {
    #[serde(
        rename = "AsociationCollectionGroups",
        alias = "AssociationCollectionGroups"
    )]
    pub groups: GroupMap,
}

/// The groups in the bank's order, without the `$type` entry.
#[derive(Debug, Default)]
pub struct GroupMap(pub Vec<Group>);

impl<'de> Deserialize<'de> for GroupMap {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = GroupMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of group code to name")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<GroupMap, A::Error> {
                let mut groups = Vec::new();
                while let Some((code, value)) = map.next_entry::<String, Value>()? {
                    if code.starts_with('$') {
                        continue;
                    }
                    // Names are strings; a code given as a number is tolerated.
                    let name = match value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        _ => continue,
                    };
                    groups.push(Group { code, name });
                }
                Ok(GroupMap(groups))
            }
        }
        d.deserialize_map(V)
    }
}

/// An institution ("association") of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    #[serde(rename = "AssociationCode")]
    pub code: String,
    #[serde(rename = "AssociationName", default)]
    pub name: String,
    #[serde(rename = "CollectionGroup", default)]
    pub group: String,
    #[serde(rename = "ValidCityCodes", default)]
    pub city_codes: Vec<String>,
}

/// `Data` of `GetAssociationList`.
#[derive(Debug, Deserialize)]
pub struct AssociationsData {
    #[serde(rename = "Response")]
    pub response: Vec<Association>,
}

/// One field the institution asks for before a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryField {
    /// The prompt, in the bank's words (`Abone Numarası`).
    #[serde(rename = "CodeString", default)]
    pub label: String,
    /// The key in `QueryInvoices.Request` (`SubscriberNumber`).
    #[serde(rename = "FieldName")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenDefinition {
    pub association_code: String,
    pub query_fields: Vec<QueryField>,
    /// `PaymentInputMappings`, repeats removed, order kept.
    pub payment_params: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ScreenEntity {
    #[serde(rename = "AssociationCode", default)]
    association_code: Option<String>,
    #[serde(rename = "QueryInputFields", default)]
    query_fields: Option<Vec<QueryField>>,
    #[serde(rename = "PaymentInputMappings", default)]
    mappings: Option<Vec<PaymentInputMapping>>,
    #[serde(rename = "Response", default)]
    response: Option<Box<ScreenEntity>>,
}

#[derive(Debug, Deserialize)]
struct PaymentInputMapping {
    #[serde(rename = "PaymentInputParam")]
    param: String,
}

#[derive(Debug, Deserialize)]
struct ScreenData {
    #[serde(rename = "AssociationCode", default)]
    association_code: Option<String>,
    #[serde(rename = "Response")]
    response: ScreenEntity,
}

/// `Data` of `GetScreenDefinition`, at either depth the bank uses.
pub fn parse_screen(data: &str, requested_code: &str) -> Result<ScreenDefinition, BankError> {
    let data: ScreenData = parse("screen definition", data)?;
    let mut entity = &data.response;
    let mut code = entity.association_code.clone().or(data.association_code);
    // The seed nests one level deeper than the spec; allow a little more.
    for _ in 0..4 {
        if entity.query_fields.is_some() {
            break;
        }
        match &entity.response {
            Some(inner) => {
                entity = inner;
                code = entity.association_code.clone().or(code);
            }
            None => break,
        }
    }
    let query_fields = entity
        .query_fields
        .clone()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| BankError::malformed("screen definition without QueryInputFields"))?;
    if query_fields.iter().any(|f| f.name.trim().is_empty()) {
        return Err(BankError::malformed(
            "screen definition with an empty FieldName",
        ));
    }
    let mut payment_params: Vec<String> = Vec::new();
    for m in entity.mappings.iter().flatten() {
        if !payment_params.contains(&m.param) {
            payment_params.push(m.param.clone());
        }
    }
    Ok(ScreenDefinition {
        association_code: code.unwrap_or_else(|| requested_code.to_owned()),
        query_fields,
        payment_params,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_account_hides_the_customer_number() {
        let a = Account {
            customer_no: 3488017,
            branch_code: 9142,
            suffix: 357,
            currency: "TRY".into(),
        };
        assert_eq!(a.masked(), "9142-•••017-357 TRY");
        assert!(!a.masked().contains("3488017"));
        assert!(!format!("{a:?}").contains("3488017"));
    }

    #[test]
    fn non_zero_response_code_is_a_refusal() {
        let data = r#"{"Response":{"ResponseCode":"14","ResponseMessage":"Abone bulunamadı"}}"#;
        assert_eq!(
            parse_invoices(data),
            Err(BankError::Refused {
                code: "14".into(),
                message: Some("Abone bulunamadı".into())
            })
        );
    }

    #[test]
    fn malformed_reasons_do_not_quote_the_body() {
        let reason = |result: Result<Account, BankError>| match result {
            Err(BankError::Malformed { reason }) => reason,
            other => panic!("malformed expected, got {other:?}"),
        };
        let r = reason(parse(
            "account",
            r#"{"customer_no":"AYŞE YILMAZ","branch_code":1,"suffix":1,"currency":"TRY"}"#,
        ));
        assert!(
            r.starts_with("account: invalid type: string, expected"),
            "{r}"
        );
        assert!(!r.contains("AYŞE"), "{r}");
        let r = reason(parse(
            "account",
            r#"{"customer_no":1,"branch_code":1,"suffix":1,"currency":3488017}"#,
        ));
        assert!(!r.contains("3488017"), "{r}");
        let r = reason(parse("account", r#"{"branch_code":1}"#));
        assert!(r.contains("missing field `customer_no`"), "{r}");
    }

    #[test]
    fn state_other_than_two_is_not_completed() {
        let t: TransactionData = serde_json::from_str(r#"{"State":3}"#).unwrap();
        assert_eq!(t.completed(), Err(BankError::NotCompleted { state: 3 }));
        let t: TransactionData = serde_json::from_str(r#"{"State":2,"TransactionId":77}"#).unwrap();
        assert_eq!(t.completed(), Ok(Some(77)));
        let t: TransactionData = serde_json::from_str(r#"{"State":"x"}"#).unwrap();
        assert!(matches!(t.completed(), Err(BankError::Malformed { .. })));
    }
}
