//! `faturabot migrate --from-sled DIR`: a single node's sled data copied
//! into PostgreSQL (users, invites, the ledger, the audit trail, dialogues,
//! menus, PINs, saved bills and the reminders sent). Idempotent: what is there already is left as it is, so a
//! second run copies only what is missing. It does not bring over what
//! changed in sled since the first (an invite used, a payment settled):
//! stop the node, copy, then start the replicas.
//!
//! The sled database must not be in use (sled opens it for one process).

use std::path::Path;

use super::{
    postgres::{self, Pool, pg},
    sled::{SledParts, bills::read_send_key},
};
use crate::payments::{AuditEntry, PaymentRecord, StoreError, bills::SavedBill};

/// What was copied (new rows) and what was already there or unreadable.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub users: usize,
    pub invites: usize,
    pub payments: usize,
    pub audit: usize,
    pub dialogues: usize,
    pub menus: usize,
    pub pins: usize,
    pub bills: usize,
    /// Reminders claimed (sent): not sent again from PostgreSQL.
    pub sends: usize,
    /// Rows already in PostgreSQL.
    pub kept: usize,
    /// Records that did not decode, left behind (and logged).
    pub unreadable: usize,
}

/// Copies the sled database in `dir` into the (migrated) database at `url`.
pub async fn from_sled(dir: &Path, url: &str) -> Result<Copied, StoreError> {
    let pool = postgres::pool(url)?;
    postgres::migrations::migrate(&pool).await?;
    let dir = dir.to_owned();
    let parts = tokio::task::spawn_blocking(move || SledParts::open(&dir))
        .await
        .map_err(|_| StoreError::Cancelled)??;
    let mut copied = Copied::default();
    let tree = |name: &str| parts.db.open_tree(name).map_err(StoreError::from);
    for entry in tree("users")?.iter() {
        let (key, value) = entry?;
        let Some(id) = be_i64(&key) else { continue };
        let sql = "INSERT INTO users (user_id, record) VALUES ($1, $2::text::jsonb) ON CONFLICT DO NOTHING";
        match copy_json(&pool, sql, id, &value).await? {
            Some(n) => count(n, &mut copied.users, &mut copied.kept),
            None => unreadable(&mut copied, "user", &"not JSON"),
        }
    }
    // Keys already (sled re-keys clear tokens when it opens): copied as
    // they are, so the tokens handed out redeem on PostgreSQL too.
    for entry in tree("invites")?.iter() {
        let (key, value) = entry?;
        let token = String::from_utf8_lossy(&key).into_owned();
        let sql = "INSERT INTO invites (token, invite) VALUES ($1, $2::text::jsonb) ON CONFLICT DO NOTHING";
        match copy_json(&pool, sql, token, &value).await? {
            Some(n) => count(n, &mut copied.invites, &mut copied.kept),
            None => unreadable(&mut copied, "invite", &"not JSON"),
        }
    }
    for entry in tree("payments")?.iter() {
        let (_, value) = entry?;
        match serde_json::from_slice::<PaymentRecord>(&value) {
            Ok(record) => count(
                insert_payment(&pool, &record).await?,
                &mut copied.payments,
                &mut copied.kept,
            ),
            Err(e) => unreadable(&mut copied, "payment", &e),
        }
    }
    for entry in tree("audit")?.iter() {
        let (key, value) = entry?;
        let origin = format!(
            "sled:{}",
            u64::from_be_bytes(key.as_ref().try_into().unwrap_or([0; 8]))
        );
        match serde_json::from_slice::<AuditEntry>(&value) {
            Ok(e) => {
                let json = serde_json::to_string(&e)?;
                let client = pool.get().await.map_err(pg)?;
                let n = client
                    .execute(
                        "INSERT INTO audit (at, entry, origin) VALUES ($1, $2::text::jsonb, $3)
                         ON CONFLICT (origin) DO NOTHING",
                        &[&e.at, &json, &origin],
                    )
                    .await
                    .map_err(pg)?;
                count(n, &mut copied.audit, &mut copied.kept);
            }
            Err(e) => unreadable(&mut copied, "audit entry", &e),
        }
    }
    for entry in tree("dialogues")?.iter() {
        let (key, value) = entry?;
        let Some(chat) = be_i64(&key) else { continue };
        let client = pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "INSERT INTO dialogues (chat_id, state) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&chat, &value.as_ref()],
            )
            .await
            .map_err(pg)?;
        count(n, &mut copied.dialogues, &mut copied.kept);
    }
    for entry in tree("menus")?.iter() {
        let (key, value) = entry?;
        let (Some(chat), Ok(message)) = (be_i64(&key), <[u8; 4]>::try_from(value.as_ref())) else {
            continue;
        };
        let client = pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "INSERT INTO menus (chat_id, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&chat, &i32::from_be_bytes(message)],
            )
            .await
            .map_err(pg)?;
        count(n, &mut copied.menus, &mut copied.kept);
    }
    // As stored: the hashes are copied, never the PINs (there are none).
    for entry in tree("pins")?.iter() {
        let (key, value) = entry?;
        let Some(id) = be_i64(&key) else { continue };
        let sql = "INSERT INTO pins (user_id, record) VALUES ($1, $2::text::jsonb) ON CONFLICT DO NOTHING";
        match copy_json(&pool, sql, id, &value).await? {
            Some(n) => count(n, &mut copied.pins, &mut copied.kept),
            None => unreadable(&mut copied, "PIN record", &"not JSON"),
        }
    }
    copy_bills(&pool, &parts, &mut copied).await?;
    Ok(copied)
}

