//! Saved bills: `/bills`' list, one bill's menu, its deletion and naming,
//! and a reminder. Pure: what to show from what the handler fetched.

use teloxide::types::InlineKeyboardMarkup;

use super::{Screen, Texts, dialogue::due};
use crate::{
    bot::{
        callbacks::{Action, CallbackData, invoice_tag},
        keyboards::{back_cancel, button, clamp16, markup, pager, pay_button, step_button},
        state::{Invoice, Step},
    },
    payments::bills::{MAX_SAVED_BILLS, ReminderKind, SavedBill, Unfit},
    text::esc,
};

/// Saved bills per page of `/bills`.
pub const BILLS_PER_PAGE: usize = 8;

/// The title, institution and subscriber of `bill`, escaped, as texts
/// take them.
fn named(bill: &SavedBill) -> [(&'static str, String); 3] {
    [
        ("title", esc(bill.title())),
        ("institution", esc(&bill.association_name)),
        ("subscriber", esc(&bill.subscriber)),
    ]
}

fn args<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A page of the saved bills, one button each; `shown` are this page's.
pub fn list(
    t: Texts,
    step: Step,
    shown: &[SavedBill],
    total: usize,
    page: usize,
    pages: usize,
) -> Screen {
    let text = t.f(
        "bills.list",
        &[
            ("count", &total.to_string()),
            ("max", &MAX_SAVED_BILLS.to_string()),
            ("page", &(page + 1).to_string()),
            ("pages", &pages.max(1).to_string()),
        ],
    );
    let mut rows: Vec<_> = shown
        .iter()
        .enumerate()
        .map(|(i, bill)| {
            let key = match (&bill.name, bill.reminders) {
                (Some(_), true) => "bills.entry",
                (Some(_), false) => "bills.entry_muted",
                (None, true) => "bills.entry_unnamed",
                (None, false) => "bills.entry_unnamed_muted",
            };
            // Button labels are plain text: nothing to escape.
            let label = t.f(
                key,
                &[
                    ("name", bill.title()),
                    ("institution", &bill.association_name),
                    ("subscriber", &bill.subscriber),
                ],
            );
            vec![step_button(label, step, Action::Bill(clamp16(i)))]
        })
        .collect();
    rows.push(pager(t.i18n, t.lang, page, pages, |p| {
        CallbackData::Dialogue(step, Action::Page(p))
    }));
    rows.push(vec![step_button(
        t.t("button.cancel"),
        step,
        Action::Cancel,
    )]);
    Screen::new(text, Some(markup(rows)))
}

/// One saved bill: what it is, and what can be done with it.
pub fn card(t: Texts, step: Step, bill: &SavedBill) -> Screen {
    let reminders = if bill.reminders {
        t.t("bills.reminders_on")
    } else {
        t.t("bills.reminders_off")
    };
    let mut pairs = named(bill).to_vec();
    pairs.push(("group", esc(&bill.group_name)));
    pairs.push(("account", esc(&bill.account.masked())));
    pairs.push(("reminders", reminders.to_owned()));
    let text = t.f("bills.card", &args(&pairs));
    let toggle = if bill.reminders {
        "bills.mute"
    } else {
        "bills.unmute"
    };
    let rows = vec![
        vec![step_button(t.t("bills.pay"), step, Action::Confirm)],
        vec![
            step_button(t.t("bills.rename"), step, Action::Rename),
            step_button(t.t(toggle), step, Action::Toggle),
        ],
        vec![step_button(t.t("bills.delete"), step, Action::Delete)],
        back_cancel(t.i18n, t.lang, step),
    ];
    Screen::new(text, Some(markup(rows)))
}

/// "Delete it?": from the bill's menu (`why` none), or because it no
/// longer fits the bank's catalog.
pub fn confirm_delete(t: Texts, step: Step, bill: &SavedBill, why: Option<Unfit>) -> Screen {
    let key = match why {
        None => "bills.confirm_delete",
        Some(Unfit::Unlisted) => "bills.unlisted",
        Some(Unfit::Changed) => "bills.changed",
    };
    let pairs = named(bill);
    let text = t.f(key, &args(&pairs));
    let rows = vec![
        vec![step_button(t.t("bills.yes_delete"), step, Action::Confirm)],
        back_cancel(t.i18n, t.lang, step),
    ];
    Screen::new(text, Some(markup(rows)))
}

/// Asks for a name: right after saving (Skip keeps the institution's), or
/// renaming from the menu (Back to it).
pub fn naming(t: Texts, step: Step, bill: &SavedBill, just_saved: bool) -> Screen {
    let pairs = named(bill);
    if just_saved {
        let text = t.f("bills.saved", &args(&pairs));
        let rows = vec![vec![
            step_button(t.t("bills.skip"), step, Action::Skip),
            step_button(t.t("button.cancel"), step, Action::Cancel),
        ]];
        Screen::new(text, Some(markup(rows)))
    } else {
        let text = t.f("bills.rename_prompt", &args(&pairs));
        Screen::new(text, Some(markup(vec![back_cancel(t.i18n, t.lang, step)])))
    }
}

/// A sentence about `bill` (deleted, named …) by `key`.
pub fn about(t: Texts, key: &'static str, bill: &SavedBill) -> String {
    let pairs = named(bill);
    t.f(key, &args(&pairs))
}

/// The buttons under a paid payment: another payment, and "save this
/// bill" unless it is saved.
pub fn after_payment(t: Texts, save: Option<Step>) -> InlineKeyboardMarkup {
    let mut keyboard = pay_button(t.i18n, t.lang);
    if let Some(step) = save {
        keyboard = keyboard.append_row(vec![button(
            t.t("bills.save"),
            CallbackData::SaveBill(step),
        )]);
    }
    keyboard
}

/// A reminder: the bill, the invoice, and a Pay button that stays valid
/// while the invoice is open.
pub fn reminder(t: Texts, bill: &SavedBill, invoice: &Invoice, kind: ReminderKind) -> Screen {
    let amount = t.money(invoice.amount, &invoice.currency);
    let due = due(invoice).unwrap_or_else(|| t.t("reminder.no_due").to_owned());
    let mut pairs = named(bill).to_vec();
    if !invoice.subscriber_number.is_empty() {
        pairs[2] = ("subscriber", esc(&invoice.subscriber_number));
    }
    pairs.push(("amount", amount.clone()));
    pairs.push(("due", esc(&due)));
    let key = match kind {
        ReminderKind::New => "reminder.new",
        ReminderKind::DueSoon => "reminder.due",
    };
    let text = format!("{}\n\n{}", t.f(key, &args(&pairs)), t.t("reminder.stop"));
    let pay = button(
        t.f("reminder.pay", &[("amount", &amount)]),
        CallbackData::ReminderPay(bill.id, invoice_tag(&invoice.number)),
    );
    Screen::new(text, Some(markup(vec![vec![pay]])))
}
