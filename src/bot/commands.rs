//! The bot's commands, parsed by teloxide from messages.

use teloxide::utils::command::BotCommands;

use crate::{
    bank::Account,
    payments::{Finding, PaymentIntent, TransactionId},
};

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Welcome; `/start <token>` links an account from an invite.
    Start(String),
    Pay,
    Cancel,
    Receipt(String),
    History,
    Language,
    Help,
    Pin,
    Invite(String),
    #[command(rename = "cancelpayment")]
    CancelPayment(String),
    Payments,
    Settle(String),
    Unlink,
    Bills,
    #[command(rename = "resetpin")]
    ResetPin(String),
}

/// Who may use a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Agents,
}

/// Command name, locale key of its description, audience; in `/help` order.
pub const COMMANDS: &[(&str, &str, Audience)] = &[
    ("pay", "cmd.pay", Audience::Everyone),
    ("bills", "cmd.bills", Audience::Everyone),
    ("receipt", "cmd.receipt", Audience::Everyone),
    ("history", "cmd.history", Audience::Everyone),
    ("pin", "cmd.pin", Audience::Everyone),
    ("language", "cmd.language", Audience::Everyone),
    ("unlink", "cmd.unlink", Audience::Everyone),
    ("cancel", "cmd.cancel", Audience::Everyone),
    ("help", "cmd.help", Audience::Everyone),
    ("invite", "cmd.invite", Audience::Agents),
    ("cancelpayment", "cmd.cancelpayment", Audience::Agents),
    ("payments", "cmd.payments", Audience::Agents),
    ("settle", "cmd.settle", Audience::Agents),
    ("resetpin", "cmd.resetpin", Audience::Agents),
];

/// `/resetpin`'s argument: a bank customer number, as the bank's 64-bit
/// field holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerNo(pub u64);

impl CustomerNo {
    /// Exactly one number: digits only, no sign or leading zero, 1 to
    /// `i64::MAX`.
    pub fn parse(args: &str) -> Option<CustomerNo> {
        match args.split_whitespace().collect::<Vec<_>>().as_slice() {
            [no] => bounded(no, 1, i64::MAX as u64).map(CustomerNo),
            _ => None,
        }
    }
}

/// `<customer_no> <branch_code> <account_suffix> [currency]`.
pub fn parse_invite(args: &str) -> Option<Account> {
    let parts: Vec<&str> = args.split_whitespace().collect();
    let (customer, branch, suffix, currency) = match parts.as_slice() {
        [c, b, s] => (*c, *b, *s, "TRY"),
        [c, b, s, cur] => (*c, *b, *s, *cur),
        _ => return None,
    };
    let currency = currency.to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(Account {
        customer_no: bounded(customer, 1, i64::MAX as u64)?,
        branch_code: u32::try_from(bounded(branch, 1, i32::MAX as u64)?).ok()?,
        suffix: u32::try_from(bounded(suffix, 0, i32::MAX as u64)?).ok()?,
        currency,
    })
}

/// A number as the bank's fields hold it: digits only (no sign, no leading
/// zero), within `min..=max` (the bank's integers are 32- and 64-bit).
fn bounded(text: &str, min: u64, max: u64) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| (min..=max).contains(n))
}

/// `<ref> paid [transaction id]`, `<ref> unpaid`, `<ref> cancelled`.
pub fn parse_settle(args: &str) -> Option<(PaymentIntent, Finding)> {
    let parts: Vec<&str> = args.split_whitespace().collect();
    let (reference, finding) = match parts.as_slice() {
        [r, "paid"] => (*r, Finding::Paid(None)),
        [r, "paid", tx] => (
            *r,
            Finding::Paid(Some(TransactionId(
                tx.parse().ok().filter(|t: &i64| *t > 0)?,
            ))),
        ),
        [r, "unpaid"] => (*r, Finding::Unpaid),
        [r, "cancelled"] => (*r, Finding::Cancelled),
        _ => return None,
    };
    Some((PaymentIntent::parse(reference)?, finding))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::{Finding, PaymentIntent, TransactionId};

    #[test]
    fn settle_arguments() {
        let r = "123456-00ff00ff00ff00ff";
        let intent = || PaymentIntent::parse(r).expect("an intent");
        assert_eq!(
            parse_settle(&format!("{r} paid")),
            Some((intent(), Finding::Paid(None)))
        );
        assert_eq!(
            parse_settle(&format!("{r} paid 100234")),
            Some((intent(), Finding::Paid(Some(TransactionId(100234)))))
        );
        assert_eq!(
            parse_settle(&format!("{r} unpaid")),
            Some((intent(), Finding::Unpaid))
        );
        assert_eq!(
            parse_settle(&format!("{r} cancelled")),
            Some((intent(), Finding::Cancelled))
        );
        for bad in [
            "",
            r,
            "x paid",
            &format!("{r} paid -1"),
            &format!("{r} paid x"),
            &format!("{r} maybe"),
        ] {
            assert_eq!(parse_settle(bad), None, "{bad}");
        }
    }

    #[test]
    fn resetpin_arguments() {
        assert_eq!(CustomerNo::parse("3488017"), Some(CustomerNo(3488017)));
        assert_eq!(CustomerNo::parse("  3488017 "), Some(CustomerNo(3488017)));
        assert_eq!(
            CustomerNo::parse("9223372036854775807"),
            Some(CustomerNo(i64::MAX as u64)),
            "the largest 64-bit customer number"
        );
        for bad in [
            "",
            " ",
            "0",
            "-5",
            "+5",
            "03488017",
            "3488017 9142",
            "34880l7",
            "3.488.017",
            "٣٤٨٨٠١٧",
            "9223372036854775808",
            "18446744073709551616",
        ] {
            assert_eq!(CustomerNo::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_new_commands_parse() {
        let parse = |t: &str| Command::parse(t, "fatura_bot").ok();
        assert_eq!(parse("/unlink"), Some(Command::Unlink));
        assert_eq!(
            parse("/resetpin 3488017"),
            Some(Command::ResetPin("3488017".into()))
        );
        assert_eq!(parse("/resetpin"), Some(Command::ResetPin(String::new())));
        let listed = |name: &str| COMMANDS.iter().find(|(n, _, _)| *n == name).map(|c| c.2);
        assert_eq!(listed("resetpin"), Some(Audience::Agents));
        assert_eq!(listed("unlink"), Some(Audience::Everyone));
    }

    #[test]
    fn invite_arguments() {
        let a = parse_invite("3488017 9142 357").expect("valid");
        assert_eq!(
            (a.customer_no, a.branch_code, a.suffix, a.currency.as_str()),
            (3488017, 9142, 357, "TRY")
        );
        assert_eq!(
            parse_invite("3488017 9142 357 usd").map(|a| a.currency),
            Some("USD".into())
        );
        assert_eq!(
            parse_invite("9223372036854775807 9142 0").map(|a| (a.customer_no, a.suffix)),
            Some((9223372036854775807, 0)),
            "the largest 64-bit customer number, suffix 0"
        );
        for bad in [
            "",
            "1 2",
            "a 2 3",
            "1 2 3 EURO",
            "0 1 1",
            "1 2 3 T1L",
            "1 2 3 TRY x",
            // Beyond what the bank's integers hold, signs, leading zeros.
            "18446744073709551615 9142 357",
            "9223372036854775808 9142 357",
            "3488017 4294967296 357",
            "3488017 9142 2147483648",
            "+7 +8 +9",
            "03488017 9142 357",
            "3488017 09142 357",
            "3488017 0 357",
        ] {
            assert_eq!(parse_invite(bad), None, "{bad}");
        }
    }
}
