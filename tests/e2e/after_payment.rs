//! After the payment, end to end: receipts (`/receipt`), `/history`, the
//! agents' commands (`/cancelpayment`, `/payments`, `/invite`), who may use
//! them, receipt-service failures, `/help` and the command menus.
//!
//! The real dispatcher and sled, the fake Telegram Bot API over HTTP, the
//! sandbox bank. Each test starts its own harness.

use crate::common;

use std::time::Duration;

use chrono::Utc;
use common::{AGENT_ID, Harness, WAIT, decode_qr, to_invoices};
use faturabot::{
    clock::{Clock, istanbul},
    fakegram::{BotMessage, FakeUser, UpdateSpec},
    sandbox::FailMode,
};
use serde_json::{Value, json};

// ---- helpers ----

/// The id of the newest bot message in the user's chat (0 when none).
fn last_id(h: &Harness, user: &FakeUser) -> i32 {
    h.tg.chat(user.chat_id())
        .iter()
        .map(|m| m.message_id)
        .max()
        .unwrap_or(0)
}

/// Waits for a photo message newer than `after`.
async fn next_photo(h: &Harness, user: &FakeUser, after: i32) -> BotMessage {
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.message_id > after && m.photo.is_some(),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no new photo; chat: {:#?}", h.transcript(user)))
}

/// Sends `text` and returns the first bot message that follows.
async fn reply_to(h: &Harness, user: &FakeUser, text: &str) -> BotMessage {
    h.say(user, text, "").await
}

/// The number after `Ödeme no:` in a status text.
fn payment_id(text: &str) -> i64 {
    text.split("Ödeme no:")
        .nth(1)
        .and_then(|rest| {
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no payment id in {text:?}"))
}

/// Pays the İSKİ invoice of `subscriber` whose button shows `amount`, waits
/// for the "paid" status on the confirmation message and for the receipt
/// photo that follows it. Returns the payment id shown to the payer.
async fn pay(h: &Harness, user: &FakeUser, subscriber: &str, amount: &str) -> i64 {
    let invoices = to_invoices(h, user, subscriber).await;
    let confirm = h.press(user, &invoices, amount, "onaylayın").await;
    let data = confirm
        .button("öde")
        .and_then(|b| b.callback_data.clone())
        .expect("a confirm button");
    h.tg.press(user, confirm.message_id, &data);
    let status =
        h.tg.wait_for_message(
            user.chat_id(),
            |m| m.message_id == confirm.message_id && m.plain().contains("Ödeme no:"),
            WAIT,
        )
        .await
        .unwrap_or_else(|| panic!("not paid; chat: {:#?}", h.transcript(user)));
    assert!(status.plain().contains("ödendi"), "{}", status.plain());
    let id = payment_id(&status.plain());
    let id_s = id.to_string();
    h.tg.wait_for_message(
        user.chat_id(),
        |m| m.photo.is_some() && m.plain().contains(&id_s),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no receipt photo for {id}; chat: {:#?}", h.transcript(user)));
    id
}

/// The sandbox's record of payment `id`.
fn bank_payment(h: &Harness, id: i64) -> faturabot::sandbox::PaymentRecord {
    h.sandbox
        .sandbox
        .payments()
        .into_iter()
        .find(|p| p.transaction_id as i64 == id)
        .unwrap_or_else(|| panic!("the bank made no payment {id}"))
}

/// Every request the bank and the receipt service received so far.
fn bank_requests(h: &Harness) -> usize {
    h.sandbox.sandbox.recorded().len()
}

/// The agent asks to cancel `id` and confirms once.
async fn cancel_as_agent(h: &Harness, id: i64) {
    let agent = h.agent();
    let ask = h
        .say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;
    let data = ask
        .button("iptal et")
        .and_then(|b| b.callback_data.clone())
        .expect("a confirm-cancel button");
    h.tg.press(&agent, ask.message_id, &data);
    h.tg.wait_for_message(
        agent.chat_id(),
        |m| m.message_id == ask.message_id && m.plain().contains("iptal edildi"),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("not cancelled; chat: {:#?}", h.transcript(&agent)));
}

// ---- 1. the receipt by id ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_gets_the_receipt_by_id_with_qr_and_every_detail() {
    // Arrange
    let h = Harness::start().await;
    let user = h.customer(2001, "tr");
    h.link(&user).await;
    let id = pay(&h, &user, "1000001", "₺29,20").await;
    let bank = bank_payment(&h, id);
    let after = last_id(&h, &user);

    // Act
    h.tg.send_text(&user, &format!("/receipt {id}"));
    let photo = next_photo(&h, &user, after).await;

    // Assert
    let caption = photo.plain();
    let reference = format!("FOY{id}");
    let date = bank.at.format("%-d.%m.%Y %H:%M:%S").to_string();
    for part in [
        "TEKNOBİLSOFT".to_owned(),
        "Kurum: İSKİ İSTANBUL".to_owned(),
        "Abone: 1000001".to_owned(),
        format!("Fatura no: {}", bank.invoice_number),
        "Tutar: ₺29,20".to_owned(),
        // 1.75 + 0.25 % of 29.20, rounded to cents.
        "Hizmet bedeli: ₺1,82".to_owned(),
        "Toplam: ₺31,02".to_owned(),
        format!("Tarih: {date}"),
        format!("Referans: {reference}"),
        format!("Ödeme no: {id}"),
    ] {
        assert!(caption.contains(&part), "{part:?} missing from {caption}");
    }
    let qr = decode_qr(photo.photo.as_deref().unwrap_or_default());
    assert_eq!(
        qr,
        format!("BP022{reference}"),
        "the QR is the receipt's qrCode"
    );
    let asked = h
        .sandbox
        .sandbox
        .recorded()
        .into_iter()
        .rfind(|c| c.method == "invoicereceipt")
        .expect("the receipt service was asked");
    assert_eq!(
        asked.body,
        json!({"invoicePaymentList": [{"invoicePaymentId": id}]})
    );
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
}

// ---- 2. someone else's receipt ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customer_learns_nothing_about_a_payment() {
    // Arrange
    let h = Harness::start().await;
    let payer = h.customer(2101, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    let other = h.customer(2102, "tr");
    h.link(&other).await;
    let receipts_before = h.sandbox.sandbox.calls("invoicereceipt");

    // Act
    let refusal = reply_to(&h, &other, &format!("/receipt {id}")).await;
    let unknown = reply_to(&h, &other, "/receipt 987654").await;
    // A forged receipt button for the same id.
    let forged = h.tg.press(&other, refusal.message_id, &format!("rc:{id}"));
    h.tg.wait_for_call(
        "answerCallbackQuery",
        |c| c.param_str("callback_query_id").as_deref() == Some(forged.as_str()),
        WAIT,
    )
    .await
    .expect("the press is answered");
    let pressed =
        h.tg.wait_for_message(other.chat_id(), |m| m.message_id > unknown.message_id, WAIT)
            .await
            .expect("an answer to the button");

    // Assert
    let id_s = id.to_string();
    assert_eq!(
        refusal.plain().replace(&id_s, "N"),
        unknown.plain().replace("987654", "N"),
        "the same refusal as for an id that does not exist"
    );
    assert_eq!(pressed.plain(), refusal.plain());
    for m in [&refusal, &pressed] {
        let text = m.plain();
        for secret in ["İSKİ", "1000001", "29,20", "ödendi", "FOY"] {
            assert!(!text.contains(secret), "{secret:?} revealed in {text}");
        }
        assert!(m.photo.is_none());
    }
    assert!(
        h.tg.chat(other.chat_id()).iter().all(|m| m.photo.is_none()),
        "no receipt for the other customer"
    );
    assert_eq!(
        h.sandbox.sandbox.calls("invoicereceipt"),
        receipts_before,
        "the receipt service is not asked for them"
    );

    // Act: an agent may see any receipt.
    let agent = h.agent();
    let after = last_id(&h, &agent);
    h.tg.send_text(&agent, &format!("/receipt {id}"));
    let photo = next_photo(&h, &agent, after).await;

    // Assert
    assert_eq!(
        decode_qr(photo.photo.as_deref().unwrap_or_default()),
        format!("BP022FOY{id}")
    );
}

// ---- 3. /receipt without id, /history paged ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_payments_as_buttons_and_history_paged_with_states() {
    // Arrange: six payments, the first of them cancelled by an agent.
    let h = Harness::start().await;
    let user = h.customer(2201, "tr");
    h.link(&user).await;
    let mut ids = Vec::new();
    for (subscriber, amount) in [
        ("1000001", "₺29,20"),
        ("1000002", "₺1.234,56"),
        ("1000002", "₺0,10"),
        ("1000002", "₺20.000,00"),
        ("9300001", "₺75,00"),
        ("9200001", "₺58,75"),
    ] {
        ids.push(pay(&h, &user, subscriber, amount).await);
    }
    cancel_as_agent(&h, ids[0]).await;

    // Act: /receipt without an id.
    let list = h.say(&user, "/receipt", "sayfa 1/2").await;

    // Assert: the five newest as receipt buttons, a way to the next page.
    for id in &ids[1..] {
        assert!(
            list.button(&format!("Dekont {id}")).is_some(),
            "{id}: {:?}",
            list.buttons
        );
    }
    assert!(list.button(&format!("Dekont {}", ids[0])).is_none());
    assert!(list.button("Sonraki ›").is_some(), "{:?}", list.buttons);
    let oldest_ok = ids[1];
    let after = last_id(&h, &user);
    let b = list
        .button(&format!("Dekont {oldest_ok}"))
        .and_then(|b| b.callback_data.clone())
        .expect("button");
    h.tg.press(&user, list.message_id, &b);
    let photo = next_photo(&h, &user, after).await;
    assert_eq!(
        decode_qr(photo.photo.as_deref().unwrap_or_default()),
        format!("BP022FOY{oldest_ok}")
    );
    assert!(photo.plain().contains("₺1.234,56"), "{}", photo.plain());

    // Act: /history, then its next page.
    let page1 = h.say(&user, "/history", "Ödemeleriniz").await;
    let text1 = page1.plain();
    assert!(text1.contains("sayfa 1/2"), "{text1}");
    for (id, amount) in [
        (ids[5], "₺58,75"),
        (ids[4], "₺75,00"),
        (ids[3], "₺20.000,00"),
        (ids[2], "₺0,10"),
        (ids[1], "₺1.234,56"),
    ] {
        let line = format!("{amount} · ödendi · no {id}");
        assert!(text1.contains(&line), "{line:?} missing from {text1}");
    }
    assert!(!text1.contains(&format!("no {}", ids[0])), "{text1}");
    assert!(page1.button("‹ Önceki").is_none());
    let page2 = h.press(&user, &page1, "Sonraki ›", "sayfa 2/2").await;
    let text2 = page2.plain();
    assert_eq!(
        page2.message_id, page1.message_id,
        "the page is edited in place"
    );
    assert!(
        text2.contains(&format!("₺29,20 · iptal edildi · no {}", ids[0])),
        "{text2}"
    );
    assert!(page2.button("‹ Önceki").is_some() && page2.button("Sonraki ›").is_none());
    assert!(page2.button(&format!("Dekont {}", ids[0])).is_some());
}

// ---- 4. cancellation by an agent ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_cancels_a_payment_once_even_when_confirm_is_pressed_twice() {
    // Arrange
    let h = Harness::start().await;
    let payer = h.customer(2301, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    let bank = bank_payment(&h, id);
    let agent = h.agent();

    // Act: ask.
    let ask = h
        .say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;

    // Assert: the payment is shown, nothing is sent yet.
    let text = ask.plain();
    for part in ["İSKİ", "1000001", "₺29,20", &id.to_string()] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 0);

    // Act: confirm, twice in one batch.
    let data = ask
        .button("iptal et")
        .and_then(|b| b.callback_data.clone())
        .expect("a confirm button");
    let presses = h.tg.enqueue_batch(vec![
        UpdateSpec::press(&agent, ask.message_id, data.clone()),
        UpdateSpec::press(&agent, ask.message_id, data.clone()),
    ]);

    // Assert: the agent is told, the payer too.
    let done =
        h.tg.wait_for_message(
            agent.chat_id(),
            |m| m.message_id == ask.message_id && m.plain().contains("iptal edildi"),
            WAIT,
        )
        .await
        .unwrap_or_else(|| panic!("agent not told; {:#?}", h.transcript(&agent)));
    assert!(done.plain().contains(&id.to_string()), "{}", done.plain());
    let notice = h.expect(&payer, "iptal edildi").await;
    assert!(
        notice.plain().contains("₺29,20") && notice.plain().contains(&id.to_string()),
        "{}",
        notice.plain()
    );
    for p in &presses {
        let qid = p.callback_query_id.clone().expect("a query id");
        h.tg.wait_for_call(
            "answerCallbackQuery",
            |c| c.param_str("callback_query_id").as_deref() == Some(qid.as_str()),
            WAIT,
        )
        .await
        .expect("every press is answered");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 1, "exactly one");
    let call = h
        .sandbox
        .sandbox
        .recorded()
        .into_iter()
        .find(|c| c.method == "CancelPayment")
        .expect("recorded");
    let p = &call.body["Parameters"][0];
    let today = Utc::now().with_timezone(&istanbul()).date_naive();
    assert_eq!(p["AssociationCode"], json!(bank.association_code));
    assert_eq!(p["SubscriberNumber"], json!("1000001"));
    assert_eq!(p["InvoiceNumber"], json!(bank.invoice_number));
    assert_eq!(
        p["PaymentDate"],
        json!(today.format("%Y-%m-%dT00:00:00").to_string())
    );
    assert!(p["PaymentAmount"].is_number(), "{}", call.raw_body);
    assert!(
        call.raw_body.contains(r#""PaymentAmount":29.2"#),
        "{}",
        call.raw_body
    );
    assert_eq!(p["CustomerNo"], json!(3488017));
    assert!(h.bank_violations().is_empty(), "{:?}", h.bank_violations());
    assert!(bank_payment(&h, id).cancelled, "the bank cancelled it");

    // Act: a second /cancelpayment of the same id.
    let again = h
        .say(&agent, &format!("/cancelpayment {id}"), "zaten iptal")
        .await;

    // Assert
    assert!(again.buttons.is_empty(), "{:?}", again.buttons);
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 1, "no bank call");
}

// ---- 5. yesterday's payment ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yesterdays_payment_cannot_be_cancelled() {
    // Arrange: a payment made yesterday, by the bot's and the bank's clocks.
    let h = Harness::start().await;
    let payer = h.customer(2401, "tr");
    h.link(&payer).await;
    let yesterday = Utc::now() - chrono::Duration::days(1);
    h.clock.set(yesterday);
    h.sandbox.sandbox.set_clock(Clock::fixed(yesterday));
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    let now = Utc::now();
    h.clock.set(now);
    h.sandbox.sandbox.set_clock(Clock::fixed(now));
    let agent = h.agent();

    // Act
    let refusal = reply_to(&h, &agent, &format!("/cancelpayment {id}")).await;

    // Assert
    assert!(
        refusal.plain().contains("Yalnızca bugün"),
        "{}",
        refusal.plain()
    );
    assert!(refusal.buttons.is_empty(), "{:?}", refusal.buttons);
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 0);
}

