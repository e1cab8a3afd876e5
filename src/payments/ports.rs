//! The ports: what the core needs from storage and from the bank, as
//! traits. sled implements the storage ones (`storage::sled`), the
//! PostgreSQL backend will too; [`BankClient`] implements [`Bank`], and the
//! core's unit tests use an in-memory double.
//!
//! Exactly-once rests on these verbs being atomic in the database:
//! [`Ledger::begin`] inserts only if absent, the invoice is not held and
//! the account's day stays within the limit, [`Ledger::claim_cancel`],
//! [`Ledger::complete`] and [`Ledger::settle`] are compare-and-swaps on the
//! stored state, [`Invites::redeem`] uses a token up with the linking,
//! [`Users::unlink`] is a read-modify-write of the user's record,
//! [`Pins::update`] is a read-modify-write under the row's lock (or a
//! compare-and-swap).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Answer, AuditEntry, Begin, Finding, Invite, PaymentIntent, PaymentRecord, PaymentState,
    PinChange, PinRecord, TelegramUserId, TransactionId, Unlinked, UserRecord,
};
use crate::{
    bank::{Account, BankClient, BankError, CancelRequest, PaymentRequest, RequestId, SessionId},
    i18n::Lang,
    money::Amount,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Backend(String),
    #[error("stored value unreadable: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("the database could not be flushed to disk")]
    Flush,
    #[error("a database task was cancelled")]
    Cancelled,
}

/// The outcome of [`Ledger::settle`].
#[derive(Debug)]
pub enum Settled {
    NotFound,
    /// Its outcome is known already: nothing changed.
    NotUnsettled(PaymentRecord),
    /// The bank id belongs to another payment, or this payment has another
    /// one: nothing changed.
    IdTaken,
    Done(PaymentRecord),
}

