use super::*;
use secrecy::ExposeSecret;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

const FULL: &[(&str, &str)] = &[
    ("TELOXIDE_TOKEN", "123456:SECRET-token"),
    ("FATURABOT_BANK_URL", "https://bank.example/api"),
    ("FATURABOT_BANK_CHANNEL", "TG"),
    ("FATURABOT_BANK_APP_KEY", "app-key-secret"),
    ("FATURABOT_RECEIPT_URL", "https://receipts.example"),
    ("FATURABOT_RECEIPT_API_KEY", "api-key-secret"),
    ("FATURABOT_RECEIPT_SECRET_KEY", "secret-key-secret"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<_> = FULL
        .iter()
        .copied()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .collect();
    v.extend_from_slice(extra);
    v
}

fn first_var(result: Result<Config, ConfigErrors>) -> &'static str {
    result.expect_err("must fail").0[0].var
}

#[test]
fn full_config_with_defaults() {
    let c = Config::from_lookup(env(FULL), false).expect("valid");
    assert_eq!(c.catalog_ttl, DEFAULT_CATALOG_TTL);
    assert_eq!(c.send_rate, 30);
    assert_eq!(c.shutdown, Duration::from_secs(30));
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert!(c.agents.is_empty() && c.webhook.is_none() && c.metrics_listen.is_none());
    assert_eq!(c.daily_limit, None, "no limit unless set");
    let Upstream::Real { bank, receipt } = &c.upstream else {
        panic!("real upstream expected")
    };
    assert_eq!(bank.timeout, DEFAULT_BANK_TIMEOUT);
    assert_eq!(bank.sub_dealer_code, "");
    assert_eq!(receipt.api_key.expose_secret(), "api-key-secret");
}

#[test]
fn missing_bank_url_is_named_first() {
    let vars: Vec<_> = FULL
        .iter()
        .copied()
        .filter(|(k, _)| *k != "FATURABOT_BANK_URL")
        .collect();
    assert_eq!(
        first_var(Config::from_lookup(env(&vars), false)),
        "FATURABOT_BANK_URL"
    );
    // Even with nothing set at all.
    assert_eq!(
        first_var(Config::from_lookup(env(&[]), false)),
        "FATURABOT_BANK_URL"
    );
}

#[test]
fn sandbox_needs_only_the_token() {
    let c = Config::from_lookup(env(&[("TELOXIDE_TOKEN", "1:x")]), true).expect("valid");
    assert!(matches!(c.upstream, Upstream::Sandbox { .. }));
}

/// A rejected URL is named, never printed: it may hold a password.
#[test]
fn rejected_urls_never_show_their_secrets() {
    for bad in [
        "ftp://user:hunter2@bank.example/x",
        "postgres://faturabot:hunter2@db.example/faturabot",
        "https://user:hunter2@",
        "not a url hunter2",
    ] {
        let errors = Config::from_lookup(env(&with(&[("FATURABOT_BANK_URL", bad)])), false)
            .expect_err("must fail");
        let text = errors.to_string();
        assert!(text.contains("FATURABOT_BANK_URL"), "{text}");
        assert!(!text.contains("hunter2"), "the secret is printed: {text}");
    }
}

#[test]
fn malformed_values_are_named() {
    for (var, bad) in [
        ("FATURABOT_BANK_URL", "not a url"),
        ("FATURABOT_RECEIPT_URL", "ftp://x"),
        ("FATURABOT_BANK_TIMEOUT_SECS", "fast"),
        ("FATURABOT_CATALOG_TTL_SECS", "-1"),
        ("FATURABOT_AGENTS", "12,bob"),
        ("FATURABOT_AGENTS", "9223372036854775808"),
        ("FATURABOT_METRICS_LISTEN", "localhost"),
        ("TELOXIDE_TOKEN", "no-colon"),
        ("TELOXIDE_API_URL", "::"),
        ("FATURABOT_SEND_RATE", "0"),
        ("FATURABOT_SEND_RATE", "fast"),
        ("FATURABOT_SHUTDOWN_SECS", "0"),
        ("FATURABOT_PAYMENT_PIN", "sometimes"),
        ("FATURABOT_DAILY_LIMIT", "0"),
        ("FATURABOT_DAILY_LIMIT", "-5"),
        ("FATURABOT_DAILY_LIMIT", "0.00"),
        ("FATURABOT_DAILY_LIMIT", "lots"),
        ("FATURABOT_DAILY_LIMIT", "2,500"),
        ("FATURABOT_DAILY_LIMIT", "1e3"),
        ("FATURABOT_DAILY_LIMIT", "25.00.1"),
    ] {
        let vars = with(&[(var, bad)]);
        assert_eq!(
            first_var(Config::from_lookup(env(&vars), false)),
            var,
            "{var}={bad}"
        );
    }
}

#[test]
fn the_pin_is_required_unless_switched_off() {
    let c = Config::from_lookup(env(&with(&[])), false).expect("valid");
    assert_eq!(c.payment_pin, super::PinMode::Required);
    let vars = with(&[("FATURABOT_PAYMENT_PIN", "Off")]);
    let c = Config::from_lookup(env(&vars), false).expect("valid");
    assert_eq!(c.payment_pin, super::PinMode::Off);
}