/// Saved bills, one row each, and the reminders sent. The day's checks
/// stay behind: a check done again sends nothing a send row covers.
async fn copy_bills(pool: &Pool, parts: &SledParts, copied: &mut Copied) -> Result<(), StoreError> {
    for entry in parts.bills.tree.iter() {
        let (_, value) = entry?;
        let list = match serde_json::from_slice::<Vec<SavedBill>>(&value) {
            Ok(list) => list,
            Err(e) => {
                unreadable(copied, "a customer's saved bills", &e);
                continue;
            }
        };
        for bill in list {
            let (Ok(id), Ok(user)) = (i64::try_from(bill.id.0), i64::try_from(bill.user.0)) else {
                unreadable(copied, "saved bill", &"an id beyond 63 bits");
                continue;
            };
            let account = serde_json::to_string(&bill.account)?;
            let (json, key) = (serde_json::to_string(&bill)?, bill.key());
            let client = pool.get().await.map_err(pg)?;
            // Either key taken (the id, or this customer's bill) is kept.
            let n = client
                .execute(
                    "INSERT INTO saved_bills (id, user_id, key, account, reminders, created_at, bill)
                     VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7::text::jsonb)
                     ON CONFLICT DO NOTHING",
                    &[&id, &user, &key, &account, &bill.reminders, &bill.created_at, &json],
                )
                .await
                .map_err(pg)?;
            count(n, &mut copied.bills, &mut copied.kept);
        }
    }
    for entry in parts.reminders.sends.iter() {
        let (key, value) = entry?;
        let read = read_send_key(&key).and_then(|(bill, kind, invoice)| {
            let at = serde_json::from_slice::<chrono::DateTime<chrono::Utc>>(&value).ok()?;
            Some((i64::try_from(bill.0).ok()?, kind, invoice, at))
        });
        let Some((bill, kind, invoice, at)) = read else {
            unreadable(copied, "reminder sent", &"not a send");
            continue;
        };
        let client = pool.get().await.map_err(pg)?;
        let n = client
            .execute(
                "INSERT INTO reminder_sends (bill_id, invoice, kind, sent_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&bill, &invoice, &kind.code(), &at],
            )
            .await
            .map_err(pg)?;
        count(n, &mut copied.sends, &mut copied.kept);
    }
    Ok(())
}

fn be_i64(key: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(key.try_into().ok()?))
}

fn count(inserted: u64, new: &mut usize, kept: &mut usize) {
    if inserted > 0 {
        *new += 1;
    } else {
        *kept += 1;
    }
}