/// The payment ledger.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Records the intent to pay, once per `record.intent`, durably, with
    /// the indexes `/history` and `/payments` read; and only while no other
    /// attempt [holds](PaymentState::holds_invoice) the same
    /// [invoice](PaymentRecord::invoice_key), whichever Telegram user made it.
    ///
    /// With a `limit`, also only while the amounts that
    /// [count](PaymentRecord::counts_toward) toward the account's limit on
    /// the record's day, this one included, stay within it
    /// ([`limit::check`](super::limit::check)): decided in the same atomic
    /// step as the insert, so payments begun at once cannot together pass
    /// it. A press already recorded, or an invoice held, is told as such
    /// first.
    async fn begin(
        &self,
        record: PaymentRecord,
        limit: Option<Amount>,
    ) -> Result<Begin, StoreError>;

    /// What counts toward `account`'s daily limit on `day` now.
    async fn spent_on(&self, account: &Account, day: NaiveDate) -> Result<Amount, StoreError>;

    async fn get(&self, intent: &PaymentIntent) -> Result<Option<PaymentRecord>, StoreError>;

    async fn by_transaction(&self, id: TransactionId) -> Result<Option<PaymentRecord>, StoreError>;

    /// Records the bank's answer to the call that moved the payment to
    /// `claimed` (`InFlight` or `Cancelling`), only while it still is;
    /// durable. `None` when it is not (or there is no such payment).
    async fn complete(
        &self,
        intent: &PaymentIntent,
        claimed: PaymentState,
        answer: Answer,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError>;

    /// Moves the payment from `seen` to `Cancelling`, durably: the claimed
    /// record for the one caller that did, so a cancellation is sent once.
    async fn claim_cancel(
        &self,
        intent: &PaymentIntent,
        seen: PaymentState,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError>;

    /// Staff settle an outcome the bot could not know, by
    /// [`PaymentState::settle`]; a bank id given finds this payment only.
    async fn settle(
        &self,
        intent: &PaymentIntent,
        finding: Finding,
        note: String,
        at: DateTime<Utc>,
    ) -> Result<Settled, StoreError>;

    /// At start-up: what the bank calls of a stopped process left behind
    /// becomes [`PaymentState::abandoned`]. Returns how many were found.
    async fn settle_abandoned(&self, at: DateTime<Utc>) -> Result<usize, StoreError>;

    /// The payer's payments, newest first.
    async fn for_payer(
        &self,
        payer: TelegramUserId,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError>;

    async fn count_for_payer(&self, payer: TelegramUserId) -> Result<usize, StoreError>;

    /// The payments of one Istanbul day, oldest first.
    async fn for_day(&self, day: NaiveDate) -> Result<Vec<PaymentRecord>, StoreError>;

    /// Records an agent's action, durably.
    async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError>;

    /// The entries made at or after `since`, oldest first, at most the
    /// `limit` newest of them.
    async fn audit_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Language and linked accounts per Telegram user.
#[async_trait]
pub trait Users: Send + Sync {
    /// A user never seen reads as the default record; so does one that no
    /// longer decodes (it is kept as it is, see [`Users::set_lang`]).
    async fn get(&self, user: TelegramUserId) -> Result<UserRecord, StoreError>;

    /// Atomic per user, durable. A stored record that does not decode is an
    /// error and stays as it is: overwriting it would lose the accounts.
    async fn set_lang(&self, user: TelegramUserId, lang: Lang) -> Result<(), StoreError>;

    /// Removes `account` from the user's record in one atomic step
    /// (read-modify-write under the row's lock, or a compare-and-swap),
    /// durable: of many at once, each sees the one before it. A user never
    /// seen, or without that account, is [`Unlinked::NotLinked`] and nothing
    /// is written. A stored record that does not decode is an error and
    /// stays as it is.
    async fn unlink(&self, user: TelegramUserId, account: &Account)
    -> Result<Unlinked, StoreError>;

    /// The Telegram users with an account of bank customer `customer_no`
    /// linked, in id order. Records that do not decode are left out.
    async fn linked_to(&self, customer_no: u64) -> Result<Vec<TelegramUserId>, StoreError>;

    /// Marks whether the user blocked the bot, atomically and durably;
    /// whether it changed. A user never seen is left unrecorded.
    async fn set_blocked(&self, user: TelegramUserId, blocked: bool) -> Result<bool, StoreError>;
}

/// Each Telegram user's PIN hash and lock.
#[async_trait]
pub trait Pins: Send + Sync {
    /// A user never seen reads as the default (no PIN, no lock). One that
    /// does not decode is an error: payments stay refused rather than
    /// unlocked.
    async fn get(&self, user: TelegramUserId) -> Result<PinRecord, StoreError>;

    /// Applies `change` ([`PinRecord::apply`]) to the user's record in one
    /// atomic step, durably, and returns the record as it was before: so
    /// of many changes at once, each sees the one before it and counts
    /// once. A stored record that does not decode is an error and stays.
    async fn update(
        &self,
        user: TelegramUserId,
        change: PinChange,
    ) -> Result<PinRecord, StoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("unknown or already used invite")]
    Unknown,
    #[error("expired invite")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One-time, expiring invite tokens. A backend stores a token's
/// [`InviteKey`](super::InviteKey), never the token.
#[async_trait]
pub trait Invites: Send + Sync {
    /// A fresh token for `account`, durable.
    async fn create(
        &self,
        account: Account,
        agent: TelegramUserId,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError>;

    /// Uses `token` up and links its account to `user`, in one
    /// transaction (an expired token is used up too). `lang` is what the
    /// user's Telegram speaks now.
    async fn redeem(
        &self,
        token: &str,
        user: TelegramUserId,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Invite, InviteError>;
}

/// The two bank calls that move money.
#[async_trait]
pub trait Bank: Send + Sync {
    /// `InvoicePayment`, sent exactly once; the bank's id when it gave one.
    async fn pay(
        &self,
        session: &SessionId,
        request_id: &RequestId,
        request: &PaymentRequest,
    ) -> Result<Option<TransactionId>, BankError>;

    /// `CancelPayment`, sent exactly once.
    async fn cancel(
        &self,
        session: &SessionId,
        request_id: &RequestId,
        request: &CancelRequest,
    ) -> Result<(), BankError>;
}

#[async_trait]
impl Bank for BankClient {
    async fn pay(
        &self,
        session: &SessionId,
        request_id: &RequestId,
        request: &PaymentRequest,
    ) -> Result<Option<TransactionId>, BankError> {
        let id = BankClient::pay(self, session, request_id, request).await?;
        Ok(id.map(TransactionId))
    }

    async fn cancel(
        &self,
        session: &SessionId,
        request_id: &RequestId,
        request: &CancelRequest,
    ) -> Result<(), BankError> {
        BankClient::cancel(self, session, request_id, request).await
    }
}
