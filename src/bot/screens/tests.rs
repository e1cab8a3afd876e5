//! The screens without Telegram: escaping, Telegram's limits, paging.

use chrono::{TimeZone, Utc};
use teloxide::types::{InlineKeyboardButtonKind, InlineKeyboardMarkup};

use super::{dialogue, lists, payment, staff, unlink, *};
use crate::{
    bank::{Account, BankError, SessionId},
    bot::{
        callbacks::MAX_CALLBACK_BYTES,
        state::{Flow, GroupRef, Institution, Invoice, Picked, QueryField, Step},
    },
    i18n::{I18n, Lang},
    payments::{AuditAction, AuditEntry, PaymentRecord, PaymentState, TransactionId},
    storage::fixtures,
};

fn texts(i18n: &I18n) -> Texts<'_> {
    Texts::new(i18n, Lang::En)
}

fn callbacks(keyboard: &Option<InlineKeyboardMarkup>) -> Vec<(String, String)> {
    let Some(k) = keyboard else { return Vec::new() };
    k.inline_keyboard
        .iter()
        .flatten()
        .filter_map(|b| match &b.kind {
            InlineKeyboardButtonKind::CallbackData(d) => Some((b.text.clone(), d.clone())),
            _ => None,
        })
        .collect()
}

const HOSTILE: &str = "<b>İSKİ</b> & {count} <a href=\"x\">";

fn picked() -> Picked {
    Picked {
        saved: None,
        flow: Flow {
            session: SessionId::new(),
            account: fixtures::account(357),
        },
        group: GroupRef {
            code: "2".into(),
            name: "SU".into(),
        },
        institution: Institution {
            code: "ISKI".into(),
            name: HOSTILE.into(),
        },
        fields: vec![QueryField {
            name: "SubscriberNumber".into(),
            label: HOSTILE.into(),
        }],
        values: vec![HOSTILE.into()],
    }
}

fn invoice(number: &str) -> Invoice {
    Invoice {
        raw: "{}".into(),
        number: number.into(),
        subscriber_number: HOSTILE.into(),
        subscriber_name: Some(HOSTILE.into()),
        due_date: Some("2026-12-25T00:00:00".into()),
        amount: "1234.56".parse().expect("amount"),
        currency: "TRY".into(),
    }
}

fn record(state: PaymentState) -> PaymentRecord {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
        .single()
        .expect("time");
    let mut r = fixtures::record("7-00000000000000ff", 7, "F1", at);
    r.association_name = HOSTILE.into();
    r.subscriber = HOSTILE.into();
    r.state = state;
    r.transaction_id = Some(TransactionId(100_234));
    r
}

/// Whatever the bank or a user wrote reaches the HTML escaped, and a
/// placeholder in it is never filled.
#[test]
fn outside_text_is_escaped_everywhere() {
    let i18n = I18n::load().expect("locales");
    let t = texts(&i18n);
    let step = Step(u64::MAX);
    let bills = [invoice(HOSTILE)];
    let error = BankError::Refused {
        code: "<1>".into(),
        message: Some(HOSTILE.into()),
    };
    let screens = [
        dialogue::field(t, step, &picked()).html,
        dialogue::invoices(t, step, &picked(), &bills, None).html,
        dialogue::invoices(t, step, &picked(), &[], Some(&error)).html,
        dialogue::confirmation(t, step, &picked(), &bills[0]).html,
        dialogue::refused(t, step, &error).html,
        payment::status_text(t, &record(PaymentState::Completed)),
        staff::payer_cancelled(t, &record(PaymentState::Cancelled)),
        lists::payments(t, "02.12.2026", &[record(PaymentState::Completed)], 0, &[]).html,
        lists::history(t, 0, 1, &[record(PaymentState::Unknown)]).html,
    ];
    for html in screens {
        assert!(!html.contains("<b>İSKİ</b>"), "{html}");
        assert!(!html.contains("<a href"), "{html}");
        assert!(!html.contains(" & "), "{html}");
        assert!(html.contains("{count}") || !html.contains("İSKİ"), "{html}");
    }
}

/// Every button of every screen fits Telegram's 64 bytes, at the largest
/// step and index.
#[test]
fn every_button_fits_in_64_bytes() {
    let i18n = I18n::load().expect("locales");
    let t = texts(&i18n);
    let step = Step(u64::MAX);
    let groups: Vec<_> = (0..40)
        .map(|i| GroupRef {
            code: i.to_string(),
            name: "G".repeat(200),
        })
        .collect();
    let shown: Vec<_> = (0..8)
        .map(|i| Institution {
            code: i.to_string(),
            name: "İ".repeat(300),
        })
        .collect();
    let view = dialogue::InstitutionPage {
        group: &groups[0],
        page: 5,
        pages: 20,
        filter: Some("su"),
        found: 160,
        shown: &shown,
    };
    let bills: Vec<_> = (0..30).map(|i| invoice(&"9".repeat(40 + i))).collect();
    let accounts: Vec<Account> = (0..30).map(fixtures::account).collect();
    let screens = [
        dialogue::accounts(t, step, &accounts),
        dialogue::groups(t, step, Ok(&groups), None),
        dialogue::institutions(t, step, &view, None),
        dialogue::invoices(t, step, &picked(), &bills, None),
        dialogue::confirmation(t, step, &picked(), &bills[29]),
        staff::cancel_question(t, step, &record(PaymentState::Completed)),
        lists::history(t, 3, 9, &[record(PaymentState::Completed)]),
        unlink::choose(t, step, &accounts),
        unlink::confirm(t, step, &accounts[29]),
    ];
    for screen in screens {
        for (label, data) in callbacks(&screen.keyboard) {
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{label}: {data}");
        }
    }
    let shown = callbacks(&dialogue::invoices(t, step, &picked(), &bills, None).keyboard);
    assert_eq!(
        shown.len(),
        dialogue::MAX_BILLS + 2,
        "bills capped, then Back and Cancel"
    );
}

