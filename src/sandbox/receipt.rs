//! The Invoice Receipt Service: `POST /invoices/invoicereceipt`.
//!
//! Answers are shaped like the seed's sample (merchantData, invoiceReceiptList,
//! result, resultCode, resultMessage). Problems answer `result: false`: 401 for
//! keys, 400 for a malformed body, 200 with resultCode 2 for unknown ids.

use axum::http::{HeaderMap, StatusCode};
use rust_decimal::{Decimal, RoundingStrategy};

use super::catalog;
use super::checks::Checker;
use super::json::Json;
use super::magic::{self, ReceiptBehavior};
use super::{FailMode, Outcome, PaymentRecord, Reply, Sandbox};

const M: &str = "invoicereceipt";

fn refusal(status: StatusCode, code: i64, message: impl Into<String>) -> Reply {
    Reply::Json(
        status,
        Json::obj([
            ("merchantData", Json::Null),
            ("invoiceReceiptList", Json::Null),
            ("result", Json::Bool(false)),
            ("resultCode", Json::int(code)),
            ("resultMessage", Json::s(message)),
        ]),
    )
}

fn not_found() -> Reply {
    refusal(StatusCode::OK, 2, "Kayıt bulunamadı")
}

/// The `invoicePaymentId`s of the body; the list key is accepted in any case
/// (the seed's table says `InvoicePaymentList`, its sample `invoicePaymentList`).
fn payment_ids(chk: &mut Checker, body: &[u8]) -> Option<Vec<i64>> {
    let Ok(text) = std::str::from_utf8(body) else {
        chk.fail("the body is not UTF-8");
        return None;
    };
    let json = match Json::parse(text) {
        Ok(j) => j,
        Err(e) => {
            chk.fail(format!("the body is not JSON: {e}"));
            return None;
        }
    };
    let Some(list) = json.get_ci("invoicePaymentList") else {
        chk.fail("body.invoicePaymentList is missing");
        return None;
    };
    let Some(items) = list.as_arr().filter(|items| !items.is_empty()) else {
        chk.fail(format!(
            "body.invoicePaymentList must be a non-empty array, got {list}"
        ));
        return None;
    };
    let mut ids = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.get_ci("invoicePaymentId").and_then(Json::as_int) {
            Some(id) => ids.push(id),
            None => chk.fail(format!(
                "invoicePaymentList[{i}] must be {{\"invoicePaymentId\": <integer>}}, got {item}"
            )),
        }
    }
    chk.is_clean().then_some(ids)
}

/// Decimal with at least two places, as the service prints money (`10.00`).
fn money(d: Decimal) -> Json {
    let mut d = d;
    if d.scale() < 2 {
        d.rescale(2);
    }
    Json::dec(d)
}

/// The sandbox's service fee: 1.75 + 0.25 %, rounded half-up to cents, at most 24.90.
pub(crate) fn service_fee(amount: Decimal) -> Decimal {
    let fee = Decimal::new(175, 2) + amount * Decimal::new(25, 4);
    fee.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .min(Decimal::new(2490, 2))
}

fn receipt_item(p: &PaymentRecord) -> Json {
    let inst = catalog::institution(&p.association_code);
    let reference = format!("FOY{}", p.transaction_id);
    let profit = service_fee(p.amount);
    let operation_profit = Decimal::ZERO;
    Json::obj([
        ("referenceNo", Json::s(reference.clone())),
        (
            "transactionDate",
            Json::s(p.at.format("%-d.%m.%Y %H:%M:%S").to_string()),
        ),
        (
            "sootType",
            Json::s(inst.map_or("Fatura", |i| i.soot_type())),
        ),
        (
            "sootName",
            Json::s(inst.map_or(p.association_code.as_str(), |i| i.name)),
        ),
        ("invoiceNo", Json::s(p.invoice_number.clone())),
        ("subscriberNo", Json::s(p.subscriber_number.clone())),
        (
            "customerName",
            Json::s(magic::masked_name(&p.subscriber_number)),
        ),
        (
            "lastDate",
            Json::s(p.last_payment_date.format("%-d.%m.%Y 00:00:00").to_string()),
        ),
        ("paymentType", Json::s("SANALPOS")),
        ("invoiceAmount", money(p.amount)),
        ("profit", money(profit)),
        ("operationProfit", money(operation_profit)),
        ("totalAmount", money(p.amount + profit + operation_profit)),
        ("qrCode", Json::s(format!("BP022{reference}"))),
    ])
}

