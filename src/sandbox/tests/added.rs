//! Invoices added by hand (`add_invoice`, `POST /_sandbox/invoice`) and the
//! daily magic numbers 1000003 and 1000004.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::{DateTime, Duration as Days, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;
use crate::clock::Clock;

/// 2025-03-14 09:00 in Istanbul.
fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 6, 0, 0).unwrap()
}

fn bank_day(d: NaiveDate) -> String {
    format!("{}T00:00:00", d.format("%Y-%m-%d"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

impl T {
    async fn add(&self, body: Value) -> Ans {
        let req = self
            .http
            .post(format!("{}/_sandbox/invoice", self.rs.url))
            .json(&body);
        self.send(req).await
    }

    fn numbers(bills: &[Value]) -> Vec<String> {
        bills
            .iter()
            .map(|b| b["InvoiceNumber"].as_str().unwrap().to_string())
            .collect()
    }
}

#[tokio::test]
async fn an_added_invoice_is_served_with_the_magic_ones_and_paid_once() {
    let t = T::with(Sandbox::new(strict_config()).with_clock(Clock::fixed(morning()))).await;
    let today = t.sb().clock().today_istanbul();
    let number = t
        .sb()
        .add_invoice(NewInvoice {
            association: Some("ISKI".into()),
            subscriber: "1000001".into(),
            amount: dec("12.30"),
            due_in_days: 7,
        })
        .unwrap();
    let bills = t.bills("ISKI", "1000001").await;
    assert_eq!(bills.len(), 2, "{bills:#?}");
    let new = bills.iter().find(|b| b["InvoiceNumber"] == number).unwrap();
    assert_eq!(new["PaymentAmount"], json!(12.30));
    assert_eq!(new["InvoiceAmount"], json!(12.30));
    assert_eq!(new["LastPaymentDate"], bank_day(today + Days::days(7)));
    assert_eq!(new["InvoiceDate"], bank_day(today));
    assert_eq!(new["SubscriberNumber"], "1000001");
    // Only at the institution it was added for.
    assert_eq!(t.bills("ASKI", "1000001").await.len(), 1);

    let paid = t.pay("ISKI", new).await;
    assert_eq!(state_of(&paid), Some(2), "{}", paid.text);
    let left = t.bills("ISKI", "1000001").await;
    assert!(!T::numbers(&left).contains(&number), "{left:#?}");
    assert_eq!(left.len(), 1, "the magic bill is still open");
    assert_eq!(t.pay("ISKI", new).await.error_code(), Some(2041));
    let payments = t.sb().payments();
    assert_eq!(payments.len(), 1);
    assert_eq!(
        (payments[0].invoice_number.as_str(), payments[0].amount),
        (number.as_str(), dec("12.30"))
    );
    // Cancelled, it is open again, as the magic bills are.
    let c = t.cancel("ISKI", new, &bank_day(today)).await;
    assert_eq!(state_of(&c), Some(2), "{}", c.text);
    assert!(T::numbers(&t.bills("ISKI", "1000001").await).contains(&number));
    t.assert_clean();
}

#[tokio::test]
async fn the_endpoint_adds_an_invoice_for_any_institution() {
    let t = T::new().await;
    // An unknown subscriber is refused until it has an invoice.
    let before = t.query("ISKI", "5550001").await;
    assert_eq!(before.json["Data"]["Response"]["ResponseCode"], "14");

    let a = t
        .add(json!({"subscriber": "5550001", "amount": "250.00", "due_in_days": 0}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["ok"], true);
    assert_eq!(a.json["association"], Value::Null);
    assert_eq!(a.json["amount"], "250.00");
    let number = a.json["invoice_number"].as_str().unwrap().to_string();
    let today = t.sb().clock().today_istanbul();
    assert_eq!(
        a.json["last_payment_date"],
        today.format("%Y-%m-%d").to_string()
    );

    let at_iski = t.bills("ISKI", "5550001").await;
    let at_aski = t.bills("ASKI", "5550001").await;
    assert_eq!(T::numbers(&at_iski), std::slice::from_ref(&number));
    assert_eq!(T::numbers(&at_aski), std::slice::from_ref(&number));
    assert_eq!(at_aski[0]["PaymentAmount"], json!(250.00));

    // Paid at one institution, it is gone at all of them.
    assert_eq!(state_of(&t.pay("ASKI", &at_aski[0]).await), Some(2));
    assert!(
        t.bills("ISKI", "5550001").await.is_empty(),
        "no debt, not unknown"
    );
    assert_eq!(t.pay("ISKI", &at_iski[0]).await.error_code(), Some(2041));
    assert_eq!(t.sb().payments().len(), 1);

    // With an institution: only there.
    let a = t
        .add(json!({"association": "IGDAS", "subscriber": "5550002", "amount": "7", "due_in_days": -2}))
        .await;
    assert_eq!(
        (a.status, a.json["association"].clone()),
        (200, json!("IGDAS"))
    );
    let bills = t.bills("IGDAS", "5550002").await;
    assert_eq!(bills[0]["LastPaymentDate"], bank_day(today - Days::days(2)));
    let elsewhere = t.query("ISKI", "5550002").await;
    assert_eq!(elsewhere.json["Data"]["Response"]["ResponseCode"], "14");
    t.assert_clean();
}

#[tokio::test]
async fn bad_invoices_are_refused_with_a_reason() {
    let t = T::new().await;
    let ok = json!({"association": "ISKI", "subscriber": "1000001", "amount": "29.20", "due_in_days": 3});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = ok.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases = [
        (json!([1]), "object"),
        (json!("x"), "object"),
        (with("due_days", json!(3)), "unknown key \"due_days\""),
        (with("association", json!("NOPE")), "association"),
        (with("association", json!(12)), "association"),
        (without("subscriber"), "subscriber"),
        (with("subscriber", json!("")), "subscriber"),
        (with("subscriber", json!("12 34")), "subscriber"),
        (with("subscriber", json!(1000001)), "subscriber"),
        (with("subscriber", json!("1".repeat(33))), "subscriber"),
        (without("amount"), "amount"),
        (with("amount", json!(29.2)), "amount"),
        (with("amount", json!("0")), "amount"),
        (with("amount", json!("0.00")), "amount"),
        (with("amount", json!("-1")), "amount"),
        (with("amount", json!("+1")), "amount"),
        (with("amount", json!("1e3")), "amount"),
        (with("amount", json!("29.205")), "amount"),
        (with("amount", json!("29.")), "amount"),
        (with("amount", json!("1,5")), "amount"),
        (with("amount", json!("1000000.01")), "amount"),
        (with("amount", json!("NaN")), "amount"),
        (without("due_in_days"), "due_in_days"),
        (with("due_in_days", json!("3")), "due_in_days"),
        (with("due_in_days", json!(1.5)), "due_in_days"),
        (with("due_in_days", json!(366)), "due_in_days"),
        (with("due_in_days", json!(-366)), "due_in_days"),
    ];
    for (body, needle) in cases {
        let a = t.add(body.clone()).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_eq!(a.json["ok"], false, "{body}");
        let why = a.json["error"].as_str().unwrap_or_default();
        assert!(why.contains(needle), "{body}: {why:?} lacks {needle:?}");
    }
    let raw = t
        .http
        .post(format!("{}/_sandbox/invoice", t.rs.url))
        .body("not json");
    assert_eq!(t.send(raw).await.status, 400);

    // The method checks the same.
    let new = NewInvoice {
        association: None,
        subscriber: "1000001".into(),
        amount: dec("1"),
        due_in_days: 0,
    };
    for bad in [
        NewInvoice {
            amount: Decimal::ZERO,
            ..new.clone()
        },
        NewInvoice {
            amount: dec("0.001"),
            ..new.clone()
        },
        NewInvoice {
            association: Some("ISKİ".into()),
            ..new.clone()
        },
        NewInvoice {
            subscriber: "ab/c".into(),
            ..new.clone()
        },
        NewInvoice {
            due_in_days: i64::MAX,
            ..new.clone()
        },
    ] {
        assert!(t.sb().add_invoice(bad.clone()).is_err(), "{bad:?}");
    }
    // Nothing was added, and poking the control endpoint is no violation.
    assert_eq!(t.bills("ISKI", "1000001").await.len(), 1);
    assert!(
        t.sb().add_invoice(new).is_ok(),
        "an amount without decimals is fine"
    );
    t.assert_clean();
}

#[tokio::test]
async fn the_daily_numbers_bring_a_new_invoice_each_day() {
    let t = T::with(Sandbox::new(strict_config()).with_clock(Clock::fixed(morning()))).await;
    let day1 = t.sb().clock().today_istanbul();
    let bills = t.bills("ISKI", "1000003").await;
    assert_eq!(bills.len(), 1, "{bills:#?}");
    let first = bills[0]["InvoiceNumber"].as_str().unwrap().to_string();
    assert!(first.contains("20250314"), "{first}");
    assert_eq!(bills[0]["PaymentAmount"], json!(29.2));
    assert_eq!(bills[0]["LastPaymentDate"], bank_day(day1 + Days::days(5)));
    // The same invoice all day, until paid.
    assert_eq!(
        T::numbers(&t.bills("ISKI", "1000003").await),
        std::slice::from_ref(&first)
    );
    assert_eq!(state_of(&t.pay("ISKI", &bills[0]).await), Some(2));
    assert!(t.bills("ISKI", "1000003").await.is_empty());

    let soon = t.bills("ISKI", "1000004").await;
    assert_eq!(soon.len(), 1);
    assert_eq!(soon[0]["PaymentAmount"], json!(41.50));
    assert_eq!(soon[0]["LastPaymentDate"], bank_day(day1 + Days::days(1)));
    assert_eq!(state_of(&t.pay("ISKI", &soon[0]).await), Some(2));
    assert!(t.bills("ISKI", "1000004").await.is_empty());

    // Next day: a new invoice for each, with a new number.
    t.sb().set_clock(Clock::fixed(morning() + Days::days(1)));
    let day2 = day1 + Days::days(1);
    let bills = t.bills("ISKI", "1000003").await;
    let second = bills[0]["InvoiceNumber"].as_str().unwrap().to_string();
    assert!(second.contains("20250315") && second != first, "{second}");
    assert_eq!(bills[0]["LastPaymentDate"], bank_day(day2 + Days::days(5)));
    let soon = t.bills("ISKI", "1000004").await;
    assert_eq!(soon[0]["LastPaymentDate"], bank_day(day2 + Days::days(1)));
    assert_eq!(state_of(&t.pay("ISKI", &bills[0]).await), Some(2));
    assert_eq!(t.sb().payments().len(), 3);
    t.assert_clean();
}

#[tokio::test]
async fn concurrent_adds_get_distinct_numbers() {
    let t = T::new().await;
    let url = format!("{}/_sandbox/invoice", t.rs.url);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let sb = t.sb().clone();
        let http = t.http.clone();
        let url = url.clone();
        tasks.spawn(async move {
            // Half over HTTP, half in-process, racing each other.
            if i % 2 == 0 {
                let body = json!({"subscriber": "5550003", "amount": "1.50", "due_in_days": 1});
                let resp = http.post(url).json(&body).send().await.unwrap();
                let v: Value = resp.json().await.unwrap();
                v["invoice_number"].as_str().unwrap().to_string()
            } else {
                sb.add_invoice(NewInvoice {
                    association: None,
                    subscriber: "5550003".into(),
                    amount: dec("1.50"),
                    due_in_days: 1,
                })
                .unwrap()
            }
        });
    }
    let numbers = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .expect("50 adds within 30 s");
    let distinct: HashSet<_> = numbers.iter().cloned().collect();
    assert_eq!(distinct.len(), 50, "{numbers:?}");
    let served: HashSet<_> = T::numbers(&t.bills("ISKI", "5550003").await)
        .into_iter()
        .collect();
    assert_eq!(served, distinct);
    t.assert_clean();
}

#[test]
fn daily_numbers_are_documented() {
    for n in ["1000003", "1000004"] {
        assert!(MAGIC_NUMBERS.iter().any(|(k, _)| *k == n), "{n}");
    }
}
