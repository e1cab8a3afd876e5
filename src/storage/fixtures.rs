//! Records for the storage tests: one account, one payment.

use chrono::{DateTime, Utc};

use crate::{
    bank::{Account, RequestId, SessionId},
    payments::{PaymentIntent, PaymentRecord, PaymentState, TelegramUserId},
};

/// Customer 3488017 at branch 9142, with the given suffix, in TRY.
pub(crate) fn account(suffix: u32) -> Account {
    Account {
        customer_no: 3488017,
        branch_code: 9142,
        suffix,
        currency: "TRY".into(),
    }
}

/// A payment of 29.20 to İSKİ by `payer`, in flight, as `begin` takes it.
pub(crate) fn record(intent: &str, payer: u64, invoice: &str, at: DateTime<Utc>) -> PaymentRecord {
    PaymentRecord {
        query: None,
        intent: PaymentIntent::from_raw(intent),
        payer: TelegramUserId(payer),
        chat_id: payer as i64,
        account: account(357),
        association_code: "ISKI".into(),
        association_name: "İSKİ".into(),
        subscriber: "1000001".into(),
        invoice_number: invoice.into(),
        amount: "29.2".parse().expect("amount"),
        currency: "TRY".into(),
        created_at: at,
        session: SessionId::new(),
        request_id: RequestId::new(),
        transaction_id: None,
        state: PaymentState::InFlight,
        history: Vec::new(),
    }
}

/// The flows over `store`, with a bank that pays everything and PINs
/// hashed cheaply.
pub(crate) fn payments(store: &crate::storage::Store) -> crate::payments::Payments {
    crate::payments::Payments {
        ledger: store.ledger.clone(),
        invites: store.invites.clone(),
        users: store.users.clone(),
        pins: store.pins.clone(),
        bills: store.bills.clone(),
        pin_hasher: crate::payments::PinHasher::cheap(),
        bank: std::sync::Arc::new(crate::payments::double::ScriptedBank::default()),
        clock: crate::clock::Clock::system(),
        daily_limit: None,
    }
}

/// A PIN chosen, then typed wrong and right, through the flows: what a
/// scan of the stored data must not find in clear.
pub(crate) async fn pin_typed(store: &crate::storage::Store) -> &'static str {
    use crate::payments::{Chosen, Pin, PinCheck, TelegramUserId};
    let (p, user) = (payments(store), TelegramUserId(61));
    let digits = "482915";
    let pin = Pin::parse(digits).expect("six digits");
    assert_eq!(p.choose_pin(user, &pin).await.ok(), Some(Chosen::Done));
    let wrong = Pin::parse("135790").expect("six digits");
    let check = p.check_pin(user, &wrong).await.expect("check");
    assert_eq!(check, PinCheck::Wrong { tries_left: 2 });
    assert_eq!(p.check_pin(user, &pin).await.ok(), Some(PinCheck::Right));
    digits
}
