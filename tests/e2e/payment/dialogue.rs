//! Linking and paying: the whole way to a receipt, in Turkish and English,
//! long and filtered lists, two-field institutions.

use crate::common;

use common::{
    Harness, ISKI, Key, SUBSCRIBER_FIELD, WAIT, decode_qr, filled, labelled, read, to_invoices,
};
use faturabot::{
    bot::callbacks::{Action, CallbackData},
    i18n::Lang,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_link_pay_and_get_a_receipt_with_qr() {
    let h = Harness::start().await;
    let user = h.customer(1001, "tr");
    h.link(&user).await;

    let invoices = to_invoices(&h, &user, "1000001").await;
    assert!(
        filled("pay.choose_invoice", &[("count", "1")]).shown_in(&user, &invoices.plain()),
        "{}",
        invoices.plain()
    );
    let confirm = h.press_key(&user, &invoices, "₺29,20", "pay.confirm").await;
    let text = confirm.plain();
    for part in ["İSKİ", "1000001", "₺29,20", "9142-•••017-357"] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(!text.contains("3488017"), "the account number is masked");
    let paid = h
        .press_action(&user, &confirm, Action::Confirm, "status.completed")
        .await;
    assert!(
        labelled(&paid, &user, "button.pay").is_some(),
        "the next bill is one tap away: {:?}",
        paid.buttons
    );

    let photo =
        h.tg.wait_for_message(user.chat_id(), |m| m.photo.is_some(), WAIT)
            .await
            .expect("a receipt photo");
    let caption = photo.plain();
    assert!(
        filled("receipt.text", &[("amount", "₺29,20")]).shown_in(&user, &caption),
        "{caption}"
    );
    let reference = read(&user, "receipt.text", "reference", &caption);
    let qr = decode_qr(photo.photo.as_deref().unwrap_or_default());
    assert_eq!(
        qr,
        format!("BP022{reference}"),
        "the QR is the receipt's qrCode"
    );

    // The paid screen is no dialogue screen any more: /cancel (which takes
    // the buttons off the last dialogue screen) leaves its Pay button.
    h.say_key(&user, "/cancel", "cancel.nothing").await;
    let still =
        h.tg.chat(user.chat_id())
            .into_iter()
            .find(|m| m.message_id == paid.message_id)
            .expect("the paid message");
    assert!(
        labelled(&still, &user, "button.pay").is_some(),
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
    let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
    let list = h
        .press_key(&user, &groups, "SU", "pay.choose_institution")
        .await;
    let found = h.say_key(&user, "iski", "pay.filter_some").await;
    h.press_key(
        &user,
        &found,
        ISKI,
        filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]),
    )
    .await;
    let invoices = h.say_key(&user, "1000002", "pay.choose_invoice").await;
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
    let choose = h.say_key(&user, "/language", "language.choose").await;
    h.press_data(
        &user,
        &choose,
        CallbackData::SetLanguage(Lang::Tr),
        Key::from("language.set").in_lang(Lang::Tr),
    )
    .await;
    h.say_key(&user, "/help", Key::from("help.title").in_lang(Lang::Tr))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_list_is_paged_and_filtered_turkish_aware() {
    let h = Harness::start().await;
    let user = h.customer(1003, "tr");
    h.link(&user).await;
    let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
    let page1 = h
        .press_key(
            &user,
            &groups,
            "SU",
            filled("pay.choose_institution", &[("page", "1")]),
        )
        .await;
    assert!(
        labelled(&page1, &user, "button.next").is_some(),
        "a next button: {:?}",
        page1.buttons
    );
    assert!(labelled(&page1, &user, "button.prev").is_none());
    let page2 = h
        .press_action(
            &user,
            &page1,
            Action::Page(1),
            filled("pay.choose_institution", &[("page", "2")]),
        )
        .await;
    assert!(labelled(&page2, &user, "button.prev").is_some());
    let igdir = h.say_key(&user, "igdir", "pay.filter_some").await;
    assert!(igdir.button("IĞDIR").is_some(), "{:?}", igdir.buttons);
    let none = h.say_key(&user, "zzzz", "pay.filter_none").await;
    assert!(labelled(&none, &user, "button.back").is_some());
    // The institution named with & and < displays (escaped HTML).
    let amp = h.say_key(&user, "kooperatif", "pay.filter_some").await;
    assert!(amp.button("A&B <SU>").is_some(), "{:?}", amp.buttons);
    let prompt = h
        .press_key(
            &user,
            &amp,
            "A&B <SU>",
            filled("pay.enter_field", &[("field", SUBSCRIBER_FIELD)]),
        )
        .await;
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
    let groups = h.say_key(&user, "/pay", "pay.choose_group").await;
    h.press_key(&user, &groups, "ELEKTRİK", "pay.choose_institution")
        .await;
    let found = h.say_key(&user, "başkent", "pay.filter_some").await;
    h.press_key(
        &user,
        &found,
        "BAŞKENT",
        filled(
            "pay.enter_field",
            &[("field", "Tesisat Numarası"), ("n", "1"), ("total", "2")],
        ),
    )
    .await;
    h.say_key(
        &user,
        "55501",
        filled(
            "pay.enter_field",
            &[("field", SUBSCRIBER_FIELD), ("n", "2"), ("total", "2")],
        ),
    )
    .await;
    h.say_key(&user, "1000001", "pay.choose_invoice").await;
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
async fn unlinked_user_is_told_how_to_link_and_nothing_is_paid() {
    let h = Harness::start().await;
    let user = h.customer(1008, "tr");
    h.say_key(&user, "/pay", "pay.not_linked").await;
    h.say_key(&user, "/start deadbeef", "link.invalid").await;
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
    h.say_key(&a, &format!("/start {token}"), "link.done").await;
    h.say_key(&b, &format!("/start {token}"), "link.invalid")
        .await;
}