// ---- 6. agent commands from a customer ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_refused_every_agent_command_and_the_bank_hears_nothing() {
    // Arrange: a linked customer with a payment of their own.
    let h = Harness::start().await;
    let user = h.customer(2501, "tr");
    h.link(&user).await;
    let id = pay(&h, &user, "1000001", "₺29,20").await;
    let before = bank_requests(&h);
    let invites_before = h.sandbox.sandbox.calls("CancelPayment");

    // Act
    let mut replies = Vec::new();
    for command in [
        "/invite 3488017 9142 357".to_owned(),
        "/invite".to_owned(),
        "/cancelpayment 1".to_owned(),
        format!("/cancelpayment {id}"),
        "/payments".to_owned(),
    ] {
        replies.push((command.clone(), reply_to(&h, &user, &command).await));
    }
    // A forged page button of /payments.
    let q = h.tg.press(&user, replies[0].1.message_id, "pp:0");
    h.tg.wait_for_call(
        "answerCallbackQuery",
        |c| c.param_str("callback_query_id").as_deref() == Some(q.as_str()),
        WAIT,
    )
    .await
    .expect("answered");
    let after_press =
        h.tg.wait_for_message(
            user.chat_id(),
            |m| m.message_id > replies[4].1.message_id,
            WAIT,
        )
        .await
        .expect("an answer");
    replies.push(("pp:0".into(), after_press));

    // Assert
    for (command, reply) in &replies {
        let text = reply.plain();
        assert!(
            text.contains("yalnızca banka personeli"),
            "{command}: {text}"
        );
        assert!(!text.contains("start="), "{command}: {text}");
        assert!(reply.buttons.is_empty(), "{command}: {:?}", reply.buttons);
    }
    assert_eq!(bank_requests(&h), before, "nothing reached the bank");
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), invites_before);
}

