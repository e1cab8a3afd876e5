//! The payment PIN (`FATURABOT_PAYMENT_PIN=required`): chosen at the first
//! payment, typed on the keypad between confirm and the bank, locked after
//! wrong ones, changed with `/pin`; never in the chat, never stored in
//! clear; still one payment per confirmation.

use std::time::Duration;

use chrono::Utc;
use faturabot::{
    bot::{callbacks::Action, pin::PinMode},
    fakegram::UpdateSpec,
    payments::AuditAction,
};

use crate::common::{self, Harness, Key, PIN, confirm_data, filled, to_invoices};

async fn harness() -> Harness {
    let mut h = Harness::without_bot(Duration::from_secs(5)).await;
    h.pin = PinMode::Required;
    h.launch().await;
    h
}

/// A linked customer with the PIN chosen, at the confirmation of 1000001.
async fn at_confirmation(
    h: &Harness,
    id: u64,
    lang: &str,
) -> (
    faturabot::fakegram::FakeUser,
    faturabot::fakegram::BotMessage,
) {
    let user = h.customer(id, lang);
    h.link_only(&user).await;
    h.choose_pin_at_first_payment(&user).await;
    let invoices = to_invoices(h, &user, "1000001").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    (user, confirm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_payment_chooses_a_pin_and_pays_only_with_it() {
    for (id, lang) in [(6101, "tr"), (6102, "en")] {
        let h = harness().await;
        let user = h.customer(id, lang);
        h.link_only(&user).await;

        // Arrange: a first /pay asks for a PIN before anything else.
        let keypad = h.say_key(&user, "/pay", "pin.choose").await;
        h.type_pin(&user, &keypad, "123456").await;
        h.expect_key(&user, "pin.refused.ascending").await;
        h.type_pin(&user, &keypad, "482915").await;
        let repeat = h.expect_key(&user, "pin.repeat").await;
        h.type_pin(&user, &repeat, "482916").await;
        h.expect_key(&user, "pin.mismatch").await;
        h.choose_pin(&user, &keypad, PIN).await;
        h.expect_key(&user, "pay.choose_group").await;

        // Act: a wrong PIN, then the right one.
        let invoices = to_invoices(&h, &user, "1000001").await;
        let confirm = h
            .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
            .await;
        let keypad = h
            .press_action(&user, &confirm, Action::Confirm, "pin.enter")
            .await;
        h.type_pin(&user, &keypad, "111119").await;
        h.expect_key(&user, filled("pin.wrong", &[("tries", "2")]))
            .await;
        assert_eq!(
            h.sandbox.sandbox.calls("InvoicePayment"),
            0,
            "not without the PIN"
        );
        h.type_pin(&user, &keypad, PIN).await;
        h.expect_key(&user, "status.completed").await;

        // Assert: paid once; the chat never showed a digit of the PIN.
        assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
        for m in h.tg.chat(user.chat_id()) {
            assert!(!m.plain().contains(PIN), "{}", m.plain());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_wrong_lock_payments_for_15_minutes_and_six_until_a_reset() {
    let mut h = harness().await;
    let start = Utc::now();
    h.clock.set(start);
    let (user, confirm) = at_confirmation(&h, 6201, "en").await;
    let keypad = h
        .press_action(&user, &confirm, Action::Confirm, "pin.enter")
        .await;
    for tries in ["2", "1"] {
        h.type_pin(&user, &keypad, "000111").await;
        h.expect_key(&user, filled("pin.wrong", &[("tries", tries)]))
            .await;
    }
    h.type_pin(&user, &keypad, "000111").await;
    let locked = h.expect_key(&user, "pin.locked_until").await;
    assert!(
        locked.buttons.is_empty(),
        "the payment is over: {:?}",
        locked.buttons
    );
    h.say_key(&user, "/pay", "pin.locked_until").await;

    // A quarter of an hour later: payments again, and the count goes on.
    h.clock.set(start + chrono::Duration::minutes(16));
    let invoices = to_invoices(&h, &user, "1000001").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    let keypad = h
        .press_action(&user, &confirm, Action::Confirm, "pin.enter")
        .await;
    // The 4th and 5th wrong in a row leave 2 and 1 tries; the 6th locks.
    for tries in ["2", "1"] {
        h.type_pin(&user, &keypad, "000111").await;
        let wrong = filled("pin.wrong", &[("tries", tries)]).pieces(&user);
        h.tg.wait_for_message(
            user.chat_id(),
            |m| {
                m.message_id == keypad.message_id
                    && wrong.iter().all(|p| m.plain().contains(p.as_str()))
            },
            h.wait,
        )
        .await
        .expect("a wrong PIN, tries left");
    }
    h.type_pin(&user, &keypad, "000111").await;
    h.expect_key(&user, "pin.locked_until_reset").await;
    h.clock.set(start + chrono::Duration::hours(5));
    let before = h.last_id(&user);
    h.tg.send_text(&user, "/pay");
    h.tg.wait_for_message(
        user.chat_id(),
        |m| {
            m.message_id > before && Key::from("pin.locked_until_reset").shown_in(&user, &m.plain())
        },
        h.wait,
    )
    .await
    .expect("still locked, until a reset");

    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
    h.crash().await;
    let store = h.open_store().await;
    let audit = store
        .ledger
        .audit_since(start - chrono::Duration::minutes(1), 100)
        .await
        .expect("audit");
    let actions: Vec<AuditAction> = audit.iter().map(|e| e.action).collect();
    assert!(actions.contains(&AuditAction::PinLocked), "{actions:?}");
    assert!(
        actions.contains(&AuditAction::PinLockedUntilReset),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_taps_on_confirm_and_on_the_last_digit_pay_once() {
    let h = harness().await;
    let (user, confirm) = at_confirmation(&h, 6301, "tr").await;
    let data = confirm_data(&confirm);
    h.tg.enqueue_batch(vec![
        UpdateSpec::press(&user, confirm.message_id, &data),
        UpdateSpec::press(&user, confirm.message_id, &data),
    ]);
    let keypad = h.expect_key(&user, "pin.enter").await;
    h.type_pin(&user, &keypad, &PIN[..5]).await;
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.message_id == keypad.message_id && m.plain().contains("●●●●●○"),
        h.wait,
    )
    .await
    .expect("five dots");
    let now =
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == keypad.message_id)
            .expect("keypad");
    let last = now
        .all_buttons()
        .find(|b| b.text == PIN[5..])
        .and_then(|b| b.callback_data.clone())
        .expect("the last digit");
    h.tg.enqueue_batch(vec![
        UpdateSpec::press(&user, keypad.message_id, &last),
        UpdateSpec::press(&user, keypad.message_id, &last),
    ]);
    h.expect_key(&user, "status.completed").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1, "one payment");
}

/// The entry so far survives a crash; the PIN is nowhere in clear in the
/// database afterwards (sled's files, PostgreSQL's tables).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_survives_a_restart_and_the_pin_is_never_stored_in_clear() {
    let mut h = harness().await;
    let (user, confirm) = at_confirmation(&h, 6401, "tr").await;
    let keypad = h
        .press_action(&user, &confirm, Action::Confirm, "pin.enter")
        .await;
    h.type_pin(&user, &keypad, &PIN[..5]).await;
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.message_id == keypad.message_id && m.plain().contains("●●●●●○"),
        h.wait,
    )
    .await
    .expect("five dots");
    h.crash_and_restart().await;
    h.press_digit(&user, &keypad, PIN.chars().last().unwrap_or('5'));
    h.expect_key(&user, "status.completed").await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);

    let found = match &h.database {
        Some(url) => postgres_text(url).await,
        None => sled_bytes(&h.dir.0),
    };
    assert!(!found.is_empty(), "something is stored");
    assert!(
        !found.windows(PIN.len()).any(|w| w == PIN.as_bytes()),
        "the PIN is stored in clear"
    );
    // Nor the keypad's presses (the inbox keeps updates sealed).
    let press = b"callback_query";
    if h.database.is_some() {
        assert!(
            !found.windows(press.len()).any(|w| w == press),
            "a keypad press is stored in clear"
        );
    }
}

fn sled_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                all.extend(bytes);
            }
        }
    }
    all
}

