//! Invoices added by hand ([`Sandbox::add_invoice`], `POST /_sandbox/invoice`):
//! served by QueryInvoices on top of a subscriber's magic bills, so tests and
//! the demo can make a new unpaid invoice appear.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::Sandbox;
use super::catalog;
use super::json::Json;
use super::magic::BillSpec;
use super::state::State;

/// An invoice to add. See [`Sandbox::add_invoice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// An institution's code, or `None`: served under every institution.
    pub association: Option<String>,
    /// The `SubscriberNumber` it is served for.
    pub subscriber: String,
    /// Both `InvoiceAmount` and `PaymentAmount`, as given.
    pub amount: Decimal,
    /// `LastPaymentDate` is the sandbox's today plus this (negative: overdue).
    pub due_in_days: i64,
}

/// Why an invoice was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NewInvoiceError(pub String);

/// An invoice added by hand, as kept in the state.
#[derive(Debug, Clone)]
pub(crate) struct AddedInvoice {
    pub association: Option<String>,
    pub subscriber: String,
    pub invoice_number: String,
    pub amount: Decimal,
    pub invoice_date: NaiveDate,
    pub last_payment_date: NaiveDate,
}

/// A long-running `sandbox --listen` must not grow without bound.
pub(crate) const MAX_ADDED: usize = 100_000;
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
pub(crate) const MAX_DUE_IN_DAYS: i64 = 365;
const MAX_SUBSCRIBER_LEN: usize = 32;

impl Sandbox {
    /// Adds one open invoice for `new.subscriber`, numbered afresh; returns
    /// its `InvoiceNumber`. It is paid and cancelled like the magic bills;
    /// once paid, it is not served again (at any institution).
    pub fn add_invoice(&self, new: NewInvoice) -> Result<String, NewInvoiceError> {
        self.add(new).map(|a| a.invoice_number)
    }

    pub(crate) fn add(&self, new: NewInvoice) -> Result<AddedInvoice, NewInvoiceError> {
        check(&new)?;
        let today = self.clock().today_istanbul();
        let last_payment_date = today
            .checked_add_signed(Duration::days(new.due_in_days))
            .ok_or_else(|| NewInvoiceError("\"due_in_days\" is out of range".into()))?;
        let mut st = self.state();
        if st.added.len() >= MAX_ADDED {
            return Err(NewInvoiceError(format!(
                "the sandbox holds {MAX_ADDED} added invoices already"
            )));
        }
        st.next_added += 1;
        // `N` and a dash: no magic bill number looks like this.
        let invoice_number = format!("N{:06}-{}", st.next_added, new.subscriber);
        let added = AddedInvoice {
            association: new.association,
            subscriber: new.subscriber,
            invoice_number,
            amount: new.amount,
            invoice_date: today,
            last_payment_date,
        };
        st.added.push(added.clone());
        tracing::info!(
            invoice = added.invoice_number,
            association = ?added.association,
            "sandbox: invoice added"
        );
        Ok(added)
    }
}

fn check(new: &NewInvoice) -> Result<(), NewInvoiceError> {
    let bad = |why: String| Err(NewInvoiceError(why));
    if let Some(code) = &new.association
        && catalog::institution(code).is_none()
    {
        return bad(format!(
            "\"association\" {code:?} is not an institution of this bank"
        ));
    }
    let s = &new.subscriber;
    if s.is_empty() || s.len() > MAX_SUBSCRIBER_LEN || !s.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return bad(format!(
            "\"subscriber\" must be 1 to {MAX_SUBSCRIBER_LEN} letters or digits, got {s:?}"
        ));
    }
    let a = new.amount;
    if a <= Decimal::ZERO || a > MAX_AMOUNT || a.normalize().scale() > 2 {
        return bad(format!(
            "\"amount\" must be more than 0 and at most {MAX_AMOUNT}, in kuruş at most (2 decimals), got {a}"
        ));
    }
    if new.due_in_days.abs() > MAX_DUE_IN_DAYS {
        return bad(format!(
            "\"due_in_days\" must be from -{MAX_DUE_IN_DAYS} to {MAX_DUE_IN_DAYS}, got {}",
            new.due_in_days
        ));
    }
    Ok(())
}

/// The body of `POST /_sandbox/invoice`; unknown keys are refused, so a typo
/// is not silently a default.
pub(crate) fn parse_request(j: &Json) -> Result<NewInvoice, NewInvoiceError> {
    let bad = |why: &str| Err(NewInvoiceError(why.into()));
    let Some(pairs) = j.as_obj() else {
        return bad("the body must be a JSON object");
    };
    if let Some((k, _)) = pairs.iter().find(|(k, _)| {
        !matches!(
            k.as_str(),
            "association" | "subscriber" | "amount" | "due_in_days"
        )
    }) {
        return Err(NewInvoiceError(format!(
            "unknown key {k:?}: the keys are association, subscriber, amount, due_in_days"
        )));
    }
    let association = match j.get("association") {
        None | Some(Json::Null) => None,
        Some(Json::Str(code)) => Some(code.clone()),
        Some(_) => return bad("\"association\" must be an institution code (a string) or omitted"),
    };
    let Some(subscriber) = j.get("subscriber").and_then(Json::as_str) else {
        return bad("\"subscriber\" must be a string");
    };
    let Some(amount) = j
        .get("amount")
        .and_then(Json::as_str)
        .and_then(plain_decimal)
    else {
        return bad("\"amount\" must be a decimal string like \"29.20\"");
    };
    let Some(due_in_days) = j.get("due_in_days").and_then(Json::as_int) else {
        return bad("\"due_in_days\" must be an integer (days from the sandbox's today)");
    };
    Ok(NewInvoice {
        association,
        subscriber: subscriber.to_string(),
        amount,
        due_in_days,
    })
}

/// `29.20`, `100`: digits and at most one dot, no sign or exponent.
fn plain_decimal(text: &str) -> Option<Decimal> {
    let (int, frac) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    text.parse().ok()
}

/// Whether any invoice was added for `subscriber` at `code`, paid or not:
/// such a subscriber exists even if its magic number does not.
pub(crate) fn known(st: &State, code: &str, subscriber: &str) -> bool {
    added_for(st, code, subscriber).next().is_some()
}

fn added_for<'a>(
    st: &'a State,
    code: &'a str,
    subscriber: &'a str,
) -> impl Iterator<Item = &'a AddedInvoice> {
    st.added
        .iter()
        .filter(move |a| a.subscriber == subscriber)
        .filter(move |a| a.association.as_deref().is_none_or(|c| c == code))
}

/// The added invoices served for `subscriber` at `code`, unpaid ones only.
pub(crate) fn open_specs(st: &State, code: &str, subscriber: &str) -> Vec<BillSpec> {
    added_for(st, code, subscriber)
        .filter(|a| !st.is_paid(code, &a.invoice_number, true))
        .map(|a| BillSpec {
            invoice_number: a.invoice_number.clone(),
            amount: a.amount,
            invoice_date: a.invoice_date,
            last_payment_date: a.last_payment_date,
            parametric_code: format!("P-{}", a.invoice_number),
        })
        .collect()
}