// ---- 7. today's payments ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_lists_todays_payments_with_states_and_totals() {
    // Arrange: two customers, three payments, one cancelled.
    let h = Harness::start().await;
    let a = h.customer(2601, "tr");
    let b = h.customer(2602, "tr");
    h.link(&a).await;
    h.link(&b).await;
    let first = pay(&h, &a, "1000001", "₺29,20").await;
    let second = pay(&h, &b, "9300001", "₺75,00").await;
    let third = pay(&h, &b, "1000002", "₺0,10").await;
    cancel_as_agent(&h, first).await;
    let agent = h.agent();

    // Act
    let list = h.say(&agent, "/payments", "ödemeleri").await;

    // Assert
    let text = list.plain();
    let day = Utc::now()
        .with_timezone(&istanbul())
        .format("%d.%m.%Y")
        .to_string();
    for part in [
        format!("{day} ödemeleri"),
        "3 ödeme · ödenen ₺75,10 · iptal ₺29,20".to_owned(),
        format!(
            "no {first} · İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ · 1000001 · ₺29,20 · iptal edildi · kullanıcı 2601"
        ),
        format!(
            "no {second} · İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ · 9300001 · ₺75,00 · ödendi · kullanıcı 2602"
        ),
        format!(
            "no {third} · İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ · 1000002 · ₺0,10 · ödendi · kullanıcı 2602"
        ),
    ] {
        assert!(text.contains(&part), "{part:?} missing from {text}");
    }
    // Oldest first.
    let at = |id: i64| text.find(&format!("no {id} ")).expect("listed");
    assert!(at(first) < at(second) && at(second) < at(third), "{text}");
    assert!(list.buttons.is_empty(), "one page: {:?}", list.buttons);
}

