//! Strictness, per method: a request's parameters checked and turned into
//! what the method needs.

use chrono::NaiveDateTime;

use super::envelope::bank_date;
use super::{CancelKey, Method, Valid};
use crate::sandbox::State;
use crate::sandbox::catalog;
use crate::sandbox::checks::Checker;
use crate::sandbox::json::{Json, same_ignoring_type};

pub(super) fn validate(m: Method, chk: &mut Checker, p: &Json, st: &State) -> Option<Valid> {
    const P: &str = "Parameters[0]";
    match m {
        Method::Groups => Some(Valid::Groups),
        Method::List => chk
            .string(p, P, "CollectionGroup", true)
            .map(|g| Valid::List {
                group: g.to_string(),
            }),
        Method::Screen => chk
            .string(p, P, "AssociationCode", true)
            .map(|c| Valid::Screen {
                code: c.to_string(),
            }),
        Method::Query => {
            chk.string(p, P, "SubDealerCode", false);
            chk.integer(p, P, "CustomerNo");
            let req = chk.object(p, P, "Request")?;
            let path = "Parameters[0].Request";
            let code = chk.string(req, path, "AssociationCode", true)?;
            let Some(inst) = catalog::institution(code) else {
                chk.fail(format!(
                    "{path}.AssociationCode {code:?} is not an institution of this bank"
                ));
                return None;
            };
            let mut inputs = Vec::new();
            for (_, field) in inst.query_fields() {
                if let Some(v) = chk.string(req, path, field, true) {
                    inputs.push((*field, v.to_string()));
                }
            }
            chk.is_clean().then_some(Valid::Query { inst, inputs })
        }
        Method::Pay => validate_payment(chk, p, st),
        Method::Cancel => {
            chk.string(p, P, "SubDealerCode", false);
            let code = chk.string(p, P, "AssociationCode", true);
            let subscriber = chk.string(p, P, "SubscriberNumber", true);
            let invoice = chk.string(p, P, "InvoiceNumber", true);
            let date = chk.string(p, P, "PaymentDate", true).and_then(|d| {
                let parsed = NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S")
                    .ok()
                    .map(|t| t.date());
                match parsed.filter(|day| bank_date(*day) == d) {
                    Some(day) => Some(day),
                    None => {
                        chk.fail(format!(
                            "{P}.PaymentDate must be \"YYYY-MM-DDT00:00:00\", got {d:?}"
                        ));
                        None
                    }
                }
            });
            let amount = chk.number(p, P, "PaymentAmount");
            let customer_no = chk.integer(p, P, "CustomerNo");
            let inst = code.and_then(|c| {
                let inst = catalog::institution(c);
                if inst.is_none() {
                    chk.fail(format!(
                        "{P}.AssociationCode {c:?} is not an institution of this bank"
                    ));
                }
                inst
            });
            Some(Valid::Cancel(CancelKey {
                inst: inst?,
                subscriber: subscriber?.to_string(),
                invoice_number: invoice?.to_string(),
                date: date?,
                amount: amount?,
                customer_no: customer_no?,
            }))
        }
    }
}

fn validate_payment(chk: &mut Checker, p: &Json, st: &State) -> Option<Valid> {
    const P: &str = "Parameters[0]";
    chk.string(p, P, "SubDealerCode", false);
    let code = chk.string(p, P, "AssociationCode", true);
    let customer_no = chk.integer(p, P, "CustomerNo");
    let amount = chk.number(p, P, "Amount");
    let bag = chk.object(p, P, "InvoiceMessageBag");

    if let Some(entry) = chk.object(p, P, "PaymentEntry") {
        let path = "Parameters[0].PaymentEntry";
        chk.integer(entry, path, "AccountBranchCode");
        let account = chk.integer(entry, path, "AccountNumber");
        chk.integer(entry, path, "AccountSuffix");
        chk.string(entry, path, "CurrencyCode", true);
        chk.string(entry, path, "DealerCode", false);
        chk.string(entry, path, "SubDealerCode", false);
        if let (Some(a), Some(c)) = (account, customer_no)
            && a != c
        {
            chk.fail(format!(
                "{path}.AccountNumber {a} must be the CustomerNo {c}"
            ));
        }
    }
    if let Some(source) = chk.object(p, P, "SourceAccount") {
        let path = "Parameters[0].SourceAccount";
        let c = chk.integer(source, path, "CustomerNo");
        chk.integer(source, path, "BranchCode");
        chk.integer(source, path, "AccountSuffix");
        chk.string(source, path, "CurrencyCode", true);
        if let (Some(a), Some(c)) = (c, customer_no)
            && a != c
        {
            chk.fail(format!("{path}.CustomerNo {a} must be the CustomerNo {c}"));
        }
    }

    let code = code?;
    let Some(inst) = catalog::institution(code) else {
        chk.fail(format!(
            "{P}.AssociationCode {code:?} is not an institution of this bank"
        ));
        return None;
    };
    let bag = bag?;
    let path = "Parameters[0].InvoiceMessageBag";
    let Some(invoice) = bag.get("InvoiceNumber").and_then(Json::as_str) else {
        chk.fail(format!("{path}.InvoiceNumber is missing or not a string: the bag must be a BillInformation item as received"));
        return None;
    };
    let Some(bill) = st.served.get(&(code.to_string(), invoice.to_string())) else {
        chk.fail(format!(
            "{path} (InvoiceNumber {invoice:?}) is not a bill this bank served for AssociationCode {code:?}"
        ));
        return None;
    };
    if let Err(diff) = same_ignoring_type(path, bag, &bill.json) {
        chk.fail(format!(
            "{path} is not the BillInformation item as received: {diff}"
        ));
    }
    if let Some(amount) = amount
        && amount != bill.amount
    {
        chk.fail(format!(
            "{P}.Amount {amount} is not the bill's PaymentAmount {}",
            bill.amount
        ));
    }
    let customer_no = customer_no?;
    chk.is_clean().then(|| Valid::Pay {
        inst,
        bill: bill.clone(),
        customer_no,
    })
}
