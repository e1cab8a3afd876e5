//! Paged lists: the customer's `/history`, the agents' `/payments` with
//! the day's staff actions.

use std::collections::BTreeMap;

use super::{
    Screen, Texts,
    payment::{id_or_dash, state_label},
};
use crate::{
    bot::{
        callbacks::CallbackData,
        keyboards::{button, markup, pager},
    },
    clock::istanbul,
    money::Amount,
    payments::{AuditAction, AuditEntry, PaymentRecord, PaymentState},
    text::esc,
};

/// Payments per `/history` page.
pub const HISTORY_PAGE: usize = 5;
/// Payments per `/payments` page.
pub const PAYMENTS_PAGE: usize = 10;

/// The page that exists nearest to `page`, and how many there are.
pub fn clamp_page(page: usize, total: usize, per_page: usize) -> (usize, usize) {
    let pages = total.div_ceil(per_page).max(1);
    (page.min(pages - 1), pages)
}

/// One page of the user's payments (newest first), each with its receipt
/// button when it has a bank id.
pub fn history(t: Texts, page: usize, pages: usize, records: &[PaymentRecord]) -> Screen {
    if records.is_empty() {
        return Screen::text(t.t("history.empty"));
    }
    let (page_s, pages_s) = ((page + 1).to_string(), pages.to_string());
    let mut lines = vec![t.f("history.title", &[("page", &page_s), ("pages", &pages_s)])];
    let mut rows = Vec::new();
    for r in records {
        let when = r
            .created_at
            .with_timezone(&istanbul())
            .format("%d.%m.%Y %H:%M");
        lines.push(t.f(
            "history.line",
            &[
                ("date", &when.to_string()),
                ("institution", &esc(&r.association_name)),
                ("amount", &t.money(r.amount, &r.currency)),
                ("state", &state_label(t, r.state)),
                ("id", &id_or_dash(r.transaction_id)),
            ],
        ));
        if let Some(id) = r.transaction_id {
            rows.push(vec![button(
                t.f("button.receipt", &[("id", &id.to_string())]),
                CallbackData::Receipt(id.0),
            )]);
        }
    }
    rows.push(pager(
        t.i18n,
        t.lang,
        page,
        pages,
        CallbackData::HistoryPage,
    ));
    Screen::new(lines.join("\n\n"), Some(markup(rows)))
}

/// Totals per currency of the payments in `state`: amounts in different
/// currencies are never added up.
fn total(t: Texts, records: &[PaymentRecord], state: PaymentState) -> String {
    let mut totals: BTreeMap<&str, Amount> = BTreeMap::new();
    for r in records.iter().filter(|r| r.state == state) {
        let sum = totals.entry(r.currency.as_str()).or_default();
        *sum = sum.checked_add(r.amount).unwrap_or(*sum);
    }
    if totals.is_empty() {
        return t.money(Amount::ZERO, "TRY");
    }
    let parts: Vec<_> = totals.iter().map(|(cur, a)| t.money(*a, cur)).collect();
    parts.join(" + ")
}

/// A day's payments (Europe/Istanbul, `day` as shown), their states and
/// totals, one page of them, and the day's staff actions under them.
pub fn payments(
    t: Texts,
    day: &str,
    records: &[PaymentRecord],
    page: usize,
    audit: &[AuditEntry],
) -> Screen {
    if records.is_empty() {
        let mut lines = vec![t.f("payments.empty", &[("day", day)])];
        lines.extend(audit_lines(t, audit));
        return Screen::text(lines.join("\n"));
    }
    let (page, pages) = clamp_page(page, records.len(), PAYMENTS_PAGE);
    let mut lines = vec![t.f(
        "payments.title",
        &[
            ("day", day),
            ("count", &records.len().to_string()),
            ("completed", &total(t, records, PaymentState::Completed)),
            ("cancelled", &total(t, records, PaymentState::Cancelled)),
            ("page", &(page + 1).to_string()),
            ("pages", &pages.to_string()),
        ],
    )];
    for r in records
        .iter()
        .skip(page * PAYMENTS_PAGE)
        .take(PAYMENTS_PAGE)
    {
        let time = r.created_at.with_timezone(&istanbul()).format("%H:%M");
        lines.push(t.f(
            "payments.line",
            &[
                ("time", &time.to_string()),
                ("id", &id_or_dash(r.transaction_id)),
                ("institution", &esc(&r.association_name)),
                ("subscriber", &esc(&r.subscriber)),
                ("amount", &t.money(r.amount, &r.currency)),
                ("state", &state_label(t, r.state)),
                ("payer", &r.payer.to_string()),
                ("ref", &esc(r.intent.as_str())),
            ],
        ));
    }
    lines.extend(audit_lines(t, audit));
    let rows = vec![pager(
        t.i18n,
        t.lang,
        page,
        pages,
        CallbackData::PaymentsPage,
    )];
    Screen::new(lines.join("\n"), Some(markup(rows)))
}

/// The staff actions, newest last; nothing when there were none.
fn audit_lines(t: Texts, entries: &[AuditEntry]) -> Vec<String> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![String::new(), t.t("payments.audit_title").to_owned()];
    for e in entries {
        let key = match e.action {
            AuditAction::Invite => "audit.invite",
            AuditAction::Cancel => "audit.cancel",
            AuditAction::CancelFailed => "audit.cancel_failed",
            AuditAction::CancelUnknown => "audit.cancel_unknown",
            AuditAction::Settle => "audit.settle",
            AuditAction::PinLocked => "audit.pin_locked",
            AuditAction::PinLockedUntilReset => "audit.pin_locked_until_reset",
            AuditAction::PinReset => "audit.pin_reset",
            AuditAction::Unlinked => "audit.unlinked",
            AuditAction::Other => continue,
        };
        let time = e.at.with_timezone(&istanbul()).format("%H:%M");
        lines.push(t.f(
            key,
            &[
                ("time", &time.to_string()),
                ("agent", &e.agent.to_string()),
                ("account", &esc(&e.details)),
                ("id", &id_or_dash(e.payment)),
            ],
        ));
    }
    lines
}
