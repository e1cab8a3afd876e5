//! What a handler answers, and the canned failures both services share.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::json::Json;

/// What a handler decided: the answer, and whether to hold it for `slow_delay`.
pub(crate) struct Outcome {
    pub reply: Reply,
    pub slow: bool,
}

pub(crate) enum Reply {
    Json(StatusCode, Json),
    Text(StatusCode, &'static str, String),
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Outcome { reply, slow: false }
    }
}

impl Reply {
    pub fn status(&self) -> StatusCode {
        match self {
            Reply::Json(s, _) | Reply::Text(s, _, _) => *s,
        }
    }

    /// A gateway's 500, as Azure API Management would send it.
    pub fn http500() -> Reply {
        let body = Json::obj([
            ("statusCode", Json::int(500)),
            ("message", Json::s("Internal server error")),
            ("activityId", Json::s(uuid::Uuid::new_v4().to_string())),
        ]);
        Reply::Json(StatusCode::INTERNAL_SERVER_ERROR, body)
    }

    /// A proxy's HTML page with status 200.
    pub fn not_json() -> Reply {
        Reply::Text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".into(),
        )
    }

    /// Valid JSON that is neither envelope nor receipt answer.
    pub fn wrong_shape() -> Reply {
        let body = Json::obj([
            ("status", Json::s("OK")),
            (
                "data",
                Json::Arr(vec![Json::obj([
                    ("id", Json::int(1)),
                    ("value", Json::s("sandbox")),
                ])]),
            ),
        ]);
        Reply::Json(StatusCode::OK, body)
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, body) => (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response(),
            Reply::Text(status, content_type, body) => {
                (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
            }
        }
    }
}
