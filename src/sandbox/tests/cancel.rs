//! CancelPayment: refused, only today, unknown payment.

use chrono::{TimeZone, Utc};

use super::*;

#[tokio::test]
async fn cancel_refused_with_state_3() {
    let t = T::new().await;
    let bill = t.bills("TURKCELL", "9300001").await.remove(0);
    assert_eq!(state_of(&t.pay("TURKCELL", &bill).await), Some(2));
    let c = t.cancel("TURKCELL", &bill, &t.today()).await;
    assert_eq!(state_of(&c), Some(3));
    assert!(!t.sb().payments()[0].cancelled);
    t.assert_clean();
}

#[tokio::test]
async fn cancel_only_today() {
    // 2026-03-10 20:30 UTC is 23:30 in Istanbul; a day later it is the 11th.
    let day1 = Utc.with_ymd_and_hms(2026, 3, 10, 20, 30, 0).unwrap();
    let sb = Sandbox::new(strict_config()).with_clock(crate::clock::Clock::fixed(day1));
    let t = T::with(sb).await;
    let bill = t.bills("ISKI", "1000001").await.remove(0);
    assert_eq!(state_of(&t.pay("ISKI", &bill).await), Some(2));
    assert_eq!(
        t.sb().payments()[0].date,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    );

    t.sb()
        .set_clock(crate::clock::Clock::fixed(day1 + chrono::Duration::days(1)));
    let c = t.cancel("ISKI", &bill, "2026-03-10T00:00:00").await;
    assert_eq!(c.error_code(), Some(2052), "{}", c.text);
    // Today's date does not match the payment either.
    assert_eq!(
        t.cancel("ISKI", &bill, "2026-03-11T00:00:00")
            .await
            .error_code(),
        Some(2051)
    );
    // A wrongly formatted date is a violation.
    let c = t.cancel("ISKI", &bill, "2026-03-11").await;
    assert_eq!(c.error_code(), Some(1001));
    t.assert_violation("PaymentDate");
}

#[tokio::test]
async fn cancel_of_unknown_payment() {
    let t = T::new().await;
    let bill = t.bills("ISKI", "1000001").await.remove(0);
    assert_eq!(
        t.cancel("ISKI", &bill, &t.today()).await.error_code(),
        Some(2051)
    );
    t.assert_clean();
}
