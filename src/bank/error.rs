//! [`BankError`]: every way a call to the bank or the receipt service fails,
//! each a variant the bot turns into its own message.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    /// The bank's `Error` envelope (`Code`, `Description`).
    #[error("the service answered with error {code}: {description}")]
    Rejected { code: i64, description: String },
    /// `ResponseCode` other than `"00"`, or the receipt service's
    /// `result: false`: a business refusal with the service's own words.
    #[error("the service refused (code {code}): {}", message.as_deref().unwrap_or("no message"))]
    Refused {
        code: String,
        message: Option<String>,
    },
    /// A payment or cancellation whose `State` is not 2 (completed).
    #[error("the transaction was not completed (state {state})")]
    NotCompleted { state: i64 },
    /// A status outside 2xx.
    #[error("the service answered HTTP {status}")]
    Status { status: u16 },
    /// A body that is not JSON or not the expected shape.
    #[error("the service sent an unexpected body: {reason}")]
    Malformed { reason: String },
    /// The request never reached the service (connection refused, DNS …).
    #[error("could not reach the service: {reason}")]
    Unreachable { reason: String },
    /// The connection failed once the request may have left (reset, closed
    /// mid-answer …): the service may have acted on it.
    #[error("the connection failed during the call: {reason}")]
    Interrupted { reason: String },
    /// No answer within the configured time.
    #[error("no answer within {}s", .0.as_secs())]
    Timeout(Duration),
}

impl BankError {
    /// For a payment or cancellation: did the service possibly carry it out?
    ///
    /// A refusal is a clear "no"; a request that never left is a "no"; a
    /// time-out, a 5xx, a connection lost mid-call or an unreadable answer
    /// leave the outcome unknown, so the operation must not be repeated on
    /// its own.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            BankError::Timeout(_)
                | BankError::Malformed { .. }
                | BankError::Status { .. }
                | BankError::Interrupted { .. }
        )
    }

    /// Whether a read may be tried once more (never used for payments).
    pub fn retryable_read(&self) -> bool {
        match self {
            BankError::Unreachable { .. } | BankError::Interrupted { .. } => true,
            BankError::Status { status } => *status >= 500,
            _ => false,
        }
    }

    pub(crate) fn malformed(reason: impl std::fmt::Display) -> Self {
        BankError::Malformed {
            reason: reason.to_string(),
        }
    }

    pub(crate) fn from_reqwest(err: reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            BankError::Timeout(timeout)
        } else if err.is_connect() || err.is_builder() {
            // Nothing was sent.
            BankError::Unreachable {
                reason: without_url(&err),
            }
        } else if err.is_decode() || err.is_body() {
            BankError::malformed(without_url(&err))
        } else {
            // A reset or a closed connection on a request already written:
            // for a payment, "not paid" would be a guess.
            BankError::Interrupted {
                reason: without_url(&err),
            }
        }
    }
}

/// reqwest's message with the URL left out: a URL may carry a key in its
/// query, and logs must not.
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}
