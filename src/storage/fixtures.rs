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
