//! One exchange with the bank: the POST with its envelope and headers, the
//! observer, the second try of a read, and what the answer means.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::value::RawValue;
use url::Url;

use super::BankClient;
use super::requests::{Header, Request, RequestId, SessionId};
use crate::bank::{
    BankError,
    wire::{self, Envelope},
};

/// The HTTP client of both services: `timeout` per request.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, BankError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("faturabot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BankError::Unreachable {
            reason: e.to_string(),
        })
}

/// Sends `request`; the answer's status and its body, which must be UTF-8.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(reqwest::StatusCode, String), BankError> {
    let response = request
        .send()
        .await
        .map_err(|e| BankError::from_reqwest(e, timeout))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| BankError::from_reqwest(e, timeout))?;
    let text =
        String::from_utf8(bytes.to_vec()).map_err(|_| BankError::malformed("body is not UTF-8"))?;
    Ok((status, text))
}

impl BankClient {
    fn url(&self, method: &str) -> Url {
        let mut url = self.base.clone();
        // `base` may or may not end in '/'; the method is always one segment.
        let path = format!("{}/{method}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// One POST, its envelope checked. Returns the raw `Data`.
    pub(super) async fn call<P: Serialize>(
        &self,
        method: &'static str,
        session: &SessionId,
        request: &RequestId,
        params: P,
    ) -> Result<Box<RawValue>, BankError> {
        let body = Request {
            header: Header {
                channel: &self.channel,
                app_key: self.app_key.expose_secret(),
                session: &session.0,
                request: &request.0,
            },
            parameters: [params],
        };
        let body = serde_json::to_vec(&body).map_err(BankError::malformed)?;
        let started = Instant::now();
        let result = self.send(method, body).await;
        let elapsed = started.elapsed();
        if let Some(observe) = &self.observer {
            observe(method, elapsed, result.is_ok());
        }
        match &result {
            Ok(_) => tracing::debug!(method, ms = elapsed.as_millis() as u64, "bank call"),
            Err(e) => {
                tracing::warn!(method, ms = elapsed.as_millis() as u64, error = %e, "bank call failed")
            }
        }
        result
    }

    async fn send(&self, method: &'static str, body: Vec<u8>) -> Result<Box<RawValue>, BankError> {
        let request = self
            .http
            .post(self.url(method))
            .header(
                "Ocp-Apim-Subscription-Key",
                self.subscription_key.expose_secret(),
            )
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let (status, text) = exchange(request, self.timeout).await?;
        let text = text.as_str();
        if !status.is_success() {
            // A 4xx/5xx may still carry the bank's Error envelope; prefer its words.
            if let Ok(env) = serde_json::from_str::<Envelope>(text)
                && env.error.is_some()
            {
                return env.into_data();
            }
            return Err(BankError::Status {
                status: status.as_u16(),
            });
        }
        let envelope: Envelope = wire::parse(method, text)?;
        envelope.into_data()
    }

    /// A read, tried once more on a retryable failure with a fresh request id.
    pub(super) async fn read<P: Serialize + Clone>(
        &self,
        method: &'static str,
        session: &SessionId,
        params: P,
    ) -> Result<Box<RawValue>, BankError> {
        match self
            .call(method, session, &RequestId::new(), params.clone())
            .await
        {
            Err(e) if e.retryable_read() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.call(method, session, &RequestId::new(), params).await
            }
            other => other,
        }
    }
}
