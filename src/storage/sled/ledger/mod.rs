//! [`SledLedger`]: the payment ledger in sled.
//!
//! A record is written (and made durable) before `InvoicePayment` is
//! called, keyed by the confirmation it answers, only if none is there yet
//! (one sled transaction with its index entries): a second press, a
//! redelivered update or a press after a restart finds the record and does
//! not pay again. Every later change is a compare-and-swap on the stored
//! state inside a transaction. `reads` holds the listings and the audit
//! trail; `spent` the daily limit's running totals.

mod reads;
mod spent;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sled::{
    Transactional,
    transaction::{ConflictableTransactionError, TransactionError},
};

use super::{Flusher, blocking};
use crate::{
    bank::Account,
    money::Amount,
    payments::{
        Answer, AuditEntry, Begin, Finding, Ledger, OverLimit, PaymentIntent, PaymentRecord,
        PaymentState, Settled, StoreError, TelegramUserId, TransactionId, limit,
    },
};

#[derive(Clone)]
pub struct SledLedger {
    pub(crate) payments: sled::Tree,
    by_tx: sled::Tree,
    by_payer: sled::Tree,
    by_day: sled::Tree,
    /// Invoice key → the attempt that holds it (see `invoice_key`).
    open: sled::Tree,
    /// (account, day) → what counts toward its daily limit (see `spent`).
    spent: sled::Tree,
    audit: sled::Tree,
    db: sled::Db,
    flusher: Flusher,
}

/// The `open` index's key of a record's invoice.
fn invoice_key(record: &PaymentRecord) -> Vec<u8> {
    let (customer, code, invoice) = record.invoice_key();
    let mut key = customer.to_be_bytes().to_vec();
    key.extend_from_slice(code.as_bytes());
    key.push(0x1f);
    key.extend_from_slice(invoice.as_bytes());
    key
}

/// What `begin` found in the way, if anything.
enum Found {
    Exists(sled::IVec),
    Held(sled::IVec),
    OverLimit(OverLimit),
    Nothing,
}

/// What one read-modify-write did.
enum Change {
    Missing,
    /// The record as it is; `false` when the change did not apply.
    Done(Box<PaymentRecord>, bool),
    /// The bank id given belongs to another payment (or this one has another).
    IdTaken,
}

impl SledLedger {
    pub fn new(db: &sled::Db, flusher: Flusher) -> Result<SledLedger, StoreError> {
        Ok(SledLedger {
            payments: db.open_tree("payments")?,
            by_tx: db.open_tree("payments_by_tx")?,
            by_payer: db.open_tree("payments_by_payer")?,
            by_day: db.open_tree("payments_by_day")?,
            open: db.open_tree("payments_open")?,
            spent: db.open_tree("payments_spent")?,
            audit: db.open_tree("audit")?,
            db: db.clone(),
            flusher,
        }
        .with_open_index()
        .with_spent_index())
    }

    /// Databases written before the index get it built once, from the
    /// records (a record that does not decode holds nothing).
    fn with_open_index(self) -> SledLedger {
        if self.open.is_empty() && !self.payments.is_empty() {
            for (key, bytes) in self.payments.iter().flatten() {
                if let Ok(record) = serde_json::from_slice::<PaymentRecord>(&bytes)
                    && record.state.holds_invoice()
                {
                    let _ = self.open.insert(invoice_key(&record), key);
                }
            }
        }
        self
    }

