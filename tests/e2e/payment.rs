//! The payment dialogue end to end: the real dispatcher and sled, the fake
//! Telegram Bot API over HTTP, the sandbox bank.

use crate::common;

use std::time::Duration;

use common::{Harness, WAIT, decode_qr, to_invoices};
use faturabot::fakegram::FakeFailure;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_link_pay_and_get_a_receipt_with_qr() {
    let h = Harness::start().await;
    let user = h.customer(1001, "tr");
    h.link(&user).await;

    let invoices = to_invoices(&h, &user, "1000001").await;
    assert!(
        invoices.plain().contains("1 ödenmemiş fatura"),
        "{}",
        invoices.plain()
    );
    let confirm = h
        .press(&user, &invoices, "₺29,20", "kontrol edip onaylayın")
        .await;
    let text = confirm.plain();
    for part in ["İSKİ", "1000001", "₺29,20", "9142-•••017-357"] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(!text.contains("3488017"), "the account number is masked");
    let paid = h.press(&user, &confirm, "öde", "ödendi").await;
    assert!(
        paid.button("Fatura öde").is_some(),
        "the next bill is one tap away: {:?}",
        paid.buttons
    );

    let photo =
        h.tg.wait_for_message(user.chat_id(), |m| m.photo.is_some(), WAIT)
            .await
            .expect("a receipt photo");
    let caption = photo.plain();
    assert!(
        caption.contains("Dekont") && caption.contains("₺29,20"),
        "{caption}"
    );
    let reference = caption
        .lines()
        .find_map(|l| l.strip_prefix("Referans: "))
        .expect("a reference line")
        .trim()
        .to_owned();
    let qr = decode_qr(photo.photo.as_deref().unwrap_or_default());
    assert_eq!(
        qr,
        format!("BP022{reference}"),
        "the QR is the receipt's qrCode"
    );

    // The paid screen is no dialogue screen any more: /cancel (which takes
    // the buttons off the last dialogue screen) leaves its Pay button.
    h.say(&user, "/cancel", "İptal edilecek bir işlem yok")
        .await;
    let still =
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == paid.message_id)
            .expect("the paid message");
    assert!(
        still.button("Fatura öde").is_some(),
        "the Pay button stays: {:?}",
        still.buttons
    );

    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
    // Every callback query was answered.
    let presses = h.tg.calls_to("answerCallbackQuery").len();
    assert!(presses >= 4, "{presses}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_user_sees_english_and_amounts_the_english_way() {
    let h = Harness::start().await;
    let user = h.customer(1002, "en");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "What kind of bill").await;
    let list = h
        .press(&user, &groups, "SU", "choose the institution")
        .await;
    let found = h.say(&user, "iski", "Matching").await;
    h.press(&user, &found, "İSKİ İSTANBUL", "Abone Numarası")
        .await;
    let invoices = h.say(&user, "1000002", "unpaid invoice").await;
    assert!(
        invoices.button("TRY 1,234.56").is_some(),
        "{:?}",
        invoices.buttons
    );
    assert!(
        invoices.button("TRY 20,000.00").is_some(),
        "{:?}",
        invoices.buttons
    );
    let _ = list;
    // And /language switches to Turkish, remembered.
    let choose = h.say(&user, "/language", "Choose your language").await;
    h.press(&user, &choose, "Türkçe", "Türkçe konuşacağım")
        .await;
    h.say(&user, "/help", "Neler yapabilirim").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_list_is_paged_and_filtered_turkish_aware() {
    let h = Harness::start().await;
    let user = h.customer(1003, "tr");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "Hangi tür").await;
    let page1 = h.press(&user, &groups, "SU", "sayfa 1/").await;
    assert!(
        page1.button("›").is_some(),
        "a next button: {:?}",
        page1.buttons
    );
    assert!(page1.button("‹ Önceki").is_none());
    let page2 = h.press(&user, &page1, "Sonraki ›", "sayfa 2/").await;
    assert!(page2.button("‹ Önceki").is_some());
    let igdir = h.say(&user, "igdir", "eşleşen").await;
    assert!(igdir.button("IĞDIR").is_some(), "{:?}", igdir.buttons);
    let none = h.say(&user, "zzzz", "eşleşen kurum yok").await;
    assert!(none.button("‹ Geri").is_some());
    // The institution named with & and < displays (escaped HTML).
    let amp = h.say(&user, "kooperatif", "eşleşen").await;
    assert!(amp.button("A&B <SU>").is_some(), "{:?}", amp.buttons);
    let prompt = h.press(&user, &amp, "A&B <SU>", "Abone Numarası").await;
    assert!(prompt.plain().contains("A&B <SU>"), "{}", prompt.plain());
    // Every message the bot sent was accepted by Telegram's rules.
    let refused: Vec<_> =
        h.tg.calls()
            .into_iter()
            .filter(|c| !c.is_ok() && c.method != "getUpdates")
            .collect();
    assert!(refused.is_empty(), "{refused:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_field_institution_asks_both_fields() {
    let h = Harness::start().await;
    let user = h.customer(1004, "tr");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "Hangi tür").await;
    h.press(&user, &groups, "ELEKTRİK", "kurumu seçin").await;
    let found = h.say(&user, "başkent", "eşleşen").await;
    h.press(&user, &found, "BAŞKENT", "Tesisat Numarası").await;
    h.say(&user, "55501", "Abone Numarası").await;
    h.say(&user, "1000001", "ödenmemiş fatura").await;
    let q = h
        .sandbox
        .sandbox
        .recorded()
        .into_iter()
        .find(|c| c.method == "QueryInvoices")
        .expect("a query");
    let request = &q.body["Parameters"][0]["Request"];
    assert_eq!(request["InstallationNumber"], "55501");
    assert_eq!(request["SubscriberNumber"], "1000001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_confirm_presses_in_one_batch_pay_once() {
    let h = Harness::start().await;
    let user = h.customer(1005, "tr");
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "1000001").await;
    let confirm = h.press(&user, &invoices, "₺29,20", "onaylayın").await;
    let data = confirm
        .button("öde")
        .and_then(|b| b.callback_data.clone())
        .expect("confirm");
    h.tg.enqueue_batch(vec![
        faturabot::fakegram::UpdateSpec::press(&user, confirm.message_id, data.clone()),
        faturabot::fakegram::UpdateSpec::press(&user, confirm.message_id, data.clone()),
    ]);
    h.expect(&user, "ödendi").await;
    h.tg.wait_for_message(user.chat_id(), |m| m.photo.is_some(), WAIT)
        .await
        .expect("receipt");
    // And once more, later, after the dialogue ended.
    h.tg.press(&user, confirm.message_id, &data);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "exactly one payment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_dialogue_continues_where_it_was() {
    let mut h = Harness::start().await;
    let user = h.customer(1006, "tr");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "Hangi tür").await;
    let list = h.press(&user, &groups, "SU", "kurumu seçin").await;
    let found = h.say(&user, "iski", "eşleşen").await;
    let _ = list;
    h.press(&user, &found, "İSKİ İSTANBUL", "Abone Numarası")
        .await;

    h.crash_and_restart().await;

    let invoices = h.say(&user, "1000001", "ödenmemiş fatura").await;
    let confirm = h.press(&user, &invoices, "₺29,20", "onaylayın").await;
    h.crash_and_restart().await;
    h.press(&user, &confirm, "öde", "ödendi").await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_buttons_change_nothing() {
    let h = Harness::start().await;
    let user = h.customer(1007, "tr");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "Hangi tür").await;
    let list = h.press(&user, &groups, "SU", "kurumu seçin").await;
    for forged in ["garbage", "s1:ok", "rc:abc", "s0:g0"] {
        let id = h.tg.press(&user, list.message_id, forged);
        let answered =
            h.tg.wait_for_call(
                "answerCallbackQuery",
                |c| c.param_str("callback_query_id").as_deref() == Some(id.as_str()),
                WAIT,
            )
            .await
            .expect("answered");
        assert!(
            answered
                .param_str("text")
                .unwrap_or_default()
                .contains("süresi doldu"),
            "{forged}"
        );
    }
    // The group button of the earlier screen is stale now.
    let stale = groups
        .button("SU")
        .and_then(|b| b.callback_data.clone())
        .expect("button");
    h.tg.press(&user, list.message_id, &stale);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Still on the institution list: typing filters.
    h.say(&user, "iski", "eşleşen").await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinked_user_is_told_how_to_link_and_nothing_is_paid() {
    let h = Harness::start().await;
    let user = h.customer(1008, "tr");
    h.say(&user, "/pay", "davet bağlantısı").await;
    h.say(&user, "/start deadbeef", "geçersiz").await;
    assert_eq!(
        h.sandbox.sandbox.calls("QueryInvoices") + h.sandbox.sandbox.calls("InvoicePayment"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_link_works_once() {
    let h = Harness::start().await;
    let agent = h.agent();
    let invite = h.say(&agent, "/invite 3488017 9142 357", "start=").await;
    let link = invite.plain();
    assert!(
        link.contains("https://t.me/faturabot_test_bot?start="),
        "{link}"
    );
    let token = link
        .split("start=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let a = h.customer(1009, "tr");
    let b = h.customer(1010, "tr");
    h.say(&a, &format!("/start {token}"), "bağlandı").await;
    h.say(&b, &format!("/start {token}"), "geçersiz").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_429_is_honoured() {
    let h = Harness::start().await;
    let user = h.customer(1011, "tr");
    h.tg.fail_next(
        "sendMessage",
        FakeFailure::TooManyRequests { retry_after: 1 },
        1,
    );
    let started = std::time::Instant::now();
    h.say(&user, "/help", "Neler yapabilirim").await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for retry_after"
    );
    let sends = h.tg.calls_to("sendMessage");
    assert_eq!(sends.iter().filter(|c| c.status == 429).count(), 1);
}

/// Each bank failure at the query ends in its own message with a way back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_failures_at_query_each_have_a_message() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1012, "tr");
    h.link(&user).await;
    for (number, want) in [
        ("1000000", "ödenmemiş fatura yok"),
        ("9000001", "Banka bu işlemi yapamadı"),
        ("9000002", "servisinde şu anda bir sorun"),
        ("9000003", "zamanında yanıt vermedi"),
        ("9000004", "okuyamadığım bir yanıt"),
        ("9000005", "okuyamadığım bir yanıt"),
        ("9000006", "Kurum sisteminde geçici bir sorun var"),
        ("5555555", "Abone bulunamadı"),
    ] {
        to_invoices(&h, &user, number).await;
        let screen = h.expect(&user, want).await;
        assert!(
            screen.button("‹ Geri").is_some() && screen.button("Vazgeç").is_some(),
            "{number}: {:?}",
            screen.buttons
        );
        h.press(&user, &screen, "Vazgeç", "İptal edildi").await;
    }
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
}

/// Each bank failure at the payment: a clear message; unknown outcomes are
/// never retried and say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_failures_at_payment_each_have_a_message() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1013, "tr");
    h.link(&user).await;
    for (number, want) in [
        ("9100001", "Ödeme yapılmadı"),
        ("9100002", "doğrulayamadık"),
        ("9100003", "doğrulayamadık"),
        ("9100004", "doğrulayamadık"),
        ("9100005", "işlemi tamamlamadı"),
        ("9100006", "daha önce ödenmiş"),
    ] {
        let invoices = to_invoices(&h, &user, number).await;
        let confirm = h.press(&user, &invoices, "₺", "onaylayın").await;
        let result = h.press(&user, &confirm, "öde", want).await;
        if want == "doğrulayamadık" {
            assert!(
                result.buttons.is_empty(),
                "{number}: no button to pay again"
            );
        } else {
            assert!(
                result.button("Faturalara dön").is_some(),
                "{number}: {:?}",
                result.buttons
            );
            h.press(&user, &result, "Vazgeç", "İptal edildi").await;
        }
    }
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        6,
        "one call per confirmation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_stored_state_is_reset_politely() {
    let mut h = Harness::start().await;
    let user = h.customer(1014, "tr");
    h.link(&user).await;
    h.crash().await;
    {
        // What an older version might have stored.
        let store = common::open_store(&h.dir.0).await;
        let tree = store.db.open_tree("dialogues").expect("tree");
        tree.insert(
            user.chat_id().to_be_bytes(),
            &br#"{"ChoosingPlan":{"old":1}}"#[..],
        )
        .expect("insert");
        store.db.flush().expect("flush");
    }
    h.launch().await;
    h.say(&user, "merhaba", "Güncellendim").await;
    // And the user is not stuck: /pay works.
    h.say(&user, "/pay", "Hangi tür").await;
}

/// After a payment whose outcome is unknown, the same invoice is not paid
/// again by the bot: staff must settle the first attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_blocks_paying_the_same_invoice_again() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1015, "tr");
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h.press(&user, &invoices, "₺", "onaylayın").await;
    h.press(&user, &confirm, "öde", "doğrulayamadık").await;

    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h.press(&user, &invoices, "₺", "onaylayın").await;
    h.press(&user, &confirm, "öde", "yeniden ödenmedi").await;
    assert_eq!(
        h.sandbox.sandbox.calls("InvoicePayment"),
        1,
        "never a second call"
    );
}

/// Staff settle an unknown outcome with /settle; the payer is told, and
/// once it is known to be unpaid the invoice can be paid again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_settles_an_unknown_outcome_and_the_payer_is_told() {
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(1016, "tr");
    let agent = h.agent();
    h.link(&user).await;
    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h.press(&user, &invoices, "₺", "onaylayın").await;
    let unknown = h.press(&user, &confirm, "öde", "doğrulayamadık").await;
    let reference = unknown
        .plain()
        .lines()
        .find_map(|l| l.strip_prefix("Referans: "))
        .expect("a reference for staff")
        .trim()
        .to_owned();

    // A customer cannot settle, and nothing changes.
    h.say(
        &user,
        &format!("/settle {reference} unpaid"),
        "yalnızca banka personeli",
    )
    .await;

    let listed = h.say(&agent, "/payments", "ödemeleri").await;
    assert!(listed.plain().contains(&reference), "{}", listed.plain());
    // Another payment's id is not taken over (its receipt would follow).
    let other = to_invoices(&h, &user, "1000001").await;
    let confirm = h.press(&user, &other, "₺29,20", "onaylayın").await;
    let paid = h.press(&user, &confirm, "öde", "ödendi").await;
    let other_id = paid
        .plain()
        .split("Ödeme no:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|d| d.parse::<i64>().ok())
        .expect("an id");
    h.say(
        &agent,
        &format!("/settle {reference} paid {other_id}"),
        "başka bir ödemeye ait",
    )
    .await;
    h.say(
        &agent,
        &format!("/settle {reference} unpaid"),
        "ödeme yapılmadı",
    )
    .await;
    h.expect(&user, "Banka ödemenizi inceledi").await;
    h.say(
        &agent,
        &format!("/settle {reference} paid"),
        "sonuçlandırılmayı beklemiyor",
    )
    .await;

    // Known unpaid: the invoice may be paid again (the sandbox fails it again).
    let invoices = to_invoices(&h, &user, "9100002").await;
    let confirm = h.press(&user, &invoices, "₺", "onaylayın").await;
    let data = confirm
        .button("öde")
        .and_then(|b| b.callback_data.clone())
        .expect("confirm");
    h.tg.press(&user, confirm.message_id, &data);
    let deadline = std::time::Instant::now() + WAIT;
    while h.sandbox.sandbox.calls("InvoicePayment") < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 2);
}

