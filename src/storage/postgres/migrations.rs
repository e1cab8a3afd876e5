//! The schema, as numbered migrations embedded in the binary. Each runs
//! once, in a transaction, under an advisory lock (replicas starting at
//! once wait for each other); running them again changes nothing.
//!
//! A migration only adds (tables, columns that are generated or may be
//! null, indexes), so the previous version's queries keep working during a
//! rolling deploy. What it writes is covered too: the invoice key is
//! generated from the record, and a payment without an owner (written by a
//! version before the heartbeat) is swept only once it is a minute old.
//! The one exception is 7, which re-keys invites (see there).

use super::{Pool, pg};
use crate::payments::StoreError;

/// `(version, what it does, SQL)`, in order. Never edit a released one.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "users, invites, dialogues, menus, the ledger and the audit trail",
        r#"
CREATE TABLE users (
    user_id BIGINT PRIMARY KEY,
    record JSONB NOT NULL
);
CREATE TABLE invites (
    token TEXT PRIMARY KEY,
    invite JSONB NOT NULL
);
CREATE TABLE dialogues (
    chat_id BIGINT PRIMARY KEY,
    state BYTEA NOT NULL
);
CREATE TABLE menus (
    chat_id BIGINT PRIMARY KEY,
    message_id INTEGER NOT NULL
);
CREATE TABLE payments (
    intent TEXT PRIMARY KEY,
    payer BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    day DATE NOT NULL,
    association_code TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    state TEXT NOT NULL,
    transaction_id BIGINT UNIQUE,
    record JSONB NOT NULL
);
CREATE INDEX payments_by_payer ON payments (payer, created_at DESC, intent DESC);
CREATE INDEX payments_by_day ON payments (day, created_at, intent);
CREATE INDEX payments_unsettled ON payments (state) WHERE state IN ('InFlight', 'Cancelling');
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    entry JSONB NOT NULL
);
"#,
    ),
    (
        2,
        "one open attempt per invoice of a bank customer",
        r#"
ALTER TABLE payments ADD COLUMN customer_no BIGINT
    GENERATED ALWAYS AS ((record->'account'->>'customer_no')::BIGINT) STORED;
CREATE UNIQUE INDEX payments_one_open_attempt
    ON payments (customer_no, association_code, invoice_number)
    WHERE state NOT IN ('Refused', 'Cancelled') AND customer_no IS NOT NULL;
"#,
    ),
    (
        3,
        "replicas: the payments in flight belong to a replica that keeps a heartbeat",
        r#"
ALTER TABLE payments ADD COLUMN owner TEXT;
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"#,
    ),
    (
        4,
        "audit entries copied from sled keep where they came from",
        r#"
ALTER TABLE audit ADD COLUMN origin TEXT UNIQUE;
"#,
    ),
    (
        5,
        "when a payment's bank call began, so a stuck one is swept even on a live replica",
        r#"
ALTER TABLE payments ADD COLUMN held_since TIMESTAMPTZ;
"#,
    ),
    (
        6,
        "the inbox: every update Telegram delivered, kept before the webhook answers, handled a chat (lane) at a time under a lease",
        r#"
CREATE TABLE inbox (
    update_id BIGINT PRIMARY KEY,
    lane BIGINT NOT NULL,
    body BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claims INTEGER NOT NULL DEFAULT 0,
    done_at TIMESTAMPTZ
);
CREATE INDEX inbox_open_by_lane ON inbox (lane, update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_done ON inbox (done_at) WHERE done_at IS NOT NULL;
CREATE SEQUENCE inbox_fence;
CREATE TABLE inbox_lanes (
    lane BIGINT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TIMESTAMPTZ,
    fence BIGINT NOT NULL
);
"#,
    ),
    // Rewrites rows, so a rolling deploy is not seamless here: an older
    // replica cannot redeem an invite stored hashed, and a newer one cannot
    // redeem one an older replica still stores in clear. Acceptable: an
    // invite lives a day and the agent can issue another. The filter leaves
    // keys as they are, so running it again changes nothing.
    (
        7,
        "invite tokens stored as their SHA-256, never in clear",
        r#"
UPDATE invites SET token = encode(sha256(convert_to(token, 'UTF8')), 'hex')
    WHERE token !~ '^[0-9a-f]{64}$';
"#,
    ),
    (
        8,
        "payment PINs (argon2id hashes and locks) per Telegram user; users found by customer number",
        r#"
CREATE TABLE pins (
    user_id BIGINT PRIMARY KEY,
    record JSONB NOT NULL
);
CREATE INDEX users_by_account ON users USING GIN ((record->'accounts') jsonb_path_ops);
"#,
    ),
    // Only an index: every `begin` under a daily limit sums one customer's
    // payments of one day.
    (
        9,
        "payments found by customer number and day, for the daily limit",
        r#"
CREATE INDEX payments_by_customer_day ON payments (customer_no, day);
"#,
    ),
    (
        10,
        "saved bills, and what the reminder runs checked and sent",
        r#"
CREATE TABLE saved_bills (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    account JSONB NOT NULL,
    reminders BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    bill JSONB NOT NULL,
    UNIQUE (user_id, key)
);
CREATE INDEX saved_bills_by_user ON saved_bills (user_id, created_at, id);
CREATE INDEX saved_bills_reminding ON saved_bills (id) WHERE reminders;
CREATE TABLE reminder_checks (
    bill_id BIGINT NOT NULL,
    day DATE NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL,
    done BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (bill_id, day)
);
CREATE TABLE reminder_sends (
    bill_id BIGINT NOT NULL,
    invoice TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bill_id, invoice, kind)
);
"#,
    ),
    // One row: the reminder runs of every replica reserve their bank
    // queries' starts from it, so the rate holds for the deployment.
    (
        11,
        "the reminder runs' shared pace",
        r#"
CREATE TABLE reminder_pace (
    one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    next_at TIMESTAMPTZ NOT NULL
);
INSERT INTO reminder_pace (next_at) VALUES ('-infinity');
"#,
    ),
];