// ---- 8. the receipt service fails ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_service_failures_still_report_the_payment_and_how_to_fetch_it() {
    // Arrange
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(2701, "tr");
    h.link(&user).await;

    let mut refused = 0;
    for subscriber in ["9200001", "9200002", "9200003"] {
        // Act
        let after = last_id(&h, &user);
        let id = pay(&h, &user, subscriber, "₺58,75").await;
        if subscriber == "9200001" {
            refused = id;
        }

        // Assert: reported paid (by `pay`), then a photo whose QR is the
        // reference, saying the receipt service failed and how to fetch it.
        let photo = next_photo(&h, &user, after).await;
        let caption = photo.plain();
        assert!(
            caption.contains("Dekont") && caption.contains("alınamadı"),
            "{subscriber}: {caption}"
        );
        assert!(
            caption.contains(&format!("/receipt {id}")),
            "{subscriber}: {caption}"
        );
        assert!(
            !caption.contains("Banka"),
            "{subscriber}: not the bank: {caption}"
        );
        assert_eq!(
            decode_qr(photo.photo.as_deref().unwrap_or_default()),
            id.to_string(),
            "{subscriber}"
        );
    }
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 3);

    // Act: later, the receipt of the first again.
    let after = last_id(&h, &user);
    h.tg.send_text(&user, &format!("/receipt {refused}"));
    let later =
        h.tg.wait_for_message(user.chat_id(), |m| m.message_id > after, WAIT)
            .await
            .expect("an answer");

    // Assert
    let text = later.plain();
    assert!(
        text.contains("alınamadı") && text.contains(&refused.to_string()),
        "{text}"
    );
    assert!(
        text.contains("Kayıt bulunamadı"),
        "the service's reason: {text}"
    );
}

