//! The PIN keypad: ten buttons whose text is one digit, one to take the
//! last digit back and one to leave. The screen shows dots, never digits.

use super::{Screen, Texts};
use crate::{
    bot::{
        callbacks::Action,
        keyboards::{markup, step_button},
        state::Step,
    },
    payments::{PIN_LEN, PinProblem},
};

/// What the keypad asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asking<'a> {
    /// A new PIN, the first time.
    Choose,
    /// The new PIN again.
    Repeat,
    /// The PIN of this payment (already escaped HTML).
    Pay {
        amount: &'a str,
        institution: &'a str,
    },
    /// `/pin`: the current PIN.
    Old,
    /// `/pin`: the new PIN, the first time.
    New,
}

/// `typed` dots of six, under what is asked and a notice (a wrong PIN,
/// a refused one) when there is one.
pub fn keypad(t: Texts, step: Step, asking: Asking, typed: usize, notice: Option<&str>) -> Screen {
    let title = match asking {
        Asking::Choose => t.t("pin.choose").to_owned(),
        Asking::Repeat => t.t("pin.repeat").to_owned(),
        Asking::Pay {
            amount,
            institution,
        } => t.f(
            "pin.enter",
            &[("amount", amount), ("institution", institution)],
        ),
        Asking::Old => t.t("pin.old").to_owned(),
        Asking::New => t.t("pin.new").to_owned(),
    };
    let typed = typed.min(PIN_LEN);
    let dots = format!("{}{}", "●".repeat(typed), "○".repeat(PIN_LEN - typed));
    let mut text = match notice {
        Some(n) => format!("{n}\n\n{title}"),
        None => title,
    };
    text.push_str(&format!("\n\n<code>{dots}</code>"));
    let digit = |d: u8| step_button(d.to_string(), step, Action::Digit(d));
    let rows = vec![
        vec![digit(1), digit(2), digit(3)],
        vec![digit(4), digit(5), digit(6)],
        vec![digit(7), digit(8), digit(9)],
        vec![
            step_button(t.t("pin.erase"), step, Action::Erase),
            digit(0),
            step_button(t.t("button.cancel"), step, Action::Cancel),
        ],
    ];
    Screen::new(text, Some(markup(rows)))
}

/// Why a chosen PIN is refused, in words.
pub fn problem<'a>(t: Texts<'a>, problem: PinProblem) -> &'a str {
    t.t(match problem {
        PinProblem::NotSixDigits => "pin.refused.length",
        PinProblem::AllOneDigit => "pin.refused.one_digit",
        PinProblem::Ascending => "pin.refused.ascending",
        PinProblem::Descending => "pin.refused.descending",
        PinProblem::CustomerNumber => "pin.refused.customer_number",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        bot::callbacks::CallbackData,
        i18n::{I18n, Lang},
    };

    #[test]
    fn the_keypad_shows_dots_and_one_digit_per_button() {
        let i18n = I18n::load().expect("locales");
        for lang in Lang::ALL {
            let t = Texts::new(&i18n, lang);
            let screen = keypad(t, Step(7), Asking::Choose, 2, None);
            assert!(screen.html.contains("●●○○○○"), "{}", screen.html);
            let keyboard = screen.keyboard.expect("keys");
            let mut digits: Vec<String> = keyboard
                .inline_keyboard
                .iter()
                .flatten()
                .filter(|b| b.text.len() == 1 && b.text.bytes().all(|c| c.is_ascii_digit()))
                .map(|b| b.text.clone())
                .collect();
            digits.sort();
            assert_eq!(digits, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
            for b in keyboard.inline_keyboard.iter().flatten() {
                let teloxide::types::InlineKeyboardButtonKind::CallbackData(data) = &b.kind else {
                    panic!("a callback button");
                };
                assert!(matches!(
                    CallbackData::decode(data),
                    Some(CallbackData::Dialogue(Step(7), _))
                ));
            }
        }
    }
}
