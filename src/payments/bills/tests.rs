//! The saved bill's own rules: names, keys, edits, titles. [`bill`] is the
//! record the storage contract saves too.

use chrono::{TimeZone, Utc};

use super::*;
use crate::storage::fixtures::account;

/// İSKİ water for `user`, paid from account suffix `suffix`, subscriber
/// `subscriber`, reminders on, no name.
pub(crate) fn bill(user: u64, suffix: u32, subscriber: &str) -> SavedBill {
    SavedBill {
        id: BillId::new(),
        user: TelegramUserId(user),
        chat_id: user as i64,
        account: account(suffix),
        group_code: "SU".into(),
        group_name: "Su".into(),
        association_code: "ISKI".into(),
        association_name: "İSKİ".into(),
        fields: vec![SavedField {
            name: "SubscriberNo".into(),
            label: "Abone no".into(),
            value: subscriber.into(),
        }],
        subscriber: subscriber.into(),
        name: None,
        reminders: true,
        created_at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    }
}

fn name(text: &str) -> BillName {
    BillName::parse(text).expect("a name")
}

#[test]
fn a_name_is_trimmed() {
    assert_eq!(name("  Ev suyu \t").as_str(), "Ev suyu");
    assert_eq!(name("x").as_str(), "x");
}

#[test]
fn an_empty_name_is_refused() {
    for text in ["", "   ", "\t\n "] {
        assert_eq!(BillName::parse(text), Err(BadName::Empty), "{text:?}");
    }
}

#[test]
fn a_name_has_at_most_32_characters() {
    let most = "a".repeat(MAX_BILL_NAME_CHARS);
    assert_eq!(name(&most).as_str(), most);
    let over = "a".repeat(MAX_BILL_NAME_CHARS + 1);
    assert_eq!(BillName::parse(&over), Err(BadName::TooLong));
    // The spaces trimmed off do not count.
    assert_eq!(name(&format!("  {most}  ")).as_str(), most);
}

/// Characters, not bytes: "ş" is two bytes in UTF-8 and one letter.
#[test]
fn turkish_letters_count_as_one_each() {
    let most = "ğüşıöçĞÜŞİÖÇ".repeat(3);
    let most: String = most.chars().take(MAX_BILL_NAME_CHARS).collect();
    assert!(most.len() > MAX_BILL_NAME_CHARS, "more bytes than chars");
    assert_eq!(name(&most).as_str(), most);
    let over = format!("{most}ş");
    assert_eq!(BillName::parse(&over), Err(BadName::TooLong));
    assert_eq!(name("Şişli doğalgaz").as_str(), "Şişli doğalgaz");
}

#[test]
fn control_characters_are_refused() {
    for text in ["Ev\nsuyu", "Ev\u{0}suyu", "a\u{7f}", "Ev\u{1b}[31m", "a\rb"] {
        assert_eq!(BillName::parse(text), Err(BadName::Control), "{text:?}");
    }
    // At the ends they are whitespace, trimmed off.
    assert_eq!(name("\nEv suyu\r\n").as_str(), "Ev suyu");
}

fn key(user: u64, suffix: u32, association: &str, fields: &[(&str, &str)]) -> String {
    bill_key(
        TelegramUserId(user),
        &account(suffix),
        association,
        fields.iter().copied(),
    )
}

#[test]
fn the_same_inputs_give_the_same_key() {
    let fields = [("SubscriberNo", "1000001"), ("Region", "34")];
    assert_eq!(key(7, 357, "ISKI", &fields), key(7, 357, "ISKI", &fields));
    let b = bill(7, 357, "1000001");
    assert_eq!(b.key(), key(7, 357, "ISKI", &[("SubscriberNo", "1000001")]));
    // The id, name, reminders and labels are not what the bill is.
    let mut other = bill(7, 357, "1000001");
    other.name = Some(name("Ev"));
    other.reminders = false;
    other.fields[0].label = "Subscriber".into();
    other.association_name = "ISKI".into();
    assert_ne!(other.id, b.id);
    assert_eq!(other.key(), b.key());
    assert_eq!(b.key().len(), 64);
}

