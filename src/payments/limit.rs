//! The daily limit (`FATURABOT_DAILY_LIMIT`): the most one bank account
//! (customer, branch, suffix) may pay in one Europe/Istanbul day, whichever
//! Telegram user pays. What counts is
//! [`PaymentState::counts_toward_limit`](super::PaymentState::counts_toward_limit).
//!
//! [`Payments::allowance`] answers early, from the ledger as it stands;
//! the decision that holds is [`Ledger::begin`](super::Ledger::begin)'s,
//! made in the same database transaction that records the payment.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{PayOrder, PaymentRecord, Payments, StoreError};
use crate::{bank::Account, money::Amount};

/// A payment refused because it would take its account's total for the
/// day over the limit. Nothing was recorded or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("over the daily limit of {limit}: {left} left today")]
pub struct OverLimit {
    pub limit: Amount,
    /// What the account may still pay today; never below zero.
    pub left: Amount,
}

/// The same bank account: the currency belongs to the account, so it is
/// not part of what identifies it.
pub fn same_account(a: &Account, b: &Account) -> bool {
    (a.customer_no, a.branch_code, a.suffix) == (b.customer_no, b.branch_code, b.suffix)
}

impl PaymentRecord {
    /// Whether this payment counts toward `account`'s limit on `day`.
    pub fn counts_toward(&self, account: &Account, day: NaiveDate) -> bool {
        self.state.counts_toward_limit()
            && self.day() == day
            && same_account(&self.account, account)
    }
}

/// What `records` count toward `account`'s limit on `day`. Sums
/// saturate: past what a decimal holds, nothing more fits.
pub fn spent<'a>(
    records: impl IntoIterator<Item = &'a PaymentRecord>,
    account: &Account,
    day: NaiveDate,
) -> Amount {
    records
        .into_iter()
        .filter(|r| r.counts_toward(account, day))
        .fold(Amount::ZERO, |sum, r| plus(sum, r.amount))
}

/// `a + b`, saturating.
pub fn plus(a: Amount, b: Amount) -> Amount {
    Amount::new(a.value().saturating_add(b.value()))
}

/// Whether `amount` more fits under `limit` with `spent` counted already:
/// reaching the limit exactly is allowed.
pub fn check(limit: Amount, spent: Amount, amount: Amount) -> Result<(), OverLimit> {
    if plus(spent, amount) <= limit {
        return Ok(());
    }
    let left = limit.value().saturating_sub(spent.value());
    Err(OverLimit {
        limit,
        left: Amount::new(left.max(Decimal::ZERO)),
    })
}

impl Payments {
    /// Whether `order` fits under its account's limit today, as the
    /// ledger stands now: the answer a customer gets on pressing confirm,
    /// before anything else. Not a promise: `begin` checks again,
    /// atomically. `Ok(Ok(()))` without a limit, and for a confirmation
    /// recorded already (`pay` tells what became of it; its own amount is
    /// in the total).
    pub async fn allowance(&self, order: &PayOrder) -> Result<Result<(), OverLimit>, StoreError> {
        let Some(limit) = self.daily_limit else {
            return Ok(Ok(()));
        };
        let today = self.clock.today_istanbul();
        let spent = self.ledger.spent_on(&order.account, today).await?;
        let allowed = check(limit, spent, order.bill.amount);
        if allowed.is_err() && self.ledger.get(&order.intent).await?.is_some() {
            return Ok(Ok(()));
        }
        Ok(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(text: &str) -> Amount {
        text.parse().expect("amount")
    }

    #[test]
    fn the_limit_itself_is_allowed_a_cent_more_is_not() {
        assert_eq!(check(a("100"), a("70.80"), a("29.20")), Ok(()));
        assert_eq!(check(a("100"), a("70.79"), a("29.20")), Ok(()));
        let over = check(a("100"), a("70.81"), a("29.20"));
        assert_eq!(
            over,
            Err(OverLimit {
                limit: a("100"),
                left: a("29.19")
            })
        );
    }

    #[test]
    fn what_is_left_never_goes_below_zero() {
        let over = check(a("50"), a("60"), a("1")).expect_err("over");
        assert_eq!(over.left, Amount::ZERO);
        let most = Amount::new(Decimal::MAX);
        let overflow = check(a("50"), plus(most, most), a("1")).expect_err("over");
        assert_eq!(overflow.left, Amount::ZERO);
    }
}
