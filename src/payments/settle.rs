//! Staff record what the bank says about a payment whose outcome the bot
//! could not know; and agents' invites. Both leave an audit entry.

use super::{
    AuditAction, AuditEntry, Finding, PaymentIntent, PaymentRecord, Payments, Settled, StoreError,
    TelegramUserId,
};
use crate::bank::Account;

impl Payments {
    /// Applies `finding` to the payment `intent` ([`PaymentState::settle`]
    /// decides whether it may). `describe` words the audit entry.
    ///
    /// [`PaymentState::settle`]: super::PaymentState::settle
    pub async fn settle(
        &self,
        agent: TelegramUserId,
        intent: &PaymentIntent,
        finding: Finding,
        describe: impl FnOnce(&PaymentRecord) -> String,
    ) -> Result<Settled, StoreError> {
        let now = self.clock.now();
        let note = format!("settled by staff {agent}");
        let settled = self.ledger.settle(intent, finding, note, now).await?;
        if let Settled::Done(record) = &settled {
            self.ledger
                .audit(AuditEntry {
                    at: now,
                    agent,
                    action: AuditAction::Settle,
                    details: describe(record),
                    payment: record.transaction_id,
                })
                .await?;
        }
        Ok(settled)
    }

    /// A one-time link token for `account`, issued by `agent`.
    pub async fn invite(
        &self,
        agent: TelegramUserId,
        account: Account,
    ) -> Result<String, StoreError> {
        let now = self.clock.now();
        let token = self.invites.create(account.clone(), agent, now).await?;
        self.ledger
            .audit(AuditEntry {
                at: now,
                agent,
                action: AuditAction::Invite,
                details: account.masked(),
                payment: None,
            })
            .await?;
        Ok(token)
    }
}