#[test]
fn the_key_differs_by_every_part() {
    let base = key(7, 357, "ISKI", &[("SubscriberNo", "1"), ("Region", "34")]);
    let others = [
        key(8, 357, "ISKI", &[("SubscriberNo", "1"), ("Region", "34")]),
        key(7, 358, "ISKI", &[("SubscriberNo", "1"), ("Region", "34")]),
        key(7, 357, "IGDAS", &[("SubscriberNo", "1"), ("Region", "34")]),
        key(7, 357, "ISKI", &[("SubscriberNo", "2"), ("Region", "34")]),
        key(7, 357, "ISKI", &[("SubscriberNo", "1"), ("Region", "35")]),
        key(7, 357, "ISKI", &[("SubscriberNo", "1")]),
        key(7, 357, "ISKI", &[("Subscriber", "1"), ("Region", "34")]),
        // The lengths keep the parts apart: no shifting across a border.
        key(7, 357, "ISKI", &[("SubscriberNo", "1R"), ("egion", "34")]),
        key(7, 357, "ISKIS", &[("ubscriberNo", "1"), ("Region", "34")]),
    ];
    for (i, other) in others.iter().enumerate() {
        assert_ne!(&base, other, "variant {i}");
    }
    let mut currency = account(357);
    currency.currency = "USD".into();
    let by_currency = bill_key(
        TelegramUserId(7),
        &currency,
        "ISKI",
        [("SubscriberNo", "1"), ("Region", "34")],
    );
    assert_ne!(base, by_currency);
    let mut customer = account(357);
    customer.customer_no += 1;
    let by_customer = bill_key(
        TelegramUserId(7),
        &customer,
        "ISKI",
        [("SubscriberNo", "1"), ("Region", "34")],
    );
    assert_ne!(base, by_customer);
}

#[test]
fn values_are_trimmed_in_the_key() {
    assert_eq!(
        key(7, 357, "ISKI", &[("SubscriberNo", " 1000001\t")]),
        key(7, 357, "ISKI", &[("SubscriberNo", "1000001")])
    );
    let mut spaced = bill(7, 357, "1000001");
    spaced.fields[0].value = "  1000001 ".into();
    assert_eq!(spaced.key(), bill(7, 357, "1000001").key());
    // Inside a value a space counts.
    assert_ne!(
        key(7, 357, "ISKI", &[("SubscriberNo", "100 0001")]),
        key(7, 357, "ISKI", &[("SubscriberNo", "1000001")])
    );
}

#[test]
fn an_edit_changes_only_what_it_names() {
    let b = bill(7, 357, "1000001");
    let renamed = b.clone().edited(&BillEdit::Rename(Some(name("Ev suyu"))));
    assert_eq!(renamed.name, Some(name("Ev suyu")));
    assert_eq!(
        SavedBill {
            name: None,
            ..renamed.clone()
        },
        b
    );
    let unnamed = renamed.clone().edited(&BillEdit::Rename(None));
    assert_eq!(unnamed, b);
    let quiet = renamed.clone().edited(&BillEdit::Reminders(false));
    assert!(!quiet.reminders);
    assert_eq!(quiet.name, renamed.name);
    assert_eq!(quiet.key(), b.key());
    assert!(quiet.edited(&BillEdit::Reminders(true)).reminders);
}

#[test]
fn the_title_is_the_name_else_the_institution() {
    let b = bill(7, 357, "1000001");
    assert_eq!(b.title(), "İSKİ");
    let named = b.edited(&BillEdit::Rename(Some(name(" Ev suyu "))));
    assert_eq!(named.title(), "Ev suyu");
    assert_eq!(named.field_names(), ["SubscriberNo"]);
}

#[test]
fn ids_are_within_63_bits_and_differ() {
    let ids: std::collections::BTreeSet<u64> = (0..1000).map(|_| BillId::new().0).collect();
    assert_eq!(ids.len(), 1000);
    assert!(ids.iter().all(|&id| i64::try_from(id).is_ok()));
}
