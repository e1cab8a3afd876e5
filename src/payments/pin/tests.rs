//! The PIN itself, the lock rules, and the hash.

use std::time::{Duration as StdDuration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn at(minutes: i64) -> DateTime<Utc> {
    let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).single();
    start.expect("time") + Duration::minutes(minutes)
}

fn pin(digits: &str) -> Pin {
    Pin::parse(digits).expect("six digits")
}

#[test]
fn a_pin_is_exactly_six_ascii_digits() {
    assert!(Pin::parse("482915").is_ok());
    for bad in [
        "",
        "48291",
        "4829150",
        "48291a",
        " 48291",
        "482915 ",
        "४८२९१५",
        "48-915",
    ] {
        assert_eq!(
            Pin::parse(bad).err(),
            Some(PinProblem::NotSixDigits),
            "{bad:?}"
        );
    }
}

#[test]
fn trivial_pins_are_refused_each_with_its_reason() {
    let linked = [3_488_017, 1234];
    let cases = [
        ("000000", PinProblem::AllOneDigit),
        ("777777", PinProblem::AllOneDigit),
        ("123456", PinProblem::Ascending),
        ("012345", PinProblem::Ascending),
        ("456789", PinProblem::Ascending),
        ("890123", PinProblem::Ascending),
        ("654321", PinProblem::Descending),
        ("987654", PinProblem::Descending),
        ("210987", PinProblem::Descending),
        ("488017", PinProblem::CustomerNumber),
        // A customer number shorter than six digits, zero-padded.
        ("001234", PinProblem::CustomerNumber),
        ("12345", PinProblem::NotSixDigits),
    ];
    for (digits, problem) in cases {
        assert_eq!(
            Pin::choose(digits, &linked).err(),
            Some(problem),
            "{digits}"
        );
    }
    for fine in ["482915", "135790", "112233", "348801", "123457"] {
        assert!(Pin::choose(fine, &linked).is_ok(), "{fine}");
    }
    assert!(
        Pin::choose("488017", &[]).is_ok(),
        "only linked numbers count"
    );
}

#[test]
fn the_digits_never_show() {
    let p = pin("482915");
    assert_eq!(format!("{p:?}"), "Pin(******)");
    assert!(p.same_as(&pin("482915")) && !p.same_as(&pin("482916")));
    let record = PinRecord {
        hash: Some("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA".into()),
        ..PinRecord::default()
    };
    assert!(!format!("{record:?}").contains("argon2id"));
    let change = PinChange::Choose {
        hash: "$argon2id$secret".into(),
    };
    assert_eq!(format!("{change:?}"), "PinChange::Choose");
}

fn with_pin() -> PinRecord {
    PinRecord::default().with_pin("h".into())
}

#[test]
fn three_wrong_lock_for_15_minutes_and_the_count_goes_on() {
    let r = with_pin();
    let (r, a) = r.after_wrong(at(0));
    assert_eq!(a, Applied::Wrong(Lockout::TriesLeft(2)));
    let (r, a) = r.after_wrong(at(1));
    assert_eq!(a, Applied::Wrong(Lockout::TriesLeft(1)));
    let (r, a) = r.after_wrong(at(2));
    assert_eq!(a, Applied::Wrong(Lockout::LockedUntil(at(17))));
    assert_eq!(r.lock(at(16)), Some(Lock::Until(at(17))));

    // While locked nothing counts, right or wrong.
    let (same, a) = r.after_wrong(at(16));
    assert_eq!((a, &same), (Applied::Locked(Lock::Until(at(17))), &r));
    let (same, a) = r.after_right(at(16));
    assert_eq!((a, &same), (Applied::Locked(Lock::Until(at(17))), &r));

    // 15 minutes later it unlocks; the fourth wrong one leaves two.
    assert_eq!(r.lock(at(17)), None);
    let (r, a) = r.after_wrong(at(17));
    assert_eq!(a, Applied::Wrong(Lockout::TriesLeft(2)));
    let (r, _) = r.after_wrong(at(18));
    let (r, a) = r.after_wrong(at(19));
    assert_eq!(a, Applied::Wrong(Lockout::LockedUntilReset));
    assert!(r.locked_for_good && r.wrong_in_row == 6);
    assert_eq!(r.lock(at(60 * 24 * 365)), Some(Lock::UntilReset));
    let (_, a) = r.after_right(at(60 * 24 * 365));
    assert_eq!(a, Applied::Locked(Lock::UntilReset));

    // A reset clears it all, and the customer is to be told.
    let r = r.reset();
    assert_eq!((r.hash.as_deref(), r.lock(at(20))), (None, None));
    assert!(r.reset_pending_notice && r.wrong_in_row == 0);
    let r = r.with_pin("new".into());
    assert!(!r.reset_pending_notice && r.tries_left() == 3);
}