/// However long what the bank sent, a screen stays within 4096 characters
/// and its HTML stays closed.
#[test]
fn screens_stay_within_telegrams_text_limit() {
    let i18n = I18n::load().expect("locales");
    let t = texts(&i18n);
    let mut p = picked();
    p.institution.name = "<&>".repeat(3000);
    let many: Vec<_> = (0..300).map(|_| record(PaymentState::Completed)).collect();
    let long = [
        dialogue::field(t, Step(1), &p),
        lists::payments(t, "02.12.2026", &many, 0, &[]),
        dialogue::confirmation(t, Step(1), &p, &invoice(&"<&>".repeat(2000))),
    ];
    for (i, screen) in long.into_iter().enumerate() {
        assert!(screen.html.chars().count() <= MAX_TEXT_CHARS);
        // What Telegram would parse: tags balanced, no entity cut in half.
        let parsed = crate::fakegram::html::parse_html(&screen.html);
        assert!(parsed.is_ok(), "{parsed:?}");
        // The list is paged, the others are cut, and say so.
        assert!(i == 1 || screen.html.contains('…'), "{}", screen.html);
    }
}

/// `‹ Previous` only after the first page, `Next ›` only before the last.
#[test]
fn paging_arrows_follow_the_page() {
    let i18n = I18n::load().expect("locales");
    let t = texts(&i18n);
    let group = GroupRef {
        code: "2".into(),
        name: "SU".into(),
    };
    let arrows = |page, pages| {
        let view = dialogue::InstitutionPage {
            group: &group,
            page,
            pages,
            filter: None,
            found: pages * 8,
            shown: &[],
        };
        let screen = dialogue::institutions(t, Step(3), &view, None);
        callbacks(&screen.keyboard)
            .into_iter()
            .map(|(label, _)| label)
            .filter(|l| l == t.t("button.prev") || l == t.t("button.next"))
            .collect::<Vec<_>>()
    };
    assert!(arrows(0, 1).is_empty());
    assert_eq!(arrows(0, 3), ["Next ›"]);
    assert_eq!(arrows(1, 3), ["‹ Previous", "Next ›"]);
    assert_eq!(arrows(2, 3), ["‹ Previous"]);
    assert_eq!(
        lists::clamp_page(7, 11, 5),
        (2, 3),
        "past the end: the last page"
    );
    assert_eq!(
        lists::clamp_page(0, 0, 5),
        (0, 1),
        "nothing: one empty page"
    );
}

/// Every staff action the audit trail knows has its line under
/// `/payments`, in both languages; one written by a later version has none.
#[test]
fn every_audit_action_is_shown() {
    let i18n = I18n::load().expect("locales");
    let at = Utc
        .with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
        .single()
        .expect("time");
    let entry = |action| AuditEntry {
        at,
        agent: crate::payments::TelegramUserId(77),
        action,
        details: "9142-•••017-357 TRY".into(),
        payment: Some(TransactionId(5)),
    };
    let known = [
        AuditAction::Invite,
        AuditAction::Cancel,
        AuditAction::CancelFailed,
        AuditAction::CancelUnknown,
        AuditAction::Settle,
        AuditAction::PinLocked,
        AuditAction::PinLockedUntilReset,
        AuditAction::PinReset,
        AuditAction::Unlinked,
    ];
    let mut entries: Vec<_> = known.into_iter().map(entry).collect();
    entries.push(entry(AuditAction::Other));
    for lang in Lang::ALL {
        let t = Texts::new(&i18n, lang);
        let html = lists::payments(t, "02.12.2026", &[], 0, &entries).html;
        let lines = html.lines().filter(|l| l.contains(" 77 ")).count();
        assert_eq!(lines, known.len(), "{lang:?}: {html}");
    }
}

/// The daily limit's refusal: the limit and what is left, as each
/// language writes money, with the dialogue's way back and out.
#[test]
fn over_the_limit_tells_the_limit_and_what_is_left() {
    let i18n = I18n::load().expect("locales");
    let over = crate::payments::OverLimit {
        limit: "2500.5".parse().expect("amount"),
        left: "1234.56".parse().expect("amount"),
    };
    let step = Step(7);
    for (lang, limit, left) in [
        (Lang::Tr, "₺2.500,50", "₺1.234,56"),
        (Lang::En, "TRY 2,500.50", "TRY 1,234.56"),
    ] {
        let screen = dialogue::over_limit(Texts::new(&i18n, lang), step, &over, "TRY");
        assert!(screen.html.contains(limit), "{}", screen.html);
        assert!(screen.html.contains(left), "{}", screen.html);
        let actions: Vec<_> = callbacks(&screen.keyboard)
            .into_iter()
            .map(|(_, data)| crate::bot::callbacks::CallbackData::decode(&data))
            .collect();
        use crate::bot::callbacks::{Action, CallbackData::Dialogue};
        assert_eq!(
            actions,
            [
                Some(Dialogue(step, Action::Back)),
                Some(Dialogue(step, Action::Cancel))
            ]
        );
    }
}
