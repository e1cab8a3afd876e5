//! [`CallbackData`]: what a button carries, in at most 64 bytes.
//!
//! Buttons carry short ids, never codes, amounts or account numbers: a
//! dialogue button is `<step in base 36>:<action>`, where the action indexes
//! into what the stored state says was shown.

use crate::{bot::state::Step, i18n::Lang};

/// Telegram's limit on `callback_data`.
pub const MAX_CALLBACK_BYTES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Account(u16),
    Group(u16),
    Institution(u16),
    Page(u16),
    Bill(u16),
    Retry,
    Confirm,
    Back,
    Cancel,
    /// A PIN keypad's digit, 0–9.
    Digit(u8),
    /// The keypad's "take the last digit back".
    Erase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackData {
    /// "Pay a bill" under `/start`.
    StartPayment,
    SetLanguage(Lang),
    /// The receipt of a payment, by its bank transaction id.
    Receipt(i64),
    HistoryPage(u16),
    PaymentsPage(u16),
    /// A button of the dialogue screen `step`.
    Dialogue(Step, Action),
}

impl CallbackData {
    pub fn encode(&self) -> String {
        match self {
            CallbackData::StartPayment => "pay".into(),
            CallbackData::SetLanguage(l) => format!("lang:{}", l.code()),
            CallbackData::Receipt(id) => format!("rc:{id}"),
            CallbackData::HistoryPage(p) => format!("hp:{p}"),
            CallbackData::PaymentsPage(p) => format!("pp:{p}"),
            CallbackData::Dialogue(step, action) => {
                let a = match action {
                    Action::Account(i) => format!("a{i}"),
                    Action::Group(i) => format!("g{i}"),
                    Action::Institution(i) => format!("i{i}"),
                    Action::Page(i) => format!("p{i}"),
                    Action::Bill(i) => format!("b{i}"),
                    Action::Retry => "r".into(),
                    Action::Confirm => "ok".into(),
                    Action::Back => "bk".into(),
                    Action::Cancel => "x".into(),
                    Action::Digit(d) => format!("d{d}"),
                    Action::Erase => "e".into(),
                };
                format!("s{}:{a}", base36(step.0))
            }
        }
    }

    /// `None` for anything this version of the bot did not write.
    pub fn decode(data: &str) -> Option<CallbackData> {
        if data.is_empty() || data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        if data == "pay" {
            return Some(CallbackData::StartPayment);
        }
        let (head, tail) = data.split_once(':')?;
        Some(match head {
            "lang" => CallbackData::SetLanguage(Lang::parse(tail)?),
            "rc" => CallbackData::Receipt(tail.parse().ok()?),
            "hp" => CallbackData::HistoryPage(tail.parse().ok()?),
            "pp" => CallbackData::PaymentsPage(tail.parse().ok()?),
            _ => {
                let step = Step(u64::from_str_radix(head.strip_prefix('s')?, 36).ok()?);
                let num = |s: &str| s.parse::<u16>().ok();
                let action = match tail {
                    "r" => Action::Retry,
                    "ok" => Action::Confirm,
                    "bk" => Action::Back,
                    "x" => Action::Cancel,
                    "e" => Action::Erase,
                    _ => {
                        let (kind, n) = tail.split_at_checked(1)?;
                        let n = num(n)?;
                        match kind {
                            "a" => Action::Account(n),
                            "g" => Action::Group(n),
                            "i" => Action::Institution(n),
                            "p" => Action::Page(n),
                            "b" => Action::Bill(n),
                            "d" if n <= 9 && tail.len() == 2 => Action::Digit(n as u8),
                            _ => return None,
                        }
                    }
                };
                CallbackData::Dialogue(step, action)
            }
        })
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::with_capacity(13);
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<CallbackData> {
        let big = Step(u64::MAX);
        let mut all = vec![
            CallbackData::StartPayment,
            CallbackData::SetLanguage(Lang::Tr),
            CallbackData::SetLanguage(Lang::En),
            CallbackData::Receipt(i64::MAX),
            CallbackData::Receipt(i64::MIN),
            CallbackData::HistoryPage(u16::MAX),
            CallbackData::PaymentsPage(u16::MAX),
        ];
        for action in [
            Action::Account(u16::MAX),
            Action::Group(u16::MAX),
            Action::Institution(u16::MAX),
            Action::Page(u16::MAX),
            Action::Bill(u16::MAX),
            Action::Retry,
            Action::Confirm,
            Action::Back,
            Action::Cancel,
            Action::Digit(0),
            Action::Digit(9),
            Action::Erase,
        ] {
            all.push(CallbackData::Dialogue(big, action));
            all.push(CallbackData::Dialogue(Step(0), action));
        }
        all
    }

    #[test]
    fn every_kind_fits_in_64_bytes_and_round_trips() {
        for data in every_kind() {
            let encoded = data.encode();
            assert!(
                !encoded.is_empty() && encoded.len() <= MAX_CALLBACK_BYTES,
                "{encoded} is {} bytes",
                encoded.len()
            );
            assert_eq!(CallbackData::decode(&encoded), Some(data), "{encoded}");
        }
    }

    #[test]
    fn forged_data_does_not_decode() {
        for forged in [
            "",
            "x",
            "pay:",
            "lang:de",
            "rc:abc",
            "s:ok",
            "szz!:ok",
            "s1:",
            "s1:q1",
            "s1:g",
            "s1:g99999999",
            "s1:gé",
            "hp:-1",
            &"a".repeat(65),
            "s1:ok:extra",
            "s1:d10",
            "s1:d05",
            "s1:e1",
        ] {
            assert_eq!(CallbackData::decode(forged), None, "{forged:?}");
        }
    }
}