/// Only the live screen has buttons: a screen sent anew (after typed text)
/// takes them off the one before, and /cancel takes them off the last one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_live_screen_keeps_its_buttons() {
    let h = Harness::start().await;
    let user = h.customer(1017, "tr");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "Hangi tür").await;
    let list = h.press(&user, &groups, "SU", "kurumu seçin").await;
    let found = h.say(&user, "iski", "eşleşen").await;
    let buttons_of = |id: i32| {
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == id)
            .map(|m| m.buttons.len())
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + WAIT;
    while buttons_of(list.message_id) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        buttons_of(list.message_id),
        0,
        "the old list lost its buttons"
    );
    assert!(buttons_of(found.message_id) > 0, "the new list has them");

    h.say(&user, "/cancel", "İptal edildi").await;
    let deadline = std::time::Instant::now() + WAIT;
    while buttons_of(found.message_id) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        buttons_of(found.message_id),
        0,
        "/cancel took the last buttons off"
    );
}

/// Text that looks like a command (another bot's, or none of ours) is
/// never a field value, and invisible formatting characters are refused:
/// neither reaches the bank.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_invisible_characters_never_reach_the_bank() {
    let h = Harness::start().await;
    let user = h.customer(1101, "tr");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "Hangi tür").await;
    h.press(&user, &groups, "SU", "kurumu seçin").await;
    let found = h.say(&user, "iski", "eşleşen").await;
    h.press(&user, &found, "İSKİ İSTANBUL", "Abone Numarası")
        .await;
    for text in ["/cancel@otherbot", "/unknowncmd 123"] {
        h.say(&user, text, "Bu komutu bilmiyorum").await;
    }
    for text in ["\u{200B}", "1000\u{202E}001", "\u{FEFF}1000001"] {
        h.say(&user, text, "Görünmeyen biçim karakterleri").await;
    }
    assert_eq!(h.sandbox.sandbox.calls("QueryInvoices"), 0);
    // The dialogue is still at the field: a real value works.
    h.say(&user, "1000001", "ödenmemiş fatura").await;
    assert_eq!(h.sandbox.sandbox.calls("QueryInvoices"), 1);
}

