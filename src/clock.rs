//! Wall-clock time, injectable so tests can move "today".
//!
//! Same-day rules (cancellation, `/payments`) are decided in Europe/Istanbul.
//! Turkey has kept UTC+03:00 all year since 2016, so a fixed offset is exact
//! and spares us a time-zone database.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+03:00, Europe/Istanbul's offset all year round.
pub fn istanbul() -> FixedOffset {
    // 3 * 3600 is within ±86_400, so `east_opt` always succeeds.
    FixedOffset::east_opt(3 * 3600).expect("valid offset")
}

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(Utc::now))
    }

    /// A clock stuck at `at`, for tests.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock(Arc::new(move || at))
    }

    /// A clock driven by the caller, for tests that move time.
    pub fn from_fn(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }

    pub fn now_istanbul(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&istanbul())
    }

    pub fn today_istanbul(&self) -> NaiveDate {
        self.now_istanbul().date_naive()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn istanbul_day_starts_at_21_utc() {
        let late = Utc.with_ymd_and_hms(2026, 11, 22, 21, 30, 0).unwrap();
        assert_eq!(
            Clock::fixed(late).today_istanbul(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
    }
}
