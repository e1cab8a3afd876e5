//! What agents and payers read about cancellations, settlements and
//! invites.

use super::{
    Screen, Texts,
    payment::{bank_error, id_or_dash, status_text},
};
use crate::{
    bank::{Account, BankError},
    bot::{
        callbacks::Action,
        keyboards::{back_cancel, markup, step_button},
        state::Step,
    },
    payments::{INVITE_TTL_HOURS, NotCancellable, PaymentRecord},
    text::esc,
};

/// Why this payment cannot be cancelled now.
pub fn not_cancellable(t: Texts, why: NotCancellable) -> String {
    let key = match why {
        NotCancellable::AlreadyCancelled => "cancelpay.already",
        NotCancellable::InProgress => "cancelpay.in_progress",
        NotCancellable::NotToday => "cancelpay.not_today",
        NotCancellable::OutcomeUnknown => "cancelpay.unknown",
        NotCancellable::NotCompleted => "cancelpay.not_completed",
    };
    t.t(key).to_owned()
}

/// The payment, and "cancel it?".
pub fn cancel_question(t: Texts, step: Step, record: &PaymentRecord) -> Screen {
    let text = format!("{}\n\n{}", status_text(t, record), t.t("cancelpay.ask"));
    let rows = vec![
        vec![step_button(
            t.t("button.confirm_cancel"),
            step,
            Action::Confirm,
        )],
        back_cancel(t.i18n, t.lang, step),
    ];
    Screen::new(text, Some(markup(rows)))
}

/// The agent left the confirmation: nothing was cancelled.
pub fn cancel_kept(t: Texts, record: Option<&PaymentRecord>) -> String {
    let id = id_or_dash(record.and_then(|r| r.transaction_id));
    t.f("cancelpay.kept", &[("id", &id)])
}

pub fn cancel_unknown(t: Texts, record: &PaymentRecord, error: &BankError) -> String {
    t.f(
        "cancelpay.outcome_unknown",
        &[
            ("reason", &bank_error(t, error)),
            ("id", &id_or_dash(record.transaction_id)),
        ],
    )
}

pub fn cancel_refused(t: Texts, error: &BankError) -> String {
    t.f("cancelpay.failed", &[("reason", &bank_error(t, error))])
}

/// To the payer, in their language: an agent cancelled their payment.
pub fn payer_cancelled(t: Texts, record: &PaymentRecord) -> String {
    t.f(
        "cancelpay.payer_notice",
        &[
            ("institution", &esc(&record.association_name)),
            ("amount", &t.money(record.amount, &record.currency)),
            (
                "id",
                &record
                    .transaction_id
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            ),
        ],
    )
}

/// To the payer: staff settled what became of their payment.
pub fn payer_settled(t: Texts, record: &PaymentRecord) -> String {
    format!(
        "{}\n\n{}",
        t.t("settle.payer_notice"),
        status_text(t, record)
    )
}

/// The invite link for `account`.
pub fn invite_link(t: Texts, account: &Account, link: &str) -> String {
    t.f(
        "invite.done",
        &[
            ("account", &esc(&account.masked())),
            ("link", &esc(link)),
            ("hours", &INVITE_TTL_HOURS.to_string()),
        ],
    )
}