    /// Runs `work` on this ledger's trees on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SledLedger) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let this = self.clone();
        blocking(move || work(&this)).await
    }

    fn get_now(&self, intent: &[u8]) -> Result<Option<PaymentRecord>, StoreError> {
        self.payments
            .get(intent)?
            .map(|b| serde_json::from_slice(&b).map_err(StoreError::from))
            .transpose()
    }

    /// Read-modify-write of one record and its transaction-id index, in one
    /// transaction, durable when `change` (which may run more than once)
    /// returns `Some`. A record that does not decode is an error, never
    /// overwritten or removed. `claimed_id`, a bank id staff give, is
    /// checked first: one that belongs to another payment, or differs from
    /// this one's, refuses the change. Any other new id is taken over (a
    /// sandbox restarted with a kept database reuses ids).
    async fn change(
        &self,
        intent: &PaymentIntent,
        claimed_id: Option<TransactionId>,
        change: impl Fn(&PaymentRecord) -> Option<PaymentRecord> + Send + 'static,
    ) -> Result<Change, StoreError> {
        let key = intent.as_str().as_bytes().to_vec();
        let (outcome, displaced) = self
            .run(move |l| {
                (&l.payments, &l.by_tx, &l.open, &l.spent)
                    .transaction(|(payments, by_tx, open, spent)| {
                        if let Some(id) = claimed_id
                            && by_tx
                                .get(id.0.to_be_bytes())?
                                .is_some_and(|h| h != key.as_slice())
                        {
                            return Ok((Change::IdTaken, None));
                        }
                        let Some(current) = payments.get(&key)? else {
                            return Ok((Change::Missing, None));
                        };
                        let record: PaymentRecord =
                            serde_json::from_slice(&current).map_err(abort)?;
                        if let Some(id) = claimed_id
                            && record.transaction_id.is_some_and(|t| t != id)
                        {
                            return Ok((Change::IdTaken, None));
                        }
                        let Some(changed) = change(&record) else {
                            return Ok((Change::Done(Box::new(record), false), None));
                        };
                        let mut displaced = None;
                        if let Some(tx) = changed.transaction_id {
                            let id_key = tx.0.to_be_bytes();
                            let holder = by_tx.get(id_key)?;
                            let elsewhere = holder.as_ref().is_some_and(|h| h != &key);
                            by_tx.insert(&id_key, key.as_slice())?;
                            displaced = holder.filter(|_| elsewhere);
                        }
                        if record.state.holds_invoice() && !changed.state.holds_invoice() {
                            // Nothing was paid: the invoice may be tried again.
                            let open_key = invoice_key(&changed);
                            if open
                                .get(open_key.as_slice())?
                                .is_some_and(|h| h == key.as_slice())
                            {
                                open.remove(open_key)?;
                            }
                        }
                        if record.state.counts_toward_limit()
                            && !changed.state.counts_toward_limit()
                        {
                            // Refused or cancelled: its amount is free again.
                            spent::release(spent, &changed)?;
                        }
                        let bytes = serde_json::to_vec(&changed).map_err(abort)?;
                        payments.insert(key.as_slice(), bytes)?;
                        Ok((Change::Done(Box::new(changed), true), displaced))
                    })
                    .map_err(from_transaction)
            })
            .await?;
        if let Some(previous) = displaced {
            tracing::warn!(
                %intent,
                previous = %String::from_utf8_lossy(&previous),
                "transaction id reused; it now refers to the newer payment"
            );
        }
        if matches!(outcome, Change::Done(_, true)) {
            self.flusher.durable().await?;
        }
        Ok(outcome)
    }

    /// `change` that applies `answer` only while the state is `from`.
    async fn answer_from(
        &self,
        intent: &PaymentIntent,
        from: PaymentState,
        answer: Answer,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let outcome = self
            .change(intent, None, move |r| {
                (r.state == from).then(|| r.clone().answered(&answer, at))
            })
            .await?;
        Ok(match outcome {
            Change::Done(record, true) => Some(*record),
            _ => None,
        })
    }
}

#[async_trait]
impl Ledger for SledLedger {
    /// The record and its payer and day index entries are written in one
    /// transaction, so a crash never leaves a payment that `/history` or
    /// `/payments` cannot list.
    async fn begin(
        &self,
        record: PaymentRecord,
        limit: Option<Amount>,
    ) -> Result<Begin, StoreError> {
        let bytes = serde_json::to_vec(&record)?;
        let intent = record.intent.as_str().as_bytes().to_vec();
        let ts = record.created_at.timestamp_micros().to_be_bytes();
        let mut payer_key = record.payer.0.to_be_bytes().to_vec();
        payer_key.extend_from_slice(&ts);
        payer_key.extend_from_slice(&intent);
        let mut day_key = record.day().format("%Y-%m-%d").to_string().into_bytes();
        day_key.extend_from_slice(&ts);
        day_key.extend_from_slice(&intent);
        let open_key = invoice_key(&record);
        let (spent_key, amount) = (spent::key(&record.account, record.day()), record.amount);
        let found = self
            .run(move |l| {
                (&l.payments, &l.by_payer, &l.by_day, &l.open, &l.spent)
                    .transaction(|(payments, by_payer, by_day, open, spent)| {
                        if let Some(current) = payments.get(&intent)? {
                            return Ok(Found::Exists(current));
                        }
                        if let Some(holder) = open.get(open_key.as_slice())?
                            && let Some(held) = payments.get(&holder)?
                        {
                            return Ok(Found::Held(held));
                        }
                        // The total is read and written in this transaction,
                        // so payments begun at once are counted one by one.
                        let total = spent::read(spent, &spent_key)?;
                        if let Some(limit) = limit
                            && let Err(over) = limit::check(limit, total, amount)
                        {
                            return Ok(Found::OverLimit(over));
                        }
                        spent::write(spent, &spent_key, limit::plus(total, amount))?;
                        payments.insert(intent.as_slice(), bytes.as_slice())?;
                        by_payer.insert(payer_key.as_slice(), intent.as_slice())?;
                        by_day.insert(day_key.as_slice(), intent.as_slice())?;
                        open.insert(open_key.as_slice(), intent.as_slice())?;
                        Ok(Found::Nothing)
                    })
                    .map_err(from_transaction)
            })
            .await?;
        match found {
            Found::Exists(current) => Ok(Begin::Exists(serde_json::from_slice(&current)?)),
            Found::Held(held) => Ok(Begin::Blocked(serde_json::from_slice(&held)?)),
            Found::OverLimit(over) => Ok(Begin::OverLimit(over)),
            Found::Nothing => {
                self.flusher.durable().await?;
                Ok(Begin::Started(record))
            }
        }
    }

