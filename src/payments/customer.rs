//! Who may pay from which account: a user's record, and the invite an
//! agent issues to link an account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
