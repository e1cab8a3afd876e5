//! Which reminder an open invoice of a saved bill warrants on a day: pure
//! rules, with no clock, store or Telegram in them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The two reminders an invoice can get, each at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReminderKind {
    /// An unpaid invoice the customer was not told about.
    New,
    /// An unpaid invoice due within the configured days (or overdue).
    DueSoon,
}

impl ReminderKind {
    /// How backends store the kind.
    pub fn code(self) -> &'static str {
        match self {
            ReminderKind::New => "new",
            ReminderKind::DueSoon => "due",
        }
    }

    /// For metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            ReminderKind::New => "new_invoice",
            ReminderKind::DueSoon => "due_soon",
        }
    }
}

/// What to do about one open invoice today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reminding {
    /// The reminder to send, if its claim is won.
    pub send: ReminderKind,
    /// Claimed as well without a message of its own: an invoice first
    /// seen when it is already due soon gets one message, not two.
    pub also: Option<ReminderKind>,
}

/// The reminder an open invoice due on `due` warrants on `today`: due
/// within `days_before` days (or past due), "due soon", which stands for
/// "new" too; otherwise "new". The claims decide whether it is sent.
pub fn reminding(due: Option<NaiveDate>, today: NaiveDate, days_before: u32) -> Reminding {
    let due_soon = due.is_some_and(|d| (d - today).num_days() <= i64::from(days_before));
    if due_soon {
        Reminding {
            send: ReminderKind::DueSoon,
            also: Some(ReminderKind::New),
        }
    } else {
        Reminding {
            send: ReminderKind::New,
            also: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn far_off_or_undated_is_new() {
        let r = reminding(Some(day(20)), day(1), 3);
        assert_eq!((r.send, r.also), (ReminderKind::New, None));
        assert_eq!(reminding(None, day(1), 3).send, ReminderKind::New);
    }

    #[test]
    fn within_the_days_or_overdue_is_due_soon_and_counts_as_new() {
        for due in [day(4), day(2), day(1)] {
            let r = reminding(Some(due), day(1), 3);
            assert_eq!(r.send, ReminderKind::DueSoon, "{due}");
            assert_eq!(r.also, Some(ReminderKind::New));
        }
        assert_eq!(
            reminding(Some(day(1)), day(5), 3).send,
            ReminderKind::DueSoon
        );
        assert_eq!(reminding(Some(day(5)), day(1), 3).send, ReminderKind::New);
        assert_eq!(
            reminding(Some(day(1)), day(1), 0).send,
            ReminderKind::DueSoon
        );
    }
}