    async fn spent_on(&self, account: &Account, day: NaiveDate) -> Result<Amount, StoreError> {
        let key = spent::key(account, day);
        self.run(move |l| spent::read_now(&l.spent, &key)).await
    }

    async fn get(&self, intent: &PaymentIntent) -> Result<Option<PaymentRecord>, StoreError> {
        let key = intent.as_str().as_bytes().to_vec();
        self.run(move |l| l.get_now(&key)).await
    }

    async fn by_transaction(&self, id: TransactionId) -> Result<Option<PaymentRecord>, StoreError> {
        self.run(move |l| match l.by_tx.get(id.0.to_be_bytes())? {
            Some(intent) => l.get_now(&intent),
            None => Ok(None),
        })
        .await
    }

    async fn complete(
        &self,
        intent: &PaymentIntent,
        claimed: PaymentState,
        answer: Answer,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.answer_from(intent, claimed, answer, at).await
    }

    async fn claim_cancel(
        &self,
        intent: &PaymentIntent,
        seen: PaymentState,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.answer_from(intent, seen, Answer::cancelling(), at)
            .await
    }

    async fn settle(
        &self,
        intent: &PaymentIntent,
        finding: Finding,
        note: String,
        at: DateTime<Utc>,
    ) -> Result<Settled, StoreError> {
        let outcome = self
            .change(intent, finding.transaction_id(), move |r| {
                r.settled(finding, note.clone(), at)
            })
            .await?;
        Ok(match outcome {
            Change::Missing => Settled::NotFound,
            Change::IdTaken => Settled::IdTaken,
            Change::Done(record, false) => Settled::NotUnsettled(*record),
            Change::Done(record, true) => Settled::Done(*record),
        })
    }

    async fn settle_abandoned(&self, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let abandoned = self
            .run(|l| {
                let mut abandoned = Vec::new();
                for entry in l.payments.iter() {
                    let (_, bytes) = entry?;
                    if let Ok(record) = serde_json::from_slice::<PaymentRecord>(&bytes)
                        && let Some(answer) = Answer::abandoned(record.state)
                    {
                        abandoned.push((record.intent, record.state, answer));
                    }
                }
                Ok(abandoned)
            })
            .await?;
        for (intent, from, answer) in &abandoned {
            self.answer_from(intent, *from, answer.clone(), at).await?;
        }
        Ok(abandoned.len())
    }

    async fn for_payer(
        &self,
        payer: TelegramUserId,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.run(move |l| l.for_payer_now(payer, skip, limit)).await
    }

    async fn count_for_payer(&self, payer: TelegramUserId) -> Result<usize, StoreError> {
        self.run(move |l| Ok(l.by_payer.scan_prefix(payer.0.to_be_bytes()).count()))
            .await
    }

    async fn for_day(&self, day: NaiveDate) -> Result<Vec<PaymentRecord>, StoreError> {
        let prefix = day.format("%Y-%m-%d").to_string();
        self.run(move |l| l.collect(l.by_day.scan_prefix(prefix.as_bytes()), 0, usize::MAX))
            .await
    }

    async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.append_audit(entry).await
    }

    async fn audit_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(move |l| l.audit_since_now(since, limit)).await
    }
}

fn abort(e: serde_json::Error) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(StoreError::from(e))
}

fn from_transaction(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::from(e),
    }
}
