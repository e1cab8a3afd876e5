//! The payment dialogue's screens, one function per step.

use super::{Screen, Texts, payment::bank_error, with_banner};
use crate::{
    bank::{Account, BankError},
    bot::{
        callbacks::{Action, CallbackData},
        keyboards::{back_cancel, clamp16, markup, pager, step_button},
        state::{GroupRef, Institution, Invoice, Picked, Step},
    },
    money::Amount,
    payments::OverLimit,
    text::{self, esc},
};

/// Invoices shown at most (a subscriber rarely has more open).
pub const MAX_BILLS: usize = 20;

fn back_cancel_row(t: Texts, step: Step) -> Vec<teloxide::types::InlineKeyboardButton> {
    back_cancel(t.i18n, t.lang, step)
}

fn failed(
    t: Texts,
    step: Step,
    error: &BankError,
) -> (String, Vec<Vec<teloxide::types::InlineKeyboardButton>>) {
    let text = format!("{}\n\n{}", bank_error(t, error), t.t("pay.try_again_hint"));
    (
        text,
        vec![vec![step_button(t.t("button.retry"), step, Action::Retry)]],
    )
}

/// Which account pays, when the user holds several.
pub fn accounts(t: Texts, step: Step, accounts: &[Account]) -> Screen {
    let mut rows: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| vec![step_button(a.masked(), step, Action::Account(clamp16(i)))])
        .collect();
    rows.push(back_cancel_row(t, step));
    Screen::new(t.t("pay.choose_account"), Some(markup(rows)))
}

/// The groups two by two, or why the bank gave none (with Retry).
pub fn groups(
    t: Texts,
    step: Step,
    groups: Result<&[GroupRef], &BankError>,
    banner: Option<&str>,
) -> Screen {
    let (text, mut rows) = match groups {
        Ok(groups) => {
            let rows = groups
                .chunks(2)
                .enumerate()
                .map(|(r, pair)| {
                    pair.iter()
                        .enumerate()
                        .map(|(c, g)| step_button(&g.name, step, Action::Group(clamp16(r * 2 + c))))
                        .collect()
                })
                .collect();
            (with_banner(banner, t.t("pay.choose_group")), rows)
        }
        Err(e) => failed(t, step, e),
    };
    rows.push(back_cancel_row(t, step));
    Screen::new(text, Some(markup(rows)))
}

/// One page of a group's institutions, as filtered.
pub struct InstitutionPage<'a> {
    pub group: &'a GroupRef,
    pub page: usize,
    pub pages: usize,
    pub filter: Option<&'a str>,
    /// How many match the filter, on every page.
    pub found: usize,
    pub shown: &'a [Institution],
}

pub fn institutions(t: Texts, step: Step, view: &InstitutionPage, banner: Option<&str>) -> Screen {
    let mut rows: Vec<_> = view
        .shown
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![step_button(
                text::truncate(&a.name, 60),
                step,
                Action::Institution(clamp16(i)),
            )]
        })
        .collect();
    rows.push(pager(t.i18n, t.lang, view.page, view.pages, |p| {
        CallbackData::Dialogue(step, Action::Page(p))
    }));
    rows.push(back_cancel_row(t, step));

    let (page, pages) = ((view.page + 1).to_string(), view.pages.to_string());
    let mut text = t.f(
        "pay.choose_institution",
        &[
            ("group", &esc(&view.group.name)),
            ("page", &page),
            ("pages", &pages),
        ],
    );
    if let Some(f) = view.filter {
        let key = if view.found == 0 {
            "pay.filter_none"
        } else {
            "pay.filter_some"
        };
        let count = view.found.to_string();
        let line = t.f(key, &[("filter", &esc(f)), ("count", &count)]);
        text = format!("{text}\n{line}");
    }
    text = format!("{text}\n\n{}", t.t("pay.filter_hint"));
    Screen::new(with_banner(banner, &text), Some(markup(rows)))
}

/// The prompt for the next query field.
pub fn field(t: Texts, step: Step, p: &Picked) -> Screen {
    let index = p.values.len().min(p.fields.len().saturating_sub(1));
    let label = p.fields.get(index).map(|f| f.prompt()).unwrap_or_default();
    let text = t.f(
        "pay.enter_field",
        &[
            ("institution", &esc(&p.institution.name)),
            ("field", &esc(label)),
            ("n", &(index + 1).to_string()),
            ("total", &p.fields.len().to_string()),
        ],
    );
    Screen::new(text, Some(markup(vec![back_cancel_row(t, step)])))
}