#[test]
fn a_right_pin_starts_the_count_again() {
    let (r, _) = with_pin().after_wrong(at(0));
    let (r, _) = r.after_wrong(at(1));
    let (r, a) = r.after_right(at(2));
    assert_eq!((a, r.wrong_in_row), (Applied::Done, 0));
    let (_, a) = r.after_wrong(at(3));
    assert_eq!(a, Applied::Wrong(Lockout::TriesLeft(2)));
}

#[test]
fn changes_after_a_check_apply_only_to_the_pin_checked() {
    let r = with_pin();
    let wrong = |checked: &str| PinChange::Wrong {
        checked: checked.into(),
        at: at(0),
    };
    assert_eq!(r.apply(&wrong("other")), (r.clone(), Applied::Stale));
    assert_eq!(r.apply(&wrong("h")).0.wrong_in_row, 1);
    let choose = PinChange::Choose { hash: "x".into() };
    assert_eq!(r.apply(&choose).1, Applied::Stale, "there is one already");
    let first = PinRecord::default().apply(&choose).0;
    assert_eq!(first.hash.as_deref(), Some("x"));
    let change = |checked: &str| PinChange::Change {
        checked: checked.into(),
        hash: "y".into(),
    };
    assert_eq!(r.apply(&change("other")).1, Applied::Stale);
    assert_eq!(r.apply(&change("h")).0.hash.as_deref(), Some("y"));
    // Nothing stored reads as the default.
    let empty: PinRecord = serde_json::from_str("{}").expect("json");
    assert_eq!(empty, PinRecord::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_hashes_to_argon2id_and_checks() {
    let hasher = PinHasher::new();
    let started = Instant::now();
    let phc = hasher.hash(&pin("482915")).await.expect("hash");
    let took = started.elapsed();
    eprintln!("one argon2id hash (m={M_COST_KIB} KiB, t={T_COST}) took {took:?}");
    assert!(took < StdDuration::from_secs(5), "{took:?}");
    assert!(phc.starts_with("$argon2id$v=19$m=12288,t=10,p=1$"), "{phc}");
    assert!(!phc.contains("482915"));
    assert!(hasher.verify(&pin("482915"), &phc).await.expect("verify"));
    assert!(!hasher.verify(&pin("482916"), &phc).await.expect("verify"));
    let again = hasher.hash(&pin("482915")).await.expect("hash");
    assert_ne!(phc, again, "a salt of its own per hash");

    // argon2's own verifier agrees, and ours checks its hashes.
    let parsed = PasswordHash::new(&phc).expect("PHC");
    assert!(
        Argon2::default()
            .verify_password(b"482915", &parsed)
            .is_ok()
    );
    assert!(
        Argon2::default()
            .verify_password(b"000000", &parsed)
            .is_err()
    );
    let theirs = Argon2::default()
        .hash_password_with_salt(b"135790", b"saltsaltsaltsalt")
        .expect("hash")
        .to_string();
    let cheap = PinHasher::cheap();
    assert!(cheap.verify(&pin("135790"), &theirs).await.expect("verify"));
}

#[tokio::test]
async fn an_unusable_stored_hash_is_an_error_not_a_match() {
    let hasher = PinHasher::cheap();
    let p = pin("482915");
    for garbled in [
        "",
        "not a hash",
        "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        // A garbled record must not make the process allocate 4 GiB.
        "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1,p=1",
    ] {
        assert!(
            matches!(hasher.verify(&p, garbled).await, Err(PinError::Hash(_))),
            "{garbled:?}"
        );
    }
}

/// 300 hashes asked at once run at most one per core, and keep at most
/// one slot's memory per core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashes_run_at_most_one_per_core() {
    let params = argon2::Params::new(2048, 1, 1, None).expect("params");
    let hasher = PinHasher::with_params(params);
    let phc = hasher.hash(&pin("482915")).await.expect("hash");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300 {
        let (hasher, phc) = (hasher.clone(), phc.clone());
        tasks.spawn(async move {
            let typed = if i % 2 == 0 { "482915" } else { "135790" };
            hasher.verify(&pin(typed), &phc).await
        });
    }
    let mut right = 0;
    while let Some(done) = tasks.join_next().await {
        right += usize::from(done.expect("task").expect("verify"));
    }
    assert_eq!(right, 150);
    assert!(hasher.peak() >= 1 && hasher.peak() <= hasher.slots());
    assert!(hasher.memories() <= hasher.slots());
}
