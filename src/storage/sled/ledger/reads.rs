//! The ledger's listings (by payer, by day) and the audit trail.

use chrono::{DateTime, Utc};

use super::SledLedger;
use crate::payments::{AuditEntry, PaymentRecord, StoreError, TelegramUserId};

impl SledLedger {
    pub(super) fn for_payer_now(
        &self,
        payer: TelegramUserId,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.collect(
            self.by_payer.scan_prefix(payer.0.to_be_bytes()).rev(),
            skip,
            limit,
        )
    }

    pub(super) fn collect(
        &self,
        index: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut out = Vec::new();
        for entry in index.skip(skip).take(limit) {
            let (_, intent) = entry?;
            if let Some(record) = self.get_now(&intent)? {
                out.push(record);
            }
        }
        Ok(out)
    }

    pub(super) async fn append_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&entry)?;
        self.run(move |l| {
            let id = l.db.generate_id()?;
            l.audit.insert(id.to_be_bytes(), bytes)?;
            Ok(())
        })
        .await?;
        self.flusher.durable().await?;
        tracing::info!(agent = %entry.agent, action = entry.action.as_str(), details = %entry.details, "audit");
        Ok(())
    }

    pub(super) fn audit_since_now(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        // Keys are increasing ids, written in time order: newest last.
        for entry in self.audit.iter().rev() {
            let (_, v) = entry?;
            let entry: AuditEntry = serde_json::from_slice(&v)?;
            if entry.at < since || out.len() >= limit {
                break;
            }
            out.push(entry);
        }
        out.reverse();
        Ok(out)
    }
}
