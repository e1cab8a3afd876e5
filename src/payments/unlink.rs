//! A customer removes one of their linked accounts. The user's record
//! changes in one atomic step; the ledger keeps their payments for the
//! bank's records; the audit trail notes it.

use super::{AuditAction, AuditEntry, Payments, StoreError, TelegramUserId, Unlinked};
use crate::bank::Account;

impl Payments {
    /// `/unlink`, confirmed: `account` is no longer `user`'s. Audited only
    /// when it was linked, so a second confirm leaves no second entry.
    pub async fn unlink(
        &self,
        user: TelegramUserId,
        account: &Account,
    ) -> Result<Unlinked, StoreError> {
        let unlinked = self.users.unlink(user, account).await?;
        // After the account went, so a bill saved meanwhile is caught by
        // a second /unlink; a bill of an unlinked account is never paid
        // (the dialogue checks the account is still linked).
        let deleted = self.bills.delete_account(user, account).await?;
        if deleted > 0 {
            tracing::info!(
                user = user.0,
                deleted,
                "saved bills of the unlinked account deleted"
            );
        }
        if let Unlinked::Removed { .. } = unlinked {
            self.ledger
                .audit(AuditEntry {
                    at: self.clock.now(),
                    agent: user,
                    action: AuditAction::Unlinked,
                    details: account.masked(),
                    payment: None,
                })
                .await?;
        }
        Ok(unlinked)
    }
}
