//! The reminder section: `FATURABOT_REMINDER_TIME`, `_DAYS_BEFORE`, `_RATE`.

use chrono::NaiveTime;

use super::parse::Reader;

/// When and how the daily saved-bill check runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReminderConfig {
    /// Time of day of the check, Europe/Istanbul.
    pub at: NaiveTime,
    /// Remind again when an unpaid invoice is due within this many days.
    pub days_before: u32,
    /// Most bank queries per second of the run.
    pub per_second: f64,
}

pub const DEFAULT_REMINDER_DAYS_BEFORE: u32 = 3;
pub const MAX_REMINDER_DAYS_BEFORE: u32 = 60;
pub const DEFAULT_REMINDER_RATE: f64 = 2.0;
/// Below one query per 100 s a daily run over many bills never ends.
pub const MIN_REMINDER_RATE: f64 = 0.01;
pub const MAX_REMINDER_RATE: f64 = 1000.0;

/// 10:00, Europe/Istanbul.
pub fn default_reminder_time() -> NaiveTime {
    NaiveTime::MIN + chrono::TimeDelta::hours(10)
}

/// `HH:MM` or `HH:MM:SS`, two digits each (chrono alone would take `9:5`).
fn parse_time(text: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u32>().ok());
    NaiveTime::from_hms_opt(n(0)?, n(1)?, n(2)?)
}

impl Reader<'_> {
    /// All three are checked even with `off`: a typo is still a typo.
    pub(super) fn reminders(&mut self) -> Option<ReminderConfig> {
        let at = self.reminder_time();
        let days_before = self.reminder_days_before();
        let per_second = self.reminder_rate();
        Some(ReminderConfig {
            at: at?,
            days_before,
            per_second,
        })
    }

    /// `None` when `off`.
    fn reminder_time(&mut self) -> Option<NaiveTime> {
        const VAR: &str = "FATURABOT_REMINDER_TIME";
        let Some(text) = self.get(VAR) else {
            return Some(default_reminder_time());
        };
        let t = text.trim();
        if t.eq_ignore_ascii_case("off") {
            return None;
        }
        match parse_time(t) {
            Some(at) => Some(at),
            None => {
                self.fail(
                    VAR,
                    format!(
                        "must be a time of day HH:MM or HH:MM:SS (Europe/Istanbul), or `off`, got {text:?}"
                    ),
                );
                Some(default_reminder_time())
            }
        }
    }

    fn reminder_days_before(&mut self) -> u32 {
        const VAR: &str = "FATURABOT_REMINDER_DAYS_BEFORE";
        let Some(text) = self.get(VAR) else {
            return DEFAULT_REMINDER_DAYS_BEFORE;
        };
        match text.trim().parse::<u32>() {
            Ok(n) if n <= MAX_REMINDER_DAYS_BEFORE => n,
            _ => {
                self.fail(
                    VAR,
                    format!(
                        "must be a whole number of days from 0 to {MAX_REMINDER_DAYS_BEFORE}, got {text:?}"
                    ),
                );
                DEFAULT_REMINDER_DAYS_BEFORE
            }
        }
    }

    /// A plain decimal (`2`, `0.5`): `f64`'s parser would also take `inf`,
    /// `NaN`, `1e3` and signs, which an operator would not mean.
    fn reminder_rate(&mut self) -> f64 {
        const VAR: &str = "FATURABOT_REMINDER_RATE";
        let Some(text) = self.get(VAR) else {
            return DEFAULT_REMINDER_RATE;
        };
        let t = text.trim();
        let plain = t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && t.bytes().filter(|&b| b == b'.').count() <= 1
            && t.bytes().any(|b| b.is_ascii_digit());
        match t.parse::<f64>() {
            Ok(r) if plain && (MIN_REMINDER_RATE..=MAX_REMINDER_RATE).contains(&r) => r,
            _ => {
                self.fail(
                    VAR,
                    format!(
                        "must be a number of bank queries per second from {MIN_REMINDER_RATE} to {MAX_REMINDER_RATE}, like 2 or 0.5, got {text:?}"
                    ),
                );
                DEFAULT_REMINDER_RATE
            }
        }
    }
}
