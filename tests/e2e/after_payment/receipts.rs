//! The receipt by id (`/receipt N`): every detail and the QR for the payer,
//! nothing for anyone else, and what is said when the receipt service
//! fails.

use std::time::Duration;

use super::{bank_payment, common, next_photo, pay, reply_to};
use common::{Harness, ISKI_NAME, WAIT, decode_qr, filled, needle, words};
use faturabot::bot::callbacks::CallbackData;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_gets_the_receipt_by_id_with_qr_and_every_detail() {
    // Arrange
    let h = Harness::start().await;
    let user = h.customer(2001, "tr");
    h.link(&user).await;
    let id = pay(&h, &user, "1000001", "₺29,20").await;
    let bank = bank_payment(&h, id);
    let after = h.last_id(&user);

    // Act
    h.tg.send_text(&user, &format!("/receipt {id}"));
    let photo = next_photo(&h, &user, after).await;

    // Assert: the whole receipt, as the service gave it.
    let caption = photo.plain();
    let reference = format!("FOY{id}");
    let date = bank.at.format("%-d.%m.%Y %H:%M:%S").to_string();
    let id_s = id.to_string();
    let receipt = words(
        &user,
        filled(
            "receipt.text",
            &[
                ("merchant", "TEKNOBİLSOFT"),
                ("institution", ISKI_NAME),
                ("subscriber", "1000001"),
                ("invoice", &bank.invoice_number),
                ("amount", "₺29,20"),
                // 1.75 + 0.25 % of 29.20, rounded to cents.
                ("fee", "₺1,82"),
                ("total", "₺31,02"),
                ("date", &date),
                ("reference", &reference),
                ("id", &id_s),
            ],
        ),
    );
    assert!(caption.contains(&receipt), "{receipt:?} missing: {caption}");
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
    let forged = h.tg.press(
        &other,
        refusal.message_id,
        &CallbackData::Receipt(id).encode(),
    );
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
    let paid = words(&other, "state.completed");
    for m in [&refusal, &pressed] {
        let text = m.plain();
        for secret in ["İSKİ", "1000001", "29,20", paid.as_str(), "FOY"] {
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
    let after = h.last_id(&agent);
    h.tg.send_text(&agent, &format!("/receipt {id}"));
    let photo = next_photo(&h, &agent, after).await;

    // Assert
    assert_eq!(
        decode_qr(photo.photo.as_deref().unwrap_or_default()),
        format!("BP022FOY{id}")
    );
}

/// Every way the bot speaks of the bank.
const BANK_TEXTS: [&str; 9] = [
    "bank.rejected",
    "bank.rejected_plain",
    "bank.refused",
    "bank.refused_code",
    "bank.not_completed",
    "bank.unavailable",
    "bank.malformed",
    "bank.unreachable",
    "bank.timeout",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_service_failures_still_report_the_payment_and_how_to_fetch_it() {
    // Arrange
    let h = Harness::start_with(Duration::from_millis(800)).await;
    let user = h.customer(2701, "tr");
    h.link(&user).await;
    // The sandbox's "Kayıt bulunamadı" (not found), an HTTP 500, a time-out.
    let not_found = words(
        &user,
        filled("receipt.err_said", &[("reason", "Kayıt bulunamadı")]),
    );
    let reasons = [
        ("9200001", not_found.clone()),
        ("9200002", words(&user, "receipt.err_unavailable")),
        ("9200003", words(&user, "receipt.err_timeout")),
    ];

    let mut refused = 0;
    for (subscriber, reason) in &reasons {
        // Act
        let after = h.last_id(&user);
        let id = pay(&h, &user, subscriber, "₺58,75").await;
        if *subscriber == "9200001" {
            refused = id;
        }

        // Assert: reported paid (by `pay`), then a photo whose QR is the
        // reference, saying the receipt service failed and how to fetch it.
        let photo = next_photo(&h, &user, after).await;
        let caption = photo.plain();
        let id_s = id.to_string();
        let unavailable = words(
            &user,
            filled("receipt.unavailable", &[("id", &id_s), ("reason", reason)]),
        );
        assert!(caption.contains(&unavailable), "{subscriber}: {caption}");
        assert!(
            caption.contains(&format!("/receipt {id}")),
            "{subscriber}: {caption}"
        );
        for key in BANK_TEXTS {
            assert!(
                !caption.contains(&needle(&user, key)),
                "{subscriber}: not the bank ({key}): {caption}"
            );
        }
        assert_eq!(
            decode_qr(photo.photo.as_deref().unwrap_or_default()),
            id.to_string(),
            "{subscriber}"
        );
    }
    assert_eq!(h.sandbox.sandbox.calls("InvoicePayment"), 3);

    // Act: later, the receipt of the first again.
    let after = h.last_id(&user);
    h.tg.send_text(&user, &format!("/receipt {refused}"));
    let later =
        h.tg.wait_for_message(user.chat_id(), |m| m.message_id > after, WAIT)
            .await
            .expect("an answer");

    // Assert
    let text = later.plain();
    let refused_s = refused.to_string();
    let unavailable = words(
        &user,
        filled(
            "receipt.unavailable",
            &[("id", &refused_s), ("reason", &not_found)],
        ),
    );
    assert!(text.contains(&unavailable), "{text}");
    assert!(
        text.contains("Kayıt bulunamadı"),
        "the service's reason: {text}"
    );
}
