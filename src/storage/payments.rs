//! The payment ledger: every payment the bot attempted, and what became of it.
//!
//! A record is written (and made durable) before `InvoicePayment` is called, keyed
//! by the confirmation it answers, only if none is there yet (one sled
//! transaction with its index entries): a second press, a redelivered update
//! or a press after a restart finds the record and does not pay again. Records still "in flight" when the process starts belong to
//! a process that died mid-call: they become [`PaymentState::Unknown`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use sled::{
    Transactional,
    transaction::{ConflictableTransactionError, TransactionError},
};

use super::{Flusher, StoreError, blocking};
use crate::{
    bank::{Account, RequestId, SessionId},
    clock::istanbul,
    money::Amount,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentState {
    /// Written before the bank call; the call's answer is not known yet.
    InFlight,
    Completed,
    /// The bank said no; nothing was paid.
    Refused,
    /// The call's outcome was lost (time-out, crash): must be checked by
    /// staff, never paid again on its own.
    Unknown,
    Cancelled,
    /// Completed, and an agent's `CancelPayment` is in flight: its answer
    /// is not known yet. Held by one confirmation only, so the cancellation
    /// is sent once.
    Cancelling,
    /// Completed, then a `CancelPayment` whose answer was lost (time-out,
    /// an answer that could not be read, a crash): the bank may or may not
    /// have cancelled. Staff check with the bank; asking again is safe, the
    /// bank refuses to cancel twice.
    CancelUnknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    pub at: DateTime<Utc>,
    pub state: PaymentState,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// The confirmation this payment answers; the ledger key.
    pub intent: String,
    pub payer: u64,
    pub chat_id: i64,
    pub account: Account,
    pub association_code: String,
    pub association_name: String,
    pub subscriber: String,
    pub invoice_number: String,
    pub amount: Amount,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub session: SessionId,
    pub request_id: RequestId,
    pub transaction_id: Option<i64>,
    pub state: PaymentState,
    pub history: Vec<StateChange>,
}

impl PaymentRecord {
    /// The day of the payment in Europe/Istanbul.
    pub fn day(&self) -> NaiveDate {
        self.created_at.with_timezone(&istanbul()).date_naive()
    }

    pub fn last_note(&self) -> Option<&str> {
        self.history.last().and_then(|c| c.note.as_deref())
    }
}

/// The outcome of [`Ledger::begin`].
#[derive(Debug)]
pub enum Begin {
    /// This caller owns the payment and must make the bank call.
    Started(PaymentRecord),
    /// The confirmation was already acted on: here is what became of it.
    Exists(PaymentRecord),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub agent: u64,
    pub action: String,
    pub details: String,
    /// The payment (bank transaction id) acted on, if any.
    #[serde(default)]
    pub payment: Option<i64>,
}

#[derive(Clone)]
pub struct Ledger {
    payments: sled::Tree,
    by_tx: sled::Tree,
    by_payer: sled::Tree,
    by_day: sled::Tree,
    audit: sled::Tree,
    db: sled::Db,
    flusher: Flusher,
}

impl Ledger {
    pub fn new(db: &sled::Db, flusher: Flusher) -> Result<Ledger, StoreError> {
        Ok(Ledger {
            payments: db.open_tree("payments")?,
            by_tx: db.open_tree("payments_by_tx")?,
            by_payer: db.open_tree("payments_by_payer")?,
            by_day: db.open_tree("payments_by_day")?,
            audit: db.open_tree("audit")?,
            db: db.clone(),
            flusher,
        })
    }

    /// Runs `work` on this ledger's trees on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Ledger) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let this = self.clone();
        blocking(move || work(&this)).await
    }

    /// Records the intent to pay, once per `record.intent`, durably. The
    /// record and its payer and day index entries are written in one
    /// transaction, so a crash never leaves a payment that `/history` or
    /// `/payments` cannot list.
    pub async fn begin(&self, record: PaymentRecord) -> Result<Begin, StoreError> {
        let bytes = serde_json::to_vec(&record)?;
        let intent = record.intent.clone().into_bytes();
        let ts = record.created_at.timestamp_micros().to_be_bytes();
        let mut payer_key = record.payer.to_be_bytes().to_vec();
        payer_key.extend_from_slice(&ts);
        payer_key.extend_from_slice(&intent);
        let mut day_key = record.day().format("%Y-%m-%d").to_string().into_bytes();
        day_key.extend_from_slice(&ts);
        day_key.extend_from_slice(&intent);
        let existing = self
            .run(move |l| {
                (&l.payments, &l.by_payer, &l.by_day)
                    .transaction(|(payments, by_payer, by_day)| {
                        if let Some(current) = payments.get(&intent)? {
                            return Ok(Some(current));
                        }
                        payments.insert(intent.as_slice(), bytes.as_slice())?;
                        by_payer.insert(payer_key.as_slice(), intent.as_slice())?;
                        by_day.insert(day_key.as_slice(), intent.as_slice())?;
                        Ok(None)
                    })
                    .map_err(from_transaction)
            })
            .await?;
        if let Some(current) = existing {
            return Ok(Begin::Exists(serde_json::from_slice(&current)?));
        }
        self.flusher.durable().await?;
        Ok(Begin::Started(record))
    }

    pub async fn get(&self, intent: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let intent = intent.to_owned();
        self.run(move |l| l.get_now(&intent)).await
    }

    fn get_now(&self, intent: &str) -> Result<Option<PaymentRecord>, StoreError> {
        self.payments
            .get(intent.as_bytes())?
            .map(|b| serde_json::from_slice(&b).map_err(StoreError::from))
            .transpose()
    }

    pub async fn by_transaction(
        &self,
        transaction_id: i64,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.run(move |l| match l.by_tx.get(transaction_id.to_be_bytes())? {
            Some(intent) => l.get_now(&String::from_utf8_lossy(&intent)),
            None => Ok(None),
        })
        .await
    }

    /// Moves a payment to `state`, keeping the history; durable. `None`
    /// when there is no such payment.
    pub async fn set_state(
        &self,
        intent: &str,
        state: PaymentState,
        transaction_id: Option<i64>,
        note: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let changed = self
            .change(intent, move |record| {
                record.state = state;
                if transaction_id.is_some() {
                    record.transaction_id = transaction_id;
                }
                record.history.push(StateChange {
                    at,
                    state,
                    note: note.clone(),
                });
                true
            })
            .await?;
        Ok(changed.map(|(record, _)| record))
    }

    /// Compare-and-set of the state alone: `Ok(true)` when this caller moved
    /// it from `from` to `to` (used so a cancellation is sent once).
    pub async fn transition(
        &self,
        intent: &str,
        from: PaymentState,
        to: PaymentState,
        note: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .change(intent, move |record| {
                if record.state != from {
                    return false;
                }
                record.state = to;
                record.history.push(StateChange {
                    at,
                    state: to,
                    note: note.clone(),
                });
                true
            })
            .await?;
        Ok(matches!(changed, Some((_, true))))
    }

    /// Staff settle an outcome the bot could not know: moves the payment
    /// from one of `from` to `to` (with the bank's transaction id when
    /// given). `Ok(None)` when there is no such payment, `Ok(Some((r, false)))`
    /// when it was not in one of `from`.
    pub async fn settle(
        &self,
        intent: &str,
        from: &[PaymentState],
        to: PaymentState,
        transaction_id: Option<i64>,
        note: String,
        at: DateTime<Utc>,
    ) -> Result<Option<(PaymentRecord, bool)>, StoreError> {
        let from = from.to_vec();
        self.change(intent, move |record| {
            if !from.contains(&record.state) {
                return false;
            }
            record.state = to;
            if transaction_id.is_some() {
                record.transaction_id = transaction_id;
            }
            record.history.push(StateChange {
                at,
                state: to,
                note: Some(note.clone()),
            });
            true
        })
        .await
    }

    /// Read-modify-write of one record and its transaction-id index, in one
    /// transaction, durable when `change` (which may run more than once)
    /// returns `true`. A record that does not decode is an error, never
    /// overwritten or removed. `None` when there is no such record.
    async fn change(
        &self,
        intent: &str,
        change: impl Fn(&mut PaymentRecord) -> bool + Send + 'static,
    ) -> Result<Option<(PaymentRecord, bool)>, StoreError> {
        let key = intent.as_bytes().to_vec();
        let (outcome, displaced) = self
            .run(move |l| {
                (&l.payments, &l.by_tx)
                    .transaction(|(payments, by_tx)| {
                        let Some(current) = payments.get(&key)? else {
                            return Ok((None, None));
                        };
                        let mut record: PaymentRecord =
                            serde_json::from_slice(&current).map_err(abort)?;
                        if !change(&mut record) {
                            return Ok((Some((record, false)), None));
                        }
                        payments
                            .insert(key.as_slice(), serde_json::to_vec(&record).map_err(abort)?)?;
                        let mut displaced = None;
                        if let Some(tx) = record.transaction_id {
                            displaced = by_tx
                                .insert(&tx.to_be_bytes(), key.as_slice())?
                                .filter(|previous| previous != &key);
                        }
                        Ok((Some((record, true)), displaced))
                    })
                    .map_err(from_transaction)
            })
            .await?;
        if let Some(previous) = displaced {
            // The bank gave an id it had given before (a sandbox restarted
            // with a kept database does): the id now finds this payment.
            tracing::warn!(
                intent,
                previous = %String::from_utf8_lossy(&previous),
                "transaction id reused; it now refers to the newer payment"
            );
        }
        if matches!(outcome, Some((_, true))) {
            self.flusher.durable().await?;
        }
        Ok(outcome)
    }

    /// The payer's payments, newest first.
    pub async fn for_payer(
        &self,
        payer: u64,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.run(move |l| l.for_payer_now(payer, skip, limit)).await
    }

    fn for_payer_now(
        &self,
        payer: u64,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.collect(
            self.by_payer.scan_prefix(payer.to_be_bytes()).rev(),
            skip,
            limit,
        )
    }

    pub async fn count_for_payer(&self, payer: u64) -> Result<usize, StoreError> {
        self.run(move |l| Ok(l.by_payer.scan_prefix(payer.to_be_bytes()).count()))
            .await
    }

    /// The payer's latest attempt at this invoice whose outcome is not
    /// settled (in flight or unknown), if any: paying it again could pay twice.
    pub async fn unsettled_attempt(
        &self,
        payer: u64,
        association_code: &str,
        invoice_number: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let (code, number) = (association_code.to_owned(), invoice_number.to_owned());
        self.run(move |l| {
            // Newest first; an unsettled attempt is recent in practice.
            let recent = l.for_payer_now(payer, 0, 200)?;
            Ok(recent.into_iter().find(|r| {
                r.association_code == code
                    && r.invoice_number == number
                    && matches!(r.state, PaymentState::InFlight | PaymentState::Unknown)
            }))
        })
        .await
    }

    /// The payments of one Istanbul day, oldest first.
    pub async fn for_day(&self, day: NaiveDate) -> Result<Vec<PaymentRecord>, StoreError> {
        let prefix = day.format("%Y-%m-%d").to_string();
        self.run(move |l| l.collect(l.by_day.scan_prefix(prefix.as_bytes()), 0, usize::MAX))
            .await
    }

    fn collect(
        &self,
        index: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut out = Vec::new();
        for entry in index.skip(skip).take(limit) {
            let (_, intent) = entry?;
            if let Some(record) = self.get_now(&String::from_utf8_lossy(&intent))? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// At start-up: payments left in flight by a previous process have an
    /// unknown outcome, and so have cancellations left in flight (the
    /// payment itself stands). Returns how many were found.
    pub async fn settle_abandoned(&self, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let abandoned = self
            .run(|l| {
                let mut abandoned = Vec::new();
                for entry in l.payments.iter() {
                    let (_, bytes) = entry?;
                    if let Ok(record) = serde_json::from_slice::<PaymentRecord>(&bytes) {
                        let to = match record.state {
                            PaymentState::InFlight => PaymentState::Unknown,
                            PaymentState::Cancelling => PaymentState::CancelUnknown,
                            _ => continue,
                        };
                        abandoned.push((record.intent, record.state, to));
                    }
                }
                Ok(abandoned)
            })
            .await?;
        for (intent, from, to) in &abandoned {
            self.transition(
                intent,
                *from,
                *to,
                Some("process stopped during the bank call".into()),
                at,
            )
            .await?;
        }
        Ok(abandoned.len())
    }

    pub async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&entry)?;
        self.run(move |l| {
            let id = l.db.generate_id()?;
            l.audit.insert(id.to_be_bytes(), bytes)?;
            Ok(())
        })
        .await?;
        self.flusher.durable().await?;
        tracing::info!(agent = entry.agent, action = %entry.action, details = %entry.details, "audit");
        Ok(())
    }

    /// The audit entries made at or after `since`, oldest first, at most
    /// the `limit` newest of them.
    pub async fn audit_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(move |l| {
            let mut out = Vec::new();
            // Keys are increasing ids, written in time order: newest last.
            for entry in l.audit.iter().rev() {
                let (_, v) = entry?;
                let entry: AuditEntry = serde_json::from_slice(&v)?;
                if entry.at < since || out.len() >= limit {
                    break;
                }
                out.push(entry);
            }
            out.reverse();
            Ok(out)
        })
        .await
    }

    pub async fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(|l| {
            l.audit
                .iter()
                .map(|e| {
                    let (_, v) = e?;
                    Ok(serde_json::from_slice(&v)?)
                })
                .collect()
        })
        .await
    }
}