// ---- 9. /help and the command menus ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_command_menus_show_agent_commands_to_agents_only() {
    // Arrange
    let h = Harness::start().await;
    let user = h.customer(2801, "tr");
    let agent = h.agent();
    let agent_only = ["/invite", "/cancelpayment", "/payments"];
    let everyone = [
        "/pay",
        "/receipt",
        "/history",
        "/language",
        "/cancel",
        "/help",
    ];

    // Act
    let for_user = h.say(&user, "/help", "Neler yapabilirim").await;
    let for_agent = h.say(&agent, "/help", "Neler yapabilirim").await;

    // Assert: /help
    let (u, a) = (for_user.plain(), for_agent.plain());
    for c in everyone {
        assert!(
            u.contains(&format!("{c} ")),
            "{c} missing for the customer: {u}"
        );
        assert!(
            a.contains(&format!("{c} ")),
            "{c} missing for the agent: {a}"
        );
    }
    for c in agent_only {
        assert!(!u.contains(c), "{c} shown to a customer: {u}");
        assert!(a.contains(c), "{c} missing for the agent: {a}");
    }

    // Assert: the menus.
    let names =
        |list: Vec<(String, String)>| -> Vec<String> { list.into_iter().map(|(c, _)| c).collect() };
    let customer_menu = ["pay", "receipt", "history", "language", "cancel", "help"];
    for lang in [None, Some("tr")] {
        let menu = names(h.tg.my_commands(lang));
        assert_eq!(menu, customer_menu, "default scope, {lang:?}");
    }
    let tr = h.tg.my_commands(Some("tr"));
    assert!(
        tr.iter().any(|(c, d)| c == "pay" && d == "fatura öde"),
        "{tr:?}"
    );
    let scoped: Vec<_> =
        h.tg.calls_to("setMyCommands")
            .into_iter()
            .filter(|c| c.is_ok())
            .filter_map(|c| {
                let scope = match c.params.get("scope")? {
                    Value::String(s) => serde_json::from_str::<Value>(s).ok()?,
                    v => v.clone(),
                };
                (scope["type"] == "chat").then_some((scope, c))
            })
            .collect();
    assert_eq!(scoped.len(), 2, "one per language for the one agent");
    for (scope, call) in &scoped {
        assert_eq!(
            scope["chat_id"].to_string(),
            AGENT_ID.to_string(),
            "{scope}"
        );
        let commands = match call.params.get("commands") {
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or_default(),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        let listed: Vec<&str> = commands
            .as_array()
            .map(|l| l.iter().filter_map(|c| c["command"].as_str()).collect())
            .unwrap_or_default();
        for c in customer_menu
            .iter()
            .chain(&["invite", "cancelpayment", "payments"])
        {
            assert!(
                listed.contains(c),
                "{c} missing from the agents' menu {listed:?}"
            );
        }
    }
}

