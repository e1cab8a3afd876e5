//! `/unlink`'s screens: which account, then "remove it?".

use super::{Screen, Texts};
use crate::{
    bank::Account,
    bot::{
        callbacks::Action,
        keyboards::{clamp16, markup, step_button},
        state::Step,
    },
    text::esc,
};

fn cancel_row(t: Texts, step: Step) -> Vec<teloxide::types::InlineKeyboardButton> {
    vec![step_button(t.t("button.cancel"), step, Action::Cancel)]
}

/// Several accounts linked: one button each, masked as everywhere.
pub fn choose(t: Texts, step: Step, accounts: &[Account]) -> Screen {
    let mut rows: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| vec![step_button(a.masked(), step, Action::Account(clamp16(i)))])
        .collect();
    rows.push(cancel_row(t, step));
    Screen::new(t.t("unlink.choose"), Some(markup(rows)))
}

/// The account named, Confirm / Cancel.
pub fn confirm(t: Texts, step: Step, account: &Account) -> Screen {
    let text = t.f("unlink.ask", &[("account", &esc(&account.masked()))]);
    let rows = vec![vec![
        step_button(t.t("button.confirm_unlink"), step, Action::Confirm),
        step_button(t.t("button.cancel"), step, Action::Cancel),
    ]];
    Screen::new(text, Some(markup(rows)))
}

/// What the confirm did: removed (the last one, or some left), or it was
/// gone already.
pub fn done(t: Texts, account: &Account, left: Option<usize>) -> String {
    let key = match left {
        Some(0) => "unlink.done_last",
        Some(_) => "unlink.done",
        None => "unlink.already",
    };
    t.f(key, &[("account", &esc(&account.masked()))])
}

/// Left as it was.
pub fn kept(t: Texts, account: Option<&Account>) -> String {
    match account {
        Some(a) => t.f("unlink.kept", &[("account", &esc(&a.masked()))]),
        None => t.t("unlink.kept_all").to_owned(),
    }
}