/// Every callback query is answered, also on a group's message and on an
/// inline message, which the bot does not serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_the_bot_does_not_serve_are_answered_too() {
    let h = Harness::start().await;
    let user = h.customer(1102, "en");
    let group_message = serde_json::json!({
        "message_id": 7, "date": 1_700_000_000,
        "chat": {"id": -100_555, "type": "supergroup", "title": "Aile"},
        "text": "x"
    });
    let in_group = h.tg.press_on(&user, Some(group_message), "1:pay");
    let inline = h.tg.press_on(&user, None, "1:pay");
    for id in [in_group, inline] {
        let answered =
            h.tg.wait_for_call(
                "answerCallbackQuery",
                |c| c.param_str("callback_query_id").as_deref() == Some(id.as_str()),
                WAIT,
            )
            .await
            .expect("answered");
        assert_eq!(
            answered.param_str("text").as_deref(),
            Some("This button has expired.")
        );
    }
    assert!(h.tg.chat(user.chat_id()).is_empty(), "nothing else happens");
}

/// A press that carries another user's message (only a forged update can)
/// is expired: it pays nothing from the victim's account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_on_another_users_chat_pays_nothing() {
    let h = Harness::start().await;
    let victim = h.customer(1103, "tr");
    let attacker = h.customer(1104, "tr");
    h.link(&victim).await;
    h.link(&attacker).await;
    let invoices = to_invoices(&h, &victim, "1000001").await;
    let confirm = h.press(&victim, &invoices, "₺29,20", "onaylayın").await;
    let data = confirm
        .button("öde")
        .and_then(|b| b.callback_data.clone())
        .expect("confirm");
    let victims_message =
        h.tg.message_json(&victim, confirm.message_id)
            .expect("the victim's confirmation");
    let id = h.tg.press_on(&attacker, Some(victims_message), &data);
    let answered =
        h.tg.wait_for_call(
            "answerCallbackQuery",
            |c| c.param_str("callback_query_id").as_deref() == Some(id.as_str()),
            WAIT,
        )
        .await
        .expect("answered");
    assert_eq!(
        answered.param_str("text").as_deref(),
        Some("Bu düğmenin süresi doldu.")
    );
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 0);
    // The victim's own press still pays, once.
    h.press(&victim, &confirm, "öde", "ödendi").await;
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 1);
}