/// Any number: it only has to be the same for every replica.
const LOCK: i64 = 0x6661_7475_7261;

/// Applies what is missing; returns the versions applied now.
pub async fn migrate(pool: &Pool) -> Result<Vec<i32>, StoreError> {
    migrate_to(pool, i32::MAX).await
}

/// [`migrate`], up to version `last` (tests build older schemas with it).
async fn migrate_to(pool: &Pool, last: i32) -> Result<Vec<i32>, StoreError> {
    let mut client = pool.get().await.map_err(pg)?;
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS faturabot_migrations (
            version INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(pg)?;
    let done: Vec<i32> = tx
        .query("SELECT version FROM faturabot_migrations", &[])
        .await
        .map_err(pg)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut applied = Vec::new();
    for (version, description, sql) in MIGRATIONS {
        if done.contains(version) || *version > last {
            continue;
        }
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO faturabot_migrations (version, description) VALUES ($1, $2)",
            &[version, description],
        )
        .await
        .map_err(pg)?;
        applied.push(*version);
    }
    tx.commit().await.map_err(pg)?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{
        i18n::Lang,
        payments::{Invite, InviteKey, TelegramUserId},
        storage::{fixtures, postgres},
    };

    /// An invite stored in clear before 7 is re-keyed by it and still
    /// redeems with the token the agent handed out; a second run is a no-op.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clear_invites_are_hashed_and_still_redeem() {
        let Some(url) = postgres::throwaway::database("migration 7").await else {
            return;
        };
        let pool = postgres::pool(&url).expect("pool");
        assert_eq!(
            migrate_to(&pool, 6).await.expect("to 6"),
            [1, 2, 3, 4, 5, 6]
        );
        let now = Utc::now();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let invite = Invite::new(fixtures::account(357), TelegramUserId(9), now);
        let json = serde_json::to_string(&invite).expect("json");
        let client = pool.get().await.expect("client");
        let insert = "INSERT INTO invites (token, invite) VALUES ($1, $2::text::jsonb)";
        client
            .execute(insert, &[&token, &json])
            .await
            .expect("clear row");

        let after_6: Vec<i32> = MIGRATIONS.iter().map(|m| m.0).filter(|v| *v > 6).collect();
        assert_eq!(migrate(&pool).await.expect("to the last"), after_6);
        let rows = client
            .query("SELECT token FROM invites", &[])
            .await
            .expect("rows");
        let keys: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(keys, [InviteKey::of(&token).as_str()]);
        assert!(migrate(&pool).await.expect("again").is_empty());

        let store = postgres::open(&url).await.expect("store");
        let user = TelegramUserId(41);
        let linked = store.invites.redeem(&token, user, Lang::Tr, now).await;
        assert_eq!(linked.expect("redeemed").account, fixtures::account(357));
        let again = store.invites.redeem(&token, user, Lang::Tr, now).await;
        assert!(again.is_err(), "once");
    }
}
