//! In-memory stand-ins for the core's unit tests: a ledger that keeps the
//! ports' atomicity with one lock, invites, users, PINs, and a scripted
//! bank that counts its calls.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::{
    bank::{Account, BankError, CancelRequest, PaymentRequest, RequestId, SessionId},
    i18n::Lang,
    money::Amount,
};

#[derive(Default)]
pub(crate) struct MemoryLedger {
    records: Mutex<BTreeMap<PaymentIntent, PaymentRecord>>,
    audit: Mutex<Vec<AuditEntry>>,
    /// Makes [`Ledger::complete`] fail, as a lost database would.
    pub fail_complete: AtomicBool,
}

impl MemoryLedger {
    pub fn audit_trail(&self) -> Vec<AuditEntry> {
        self.audit.lock().expect("lock").clone()
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<PaymentIntent, PaymentRecord>) -> T) -> T {
        f(&mut self.records.lock().expect("lock"))
    }

    fn change(
        &self,
        intent: &PaymentIntent,
        f: impl FnOnce(&mut PaymentRecord) -> bool,
    ) -> Option<(PaymentRecord, bool)> {
        self.with(|all| {
            let record = all.get_mut(intent)?;
            let changed = f(record);
            Some((record.clone(), changed))
        })
    }
}

#[async_trait]
impl Ledger for MemoryLedger {
    async fn begin(
        &self,
        record: PaymentRecord,
        limit: Option<Amount>,
    ) -> Result<Begin, StoreError> {
        Ok(self.with(|all| {
            if let Some(existing) = all.get(&record.intent) {
                return Begin::Exists(existing.clone());
            }
            let holder = all
                .values()
                .find(|r| r.state.holds_invoice() && r.invoice_key() == record.invoice_key());
            if let Some(holder) = holder {
                return Begin::Blocked(holder.clone());
            }
            if let Some(limit) = limit {
                let spent = limit::spent(all.values(), &record.account, record.day());
                if let Err(over) = limit::check(limit, spent, record.amount) {
                    return Begin::OverLimit(over);
                }
            }
            all.insert(record.intent.clone(), record.clone());
            Begin::Started(record)
        }))
    }

    async fn spent_on(&self, account: &Account, day: NaiveDate) -> Result<Amount, StoreError> {
        Ok(self.with(|all| limit::spent(all.values(), account, day)))
    }

    async fn get(&self, intent: &PaymentIntent) -> Result<Option<PaymentRecord>, StoreError> {
        Ok(self.with(|all| all.get(intent).cloned()))
    }

    async fn by_transaction(&self, id: TransactionId) -> Result<Option<PaymentRecord>, StoreError> {
        Ok(self.with(|all| all.values().find(|r| r.transaction_id == Some(id)).cloned()))
    }

    async fn complete(
        &self,
        intent: &PaymentIntent,
        claimed: PaymentState,
        answer: Answer,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        if self.fail_complete.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("disk gone".into()));
        }
        let changed = self.change(intent, |r| {
            if r.state != claimed {
                return false;
            }
            *r = r.clone().answered(&answer, at);
            true
        });
        Ok(changed.filter(|(_, changed)| *changed).map(|(r, _)| r))
    }

    async fn claim_cancel(
        &self,
        intent: &PaymentIntent,
        seen: PaymentState,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let claim = Answer::cancelling();
        let changed = self.change(intent, |r| {
            if r.state != seen {
                return false;
            }
            *r = r.clone().answered(&claim, at);
            true
        });
        Ok(changed.filter(|(_, changed)| *changed).map(|(r, _)| r))
    }

    async fn settle(
        &self,
        intent: &PaymentIntent,
        finding: Finding,
        note: String,
        at: DateTime<Utc>,
    ) -> Result<Settled, StoreError> {
        let id = match finding {
            Finding::Paid(id) => id,
            _ => None,
        };
        Ok(self.with(|all| {
            if let Some(id) = id
                && all
                    .values()
                    .any(|r| r.transaction_id == Some(id) && r.intent != *intent)
            {
                return Settled::IdTaken;
            }
            let Some(record) = all.get(intent).cloned() else {
                return Settled::NotFound;
            };
            if id.is_some() && record.transaction_id.is_some_and(|t| Some(t) != id) {
                return Settled::IdTaken;
            }
            let Some(settled) = record.settled(finding, note, at) else {
                return Settled::NotUnsettled(record);
            };
            all.insert(intent.clone(), settled.clone());
            Settled::Done(settled)
        }))
    }

    async fn settle_abandoned(&self, at: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.with(|all| {
            let mut n = 0;
            for r in all.values_mut() {
                if let Some(answer) = Answer::abandoned(r.state) {
                    *r = r.clone().answered(&answer, at);
                    n += 1;
                }
            }
            n
        }))
    }

    async fn for_payer(
        &self,
        payer: TelegramUserId,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut mine: Vec<_> =
            self.with(|all| all.values().filter(|r| r.payer == payer).cloned().collect());
        mine.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok(mine.into_iter().skip(skip).take(limit).collect())
    }

    async fn count_for_payer(&self, payer: TelegramUserId) -> Result<usize, StoreError> {
        Ok(self.with(|all| all.values().filter(|r| r.payer == payer).count()))
    }

    async fn for_day(&self, day: NaiveDate) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut on: Vec<_> =
            self.with(|all| all.values().filter(|r| r.day() == day).cloned().collect());
        on.sort_by_key(|r| r.created_at);
        Ok(on)
    }

    async fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.audit.lock().expect("lock").push(entry);
        Ok(())
    }

    async fn audit_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let all = self.audit_trail();
        let recent: Vec<_> = all.into_iter().filter(|e| e.at >= since).collect();
        Ok(recent[recent.len().saturating_sub(limit)..].to_vec())
    }
}

