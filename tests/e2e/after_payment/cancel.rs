//! Agents cancel payments (`/cancelpayment`): once however often pressed,
//! today's only; refused, lost or declined cancellations say so; the payer
//! is told in their own language.

use std::time::Duration;

use super::{bank_payment, cancel_as_agent, cancel_outcome, common, pay, reply_to};
use chrono::Utc;
use common::{Harness, ISKI_NAME, Key, WAIT, action_data, filled, needle, read, words};
use faturabot::{
    bot::callbacks::Action,
    clock::{Clock, istanbul},
    fakegram::UpdateSpec,
    sandbox::FailMode,
};
use serde_json::json;

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
        .say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
        .await;

    // Assert: the payment is shown, nothing is sent yet.
    let text = ask.plain();
    for part in ["İSKİ", "1000001", "₺29,20", &id.to_string()] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 0);

    // Act: confirm, twice in one batch.
    let data = action_data(&ask, Action::Confirm);
    let presses = h.tg.enqueue_batch(vec![
        UpdateSpec::press(&agent, ask.message_id, data.clone()),
        UpdateSpec::press(&agent, ask.message_id, data.clone()),
    ]);

    // Assert: the agent is told, the payer too.
    let id_s = id.to_string();
    let cancelled = filled("status.cancelled", &[("id", &id_s)]);
    let done =
        h.tg.wait_for_message(
            agent.chat_id(),
            |m| m.message_id == ask.message_id && cancelled.shown_in(&agent, &m.plain()),
            WAIT,
        )
        .await
        .unwrap_or_else(|| panic!("agent not told; {:#?}", h.transcript(&agent)));
    assert!(done.plain().contains(&id.to_string()), "{}", done.plain());
    let notice = h
        .expect_key(
            &payer,
            filled(
                "cancelpay.payer_notice",
                &[("amount", "₺29,20"), ("id", &id_s)],
            ),
        )
        .await;
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
        .say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.already")
        .await;

    // Assert
    assert!(again.buttons.is_empty(), "{:?}", again.buttons);
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 1, "no bank call");
}

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
        refusal
            .plain()
            .contains(&words(&agent, "cancelpay.not_today")),
        "{}",
        refusal.plain()
    );
    assert!(refusal.buttons.is_empty(), "{:?}", refusal.buttons);
    assert_eq!(h.sandbox.sandbox.calls("CancelPayment"), 0);
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
        .say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
        .await;

    // Act
    h.press_action(&agent, &ask, Action::Confirm, "cancelpay.processing")
        .await;
    let outcome = cancel_outcome(&h, &agent, &ask).await;

    // Assert
    assert!(
        Key::from("cancelpay.failed").shown_in(&agent, &outcome.plain()),
        "{}",
        outcome.plain()
    );
    let list = h.say_key(&agent, "/payments", "payments.title").await;
    let (id_s, paid) = (id.to_string(), words(&agent, "state.completed"));
    let line = filled(
        "payments.line",
        &[
            ("id", &id_s),
            ("institution", ISKI_NAME),
            ("subscriber", "9300001"),
            ("amount", "₺75,00"),
            ("state", &paid),
        ],
    );
    assert!(line.shown_in(&agent, &list.plain()), "{}", list.plain());
    let cancelled = words(&payer, "state.cancelled");
    assert!(
        h.tg.chat(payer.chat_id())
            .iter()
            .all(|m| !m.plain().contains(&cancelled)),
        "the payer is not told of a cancellation that did not happen"
    );
    // It may be tried again.
    h.say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
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
        .say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
        .await;

    // Act
    h.press_action(&agent, &ask, Action::Confirm, "cancelpay.processing")
        .await;
    let outcome = cancel_outcome(&h, &agent, &ask).await;

    // Assert: not "not cancelled" (it was); the state says it is unverified.
    assert!(bank_payment(&h, id).cancelled, "the bank did cancel");
    let text = outcome.plain();
    for not_cancelled in ["cancelpay.failed", "cancelpay.kept"] {
        assert!(!text.contains(&needle(&agent, not_cancelled)), "{text}");
    }
    let id_s = id.to_string();
    assert!(
        filled("cancelpay.outcome_unknown", &[("id", &id_s)]).shown_in(&agent, &text),
        "{text}"
    );
    let list = h.say_key(&agent, "/payments", "payments.title").await;
    let unverified = words(&agent, "state.cancel_unknown");
    let line = filled(
        "payments.line",
        &[
            ("id", &id_s),
            ("institution", ISKI_NAME),
            ("subscriber", "1000001"),
            ("amount", "₺29,20"),
            ("state", &unverified),
        ],
    );
    assert!(line.shown_in(&agent, &list.plain()), "{}", list.plain());
    let paid = format!("· {} ·", words(&agent, "state.completed"));
    assert!(!list.plain().contains(&paid), "{}", list.plain());
    // Asking again is possible: the bank refuses a second cancellation.
    h.say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
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
    let id_s = id.to_string();
    let kept = words(&agent, filled("cancelpay.kept", &[("id", &id_s)]));

    for action in [Action::Cancel, Action::Back] {
        let ask = h
            .say_key(&agent, &format!("/cancelpayment {id}"), "cancelpay.ask")
            .await;

        // Act
        h.tg.press(&agent, ask.message_id, &action_data(&ask, action));
        let outcome = cancel_outcome(&h, &agent, &ask).await;

        // Assert
        let text = outcome.plain();
        assert!(text.contains(&kept), "{action:?}: {text}");
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
    common::to_subscriber_prompt(&h, &user).await;
    let invoices = h.say_key(&user, "1000001", "pay.choose_invoice").await;
    let confirm = h
        .press_key(&user, &invoices, "TRY 29.20", "pay.confirm")
        .await;
    let paid = h
        .press_action(&user, &confirm, Action::Confirm, "status.completed")
        .await;
    let id: i64 = read(&user, "status.completed", "id", &paid.plain())
        .parse()
        .expect("an id");

    cancel_as_agent(&h, id).await;
    let id_s = id.to_string();
    h.expect_key(
        &user,
        filled(
            "cancelpay.payer_notice",
            &[("amount", "TRY 29.20"), ("id", &id_s)],
        ),
    )
    .await;
}
