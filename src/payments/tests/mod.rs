//! The flows against the in-memory doubles: every outcome, and the
//! exactly-once paths under concurrent presses.

mod cancel;
mod limit;
mod pay;
mod pin;
mod unlink;

use std::{sync::Arc, time::Duration};

use super::{
    double::{MemoryInvites, MemoryLedger, MemoryPins, MemoryUsers, ScriptedBank},
    *,
};
use crate::{
    bank::{Account, BankError, Bill, SessionId},
    clock::Clock,
};
use chrono::{DateTime, TimeZone, Utc};

pub(super) const PAYER: TelegramUserId = TelegramUserId(2601);
pub(super) const AGENT: TelegramUserId = TelegramUserId(900_001);

/// Noon in Istanbul, 2 December 2026.
pub(super) fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
        .single()
        .expect("time")
}

pub(super) struct World {
    pub payments: Payments,
    pub ledger: Arc<MemoryLedger>,
    pub users: Arc<MemoryUsers>,
    pub pins: Arc<MemoryPins>,
    pub bank: Arc<ScriptedBank>,
}

pub(super) fn world_at(at: DateTime<Utc>, bank: Arc<ScriptedBank>) -> World {
    world_with_clock(Clock::fixed(at), bank)
}

pub(super) fn world_with_clock(clock: Clock, bank: Arc<ScriptedBank>) -> World {
    let ledger = Arc::new(MemoryLedger::default());
    let users = Arc::new(MemoryUsers::default());
    let pins = Arc::new(MemoryPins::default());
    World {
        payments: Payments {
            ledger: ledger.clone(),
            invites: Arc::new(MemoryInvites::default()),
            users: users.clone(),
            pins: pins.clone(),
            // The bills' rules are the store's (a count and a key checked
            // in one atomic step): the real one, in a temporary sled.
            bills: crate::storage::Store::temporary()
                .expect("temporary sled")
                .bills,
            pin_hasher: PinHasher::cheap(),
            bank: bank.clone(),
            clock,
            daily_limit: None,
        },
        ledger,
        users,
        pins,
        bank,
    }
}

pub(super) fn world() -> World {
    world_at(noon(), Arc::new(ScriptedBank::default()))
}

pub(super) fn order(screen: u64, invoice: &str) -> PayOrder {
    PayOrder {
        query: None,
        intent: PaymentIntent::of_confirmation(PAYER.0 as i64, screen),
        payer: PAYER,
        chat_id: PAYER.0 as i64,
        session: SessionId::new(),
        account: Account {
            customer_no: 3488017,
            branch_code: 9142,
            suffix: 357,
            currency: "TRY".into(),
        },
        association_code: "ISKI".into(),
        association_name: "İSKİ".into(),
        subscriber: "1000001".into(),
        bill: Bill {
            raw: format!(r#"{{"InvoiceNumber":"{invoice}","PaymentAmount":29.20}}"#),
            invoice_number: invoice.into(),
            subscriber_number: "1000001".into(),
            subscriber_name: None,
            due_date: None,
            amount: "29.20".parse().expect("amount"),
            currency: "TRY".into(),
        },
    }
}

pub(super) fn timeout() -> BankError {
    BankError::Timeout(Duration::from_secs(10))
}

pub(super) fn refusal() -> BankError {
    BankError::Refused {
        code: "05".into(),
        message: Some("insufficient funds".into()),
    }
}

pub(super) async fn paid(w: &World, screen: u64) -> PaymentRecord {
    match w
        .payments
        .pay(order(screen, &format!("F{screen}")), async {})
        .await
        .expect("pay")
    {
        PayOutcome::Paid(r) => r,
        other => panic!("{other:?}"),
    }
}