#[derive(Default)]
pub(crate) struct MemoryInvites {
    tokens: Mutex<BTreeMap<String, Invite>>,
}

#[async_trait]
impl Invites for MemoryInvites {
    async fn create(
        &self,
        account: Account,
        agent: TelegramUserId,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let invite = Invite::new(account, agent, now);
        self.tokens
            .lock()
            .expect("lock")
            .insert(token.clone(), invite);
        Ok(token)
    }

    async fn redeem(
        &self,
        token: &str,
        _user: TelegramUserId,
        _lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Invite, InviteError> {
        let invite = self.tokens.lock().expect("lock").remove(token);
        match invite {
            None => Err(InviteError::Unknown),
            Some(i) if i.expired_at(now) => Err(InviteError::Expired),
            Some(i) => Ok(i),
        }
    }
}

#[derive(Default)]
pub(crate) struct MemoryUsers {
    pub records: Mutex<BTreeMap<TelegramUserId, UserRecord>>,
}

impl MemoryUsers {
    /// `user` has `account` linked.
    pub fn link(&self, user: TelegramUserId, account: &Account) {
        let mut all = self.records.lock().expect("lock");
        all.entry(user).or_default().link(account, Lang::Tr);
    }
}

#[async_trait]
impl Users for MemoryUsers {
    async fn get(&self, user: TelegramUserId) -> Result<UserRecord, StoreError> {
        let all = self.records.lock().expect("lock");
        Ok(all.get(&user).cloned().unwrap_or_default())
    }

    async fn set_lang(&self, user: TelegramUserId, lang: Lang) -> Result<(), StoreError> {
        let mut all = self.records.lock().expect("lock");
        all.entry(user).or_default().lang = Some(lang);
        Ok(())
    }

    async fn unlink(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<Unlinked, StoreError> {
        let mut all = self.records.lock().expect("lock");
        let Some(record) = all.get_mut(&user) else {
            return Ok(Unlinked::NotLinked);
        };
        Ok(if record.unlink(account) {
            Unlinked::Removed {
                left: record.accounts.len(),
            }
        } else {
            Unlinked::NotLinked
        })
    }

    async fn linked_to(&self, customer_no: u64) -> Result<Vec<TelegramUserId>, StoreError> {
        let all = self.records.lock().expect("lock");
        Ok(all
            .iter()
            .filter(|(_, r)| r.accounts.iter().any(|a| a.customer_no == customer_no))
            .map(|(u, _)| *u)
            .collect())
    }

    async fn set_blocked(&self, user: TelegramUserId, blocked: bool) -> Result<bool, StoreError> {
        let mut all = self.records.lock().expect("lock");
        Ok(match all.get_mut(&user) {
            Some(r) if r.blocked != blocked => {
                r.blocked = blocked;
                true
            }
            _ => false,
        })
    }
}

/// PINs under one lock.
#[derive(Default)]
pub(crate) struct MemoryPins {
    pub records: Mutex<BTreeMap<TelegramUserId, PinRecord>>,
}

#[async_trait]
impl Pins for MemoryPins {
    async fn get(&self, user: TelegramUserId) -> Result<PinRecord, StoreError> {
        let all = self.records.lock().expect("lock");
        Ok(all.get(&user).cloned().unwrap_or_default())
    }

    async fn update(
        &self,
        user: TelegramUserId,
        change: PinChange,
    ) -> Result<PinRecord, StoreError> {
        let mut all = self.records.lock().expect("lock");
        let record = all.entry(user).or_default();
        let before = record.clone();
        *record = before.apply(&change).0;
        Ok(before)
    }
}

/// A bank whose answers are scripted, in order; once the script is empty,
/// payments complete with fresh ids and cancellations go through. Each call
/// takes `delay`, so concurrent callers overlap.
#[derive(Default)]
pub(crate) struct ScriptedBank {
    pub pay_answers: Mutex<VecDeque<Result<Option<TransactionId>, BankError>>>,
    pub cancel_answers: Mutex<VecDeque<Result<(), BankError>>>,
    pub pays: AtomicUsize,
    pub cancels: AtomicUsize,
    pub delay: Duration,
}

impl ScriptedBank {
    pub fn slow(delay: Duration) -> Arc<ScriptedBank> {
        Arc::new(ScriptedBank {
            delay,
            ..ScriptedBank::default()
        })
    }
}

#[async_trait]
impl Bank for ScriptedBank {
    async fn pay(
        &self,
        _session: &SessionId,
        _request_id: &RequestId,
        _request: &PaymentRequest,
    ) -> Result<Option<TransactionId>, BankError> {
        let n = self.pays.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let scripted = self.pay_answers.lock().expect("lock").pop_front();
        scripted.unwrap_or(Ok(Some(TransactionId(100_000 + n as i64))))
    }

    async fn cancel(
        &self,
        _session: &SessionId,
        _request_id: &RequestId,
        _request: &CancelRequest,
    ) -> Result<(), BankError> {
        self.cancels.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let scripted = self.cancel_answers.lock().expect("lock").pop_front();
        scripted.unwrap_or(Ok(()))
    }
}