pub(crate) fn due(bill: &Invoice) -> Option<String> {
    bill.due_day().map(|d| d.format("%d.%m.%Y").to_string())
}

/// The open invoices (one button each), none, or why the query failed.
pub fn invoices(
    t: Texts,
    step: Step,
    p: &Picked,
    bills: &[Invoice],
    error: Option<&BankError>,
) -> Screen {
    let subscriber = p.subscriber(None);
    let mut rows = Vec::new();
    let text = if let Some(e) = error {
        let (text, retry) = failed(t, step, e);
        rows.extend(retry);
        text
    } else if bills.is_empty() {
        t.f(
            "pay.no_invoices",
            &[
                ("institution", &esc(&p.institution.name)),
                ("subscriber", &esc(&subscriber)),
            ],
        )
    } else {
        for (i, bill) in bills.iter().take(MAX_BILLS).enumerate() {
            let label = t.f(
                "pay.invoice_button",
                &[
                    ("amount", &t.money(bill.amount, &bill.currency)),
                    ("due", due(bill).as_deref().unwrap_or("-")),
                    ("number", &text::truncate(&bill.number, 24)),
                ],
            );
            rows.push(vec![step_button(label, step, Action::Bill(clamp16(i)))]);
        }
        let total = bills
            .iter()
            .try_fold(Amount::ZERO, |acc, b| acc.checked_add(b.amount))
            .unwrap_or_default();
        let name = bills
            .iter()
            .find_map(|b| b.subscriber_name.clone())
            .map(|n| format!(" ({})", esc(n.trim())))
            .unwrap_or_default();
        let currency = bills.first().map(|b| b.currency.as_str()).unwrap_or("TRY");
        t.f(
            "pay.choose_invoice",
            &[
                ("institution", &esc(&p.institution.name)),
                ("subscriber", &format!("{}{name}", esc(&subscriber))),
                ("count", &bills.len().to_string()),
                ("total", &t.money(total, currency)),
            ],
        )
    };
    rows.push(back_cancel_row(t, step));
    Screen::new(text, Some(markup(rows)))
}

/// The last look before paying `bill`.
pub fn confirmation(t: Texts, step: Step, p: &Picked, bill: &Invoice) -> Screen {
    let amount = t.money(bill.amount, &bill.currency);
    let text = t.f(
        "pay.confirm",
        &[
            ("institution", &esc(&p.institution.name)),
            ("subscriber", &esc(&p.subscriber(Some(bill)))),
            ("invoice", &esc(&bill.number)),
            ("due", &esc(due(bill).as_deref().unwrap_or("-"))),
            ("amount", &amount),
            ("account", &esc(&p.flow.account.masked())),
        ],
    );
    let rows = vec![
        vec![step_button(
            t.f("button.confirm", &[("amount", &amount)]),
            step,
            Action::Confirm,
        )],
        back_cancel_row(t, step),
    ];
    Screen::new(text, Some(markup(rows)))
}

/// The bank refused the payment: back to the invoices, or leave.
pub fn refused(t: Texts, step: Step, error: &BankError) -> Screen {
    let banner = format!("{}\n{}", t.t("pay.refused"), bank_error(t, error));
    back_or_leave(t, step, banner)
}

/// The payment would go over the account's daily limit: the limit, what
/// is left today (in the account's `currency`); back to the invoices, or
/// leave.
pub fn over_limit(t: Texts, step: Step, over: &OverLimit, currency: &str) -> Screen {
    let text = t.f(
        "pay.over_limit",
        &[
            ("limit", &t.money(over.limit, currency)),
            ("left", &t.money(over.left, currency)),
        ],
    );
    back_or_leave(t, step, text)
}

fn back_or_leave(t: Texts, step: Step, text: String) -> Screen {
    let rows = vec![vec![
        step_button(t.t("button.back_to_invoices"), step, Action::Back),
        step_button(t.t("button.cancel"), step, Action::Cancel),
    ]];
    Screen::new(text, Some(markup(rows)))
}
