//! A payment in words: its state, its status sentence, its receipt, and
//! what the bank's errors mean to a customer.

use super::Texts;
use crate::{
    bank::{BankError, Receipt},
    money::Amount,
    payments::{PaymentRecord, PaymentState, TransactionId},
    text::{InputProblem, esc},
};

fn state_keys(state: PaymentState) -> (&'static str, &'static str) {
    match state {
        PaymentState::InFlight => ("state.in_flight", "status.in_flight"),
        PaymentState::Completed => ("state.completed", "status.completed"),
        PaymentState::Refused => ("state.refused", "status.refused"),
        PaymentState::Unknown => ("state.unknown", "status.unknown"),
        PaymentState::Cancelled => ("state.cancelled", "status.cancelled"),
        PaymentState::Cancelling => ("state.cancelling", "status.cancelling"),
        PaymentState::CancelUnknown => ("state.cancel_unknown", "status.cancel_unknown"),
    }
}

/// The state in a word or two (`paid`, `cancelled` …).
pub fn state_label(t: Texts, state: PaymentState) -> String {
    t.t(state_keys(state).0).to_owned()
}

/// The bank's id of a payment, or `-`.
pub fn id_or_dash(id: Option<TransactionId>) -> String {
    id.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
}

/// What became of a payment, in a sentence or two.
pub fn status_text(t: Texts, r: &PaymentRecord) -> String {
    let args = [
        ("institution", esc(&r.association_name)),
        ("subscriber", esc(&r.subscriber)),
        ("amount", t.money(r.amount, &r.currency)),
        ("id", id_or_dash(r.transaction_id)),
        ("ref", esc(r.intent.as_str())),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t.f(state_keys(r.state).1, &args)
}

fn plus(a: Option<Amount>, b: Option<Amount>) -> Option<Amount> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b),
        (a, b) => a.or(b),
    }
}

/// The receipt as a caption: merchant, institution, subscriber, invoice,
/// amount, fee, total, date, reference.
pub fn receipt_text(t: Texts, receipt: &Receipt, record: &PaymentRecord) -> String {
    let item = &receipt.item;
    let money = |a: Option<Amount>| {
        a.map(|a| t.money(a, &record.currency))
            .unwrap_or_else(|| "-".into())
    };
    let or = |a: &str, b: &str| if a.trim().is_empty() { esc(b) } else { esc(a) };
    let args = [
        ("merchant", esc(&receipt.merchant.merchant_name)),
        ("institution", or(&item.soot_name, &record.association_name)),
        ("subscriber", or(&item.subscriber_no, &record.subscriber)),
        ("invoice", or(&item.invoice_no, &record.invoice_number)),
        ("amount", money(item.invoice_amount.or(Some(record.amount)))),
        ("fee", money(plus(item.profit, item.operation_profit))),
        ("total", money(item.total_amount)),
        ("date", esc(&item.transaction_date)),
        ("reference", esc(&item.reference_no)),
        (
            "id",
            record
                .transaction_id
                .map(|t| t.to_string())
                .unwrap_or_default(),
        ),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t.f("receipt.text", &args)
}

/// Why the receipt service gave no receipt, in words that name the receipt
/// service (not the bank: the payment itself went through).
pub fn receipt_error(t: Texts, error: &BankError) -> String {
    match error {
        BankError::Refused {
            message: Some(m), ..
        } => t.f("receipt.err_said", &[("reason", &esc(m))]),
        BankError::Rejected { description, .. } if !description.trim().is_empty() => {
            t.f("receipt.err_said", &[("reason", &esc(description))])
        }
        BankError::Refused {
            message: None,
            code,
        } => t.f("receipt.err_code", &[("code", &esc(code))]),
        BankError::Timeout(_) => t.t("receipt.err_timeout").to_owned(),
        BankError::Unreachable { .. } | BankError::Interrupted { .. } => {
            t.t("receipt.err_unreachable").to_owned()
        }
        _ => t.t("receipt.err_unavailable").to_owned(),
    }
}

/// The message a user sees for a failed bank call.
pub fn bank_error(t: Texts, error: &BankError) -> String {
    match error {
        BankError::Rejected { description, .. } if !description.trim().is_empty() => {
            t.f("bank.rejected", &[("reason", &esc(description))])
        }
        BankError::Rejected { .. } => t.t("bank.rejected_plain").to_owned(),
        BankError::Refused {
            message: Some(m), ..
        } => t.f("bank.refused", &[("reason", &esc(m))]),
        BankError::Refused {
            message: None,
            code,
        } => t.f("bank.refused_code", &[("code", &esc(code))]),
        BankError::NotCompleted { .. } => t.t("bank.not_completed").to_owned(),
        BankError::Status { .. } => t.t("bank.unavailable").to_owned(),
        BankError::Malformed { .. } => t.t("bank.malformed").to_owned(),
        BankError::Unreachable { .. } | BankError::Interrupted { .. } => {
            t.t("bank.unreachable").to_owned()
        }
        BankError::Timeout(_) => t.t("bank.timeout").to_owned(),
    }
}

/// Why typed text was not taken.
pub fn input_problem(t: Texts, problem: InputProblem, max: usize) -> String {
    match problem {
        InputProblem::Empty => t.t("input.empty").to_owned(),
        InputProblem::ControlCharacters => t.t("input.control").to_owned(),
        InputProblem::Invisible => t.t("input.invisible").to_owned(),
        InputProblem::TooLong => t.f("input.too_long", &[("max", &max.to_string())]),
    }
}
