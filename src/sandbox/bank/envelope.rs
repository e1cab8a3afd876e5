//! The envelopes the bank answers with: success, Error, a transaction's
//! State, an armed failure.

use axum::http::StatusCode;
use chrono::NaiveDate;

use super::{Method, code};
use crate::sandbox::json::Json;
use crate::sandbox::{FailMode, Reply};

pub(super) fn success(data: Json) -> Reply {
    Reply::Json(
        StatusCode::OK,
        Json::obj([("$type", Json::s("ServiceResponseMessage")), ("Data", data)]),
    )
}

pub(super) fn error(code: i64, description: impl Into<String>) -> Reply {
    error_with_status(StatusCode::OK, code, description)
}

pub(super) fn error_with_status(
    status: StatusCode,
    code: i64,
    description: impl Into<String>,
) -> Reply {
    Reply::Json(
        status,
        Json::obj([
            ("$type", Json::s("ServiceResponseMessage")),
            (
                "Error",
                Json::obj([
                    ("$type", Json::s("ServiceExceptionMessage")),
                    ("Code", Json::int(code)),
                    ("Description", Json::s(description)),
                ]),
            ),
        ]),
    )
}

pub(super) fn state(type_name: &str, state: i64, transaction_id: Option<u64>) -> Reply {
    let mut data = vec![("$type", Json::s(type_name)), ("State", Json::int(state))];
    if let Some(id) = transaction_id {
        data.push(("TransactionId", Json::int(id)));
    }
    success(Json::obj(data))
}

pub(super) fn failure(m: Method, mode: FailMode) -> Reply {
    match mode {
        FailMode::Http500 => Reply::http500(),
        FailMode::NotJson => Reply::not_json(),
        FailMode::WrongShape => Reply::wrong_shape(),
        FailMode::StateNotCompleted if m == Method::Pay => {
            state("PaymentEsbTransactionMessage", 3, None)
        }
        FailMode::StateNotCompleted if m == Method::Cancel => {
            state("CancelPaymentTransactionMessage", 3, None)
        }
        _ => error(
            code::SERVICE_UNAVAILABLE,
            "Servis geçici olarak kullanılamıyor, lütfen daha sonra tekrar deneyiniz",
        ),
    }
}

pub(super) fn bank_date(d: NaiveDate) -> String {
    format!("{}T00:00:00", d.format("%Y-%m-%d"))
}
