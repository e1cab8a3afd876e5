//! `begin`: a payment recorded once per press, while no other attempt
//! holds its invoice and, with a limit, while its account's day stays
//! within it. The limit is decided in the insert's transaction, under an
//! advisory lock per (account, day): every `begin` of that account and day
//! waits for the one before it to commit, then sums what counts.

use chrono::NaiveDate;

use super::{PgLedger, held, payer, pg, records, state_name};
use crate::{
    bank::Account,
    money::Amount,
    payments::{Begin, Ledger, OverLimit, PaymentRecord, StoreError, limit},
};

/// What one insert of `begin` did.
enum Attempt {
    Inserted,
    /// The intent is there already.
    Conflict,
    /// Another attempt holds the invoice.
    Held,
    OverLimit(OverLimit),
}

/// What counts toward an account's daily limit on a day
/// ([`PaymentState::counts_toward_limit`](crate::payments::PaymentState::counts_toward_limit)),
/// summed exactly as numeric.
const SPENT: &str = "SELECT coalesce(sum((record->>'amount')::numeric), 0)::text FROM payments
     WHERE customer_no = $1 AND day = $2
       AND (record->'account'->>'branch_code')::bigint = $3
       AND (record->'account'->>'suffix')::bigint = $4
       AND state NOT IN ('Refused', 'Cancelled')";

/// An account and a day, as [`SPENT`] and the limit's lock take them.
struct AccountDay {
    customer: i64,
    branch: i64,
    suffix: i64,
    day: NaiveDate,
}

impl AccountDay {
    fn new(account: &Account, day: NaiveDate) -> Result<AccountDay, StoreError> {
        Ok(AccountDay {
            customer: customer_no(account)?,
            branch: account.branch_code.into(),
            suffix: account.suffix.into(),
            day,
        })
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 4] {
        [&self.customer, &self.day, &self.branch, &self.suffix]
    }

    /// Hashed into the advisory lock's key: a collision only makes two
    /// accounts wait for each other.
    fn lock_name(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.customer, self.branch, self.suffix, self.day
        )
    }
}

fn customer_no(account: &Account) -> Result<i64, StoreError> {
    i64::try_from(account.customer_no)
        .map_err(|_| StoreError::Backend("customer number beyond 64 bits".into()))
}

fn spent_of(row: &tokio_postgres::Row) -> Result<Amount, StoreError> {
    let text: &str = row.try_get(0).map_err(pg)?;
    text.parse()
        .map_err(|_| StoreError::Backend(format!("a daily total does not decode: {text:?}")))
}

impl PgLedger {
    pub(super) async fn begin_now(
        &self,
        record: PaymentRecord,
        limit: Option<Amount>,
    ) -> Result<Begin, StoreError> {
        let json = serde_json::to_string(&record)?;
        // A holder found by the index may settle as "refused" before it is
        // read back: then the insert is tried again.
        for _ in 0..3 {
            match self.try_insert(&record, &json, limit).await? {
                Attempt::Inserted => return Ok(Begin::Started(record)),
                Attempt::Conflict => {
                    return match self.get(&record.intent).await? {
                        Some(existing) => Ok(Begin::Exists(existing)),
                        None => Err(StoreError::Backend(
                            "payment neither inserted nor found".into(),
                        )),
                    };
                }
                Attempt::Held => {
                    if let Some(found) = self.holder(&record).await? {
                        return Ok(found);
                    }
                }
                // A press recorded already, or an invoice held, is told
                // as such rather than as the limit.
                Attempt::OverLimit(over) => {
                    if let Some(existing) = self.get(&record.intent).await? {
                        return Ok(Begin::Exists(existing));
                    }
                    return Ok(self
                        .holder(&record)
                        .await?
                        .unwrap_or(Begin::OverLimit(over)));
                }
            }
        }
        Err(StoreError::Backend(
            "the invoice's attempts kept changing".into(),
        ))
    }

    pub(super) async fn spent_now(
        &self,
        account: &Account,
        day: NaiveDate,
    ) -> Result<Amount, StoreError> {
        let day = AccountDay::new(account, day)?;
        let client = self.pool.get().await.map_err(pg)?;
        let row = client.query_one(SPENT, &day.params()).await.map_err(pg)?;
        spent_of(&row)
    }

    /// One insert, in a transaction: with a limit, under the lock of the
    /// record's (account, day), after summing what counts of that day, so
    /// no other `begin` of that account and day runs in between.
    async fn try_insert(
        &self,
        record: &PaymentRecord,
        json: &str,
        limit: Option<Amount>,
    ) -> Result<Attempt, StoreError> {
        let mut client = self.pool.get().await.map_err(pg)?;
        let tx = client.transaction().await.map_err(pg)?;
        if let Some(limit) = limit {
            let day = AccountDay::new(&record.account, record.day())?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('daily_limit'), hashtext($1))",
                &[&day.lock_name()],
            )
            .await
            .map_err(pg)?;
            let row = tx.query_one(SPENT, &day.params()).await.map_err(pg)?;
            if let Err(over) = limit::check(limit, spent_of(&row)?, record.amount) {
                // Nothing written; rolled back as `tx` drops.
                return Ok(Attempt::OverLimit(over));
            }
        }
        let inserted = tx
            .execute(
                "INSERT INTO payments
                   (intent, payer, created_at, day, association_code, invoice_number, state,
                    transaction_id, record, owner, held_since)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, now())
                 ON CONFLICT (intent) DO NOTHING",
                &[
                    &record.intent.as_str(),
                    &payer(record.payer)?,
                    &record.created_at,
                    &record.day(),
                    &record.association_code,
                    &record.invoice_number,
                    &state_name(record.state),
                    &record.transaction_id.map(|t| t.0),
                    &json,
                    &&*self.replica,
                ],
            )
            .await;
        match inserted {
            Ok(1) => {
                tx.commit().await.map_err(pg)?;
                Ok(Attempt::Inserted)
            }
            Ok(_) => Ok(Attempt::Conflict),
            Err(e) if held(&e) => Ok(Attempt::Held),
            Err(e) => Err(pg(e)),
        }
    }

    /// The attempt that holds `record`'s invoice, as `begin` tells it.
    async fn holder(&self, record: &PaymentRecord) -> Result<Option<Begin>, StoreError> {
        let customer = AccountDay::new(&record.account, record.day())?.customer;
        let rows = self
            .query(
                "SELECT record::text FROM payments
                 WHERE customer_no = $1 AND association_code = $2
                   AND invoice_number = $3 AND state NOT IN ('Refused', 'Cancelled')",
                &[&customer, &record.association_code, &record.invoice_number],
            )
            .await?;
        Ok(records(rows)?.pop().map(|holder| {
            if holder.intent == record.intent {
                // The same press, inserted a moment ago by another.
                Begin::Exists(holder)
            } else {
                Begin::Blocked(holder)
            }
        }))
    }
}
