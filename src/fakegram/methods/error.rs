//! Telegram's error answers, with its status codes and wording.

use serde_json::{Value, json};

use crate::fakegram::FakeFailure;

/// A Telegram error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiErr {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
}

impl ApiErr {
    pub fn bad(msg: impl std::fmt::Display) -> Self {
        ApiErr {
            code: 400,
            description: format!("Bad Request: {msg}"),
            retry_after: None,
        }
    }

    pub(super) fn exact(code: u16, description: &str) -> Self {
        ApiErr {
            code,
            description: description.to_owned(),
            retry_after: None,
        }
    }

    /// What an older `getUpdates` gets when a newer one starts.
    pub fn conflict() -> Self {
        ApiErr::exact(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot \
             instance is running",
        )
    }

    pub fn webhook_active() -> Self {
        ApiErr::exact(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook \
             to delete the webhook first",
        )
    }

    pub fn not_found() -> Self {
        ApiErr::exact(404, "Not Found")
    }

    pub fn json(&self) -> Value {
        let mut v =
            json!({ "ok": false, "error_code": self.code, "description": self.description });
        if let Some(secs) = self.retry_after {
            v["parameters"] = json!({ "retry_after": secs });
        }
        v
    }
}

impl From<FakeFailure> for ApiErr {
    fn from(f: FakeFailure) -> Self {
        match f {
            FakeFailure::TooManyRequests { retry_after } => ApiErr {
                code: 429,
                description: format!("Too Many Requests: retry after {retry_after}"),
                retry_after: Some(retry_after),
            },
            FakeFailure::BadRequest(msg) => match msg.strip_prefix("Bad Request: ") {
                Some(_) => ApiErr::exact(400, &msg),
                None => ApiErr::bad(msg),
            },
            FakeFailure::Forbidden(msg) => match msg.strip_prefix("Forbidden: ") {
                Some(_) => ApiErr::exact(403, &msg),
                None => ApiErr::exact(403, &format!("Forbidden: {msg}")),
            },
        }
    }
}
