//! The saved-bill screens: escaping, what each button carries, paging.

use chrono::{TimeZone, Utc};
use teloxide::types::{InlineKeyboardButtonKind, InlineKeyboardMarkup};

use super::{Texts, bills::*};
use crate::{
    bot::{
        callbacks::{Action, CallbackData, MAX_CALLBACK_BYTES, invoice_tag},
        state::{Invoice, Step},
    },
    i18n::{I18n, Lang},
    payments::{
        TelegramUserId,
        bills::{BillId, BillName, ReminderKind, SavedBill, SavedField, Unfit},
    },
    storage::fixtures,
};

const HOSTILE: &str = "<b>İSKİ</b> & {count}";

fn bill(n: u64) -> SavedBill {
    SavedBill {
        id: BillId(n),
        user: TelegramUserId(7),
        chat_id: 7,
        account: fixtures::account(357),
        group_code: "2".into(),
        group_name: "SU".into(),
        association_code: "ISKI".into(),
        association_name: HOSTILE.into(),
        fields: vec![SavedField {
            name: "SubscriberNumber".into(),
            label: "Abone".into(),
            value: format!("100000{n}"),
        }],
        subscriber: format!("100000{n}"),
        name: None,
        reminders: n.is_multiple_of(2),
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    }
}

fn buttons(keyboard: &Option<InlineKeyboardMarkup>) -> Vec<(String, CallbackData)> {
    let Some(k) = keyboard else { return Vec::new() };
    k.inline_keyboard
        .iter()
        .flatten()
        .filter_map(|b| match &b.kind {
            InlineKeyboardButtonKind::CallbackData(d) => {
                assert!(d.len() <= MAX_CALLBACK_BYTES, "{d}");
                Some((b.text.clone(), CallbackData::decode(d).expect("decodes")))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_list_button_shows_the_name_institution_and_subscriber() {
    let i18n = I18n::load().expect("locales");
    let t = Texts::new(&i18n, Lang::En);
    let mut named = bill(2);
    named.name = Some(BillName::parse("Ev suyu").expect("a name"));
    let screen = list(t, Step(1), &[named, bill(4)], 2, 0, 1);
    let labels: Vec<String> = buttons(&screen.keyboard)
        .into_iter()
        .map(|(text, _)| text)
        .collect();
    assert_eq!(labels[0], format!("Ev suyu · {HOSTILE} · 1000002"));
    assert_eq!(labels[1], format!("{HOSTILE} · 1000004"));
}

#[test]
fn the_list_has_a_button_per_bill_and_pages() {
    let i18n = I18n::load().expect("locales");
    let t = Texts::new(&i18n, Lang::En);
    let step = Step(9);
    let shown: Vec<SavedBill> = (0..8).map(bill).collect();
    let screen = list(t, step, &shown, 12, 0, 2);
    let b = buttons(&screen.keyboard);
    for i in 0..8u16 {
        assert!(
            b.iter()
                .any(|(_, d)| *d == CallbackData::Dialogue(step, Action::Bill(i)))
        );
    }
    assert!(
        b.iter()
            .any(|(_, d)| *d == CallbackData::Dialogue(step, Action::Page(1)))
    );
    // Muted bills say so; labels are plain text, shown as typed.
    assert!(
        b.iter()
            .any(|(text, _)| text.starts_with("🔕") && text.contains(HOSTILE))
    );
    assert!(screen.html.contains("12/20"), "{}", screen.html);
}

#[test]
fn a_card_escapes_and_offers_every_action() {
    let i18n = I18n::load().expect("locales");
    let t = Texts::new(&i18n, Lang::Tr);
    let mut b = bill(2);
    b.name = Some(BillName::parse("Ev <suyu>").expect("name"));
    let screen = card(t, Step(3), &b);
    assert!(screen.html.contains("Ev &lt;suyu&gt;"), "{}", screen.html);
    assert!(!screen.html.contains("<b>İSKİ"));
    let actions: Vec<_> = buttons(&screen.keyboard)
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    for a in [
        Action::Confirm,
        Action::Rename,
        Action::Toggle,
        Action::Delete,
        Action::Back,
        Action::Cancel,
    ] {
        assert!(
            actions.contains(&CallbackData::Dialogue(Step(3), a)),
            "{a:?}"
        );
    }
}

#[test]
fn deleting_says_why_when_the_bill_no_longer_fits() {
    let i18n = I18n::load().expect("locales");
    let t = Texts::new(&i18n, Lang::En);
    let plain = confirm_delete(t, Step(1), &bill(1), None);
    let unlisted = confirm_delete(t, Step(1), &bill(1), Some(Unfit::Unlisted));
    let changed = confirm_delete(t, Step(1), &bill(1), Some(Unfit::Changed));
    assert_ne!(plain.html, unlisted.html);
    assert_ne!(unlisted.html, changed.html);
    assert!(
        buttons(&changed.keyboard)
            .iter()
            .any(|(_, d)| *d == CallbackData::Dialogue(Step(1), Action::Confirm))
    );
}

#[test]
fn a_reminder_names_the_bill_and_its_pay_button_finds_the_invoice() {
    let i18n = I18n::load().expect("locales");
    let t = Texts::new(&i18n, Lang::En);
    let mut b = bill(4);
    b.name = Some(BillName::parse("Home water").expect("name"));
    let invoice = Invoice {
        raw: "{}".into(),
        number: "INV-2026-12-01-very-long-invoice-number-beyond-a-button".into(),
        subscriber_number: "1000004".into(),
        subscriber_name: None,
        due_date: Some("2026-12-03T00:00:00".into()),
        amount: "29.2".parse().expect("amount"),
        currency: "TRY".into(),
    };
    let screen = reminder(t, &b, &invoice, ReminderKind::DueSoon);
    for part in ["Home water", "&lt;b&gt;İSKİ", "03.12.2026", "1000004"] {
        assert!(screen.html.contains(part), "{part} in {}", screen.html);
    }
    let [(_, data)] = buttons(&screen.keyboard).try_into().expect("one button");
    assert_eq!(
        data,
        CallbackData::ReminderPay(BillId(4), invoice_tag(&invoice.number))
    );
    let new = reminder(t, &b, &invoice, ReminderKind::New);
    assert_ne!(new.html, screen.html);
}

#[test]
fn the_paid_screen_offers_saving_only_when_asked() {
    let i18n = I18n::load().expect("locales");
    let t = Texts::new(&i18n, Lang::En);
    let with = buttons(&Some(after_payment(t, Some(Step(5)))));
    let without = buttons(&Some(after_payment(t, None)));
    assert!(
        with.iter()
            .any(|(_, d)| *d == CallbackData::SaveBill(Step(5)))
    );
    assert_eq!(with.len(), 2);
    assert_eq!(
        without,
        vec![(t.t("button.pay").to_owned(), CallbackData::StartPayment)]
    );
}
