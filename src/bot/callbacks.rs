//! [`CallbackData`]: what a button carries, in at most 64 bytes.
//!
//! Buttons carry short ids, never codes, amounts or account numbers: a
//! dialogue button is `<step in base 36>:<action>`, where the action indexes
//! into what the stored state says was shown.

use crate::{bot::state::Step, i18n::Lang, payments::bills::BillId};

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
    /// A saved bill's menu: rename it, switch its reminders, delete it.
    Rename,
    Toggle,
    Delete,
    /// Leave it as it is (a saved bill's name).
    Skip,
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
    /// "Save this bill" under a payment: the payment of confirmation
    /// `step` in this chat, whose query is kept with it.
    SaveBill(Step),
    /// A reminder's Pay: saved bill, and a tag of the invoice's number
    /// ([`invoice_tag`]). An entry point, valid while the invoice is open.
    ReminderPay(BillId, u64),
}

/// A 63-bit tag of an invoice number: what a reminder's button carries in
/// place of the number, which may be longer than a button holds.
pub fn invoice_tag(invoice_number: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(invoice_number.as_bytes());
    let mut n = [0u8; 8];
    n.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(n) >> 1
}

impl CallbackData {
    pub fn encode(&self) -> String {
        match self {
            CallbackData::StartPayment => "pay".into(),
            CallbackData::SetLanguage(l) => format!("lang:{}", l.code()),
            CallbackData::Receipt(id) => format!("rc:{id}"),
            CallbackData::HistoryPage(p) => format!("hp:{p}"),
            CallbackData::PaymentsPage(p) => format!("pp:{p}"),
            CallbackData::SaveBill(step) => format!("sv:{}", base36(step.0)),
            CallbackData::ReminderPay(bill, tag) => {
                format!("rm:{}:{}", base36(bill.0), base36(*tag))
            }
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
                    Action::Rename => "rn".into(),
                    Action::Toggle => "tg".into(),
                    Action::Delete => "dl".into(),
                    Action::Skip => "sk".into(),
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
            "sv" => CallbackData::SaveBill(Step(from36(tail)?)),
            "rm" => {
                let (bill, tag) = tail.split_once(':')?;
                let bill = from36(bill).filter(|b| *b >> 63 == 0)?;
                let tag = from36(tag).filter(|t| *t >> 63 == 0)?;
                CallbackData::ReminderPay(BillId(bill), tag)
            }
            _ => {
                let step = Step(from36(head.strip_prefix('s')?)?);
                let num = |s: &str| s.parse::<u16>().ok();
                let action = match tail {
                    "r" => Action::Retry,
                    "ok" => Action::Confirm,
                    "bk" => Action::Back,
                    "x" => Action::Cancel,
                    "e" => Action::Erase,
                    "rn" => Action::Rename,
                    "tg" => Action::Toggle,
                    "dl" => Action::Delete,
                    "sk" => Action::Skip,
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

/// Lower-case base 36 as [`base36`] writes it; nothing else.
fn from36(text: &str) -> Option<u64> {
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return None;
    }
    u64::from_str_radix(text, 36).ok()
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
            CallbackData::SaveBill(big),
            CallbackData::SaveBill(Step(0)),
            CallbackData::ReminderPay(BillId(u64::MAX >> 1), u64::MAX >> 1),
            CallbackData::ReminderPay(BillId(0), 0),
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
            Action::Rename,
            Action::Toggle,
            Action::Delete,
            Action::Skip,
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
            "sv:",
            "sv:ZZ",
            "rm:1",
            "rm:1:",
            "rm:zzzzzzzzzzzzz:1",
            "rm:1:2:3",
        ] {
            assert_eq!(CallbackData::decode(forged), None, "{forged:?}");
        }
    }
}