fn unreadable(copied: &mut Copied, what: &str, e: &dyn std::fmt::Display) {
    tracing::warn!(error = %e, "{what} left behind: it does not decode");
    copied.unreadable += 1;
}

/// A JSON value under `key`: rows inserted, or `None` when it is not JSON.
async fn copy_json<K: tokio_postgres::types::ToSql + Sync>(
    pool: &Pool,
    sql: &str,
    key: K,
    value: &[u8],
) -> Result<Option<u64>, StoreError> {
    let Ok(text) = std::str::from_utf8(value) else {
        return Ok(None);
    };
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return Ok(None);
    }
    let client = pool.get().await.map_err(pg)?;
    Ok(Some(client.execute(sql, &[&key, &text]).await.map_err(pg)?))
}

async fn insert_payment(pool: &Pool, r: &PaymentRecord) -> Result<u64, StoreError> {
    let json = serde_json::to_string(r)?;
    let state = serde_json::to_value(r.state)?;
    let beyond = |_| StoreError::Backend("a number beyond 64 bits".into());
    let payer = i64::try_from(r.payer.0).map_err(beyond)?;
    let client = pool.get().await.map_err(pg)?;
    // In flight on a stopped node: no owner, so the first replica sweeps
    // it. A second open attempt at one invoice (possible on sled before the
    // index) is left behind like a duplicate: counted as kept.
    let n = client
        .execute(
            "INSERT INTO payments
               (intent, payer, created_at, day, association_code, invoice_number, state,
                transaction_id, record)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb)
             ON CONFLICT DO NOTHING",
            &[
                &r.intent.as_str(),
                &payer,
                &r.created_at,
                &r.day(),
                &r.association_code,
                &r.invoice_number,
                &state.as_str().unwrap_or_default(),
                &r.transaction_id.map(|t| t.0),
                &json,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use teloxide::{dispatching::dialogue::Storage, types::ChatId};

    use super::*;
    use crate::{
        bot::State,
        i18n::Lang,
        payments::{
            Answer, AuditAction, Invite, InviteKey, PaymentState, PinChange, TelegramUserId,
            TransactionId,
            bills::{
                ReminderKind::{DueSoon, New},
                tests::bill,
            },
        },
        storage::fixtures,
    };

    /// A single node's data arrives whole in PostgreSQL, and a second run
    /// copies nothing twice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sled_node_moves_to_postgres_once() {
        let Some(url) = postgres::throwaway::database("migrate --from-sled").await else {
            return;
        };
        let dir = std::env::temp_dir().join(format!("faturabot-copy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let at = Utc::now();
        let user = TelegramUserId(41);
        // One invite as a version before keys stored it: its token in clear.
        let clear_token = uuid::Uuid::new_v4().simple().to_string();
        let (open_token, saved) = {
            let parts = SledParts::open(&dir).expect("sled");
            let clear = Invite::new(fixtures::account(359), TelegramUserId(9), at);
            let clear = serde_json::to_vec(&clear).expect("json");
            let tree = parts.db.open_tree("invites").expect("tree");
            tree.insert(clear_token.as_bytes(), clear).expect("clear");
            let sled = parts.store();
            let token = sled
                .invites
                .create(fixtures::account(357), TelegramUserId(9), at);
            let token = token.await.expect("invite");
            sled.invites
                .redeem(&token, user, Lang::En, at)
                .await
                .expect("linked");
            let open = sled
                .invites
                .create(fixtures::account(358), TelegramUserId(9), at)
                .await
                .expect("invite");
            let paid = fixtures::record("41-00000000000000aa", 41, "F1", at);
            sled.ledger.begin(paid.clone(), None).await.expect("begin");
            let answer = Answer {
                state: PaymentState::Completed,
                transaction_id: Some(TransactionId(700)),
                note: None,
            };
            sled.ledger
                .complete(&paid.intent, PaymentState::InFlight, answer, at)
                .await
                .expect("paid");
            let entry = AuditEntry {
                at,
                agent: TelegramUserId(9),
                action: AuditAction::Invite,
                details: "9142-•••017-357 TRY".into(),
                payment: None,
            };
            sled.ledger.audit(entry).await.expect("audit");
            Storage::update_dialogue(sled.dialogues::<State>(), ChatId(41), State::Idle)
                .await
                .expect("dialogue");
            sled.menus.replace(41, 5).await;
            let chose = PinChange::Choose {
                hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            };
            sled.pins.update(user, chose).await.expect("PIN");
            let mut saved = vec![bill(41, 357, "1000001"), bill(41, 358, "2000002")];
            saved[1].reminders = false;
            // PostgreSQL lists by time saved, then id: one time would be id order.
            saved[1].created_at += chrono::Duration::minutes(1);
            for b in &saved {
                sled.bills.save(b.clone(), 20).await.expect("bill");
            }
            let sent = sled.reminders.claim_send(saved[0].id, "F9", New, at);
            assert!(sent.await.expect("sent"));
            sled.flush().await.expect("flush");
            (open, saved)
        };
        // sled lets its lock go once its threads do.
        let mut copied = None;
        for _ in 0..50 {
            match from_sled(&dir, &url).await {
                Ok(c) => {
                    copied = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        let copied = copied.expect("copied");
        let expected = Copied {
            users: 1,
            invites: 2,
            payments: 1,
            audit: 1,
            dialogues: 1,
            menus: 1,
            pins: 1,
            bills: 2,
            sends: 1,
            kept: 0,
            unreadable: 0,
        };
        assert_eq!(copied, expected);

        let pg = postgres::open(&url).await.expect("postgres");
        let linked = pg.users.get(user).await.expect("user");
        assert_eq!((linked.accounts.len(), linked.lang), (1, None));
        assert_eq!(linked.preferred_lang(), Some(Lang::En));
        let payment = pg
            .ledger
            .by_transaction(TransactionId(700))
            .await
            .expect("by id");
        assert_eq!(payment.map(|p| p.state), Some(PaymentState::Completed));
        assert_eq!(pg.ledger.audit_since(at, 10).await.expect("audit").len(), 1);
        assert_eq!(pg.dialogues::<State>().count().await.expect("count"), 1);
        assert_eq!(pg.menus.take(41).await, Some(5));
        let pin = pg.pins.get(user).await.expect("PIN");
        assert_eq!(pin.hash.as_deref().map(|h| &h[..9]), Some("$argon2id"));
        assert_eq!(pg.bills.list(user).await.expect("bills"), saved);
        let reminding = pg.bills.with_reminders(None, 10).await.expect("bills");
        assert_eq!(reminding, saved[..1]);
        let (id, r) = (saved[0].id, &pg.reminders);
        assert!(
            !r.claim_send(id, "F9", New, at).await.expect("claim"),
            "sent once"
        );
        assert!(r.claim_send(id, "F9", DueSoon, at).await.expect("claim"));

        let again = from_sled(&dir, &url).await.expect("again");
        assert_eq!(
            (
                again.users,
                again.payments,
                again.bills,
                again.sends,
                again.kept
            ),
            (0, 0, 0, 0, 10)
        );
        assert_eq!(pg.bills.list(user).await.expect("bills"), saved);
        assert_eq!(pg.ledger.audit_since(at, 10).await.expect("audit").len(), 1);

        // The invites still open redeem with the tokens handed out.
        let client = postgres::pool(&url).expect("pool");
        let client = client.get().await.expect("client");
        let rows = client.query("SELECT token FROM invites ORDER BY token", &[]);
        let stored: Vec<String> = rows
            .await
            .expect("invites")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut keys = [InviteKey::of(&open_token), InviteKey::of(&clear_token)];
        keys.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        let keys = keys.map(|k| k.as_str().to_owned());
        assert_eq!(stored, keys, "hashed once");
        for (token, suffix) in [(&open_token, 358), (&clear_token, 359)] {
            let linked = pg.invites.redeem(token, TelegramUserId(42), Lang::Tr, at);
            let linked = linked.await.expect("redeemed");
            assert_eq!(linked.account, fixtures::account(suffix));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