pub(crate) fn handle(sb: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Outcome {
    sb.record(M, headers, body);
    let config = sb.config();
    let mut st = sb.state();
    let fail = st.take_fail(M);

    let mut chk = Checker::new(M);
    let api_ok = chk.header_key(headers, "ApiKey", config.receipt_api_key.as_deref());
    let secret_ok = chk.header_key(headers, "SecretKey", config.receipt_secret_key.as_deref());
    chk.content_type(headers);
    let ids = payment_ids(&mut chk, body);
    let (problems, violations) = chk.finish();
    st.violations.extend(violations);

    let mut out: Outcome = match fail {
        Some(FailMode::Http500) => Reply::http500().into(),
        Some(FailMode::NotJson) => Reply::not_json().into(),
        Some(FailMode::WrongShape) => Reply::wrong_shape().into(),
        Some(FailMode::ErrorEnvelope | FailMode::StateNotCompleted) => refusal(
            StatusCode::OK,
            99,
            "Sistemde geçici bir hata oluştu, lütfen tekrar deneyiniz",
        )
        .into(),
        Some(FailMode::Slow) | None => {
            if !(api_ok && secret_ok) {
                refusal(
                    StatusCode::UNAUTHORIZED,
                    401,
                    "Yetkisiz erişim: ApiKey veya SecretKey geçersiz",
                )
                .into()
            } else if let (true, Some(ids)) = (problems.is_empty(), ids) {
                let found: Option<Vec<&PaymentRecord>> = ids
                    .iter()
                    .map(|id| {
                        st.payments
                            .iter()
                            .find(|p| i64::try_from(p.transaction_id).ok() == Some(*id))
                    })
                    .collect();
                match found {
                    None => not_found().into(),
                    Some(payments) => answer(&payments),
                }
            } else {
                refusal(
                    StatusCode::BAD_REQUEST,
                    3,
                    format!("Geçersiz istek (sandbox): {}", problems.join("; ")),
                )
                .into()
            }
        }
    };
    if fail == Some(FailMode::Slow) {
        out.slow = true;
    }
    tracing::debug!(
        status = out.reply.status().as_u16(),
        slow = out.slow,
        armed = ?fail,
        violations = problems.len(),
        "sandbox receipt request"
    );
    out
}

fn answer(payments: &[&PaymentRecord]) -> Outcome {
    let mut slow = false;
    for p in payments {
        match magic::subscriber(&p.subscriber_number).receipt {
            ReceiptBehavior::Normal => {}
            ReceiptBehavior::Slow => slow = true,
            ReceiptBehavior::NotFound => return not_found().into(),
            ReceiptBehavior::Http500 => return Reply::http500().into(),
        }
    }
    let body = Json::obj([
        (
            "merchantData",
            Json::obj([
                ("merchantCode", Json::s("8593406199")),
                ("merchantName", Json::s("TEKNOBİLSOFT")),
                ("merchantAddress", Json::s("NECATİBEY CAD. 44/22")),
                ("merchantPhone", Json::s("(000) 000-0000")),
            ]),
        ),
        (
            "invoiceReceiptList",
            Json::Arr(payments.iter().map(|p| receipt_item(p)).collect()),
        ),
        ("result", Json::Bool(true)),
        ("resultCode", Json::int(1)),
        ("resultMessage", Json::s("İşlem Başarılı")),
    ]);
    Outcome {
        reply: Reply::Json(StatusCode::OK, body),
        slow,
    }
}