#[test]
fn daily_limit_parses_as_a_decimal() {
    for (text, want) in [("2500", "2500"), ("2500.50", "2500.50"), (" 0.01 ", "0.01")] {
        let vars = with(&[("FATURABOT_DAILY_LIMIT", text)]);
        let c = Config::from_lookup(env(&vars), false).expect("valid");
        assert_eq!(c.daily_limit, Some(want.parse().expect("amount")), "{text}");
    }
    let vars = with(&[("FATURABOT_DAILY_LIMIT", "-5")]);
    let errors = Config::from_lookup(env(&vars), false).expect_err("must fail");
    assert_eq!(errors.0.len(), 1, "one line: {errors}");
    assert!(
        errors.to_string().starts_with("FATURABOT_DAILY_LIMIT: "),
        "{errors}"
    );
}

#[test]
fn agents_parse() {
    let vars = with(&[("FATURABOT_AGENTS", " 42, 7,,")]);
    let c = Config::from_lookup(env(&vars), false).expect("valid");
    assert!(c.is_agent(42) && c.is_agent(7) && !c.is_agent(1));
}

#[test]
fn debug_never_shows_secrets() {
    let c = Config::from_lookup(env(FULL), false).expect("valid");
    let debug = format!("{c:?}");
    for secret in [
        "SECRET-token",
        "app-key-secret",
        "api-key-secret",
        "secret-key-secret",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
}

fn reminders(extra: &[(&'static str, &'static str)]) -> Option<ReminderConfig> {
    Config::from_lookup(env(&with(extra)), false)
        .expect("valid")
        .reminders
}

fn time(h: u32, m: u32, s: u32) -> chrono::NaiveTime {
    chrono::NaiveTime::from_hms_opt(h, m, s).expect("time")
}

#[test]
fn reminders_default_to_ten_three_days_two_per_second() {
    let r = reminders(&[]).expect("on by default");
    assert_eq!(
        r,
        ReminderConfig {
            at: time(10, 0, 0),
            days_before: 3,
            per_second: 2.0
        }
    );
    assert_eq!(r.at, default_reminder_time());
}

#[test]
fn reminder_time_off_disables_them() {
    for off in ["off", "OFF", " Off "] {
        assert_eq!(
            reminders(&[("FATURABOT_REMINDER_TIME", off)]),
            None,
            "{off}"
        );
    }
}

#[test]
fn reminder_values_parse() {
    let r = reminders(&[("FATURABOT_REMINDER_TIME", "07:30")]).expect("on");
    assert_eq!(r.at, time(7, 30, 0));
    let r = reminders(&[
        ("FATURABOT_REMINDER_TIME", " 23:59:58 "),
        ("FATURABOT_REMINDER_DAYS_BEFORE", "0"),
        ("FATURABOT_REMINDER_RATE", "0.5"),
    ])
    .expect("on");
    assert_eq!(
        (r.at, r.days_before, r.per_second),
        (time(23, 59, 58), 0, 0.5)
    );
    let r = reminders(&[
        ("FATURABOT_REMINDER_TIME", "00:00"),
        ("FATURABOT_REMINDER_DAYS_BEFORE", "60"),
        ("FATURABOT_REMINDER_RATE", "1000"),
    ])
    .expect("on");
    assert_eq!(
        (r.at, r.days_before, r.per_second),
        (time(0, 0, 0), 60, 1000.0)
    );
}

#[test]
fn malformed_reminder_values_are_one_line_each() {
    for (var, bad) in [
        ("FATURABOT_REMINDER_TIME", "10"),
        ("FATURABOT_REMINDER_TIME", "9:30"),
        ("FATURABOT_REMINDER_TIME", "24:00"),
        ("FATURABOT_REMINDER_TIME", "10:60"),
        ("FATURABOT_REMINDER_TIME", "10:00:60"),
        ("FATURABOT_REMINDER_TIME", "10:00:00:00"),
        ("FATURABOT_REMINDER_TIME", "10:00pm"),
        ("FATURABOT_REMINDER_TIME", "+1:00"),
        ("FATURABOT_REMINDER_TIME", "never"),
        ("FATURABOT_REMINDER_DAYS_BEFORE", "-1"),
        ("FATURABOT_REMINDER_DAYS_BEFORE", "61"),
        ("FATURABOT_REMINDER_DAYS_BEFORE", "1.5"),
        ("FATURABOT_REMINDER_DAYS_BEFORE", "three"),
        ("FATURABOT_REMINDER_RATE", "0"),
        ("FATURABOT_REMINDER_RATE", "0.0"),
        ("FATURABOT_REMINDER_RATE", "-2"),
        ("FATURABOT_REMINDER_RATE", "NaN"),
        ("FATURABOT_REMINDER_RATE", "inf"),
        ("FATURABOT_REMINDER_RATE", "1e2"),
        ("FATURABOT_REMINDER_RATE", "1000.5"),
        ("FATURABOT_REMINDER_RATE", "0.001"),
        ("FATURABOT_REMINDER_RATE", "1.2.3"),
        ("FATURABOT_REMINDER_RATE", "."),
    ] {
        let errors = Config::from_lookup(env(&with(&[(var, bad)])), false).expect_err("must fail");
        assert_eq!(errors.0.len(), 1, "{var}={bad}: one line: {errors}");
        assert_eq!(errors.0[0].var, var, "{var}={bad}");
        assert!(
            errors.to_string().starts_with(&format!("{var}: ")),
            "{errors}"
        );
    }
    // Still checked with reminders off: a typo is reported, not ignored.
    let vars = with(&[
        ("FATURABOT_REMINDER_TIME", "off"),
        ("FATURABOT_REMINDER_RATE", "fast"),
    ]);
    assert_eq!(
        first_var(Config::from_lookup(env(&vars), false)),
        "FATURABOT_REMINDER_RATE"
    );
}
