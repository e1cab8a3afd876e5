//! What the dialogue keeps of the bank's catalog and invoices: our own
//! types, converted from the wire structs once, when they arrive.

use serde::{Deserialize, Serialize};

use crate::{bank, money::Amount};

/// A group of institutions (water, electricity …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub code: String,
    pub name: String,
}

impl From<&bank::Group> for GroupRef {
    fn from(g: &bank::Group) -> Self {
        GroupRef {
            code: g.code.clone(),
            name: g.name.clone(),
        }
    }
}

/// An institution the customer pays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    pub code: String,
    pub name: String,
}

impl From<&bank::Association> for Institution {
    fn from(a: &bank::Association) -> Self {
        Institution {
            code: a.code.clone(),
            name: a.name.clone(),
        }
    }
}

/// One value the institution asks for before a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryField {
    /// The key the bank expects (`SubscriberNumber`).
    pub name: String,
    /// The prompt, in the bank's words (`Abone Numarası`).
    pub label: String,
}

impl QueryField {
    /// What the prompt calls the field: the bank's label, else its key.
    pub fn prompt(&self) -> &str {
        if self.label.trim().is_empty() {
            &self.name
        } else {
            &self.label
        }
    }
}

impl From<&bank::QueryField> for QueryField {
    fn from(f: &bank::QueryField) -> Self {
        QueryField {
            name: f.name.clone(),
            label: f.label.clone(),
        }
    }
}

/// One open invoice: the fields the bot shows, and the item verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The `BillInformation` item exactly as received: the payment sends it
    /// back unchanged.
    pub raw: String,
    pub number: String,
    pub subscriber_number: String,
    pub subscriber_name: Option<String>,
    pub due_date: Option<String>,
    pub amount: Amount,
    pub currency: String,
}

impl From<bank::Bill> for Invoice {
    fn from(b: bank::Bill) -> Self {
        Invoice {
            raw: b.raw,
            number: b.invoice_number,
            subscriber_number: b.subscriber_number,
            subscriber_name: b.subscriber_name,
            due_date: b.due_date,
            amount: b.amount,
            currency: b.currency,
        }
    }
}

impl Invoice {
    /// The bill as the bank client sends it.
    pub fn to_bill(&self) -> bank::Bill {
        bank::Bill {
            raw: self.raw.clone(),
            invoice_number: self.number.clone(),
            subscriber_number: self.subscriber_number.clone(),
            subscriber_name: self.subscriber_name.clone(),
            due_date: self.due_date.clone(),
            amount: self.amount,
            currency: self.currency.clone(),
        }
    }

    /// The due date's day (`2020-01-25`), when the bank sent an ISO date.
    pub fn due_day(&self) -> Option<chrono::NaiveDate> {
        let text = self.due_date.as_deref()?;
        chrono::NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
    }
}