fn abort(e: serde_json::Error) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(StoreError::from(e))
}

fn from_transaction(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Db(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::fixtures;

    fn record(intent: &str, at: DateTime<Utc>) -> PaymentRecord {
        fixtures::record(intent, 1, "1", at)
    }

    /// A crash during a payment leaves it Unknown; a crash during the
    /// cancellation of a completed payment leaves the cancellation
    /// unverified, not the payment.
    #[tokio::test]
    async fn abandoned_payments_and_cancellations_are_settled_apart() {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let ledger = Ledger::new(&db, Flusher::new(db.clone())).expect("ledger");
        let at = Utc::now();
        for intent in ["paying", "cancelling", "paid"] {
            assert!(matches!(
                ledger.begin(record(intent, at)).await,
                Ok(Begin::Started(_))
            ));
        }
        for intent in ["cancelling", "paid"] {
            ledger
                .set_state(intent, PaymentState::Completed, Some(7), None, at)
                .await
                .expect("set");
        }
        assert!(
            ledger
                .transition(
                    "cancelling",
                    PaymentState::Completed,
                    PaymentState::Cancelling,
                    None,
                    at
                )
                .await
                .expect("claim")
        );

        assert_eq!(ledger.settle_abandoned(at).await.expect("settle"), 2);

        let state = async |i: &str| ledger.get(i).await.expect("get").expect("record").state;
        assert_eq!(state("paying").await, PaymentState::Unknown);
        assert_eq!(state("cancelling").await, PaymentState::CancelUnknown);
        assert_eq!(state("paid").await, PaymentState::Completed);
    }

    /// A record that no longer decodes is reported, never overwritten or
    /// removed; a new one is listed by payer and by day as soon as it exists.
    #[tokio::test]
    async fn records_are_indexed_at_once_and_never_lost_to_a_decode_error() {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let ledger = Ledger::new(&db, Flusher::new(db.clone())).expect("ledger");
        let at = Utc::now();
        let r = record("listed", at);
        let day = r.day();
        assert!(matches!(ledger.begin(r).await, Ok(Begin::Started(_))));
        assert!(matches!(
            ledger.begin(record("listed", at)).await,
            Ok(Begin::Exists(_))
        ));
        assert_eq!(ledger.for_payer(1, 0, 10).await.expect("payer").len(), 1);
        assert_eq!(ledger.for_day(day).await.expect("day").len(), 1);

        ledger
            .payments
            .insert("garbled", &b"{not json"[..])
            .expect("insert");
        assert!(
            ledger
                .set_state("garbled", PaymentState::Completed, Some(1), None, at)
                .await
                .is_err()
        );
        assert_eq!(
            ledger.payments.get("garbled").expect("get").as_deref(),
            Some(&b"{not json"[..])
        );
        assert!(ledger.by_transaction(1).await.expect("by tx").is_none());
    }

    #[tokio::test]
    async fn audit_since_gives_the_newest_entries_of_the_period_oldest_first() {
        let db = sled::Config::new().temporary(true).open().expect("db");
        let ledger = Ledger::new(&db, Flusher::new(db.clone())).expect("ledger");
        let now = Utc::now();
        for (i, hours_ago) in [30, 2, 1, 0].into_iter().enumerate() {
            ledger
                .audit(AuditEntry {
                    at: now - chrono::Duration::hours(hours_ago),
                    agent: 9,
                    action: "invite".into(),
                    details: format!("#{i}"),
                    payment: None,
                })
                .await
                .expect("audit");
        }
        let since = now - chrono::Duration::hours(24);
        let details = |v: Vec<AuditEntry>| v.into_iter().map(|e| e.details).collect::<Vec<_>>();
        assert_eq!(
            details(ledger.audit_since(since, 10).await.expect("read")),
            ["#1", "#2", "#3"]
        );
        assert_eq!(
            details(ledger.audit_since(since, 2).await.expect("read")),
            ["#2", "#3"]
        );
    }
}
