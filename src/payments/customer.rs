//! Who may pay from which account: a user's record, and the invite an
//! agent issues to link an account.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::TelegramUserId;
use crate::{bank::Account, i18n::Lang};

/// How long an invite link stays valid.
pub const INVITE_TTL_HOURS: i64 = 24;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Set by `/language`; `None` means "follow Telegram's language_code".
    #[serde(default)]
    pub lang: Option<Lang>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// The language the user's Telegram spoke when they linked: what the
    /// bot uses to write to them unprompted (a cancellation notice) when
    /// they never chose one.
    #[serde(default)]
    pub telegram_lang: Option<Lang>,
    /// Telegram said the user blocked the bot (403) when a reminder was
    /// sent: no reminder is written to them until they write to the bot.
    #[serde(default)]
    pub blocked: bool,
}

impl UserRecord {
    /// The language to write to this user in when they are not the one
    /// talking (no `language_code` at hand).
    pub fn preferred_lang(&self) -> Option<Lang> {
        self.lang.or(self.telegram_lang)
    }

    /// Links `account` (once) and remembers the language Telegram speaks.
    pub fn link(&mut self, account: &Account, telegram_lang: Lang) {
        if !self.accounts.contains(account) {
            self.accounts.push(account.clone());
        }
        self.telegram_lang = Some(telegram_lang);
    }

    /// Removes `account`; whether it was linked.
    pub fn unlink(&mut self, account: &Account) -> bool {
        let before = self.accounts.len();
        self.accounts.retain(|a| a != account);
        self.accounts.len() != before
    }
}

/// What [`Users::unlink`](super::Users::unlink) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    /// Removed; this many accounts stay linked.
    Removed { left: usize },
    /// It was not linked (any more): nothing changed.
    NotLinked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub account: Account,
    pub agent_id: TelegramUserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Invite {
    pub fn new(account: Account, agent: TelegramUserId, now: DateTime<Utc>) -> Invite {
        Invite {
            account,
            agent_id: agent,
            created_at: now,
            expires_at: now + chrono::Duration::hours(INVITE_TTL_HOURS),
        }
    }

    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// What a backend keeps of an invite token: its SHA-256 in lowercase hex.
/// A copy of the database then links no account; the token itself exists
/// only in the link the agent was given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InviteKey(String);

impl InviteKey {
    /// Length of a key: 32 bytes in hex. A clear token (a simple UUID) is 32.
    pub const LEN: usize = 64;

    /// A fresh token (122 random bits, URL-safe) and its key.
    pub fn issue() -> (String, InviteKey) {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let key = InviteKey::of(&token);
        (token, key)
    }

    /// The key of a token as presented (or as stored in clear before keys).
    pub fn of(token: impl AsRef<[u8]>) -> InviteKey {
        let digest = Sha256::digest(token.as_ref());
        let mut hex = String::with_capacity(Self::LEN);
        for byte in digest.iter() {
            let _ = write!(hex, "{byte:02x}");
        }
        InviteKey(hex)
    }

    /// Whether a stored key is one already, not a token kept in clear by
    /// an older version.
    pub fn is_key(stored: &[u8]) -> bool {
        stored.len() == Self::LEN
            && stored
                .iter()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::InviteKey;

    #[test]
    fn a_key_is_the_tokens_sha256_in_hex() {
        // SHA-256("abc"), from FIPS 180-2.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(InviteKey::of("abc").as_str(), abc);
        let (token, key) = InviteKey::issue();
        assert_eq!(key, InviteKey::of(&token));
        assert!(InviteKey::is_key(key.as_str().as_bytes()));
        assert!(
            !InviteKey::is_key(token.as_bytes()),
            "a clear token is not a key"
        );
        assert!(!InviteKey::is_key(abc.to_uppercase().as_bytes()));
    }
}