async fn postgres_text(url: &str) -> Vec<u8> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let tables = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .expect("tables");
    let mut all = Vec::new();
    for t in tables {
        let name: String = t.get(0);
        let rows = client
            .query(&format!("SELECT t::text FROM \"{name}\" t"), &[])
            .await
            .expect("rows");
        for r in rows {
            let text: String = r.get(0);
            all.extend(text.into_bytes());
        }
    }
    // Byte columns (dialogue states, the inbox) as their bytes, not hex.
    let bytea = client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type = 'bytea'",
            &[],
        )
        .await
        .expect("columns");
    for c in bytea {
        let (table, column): (String, String) = (c.get(0), c.get(1));
        let rows = client
            .query(&format!("SELECT \"{column}\" FROM \"{table}\""), &[])
            .await
            .expect("rows");
        for r in rows {
            let bytes: Vec<u8> = r.get(0);
            all.extend(bytes);
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_changes_with_the_old_one_first() {
    let h = harness().await;
    let user = h.customer(6501, "en");
    h.link_only(&user).await;
    h.choose_pin_at_first_payment(&user).await;

    let keypad = h.say_key(&user, "/pin", "pin.old").await;
    h.type_pin(&user, &keypad, "000111").await;
    h.expect_key(&user, filled("pin.wrong", &[("tries", "2")]))
        .await;
    h.type_pin(&user, &keypad, PIN).await;
    h.expect_key(&user, "pin.new").await;
    h.type_pin(&user, &keypad, "987654").await;
    h.expect_key(&user, "pin.refused.descending").await;
    h.type_pin(&user, &keypad, "739264").await;
    h.expect_key(&user, "pin.repeat").await;
    h.type_pin(&user, &keypad, "739264").await;
    h.expect_key(&user, "pin.changed").await;

    let invoices = to_invoices(&h, &user, "1000001").await;
    let confirm = h
        .press_action(&user, &invoices, Action::Bill(0), "pay.confirm")
        .await;
    let keypad = h
        .press_action(&user, &confirm, Action::Confirm, "pin.enter")
        .await;
    h.type_pin(&user, &keypad, PIN).await;
    h.expect_key(&user, "pin.wrong").await;
    h.type_pin(&user, &keypad, "739264").await;
    h.expect_key(&user, "status.completed").await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_old_keypad_buttons_do_nothing_and_typed_digits_leave_the_chat() {
    let h = harness().await;
    let (user, confirm) = at_confirmation(&h, 6601, "tr").await;
    let old_confirm = confirm_data(&confirm);
    let keypad = h
        .press_action(&user, &confirm, Action::Confirm, "pin.enter")
        .await;
    h.type_pin(&user, &keypad, "48").await;
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.message_id == keypad.message_id && m.plain().contains("●●○○○○"),
        h.wait,
    )
    .await
    .expect("two dots");

    // A forged key (another step) and the old confirm button.
    let answers = h.tg.callback_answers().len();
    h.tg.press(&user, keypad.message_id, "s1:d42");
    h.tg.press(&user, confirm.message_id, &old_confirm);
    let deadline = std::time::Instant::now() + h.wait;
    while h.tg.callback_answers().len() < answers + 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "both presses answered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shown =
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == keypad.message_id)
            .expect("keypad");
    assert!(shown.plain().contains("●●○○○○"), "{}", shown.plain());

    // The PIN typed as a message is taken out of the chat.
    h.say_key(&user, PIN, "pin.use_keypad").await;
    h.tg.wait_for_call("deleteMessage", |_| true, h.wait)
        .await
        .expect("the typed digits are deleted");
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
    common::labelled(&shown, &user, "pin.erase");
}
