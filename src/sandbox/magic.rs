//! What each magic subscriber number does, and the bills and holder name a
//! number gets. Deterministic; dates are relative to the sandbox clock's
//! "today" in Europe/Istanbul.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;

/// The magic subscriber numbers (value of the `SubscriberNumber` field, for
/// every institution) and what each one does. Printed by `sandbox --listen`.
pub const MAGIC_NUMBERS: &[(&str, &str)] = &[
    (
        "1000000",
        "no debt: ResponseCode \"00\" with an empty BillInformation",
    ),
    ("1000001", "one invoice of 29.20 TRY (PaymentAmount 29.2)"),
    (
        "1000002",
        "three invoices: 1234.56, 0.10 and 20000 TRY, different due dates",
    ),
    (
        "1000003",
        "one invoice of 29.20 TRY, new each day (its number holds today's date), due in 5 days",
    ),
    (
        "1000004",
        "one invoice of 41.50 TRY, new each day (its number holds today's date), due tomorrow",
    ),
    (
        "1200000-1299999",
        "one invoice of 29.20 TRY each, its own per number (for load tests)",
    ),
    (
        "9000001",
        "QueryInvoices answers an Error envelope (Code 1250)",
    ),
    ("9000002", "QueryInvoices answers HTTP 500"),
    (
        "9000003",
        "QueryInvoices is slow (slow_delay), then one invoice of 29.20",
    ),
    ("9000004", "QueryInvoices answers a body that is not JSON"),
    ("9000005", "QueryInvoices answers JSON of the wrong shape"),
    (
        "9000006",
        "QueryInvoices refuses: ResponseCode \"05\" \"Kurum sisteminde geçici bir sorun var\"",
    ),
    (
        "9100001",
        "one invoice of 145.90; InvoicePayment answers an Error envelope (not paid)",
    ),
    (
        "9100002",
        "one invoice of 145.90; InvoicePayment answers HTTP 500 (not paid)",
    ),
    (
        "9100003",
        "one invoice of 145.90; InvoicePayment is slow but DOES pay (State 2 after slow_delay)",
    ),
    (
        "9100004",
        "one invoice of 145.90; InvoicePayment answers a body that is not JSON (not paid)",
    ),
    (
        "9100005",
        "one invoice of 145.90; InvoicePayment answers State 3 (not completed, not paid)",
    ),
    (
        "9100006",
        "one invoice of 145.90; InvoicePayment answers Error 2041 \"Fatura daha önce ödenmiş\"",
    ),
    (
        "9200001",
        "one invoice of 58.75; payment succeeds; receipt: result false, resultCode 2",
    ),
    (
        "9200002",
        "one invoice of 58.75; payment succeeds; receipt service answers HTTP 500",
    ),
    (
        "9200003",
        "one invoice of 58.75; payment succeeds; receipt service is slow (slow_delay)",
    ),
    (
        "9300001",
        "one invoice of 75.00; payment succeeds; CancelPayment answers State 3",
    ),
    (
        "any other",
        "QueryInvoices refuses: ResponseCode \"14\" \"Abone bulunamadı\" (unless invoices were added: POST /_sandbox/invoice)",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryBehavior {
    /// Open invoices with these amounts (mantissa, scale).
    Bills(&'static [(i64, u32)]),
    Error,
    Http500,
    /// A normal answer, late.
    Slow(&'static [(i64, u32)]),
    /// One invoice issued today and numbered by today's date, so each day
    /// brings a new one (mantissa, scale, due in this many days).
    Daily(i64, u32, i64),
    /// No such subscriber: ResponseCode "14", unless invoices were added.
    Unknown,
    NotJson,
    WrongShape,
    /// ResponseCode, ResponseMessage.
    Refusal(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayBehavior {
    Normal,
    Error,
    Http500,
    Slow,
    NotJson,
    State3,
    AlreadyPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiptBehavior {
    Normal,
    NotFound,
    Http500,
    Slow,
}

pub(crate) struct Subscriber {
    pub query: QueryBehavior,
    pub pay: PayBehavior,
    pub receipt: ReceiptBehavior,
    /// CancelPayment answers State 3.
    pub cancel_refused: bool,
}

const ONE_29_2: &[(i64, u32)] = &[(292, 1)];
const ONE_145_9: &[(i64, u32)] = &[(1459, 1)];
const ONE_58_75: &[(i64, u32)] = &[(5875, 2)];
const ONE_75: &[(i64, u32)] = &[(75, 0)];
const THREE: &[(i64, u32)] = &[(123456, 2), (10, 2), (20000, 0)];

/// `1200000`–`1299999`: one invoice of 29.20 each, its own per number, so
/// that many customers can each pay a bill of their own at once.
fn is_load_number(number: &str) -> bool {
    number.len() == 7 && number.starts_with("12") && number.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn subscriber(number: &str) -> Subscriber {
    use PayBehavior as P;
    use QueryBehavior as Q;
    use ReceiptBehavior as R;
    let (query, pay, receipt, cancel_refused) = match number {
        "1000000" => (Q::Bills(&[]), P::Normal, R::Normal, false),
        "1000001" => (Q::Bills(ONE_29_2), P::Normal, R::Normal, false),
        "1000002" => (Q::Bills(THREE), P::Normal, R::Normal, false),
        "1000003" => (Q::Daily(292, 1, 5), P::Normal, R::Normal, false),
        "1000004" => (Q::Daily(4150, 2, 1), P::Normal, R::Normal, false),
        "9000001" => (Q::Error, P::Normal, R::Normal, false),
        "9000002" => (Q::Http500, P::Normal, R::Normal, false),
        "9000003" => (Q::Slow(ONE_29_2), P::Normal, R::Normal, false),
        "9000004" => (Q::NotJson, P::Normal, R::Normal, false),
        "9000005" => (Q::WrongShape, P::Normal, R::Normal, false),
        "9000006" => (
            Q::Refusal("05", "Kurum sisteminde geçici bir sorun var"),
            P::Normal,
            R::Normal,
            false,
        ),
        "9100001" => (Q::Bills(ONE_145_9), P::Error, R::Normal, false),
        "9100002" => (Q::Bills(ONE_145_9), P::Http500, R::Normal, false),
        "9100003" => (Q::Bills(ONE_145_9), P::Slow, R::Normal, false),
        "9100004" => (Q::Bills(ONE_145_9), P::NotJson, R::Normal, false),
        "9100005" => (Q::Bills(ONE_145_9), P::State3, R::Normal, false),
        "9100006" => (Q::Bills(ONE_145_9), P::AlreadyPaid, R::Normal, false),
        "9200001" => (Q::Bills(ONE_58_75), P::Normal, R::NotFound, false),
        "9200002" => (Q::Bills(ONE_58_75), P::Normal, R::Http500, false),
        "9200003" => (Q::Bills(ONE_58_75), P::Normal, R::Slow, false),
        "9300001" => (Q::Bills(ONE_75), P::Normal, R::Normal, true),
        n if is_load_number(n) => (Q::Bills(ONE_29_2), P::Normal, R::Normal, false),
        _ => (Q::Unknown, P::Normal, R::Normal, false),
    };
    Subscriber {
        query,
        pay,
        receipt,
        cancel_refused,
    }
}

/// One open invoice, before it becomes JSON.
pub(crate) struct BillSpec {
    pub invoice_number: String,
    pub amount: Decimal,
    pub invoice_date: NaiveDate,
    pub last_payment_date: NaiveDate,
    pub parametric_code: String,
}

/// The invoices of `amounts`, newest first: invoice i was issued 20 + 30·i days
/// ago and is due 30 days after issue, so the newest is due in 10 days and the
/// older ones are overdue. Invoice numbers embed issue month and subscriber.
pub(crate) fn bill_specs(
    subscriber: &str,
    amounts: &[(i64, u32)],
    today: NaiveDate,
) -> Vec<BillSpec> {
    amounts
        .iter()
        .enumerate()
        .map(|(i, &(mantissa, scale))| {
            let back = 20 + 30 * i as i64;
            let invoice_date = today - Duration::days(back);
            BillSpec {
                invoice_number: format!(
                    "{}{:02}{}{:02}",
                    invoice_date.year(),
                    invoice_date.month(),
                    subscriber,
                    i + 1
                ),
                amount: Decimal::new(mantissa, scale),
                invoice_date,
                last_payment_date: invoice_date + Duration::days(30),
                parametric_code: format!("P-{}-{:02}", subscriber, i + 1),
            }
        })
        .collect()
}

/// The one invoice of a [`QueryBehavior::Daily`] number. The number holds
/// the date and a dash, which no monthly bill number has.
pub(crate) fn daily_spec(
    subscriber: &str,
    (mantissa, scale, due_in_days): (i64, u32, i64),
    today: NaiveDate,
) -> BillSpec {
    let day = today.format("%Y%m%d");
    BillSpec {
        invoice_number: format!("{day}-{subscriber}"),
        amount: Decimal::new(mantissa, scale),
        invoice_date: today,
        last_payment_date: today + Duration::days(due_in_days),
        parametric_code: format!("P-{subscriber}-{day}"),
    }
}

/// A masked holder name, as the bank and the receipt service show it
/// ("DE*** ÖZ****"), picked by the subscriber number.
pub(crate) fn masked_name(subscriber: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("DERYA", "ÖZTÜRK"),
        ("AYŞE", "YILMAZ"),
        ("MEHMET", "DEMİR"),
        ("ŞÜKRÜ", "ÇELİK"),
        ("İLKNUR", "KAYA"),
        ("GÜLŞEN", "ŞAHİN"),
        ("OĞUZ", "AYDIN"),
    ];
    let idx = subscriber.bytes().map(usize::from).sum::<usize>() % NAMES.len();
    let (first, last) = NAMES[idx];
    let mask = |w: &str| {
        let head: String = w.chars().take(2).collect();
        format!("{head}{}", "*".repeat(w.chars().count().saturating_sub(2)))
    };
    format!("{} {}", mask(first), mask(last))
}