/// The dialogue states as stored by this build, one of each kind, taken
/// from a real run. A later build must still read them (an upgrade keeps
/// every chat where it was). Written by the ignored
/// `write_stored_dialogue_fixture`.
const STORED_DIALOGUES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/dialogues/stored-v0.json"
);

#[test]
fn dialogues_stored_by_earlier_builds_still_read() {
    let text = std::fs::read_to_string(STORED_DIALOGUES).expect("fixture");
    let stored: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("a JSON object");
    let kinds = [
        "choosing_account",
        "choosing_group",
        "choosing_institution",
        "entering_field",
        "choosing_invoice",
        "confirming",
        "confirming_cancel",
    ];
    for kind in kinds {
        let json = stored.get(kind).unwrap_or_else(|| panic!("{kind} missing"));
        let state: faturabot::bot::State = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{kind} no longer reads: {e}"));
        assert_eq!(state.name(), kind);
        assert!(state.step().is_some(), "{kind} keeps its live step");
    }
    assert_eq!(stored.len(), kinds.len());
}

/// Regenerates the fixture above (only when the stored format is meant to
/// gain a new version: never overwrite an old one):
/// `cargo test --test e2e -- --ignored write_stored_dialogue_fixture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn write_stored_dialogue_fixture() {
    let mut h = Harness::start().await;
    let user = h.customer(1201, "tr");
    h.link(&user).await;
    let agent = h.agent();
    let second = h.say(&agent, "/invite 3488017 9142 358", "start=").await;
    let token = second
        .plain()
        .split("start=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("token")
        .to_owned();
    h.say(&user, &format!("/start {token}"), "bağlandı").await;

    let mut stored = std::collections::BTreeMap::new();
    let accounts = h.say(&user, "/pay", "Hangi hesaptan").await;
    capture(&mut h, &user, "choosing_account", &mut stored).await;
    let groups = h.press(&user, &accounts, "357", "Hangi tür").await;
    capture(&mut h, &user, "choosing_group", &mut stored).await;
    h.press(&user, &groups, "SU", "kurumu seçin").await;
    let found = h.say(&user, "iski", "eşleşen").await;
    capture(&mut h, &user, "choosing_institution", &mut stored).await;
    h.press(&user, &found, "İSKİ İSTANBUL", "Abone Numarası")
        .await;
    capture(&mut h, &user, "entering_field", &mut stored).await;
    let invoices = h.say(&user, "1000002", "ödenmemiş fatura").await;
    capture(&mut h, &user, "choosing_invoice", &mut stored).await;
    let confirm = h.press(&user, &invoices, "₺1.234,56", "onaylayın").await;
    capture(&mut h, &user, "confirming", &mut stored).await;
    let paid = h.press(&user, &confirm, "öde", "ödendi").await;
    let id = paid
        .plain()
        .split("Ödeme no: ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("payment id")
        .to_owned();
    h.say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;
    capture(&mut h, &agent, "confirming_cancel", &mut stored).await;

    // Each state's bytes exactly as sled held them (the bills' raw JSON
    // included: `0.10` stays `0.10`).
    let entries: Vec<String> = stored
        .iter()
        .map(|(kind, raw)| format!("  {kind:?}: {raw}"))
        .collect();
    let text = format!("{{\n{}\n}}\n", entries.join(",\n"));
    std::fs::write(STORED_DIALOGUES, text).expect("write the fixture");
}

/// The stored dialogue of `user`'s chat, exactly as sled holds it (the bot
/// is stopped for the read, as a crash would, and started again).
async fn capture(
    h: &mut Harness,
    user: &faturabot::fakegram::FakeUser,
    kind: &str,
    into: &mut std::collections::BTreeMap<String, String>,
) {
    h.crash().await;
    // sled lets its file lock go once its own threads let go of it.
    let mut tries = 0;
    let db = loop {
        match sled::open(&h.dir.0) {
            Ok(db) => break db,
            Err(e) if tries < 50 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the database stays locked: {e}"),
        }
    };
    let bytes = db
        .open_tree("dialogues")
        .expect("tree")
        .get(user.chat_id().to_be_bytes())
        .expect("read")
        .expect("a stored dialogue");
    drop(db);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = String::from_utf8(bytes.to_vec()).expect("stored JSON is text");
    into.insert(kind.to_owned(), text);
    h.launch().await;
}