// ---- 10. the audit trail ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_and_cancellations_are_audited_and_shown_to_agents() {
    // Arrange: an invite (by `link`) and a cancellation.
    let h = Harness::start().await;
    let payer = h.customer(2901, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    cancel_as_agent(&h, id).await;
    let agent = h.agent();

    // Act
    let list = h.say(&agent, "/payments", "Personel işlemleri").await;

    // Assert
    let text = list.plain();
    let audit = text
        .split("Personel işlemleri")
        .nth(1)
        .expect("an audit section");
    assert!(
        audit.contains(&format!("{AGENT_ID} · davet: 9142-•••017-357")),
        "{text}"
    );
    assert!(
        audit.contains(&format!("{AGENT_ID} · ödeme {id} iptal edildi")),
        "{text}"
    );
    assert!(!audit.contains("Some("), "{text}");
}

// ---- cancellations that do not go through ----

/// The agent's final word on the cancel screen `ask` (after "Cancelling…").
async fn cancel_outcome(h: &Harness, agent: &FakeUser, ask: &BotMessage) -> BotMessage {
    h.tg.wait_for_message(
        agent.chat_id(),
        |m| {
            let t = m.plain();
            m.message_id == ask.message_id
                && !t.contains("iptal edilsin mi")
                && !t.contains("İptal ediliyor")
        },
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no outcome; chat: {:#?}", h.transcript(agent)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_refused_by_the_bank_leaves_the_payment_paid() {
    // Arrange: 9300001's cancellation is answered State 3.
    let h = Harness::start().await;
    let payer = h.customer(3001, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "9300001", "₺75,00").await;
    let agent = h.agent();
    let ask = h
        .say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;

    // Act
    h.press(&agent, &ask, "iptal et", "İptal").await;
    let outcome = cancel_outcome(&h, &agent, &ask).await;

    // Assert
    assert!(
        outcome.plain().contains("Ödeme iptal edilmedi"),
        "{}",
        outcome.plain()
    );
    let list = h.say(&agent, "/payments", "ödemeleri").await;
    assert!(
        list.plain().contains(&format!(
            "no {id} · İSKİ İSTANBUL SU VE KANALİZASYON İDARESİ · 9300001 · ₺75,00 · ödendi"
        )),
        "{}",
        list.plain()
    );
    assert!(
        h.tg.chat(payer.chat_id())
            .iter()
            .all(|m| !m.plain().contains("iptal edildi")),
        "the payer is not told of a cancellation that did not happen"
    );
    // It may be tried again.
    h.say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_whose_answer_is_lost_is_not_reported_as_not_cancelled() {
    // Arrange: the bank cancels, but answers after the bot stopped waiting.
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let payer = h.customer(3101, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    let agent = h.agent();
    h.sandbox
        .sandbox
        .fail_next("CancelPayment", FailMode::Slow, 1);
    let ask = h
        .say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;

    // Act
    h.press(&agent, &ask, "iptal et", "İptal").await;
    let outcome = cancel_outcome(&h, &agent, &ask).await;

    // Assert: not "not cancelled" (it was); the state says it is unverified.
    assert!(bank_payment(&h, id).cancelled, "the bank did cancel");
    let text = outcome.plain();
    assert!(!text.contains("iptal edilmedi"), "{text}");
    assert!(text.contains("doğrulanamadı"), "{text}");
    let list = h.say(&agent, "/payments", "ödemeleri").await;
    assert!(
        list.plain().contains("₺29,20 · iptali doğrulanamadı"),
        "{}",
        list.plain()
    );
    assert!(!list.plain().contains("· ödendi ·"), "{}", list.plain());
    // Asking again is possible: the bank refuses a second cancellation.
    h.say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
        .await;
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_who_changes_their_mind_is_told_nothing_was_cancelled() {
    // Arrange
    let h = Harness::start().await;
    let payer = h.customer(3301, "tr");
    h.link(&payer).await;
    let id = pay(&h, &payer, "1000001", "₺29,20").await;
    let agent = h.agent();

    for button in ["Vazgeç", "Geri"] {
        let ask = h
            .say(&agent, &format!("/cancelpayment {id}"), "iptal edilsin mi")
            .await;

        // Act
        let data = ask
            .button(button)
            .and_then(|b| b.callback_data.clone())
            .expect("button");
        h.tg.press(&agent, ask.message_id, &data);
        let outcome = cancel_outcome(&h, &agent, &ask).await;

        // Assert
        let text = outcome.plain();
        assert!(
            text.contains(&format!("{id} numaralı ödeme iptal edilmedi")),
            "{button}: {text}"
        );
    }
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 0);
    assert!(!bank_payment(&h, id).cancelled);
}

/// The payer hears of a cancellation in their own language, not the agent's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_payer_is_told_of_a_cancellation_in_english() {
    let h = Harness::start().await;
    let user = h.customer(4101, "en");
    h.link(&user).await;
    let groups = h.say(&user, "/pay", "What kind of bill").await;
    h.press(&user, &groups, "SU", "choose the institution")
        .await;
    let found = h.say(&user, "iski", "Matching").await;
    h.press(&user, &found, "İSKİ İSTANBUL", "Abone Numarası")
        .await;
    let invoices = h.say(&user, "1000001", "unpaid invoice").await;
    let confirm = h.press(&user, &invoices, "TRY 29.20", "confirm").await;
    let paid = h.press(&user, &confirm, "Pay", "Payment id").await;
    let id: i64 = paid
        .plain()
        .split("Payment id:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|d| d.parse().ok())
        .expect("an id");

    cancel_as_agent(&h, id).await;
    h.expect(&user, "was cancelled by the bank").await;
}
